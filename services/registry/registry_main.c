/*  =========================================================================
    kejin-registry - the life-cycle financial service library of a Kejin
    city node: enterprises, financial institutions, the product supermarket

    A table for kj_service: the schema "registry" and its migrations, the
    MDP services "registry" and "registry.bulk" (each on its own worker
    threads, so that a long import never takes the threads of look-ups),
    the outbox relay, the qualification-expiry job, and the registry's own
    options, which registry_server_new reads and checks.
    =========================================================================
*/

#include "registry_server.h"
#include "registry_bulk.h"

extern const kj_migration_t registry_migrations [];

static const kj_serve_t s_services [] = {
    { "registry", &kj__registry__descriptor, registry_methods,
      .workers = "registry/workers" },
    { "registry.bulk", &kj__registry_bulk__descriptor, registry_bulk_methods,
      .workers = "registry/bulk_workers",
      .workers_help = "worker threads serving the MDP service "
                      "\"registry.bulk\" (CSV import and export)",
      .tag = "b" },
    { NULL }
};

static const kj_job_t s_jobs [] = {
    { "expiry", registry_server_expire, "registry/expiry_interval_s", "3600",
      "how often expired qualifications are looked for (0: never)" },
    { "restage", registry_server_restage, "registry/restage_interval_s", "5",
      "how often enterprises whose stage was computed by older stage rules "
      "are looked for and recomputed (0: never)" },
    { NULL }
};

static const kj_service_def_t s_def = {
    .name = "registry",
    .summary = "The life-cycle financial service library: enterprises by "
               "credit code,\ntheir stage and qualifications, financial "
               "institutions and the product\nsupermarket. Serves the MDP "
               "service \"registry\".",
    .options = registry_options,  //  registry_options.c
    .services = s_services,
    .schema = "registry",
    .migrations = registry_migrations,
    .outbox = true,
    .jobs = s_jobs,
    .init = registry_server_new,
    .destroy = registry_server_destroy
};

int
main (int argc, char **argv)
{
    return kj_service_main (&s_def, argc, argv);
}
