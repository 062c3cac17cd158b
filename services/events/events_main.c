/*  =========================================================================
    kejin-events - the event log of a Kejin city node

    Appends every service's events with a gapless offset, publishes them
    live through the broker, serves replay. Run several copies: one writes,
    the others stand by and serve replay.
    =========================================================================
*/

#include "kejin.h"
#include "events_server.h"

static const kj_option_t s_options [] = {
    KJ_OPTIONS_NODE,
    KJ_OPTIONS_DB,
    { "node/sub", "tcp://127.0.0.1:5556",
      "the node's \"sub\" endpoint, the broker's XSUB (broker/sub_endpoint),"
      " where live events are published" },
    { "events/instance", "",
      "name of this copy in logs and in `kejin events stats` (default "
      "events-PID)" },
    { "events/readers", "4", "worker threads serving replay (service events)" },
    { "events/pub_hwm", "100000",
      "live messages queued towards the broker before they are dropped" },
    { "events/tick_ms", "1000",
      "idle marker interval when nothing is appended" },
    { "events/lock_retry_ms", "500",
      "how often a stand-by copy tries to become the writer" },
    { "events/retention_days", "7", "drop events older than this (0: never)" },
    { "events/retention_s", "0",
      "drop events older than this many seconds; overrides retention_days" },
    { "events/retention_bytes", "0",
      "keep the log below this many envelope bytes (0: no limit)" },
    { "events/retention_check_ms", "10000", "how often retention runs" },
    { NULL }
};

int
main (int argc, char **argv)
{
    kj_config_t *config = kj_config_from_args (argc, argv, "kejin-events",
        "The event log: appends every service's events with a gapless "
        "offset,\npublishes them live through the broker, serves replay.",
        s_options);
    kj_signals_init ();
    kj_config_log (config);

    char instance [64];
    const char *name = kj_config_get (config, "events/instance");
    if (*name)
        kj_strlcpy (instance, name, sizeof instance);
    else
        snprintf (instance, sizeof instance, "events-%d", (int) getpid ());
    int64_t days = kj_config_int (config, "events/retention_days");
    int64_t seconds = kj_config_int (config, "events/retention_s");
    int64_t bytes = kj_config_int (config, "events/retention_bytes");
    if (days < 0 || seconds < 0 || bytes < 0) {
        kj_error ("events.bad_config", "reason=\"retention values must not "
                  "be negative\"");
        kj_config_destroy (&config);
        return 2;
    }
    events_config_t ec = {
        .broker = kj_config_get (config, "node/broker"),
        .publish_endpoint = kj_config_get (config, "node/sub"),
        .dsn = kj_config_get (config, "db/dsn"),
        .admin_dsn = kj_config_get (config, "db/admin_dsn"),
        .instance = instance,
        .readers = (int) kj_config_int (config, "events/readers"),
        .pub_hwm = (int) kj_config_int (config, "events/pub_hwm"),
        .tick_ms = (int) kj_config_int (config, "events/tick_ms"),
        .lock_retry_ms = (int) kj_config_int (config, "events/lock_retry_ms"),
        .retention_s = seconds ? seconds : days * 86400,
        .retention_bytes = (uint64_t) bytes,
        .retention_check_ms =
            (int) kj_config_int (config, "events/retention_check_ms"),
        .retention_days = (uint32_t) days
    };
    events_server_t *server = events_server_new (&ec);
    if (!server) {
        kj_error ("events.start_failed", "reason=\"database not ready, see "
                  "above\"");
        kj_config_destroy (&config);
        return 1;
    }
    while (!kj_stopping ())
        zclock_sleep (100);
    kj_info ("events.stopping", "instance=%s", instance);
    events_server_destroy (&server);
    kj_config_destroy (&config);
    zsys_shutdown ();
    return 0;
}
