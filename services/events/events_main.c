/*  =========================================================================
    kejin-events - the event log of a Kejin city node

    Appends every service's events with a gapless offset, publishes them
    live through the broker, serves replay. Run several copies: one writes,
    the others stand by and serve replay.

    A table for kj_service: the schema "events" and its migrations, the
    readers (MDP service "events") on kj_service's worker threads; the
    writer election, the writer and the ticker are events_server's own
    threads, started by s_init.
    =========================================================================
*/

#include "kejin.h"
#include "events_server.h"
#include "events_follow.h"
#include "events_store.h"

static const kj_serve_t s_services [] = {
    { "events", &kj__events__descriptor, events_reader_methods,
      .workers = "events/readers", .workers_default = "4",
      .workers_help = "worker threads serving replay (service events)",
      .credit = 2, .tag = "r" },
    { "events.audit", &kj__audit_sink__descriptor, events_audit_sink_methods,
      .workers = "events/audit_workers", .workers_default = "1", .credit = 4,
      .tag = "a" },
    { NULL }
};

//  The writer's side, from the options, once the schema is migrated.
static void *
s_init (kj_service_t *service, kj_db_t *db, kj_status_t *status)
{
    kj_config_t *config = kj_service_config (service);
    int64_t days = kj_config_int (config, "events/retention_days");
    int64_t seconds = kj_config_int (config, "events/retention_s");
    int64_t bytes = kj_config_int (config, "events/retention_bytes");
    if (days < 0 || seconds < 0 || bytes < 0) {
        kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "retention",
                       "retention values must not be negative");
        return NULL;
    }
    events_config_t ec = {
        .broker = kj_config_get (config, "node/broker"),
        .publish_endpoint = kj_config_get (config, "node/sub"),
        .dsn = kj_config_get (config, "db/dsn"),
        .instance = kj_service_instance (service),
        .pub_hwm = (int) kj_config_int (config, "events/pub_hwm"),
        .tick_ms = (int) kj_config_int (config, "events/tick_ms"),
        .lock_retry_ms = (int) kj_config_int (config, "events/lock_retry_ms"),
        .retention_s = seconds ? seconds : days * 86400,
        .retention_bytes = (uint64_t) bytes,
        .retention_check_ms = (int) kj_config_int (config,
                                                   "events/retention_check_ms"),
        .retention_days = (uint32_t) days
    };
    events_server_t *server = events_server_new (&ec);
    if (!server) {
        kj_status_set (status, KJ__CODE__UNAVAILABLE, "node/sub",
                       "the writer could not start (see the log above)");
        return NULL;
    }
    events_follow_config_t fc = {
        .cities = kj_config_get (config, "events/follow"),
        .dsn = ec.dsn,
        .publish_endpoint = ec.publish_endpoint,
        .pub_hwm = ec.pub_hwm,
        .tick_ms = ec.tick_ms,
        .poll_ms = (int) kj_config_int (config, "events/follow_poll_ms")
    };
    events_follow_t *follow = events_follow_new (&fc, server, status);
    if (!follow)
        events_server_destroy (&server);
    else
        events_server_set_follow (server, follow);
    return server;
}

static void
s_destroy (void *state)
{
    events_server_t *server = (events_server_t *) state;
    events_server_destroy (&server);
}

static const kj_service_def_t s_def = {
    .name = "events",
    .summary = "The event log: appends every service's events with a "
               "gapless offset,\npublishes them live through the broker, "
               "serves replay.",
    .options = events_options,  //  events_options.c
    .services = s_services,
    .schema = "events",
    .migrations = events_migrations,
    .role = "events",
    .init = s_init,
    .destroy = s_destroy
};

int
main (int argc, char **argv)
{
    return kj_service_main (&s_def, argc, argv);
}
