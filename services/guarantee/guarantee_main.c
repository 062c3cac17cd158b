/*  =========================================================================
    kejin-guarantee - provincial risk compensation of a Kejin city node:
    guarantees, 代偿, claims paid exactly once within the budget, recoveries
    =========================================================================
*/

#include "guarantee_server.h"

extern const kj_migration_t guarantee_migrations [];

static const kj_serve_t s_services [] = {
    { "guarantee", &kj__guarantee__descriptor, guarantee_methods }, { NULL }
};

static const kj_job_t s_jobs [] = {
    { "follow", guarantee_follow_run, "guarantee/follow_interval_s", "1",
      "how often matching's loan events are followed (0: never)" },
    { "expire", guarantee_follow_expire, "guarantee/expire_interval_s", "60",
      "how often pending backings are expired and remembered disbursements "
      "trimmed (0: never)" },
    { NULL }
};

static const kj_service_def_t s_def = {
    .name = "guarantee",
    .summary = "Provincial risk compensation for guarantors' 代偿 "
               "(MDP service \"guarantee\").",
    .options = guarantee_options,
    .services = s_services,
    .schema = "guarantee",
    .migrations = guarantee_migrations,
    .outbox = true,
    .jobs = s_jobs,
    .init = guarantee_server_new,
    .destroy = guarantee_server_destroy
};

int
main (int argc, char **argv)
{
    return kj_service_main (&s_def, argc, argv);
}
