/*  =========================================================================
    kejin-scoring - credit portraits (信用画像) of a Kejin city node

    A table for kj_service: the schema "scoring" and its migrations, the
    MDP service "scoring", the outbox relay, and the batch job that every
    copy runs, so that several copies share one batch.
    =========================================================================
*/

#include "scoring_server.h"

extern const kj_migration_t scoring_migrations [];

static const kj_serve_t s_services [] = { { "scoring", &kj__scoring__descriptor,
                                            scoring_methods,
                                            .workers = "scoring/workers" },
                                          { NULL } };

static const kj_job_t s_jobs [] = {
    { "batch", scoring_batch_work, "scoring/batch_interval_s", "1",
      "how often this copy looks for batch work (0: never; it then only "
      "answers requests)" },
    { NULL }
};

static const kj_service_def_t s_def = {
    .name = "scoring",
    .summary = "Credit portraits of technology enterprises under versioned "
               "scoring models:\nwhat-if, stored portraits with reasons, "
               "batches of a year shared by every\ncopy. Serves the MDP "
               "service \"scoring\".",
    .options = scoring_options,  //  scoring_options.c
    .services = s_services,
    .schema = "scoring",
    .migrations = scoring_migrations,
    .outbox = true,
    .jobs = s_jobs,
    .init = scoring_server_new,
    .destroy = scoring_server_destroy
};

int
main (int argc, char **argv)
{
    return kj_service_main (&s_def, argc, argv);
}
