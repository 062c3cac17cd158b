/*  =========================================================================
    broker_options - every option of kejin-broker, with its kind and range

    In the library, not in main, so that `kejin config check` knows them
    and checks a node's whole file the way the broker does.
    =========================================================================
*/

#include "kejin.h"
#include "broker_server.h"

const kj_option_t broker_options [] = {
    { "node/city", "210100", "region code of this node's city",
      KJ_INT (110000, 829999) },
    { "log/level", "info", "lowest log level shown: debug, info, warn, error",
      KJ_CHOICE ("debug info warn error") },
    { "broker/endpoint", "tcp://127.0.0.1:5555",
      "ROUTER endpoint for MDP clients and workers (port * picks one)",
      KJ_ENDPOINT },
    { "broker/pub_endpoint", "tcp://127.0.0.1:5557",
      "XPUB endpoint where event subscribers connect (\"\" for none)",
      KJ_ENDPOINT_OR_NONE },
    { "broker/sub_endpoint", "tcp://127.0.0.1:5556",
      "XSUB endpoint where kejin-events publishes (\"\" for none)",
      KJ_ENDPOINT_OR_NONE },
    { "broker/endpoints_file", "",
      "write the bound endpoints here (key=value lines), for * ports" },
    { "broker/heartbeat_ms", "2500", "heartbeat interval, both ways",
      KJ_INT (10, 600000) },
    { "broker/liveness", "3", "silent intervals before an idle worker is dead",
      KJ_INT (1, 100) },
    { "broker/busy_timeout_ms", "120000",
      "silence before a worker holding a request is dead",
      KJ_INT (100, 86400000) },
    { "broker/default_wait_ms", "10000",
      "how long a request without a deadline waits for a worker",
      KJ_INT (1, 3600000) },
    { "broker/max_wait_ms", "60000", "cap on any request's wait for a worker",
      KJ_INT (1, 3600000) },
    { "broker/queue_max", "100000", "requests queued per service",
      KJ_INT (1, 100000000) },
    { "broker/queue_max_bytes", "268435456", "bytes queued per service",
      KJ_INT (65536, INT64_C (1) << 40) },
    { "broker/client_max", "10000", "requests pending per client",
      KJ_INT (1, 100000000) },
    { "broker/max_services", "10000", "services known at once",
      KJ_INT (1, 1000000) },
    { "broker/peer_services", "100",
      "services one client may create that no worker serves yet",
      KJ_INT (1, 1000000) },
    { "broker/max_bytes", "1073741824",
      "bytes held for all pending requests; past it new ones are refused",
      KJ_INT (1048576, INT64_C (1) << 40) },
    { "broker/max_retries", "3",
      "re-sends of one request after the workers holding it died",
      KJ_INT (0, 100) },
    { "broker/retry_safe", "",
      "plain MDP services whose requests may be re-sent, comma-separated" },
    { "broker/sndhwm", "100000", "messages queued to one peer before drops",
      KJ_INT (1, 100000000) },
    { "broker/pub_hwm", "10000",
      "messages queued to one subscriber before it misses some",
      KJ_INT (1, 100000000) },
    { "broker/max_message", "16777216", "largest frame accepted, bytes",
      KJ_INT (1024, KJ_MAX_MSG_SIZE) },
    { "broker/keys", "",
      "the node's key directory (kejin keys); with broker/cert, CURVE on "
      "every socket" },
    { "broker/cert", "broker",
      "the name of the broker's own key in the key directory's secret/" },
    { "broker/insecure", "false",
      "no keys: anyone who reaches the ports gets in (development only)",
      KJ_BOOL },
    { "broker/rights",
      "events.writer/*=service "
      "events/Report=service,operator,integrator,peer",
      "SERVICE/METHOD=ROLE,ROLE rules, space-separated, first match wins "
      "(METHOD may be *); other methods: read_methods for every role, the "
      "rest for service and operator keys" },
    { "broker/read_methods",
      "Get,List,Search,Show,Check,Replay,Info,Stats,OffsetForTime,Schemas,"
      "Health,Query,Find,Count,Verify,Lookup,Describe,Explain,Export,Counts,"
      "History,Echo",
      "method name prefixes that only read: integrators may call them" },
    { "federation/max_hops", "2",
      "links between cities a request may cross; past it the broker "
      "refuses it (FAILED_PRECONDITION), so routes in a loop cannot bounce "
      "it forever",
      KJ_INT (0, 16) },
    { "federation/carry", "",
      "PEER=CITY,CITY rules, space-separated (CITY may be *): the cities "
      "whose callers a peer key may carry besides its own" },
    { "broker/drain_ms", "5000",
      "on SIGTERM, time given to pending requests before they fail",
      KJ_INT (0, 600000) },
    { NULL }
};
