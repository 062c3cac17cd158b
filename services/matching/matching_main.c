/*  =========================================================================
    kejin-matching - loan matching of a Kejin city node (融资撮合, the
    城际融资撮合中心): demands, matches with reasons, applications

    A table for kj_service: the schema "matching" and its migrations, the
    MDP service "matching", the outbox relay and the daemon's options.
    =========================================================================
*/

#include "matching_server.h"

extern const kj_migration_t matching_migrations [];

static const kj_serve_t s_services [] = {
    { "matching", &kj__matching__descriptor, matching_methods,
      .workers = "matching/workers" },
    { NULL }
};

static const kj_job_t s_jobs [] = {
    { "batch", matching_server_batch_work, "matching/batch_interval_s", "1",
      "how often this copy looks for queued batches and re-matches the "
      "demands that changes of products and enterprises affect (0: never)" },
    { NULL }
};

static const kj_service_def_t s_def = {
    .name = "matching",
    .summary = "Loan matching: financing demands matched with the products "
               "of the\nregistry, with reasons, and the applications that "
               "follow. Serves the\nMDP service \"matching\".",
    .options = matching_options,  //  matching_options.c
    .services = s_services,
    .schema = "matching",
    .migrations = matching_migrations,
    .outbox = true,
    .jobs = s_jobs,
    .init = matching_server_new,
    .destroy = matching_server_destroy
};

int
main (int argc, char **argv)
{
    return kj_service_main (&s_def, argc, argv);
}
