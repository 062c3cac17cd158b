/*  =========================================================================
    events_options - every option of kejin-events, with its kind and range

    In the library, not in main, so that `kejin config check` knows them
    and checks a node's whole file the way the daemon does.
    =========================================================================
*/

#include "kejin.h"
#include "events_server.h"

const kj_option_t events_options [] = {
    KJ_OPTIONS_NODE,
    KJ_OPTIONS_DB,
    KJ_OPTION_COPIES ("events"),
    { "events/instance", "",
      "name of this copy in logs and in `kejin events stats` (default "
      "events-PID)",
      KJ_TEXT_MAX (63) },
    { "events/readers", "4", "worker threads serving replay (service events)",
      KJ_INT (1, 64) },
    { "events/pub_hwm", "100000",
      "live messages queued towards the broker before they are dropped",
      KJ_INT (1, 100000000) },
    { "events/tick_ms", "1000", "idle marker interval when nothing is appended",
      KJ_INT (10, 600000) },
    { "events/lock_retry_ms", "500",
      "how often a stand-by copy tries to become the writer",
      KJ_INT (10, 600000) },
    { "events/retention_days", "7", "drop events older than this (0: never)",
      KJ_INT (0, 36500) },
    { "events/retention_s", "0",
      "drop events older than this many seconds; overrides retention_days",
      KJ_INT (0, INT64_C (36500) * 86400) },
    { "events/retention_bytes", "0",
      "keep the log below this many envelope bytes (0: no limit)",
      KJ_INT (0, INT64_C (1) << 50) },
    { "events/retention_check_ms", "10000", "how often retention runs",
      KJ_INT (100, 86400000) },
    { "events/follow", "",
      "at a hub: the mirrored cities (kejin_mirror_CITY, comma-separated) "
      "served to integrators live as CITY/TOPIC and by Replay with a city",
      KJ_TEXT_MAX (1023) },
    { "events/follow_poll_ms", "50",
      "how often each mirrored city's log is looked at for new events",
      KJ_INT (1, 60000) },
    { NULL }
};
