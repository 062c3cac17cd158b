/*  =========================================================================
    kejin-mirror - a hub's copies of other cities' event logs

    Makes and watches one PostgreSQL logical-replication link per city in
    mirror/links, raises the gap alarm, and answers ListLinks
    (docs/federation.md).
    =========================================================================
*/

#include "mirror.h"

static const kj_serve_t s_services [] = {
    { "mirror", &kj__mirror__descriptor, mirror_methods }, { NULL }
};

static const kj_job_t s_jobs [] = {
    { "check", mirror_server_check, "mirror/check_interval_s", "2",
      "how often each link is made where missing and looked at (0: never)" },
    { NULL }
};

extern const kj_migration_t mirror_migrations [];

static const kj_service_def_t s_def = {
    .name = "mirror",
    .summary = "A hub's copies of other cities' event logs, by PostgreSQL "
               "logical replication:\none database per city "
               "(kejin_mirror_CITY), links watched, gaps alarmed.\nServes "
               "the MDP service \"mirror\".",
    .options = mirror_options,  //  mirror_options.c
    .services = s_services,
    .schema = "mirror",
    .migrations = mirror_migrations,
    .outbox = true,
    .jobs = s_jobs,
    .init = mirror_server_new,
    .destroy = mirror_server_destroy
};

int
main (int argc, char **argv)
{
    return kj_service_main (&s_def, argc, argv);
}
