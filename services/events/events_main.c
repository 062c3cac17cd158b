/*  =========================================================================
    kejin-events - the event log of a Kejin city node

    Appends every service's events with a gapless offset, publishes them
    live through the broker, serves replay. Run several copies: one writes,
    the others stand by and serve replay.
    =========================================================================
*/

#include "kejin.h"
#include "events_server.h"

int
main (int argc, char **argv)
{
    kj_config_t *config = kj_config_from_args (argc, argv, "kejin-events",
        "The event log: appends every service's events with a gapless "
        "offset,\npublishes them live through the broker, serves replay.",
        events_options);
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
    events_config_t ec = {
        .broker = kj_config_get (config, "node/broker"),
        .publish_endpoint = kj_config_get (config, "events/publish_endpoint"),
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
