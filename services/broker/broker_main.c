/*  =========================================================================
    kejin-broker - the Majordomo broker of a Kejin city node

    Parses options, binds, serves until SIGTERM or SIGINT, drains, exits.
    =========================================================================
*/

#include "kejin.h"
#include "broker_server.h"

static const kj_option_t s_options [] = {
    { "node/city", "210100", "region code of this node's city" },
    { "log/level", "info", "lowest log level shown: debug, info, warn, error" },
    { "broker/endpoint", "tcp://127.0.0.1:5555",
      "ROUTER endpoint for MDP clients and workers (port * picks one)" },
    { "broker/pub_endpoint", "tcp://127.0.0.1:5557",
      "XPUB endpoint where event subscribers connect (\"\" for none)" },
    { "broker/sub_endpoint", "tcp://127.0.0.1:5556",
      "XSUB endpoint where kejin-events publishes (\"\" for none)" },
    { "broker/endpoints_file", "",
      "write the bound endpoints here (key=value lines), for * ports" },
    { "broker/heartbeat_ms", "2500", "heartbeat interval, both ways" },
    { "broker/liveness", "3",
      "silent intervals before an idle worker is dead" },
    { "broker/busy_timeout_ms", "120000",
      "silence before a worker holding a request is dead" },
    { "broker/default_wait_ms", "10000",
      "how long a request without a deadline waits for a worker" },
    { "broker/max_wait_ms", "60000",
      "cap on any request's wait for a worker (any timeout_ms is cut to it)" },
    { "broker/queue_max", "100000", "requests queued per service" },
    { "broker/queue_max_bytes", "268435456", "bytes queued per service" },
    { "broker/client_max", "10000", "requests pending per client" },
    { "broker/max_services", "10000", "services known at once" },
    { "broker/peer_services", "100",
      "services one client may create that no worker serves yet" },
    { "broker/max_bytes", "1073741824",
      "bytes held for all pending requests; past it new ones are refused" },
    { "broker/max_retries", "3",
      "re-sends of one request after the workers holding it died" },
    { "broker/retry_safe", "",
      "plain MDP services whose requests may be re-sent, comma-separated" },
    { "broker/sndhwm", "100000", "messages queued to one peer before drops" },
    { "broker/pub_hwm", "10000",
      "messages queued to one subscriber before it misses some" },
    { "broker/max_message", "16777216", "largest frame accepted, bytes" },
    { "broker/drain_ms", "5000",
      "on SIGTERM, time given to pending requests before they fail" },
    { NULL }
};

int
main (int argc, char **argv)
{
    kj_config_t *config = kj_config_from_args (argc, argv, "kejin-broker",
        "Routes MDP/0.1 requests to service workers and carries the event "
        "stream\nout to subscribers.", s_options);
    kj_signals_init ();
    kj_config_log (config);

    broker_config_t bc;
    memset (&bc, 0, sizeof bc);
    broker_limits_default (&bc.limits);
    bc.endpoint = kj_config_get (config, "broker/endpoint");
    bc.pub_endpoint = kj_config_get (config, "broker/pub_endpoint");
    bc.sub_endpoint = kj_config_get (config, "broker/sub_endpoint");
    bc.endpoints_file = kj_config_get (config, "broker/endpoints_file");
    bc.city = kj_config_get (config, "node/city");
    bc.sndhwm = (int) kj_config_int (config, "broker/sndhwm");
    bc.pub_hwm = (int) kj_config_int (config, "broker/pub_hwm");
    bc.max_message = kj_config_int (config, "broker/max_message");
    bc.drain_ms = (int) kj_config_int (config, "broker/drain_ms");
    bc.limits.heartbeat_ms =
        (int) kj_config_int (config, "broker/heartbeat_ms");
    bc.limits.liveness = (int) kj_config_int (config, "broker/liveness");
    bc.limits.busy_timeout_ms =
        (int) kj_config_int (config, "broker/busy_timeout_ms");
    bc.limits.default_wait_ms =
        (int) kj_config_int (config, "broker/default_wait_ms");
    bc.limits.max_wait_ms = (int) kj_config_int (config, "broker/max_wait_ms");
    bc.limits.queue_max = (size_t) kj_config_int (config, "broker/queue_max");
    bc.limits.queue_max_bytes =
        (size_t) kj_config_int (config, "broker/queue_max_bytes");
    bc.limits.client_max = (size_t) kj_config_int (config, "broker/client_max");
    bc.limits.max_services =
        (size_t) kj_config_int (config, "broker/max_services");
    bc.limits.peer_services =
        (size_t) kj_config_int (config, "broker/peer_services");
    bc.limits.max_bytes = (size_t) kj_config_int (config, "broker/max_bytes");
    bc.limits.max_retries = (int) kj_config_int (config, "broker/max_retries");
    bc.limits.retry_safe = kj_config_get (config, "broker/retry_safe");
    if (bc.limits.heartbeat_ms < 10 || bc.limits.liveness < 1) {
        kj_error ("broker.bad_config", "reason=\"heartbeat_ms must be >= 10 "
                  "and liveness >= 1\"");
        return 2;
    }

    broker_server_t *server = broker_server_new (&bc);
    if (!server) {
        kj_config_destroy (&config);
        return 1;
    }
    broker_server_run (server);
    broker_server_destroy (&server);
    kj_config_destroy (&config);
    zsys_shutdown ();
    return 0;
}
