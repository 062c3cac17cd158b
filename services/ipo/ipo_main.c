/*  =========================================================================
    kejin-ipo - the IPO pipeline of a Kejin city node: the listing reserve
    pool, each firm's way to listing, board fit and listing subsidies

    A table for kj_service: the schema "ipo" and its migrations, the MDP
    service "ipo", the outbox relay, the sweep job (letters, registrations,
    alerts) and the daemon's own options (ipo_options.c).
    =========================================================================
*/

#include "ipo_server.h"
#include "ipo_fit.h"

extern const kj_migration_t ipo_migrations [];

static const kj_serve_t s_services [] = {
    { "ipo", &kj__ipo__descriptor, ipo_methods, .workers = "ipo/workers" },
    { NULL }
};

static const kj_job_t s_jobs [] = {
    { "sweep", ipo_server_sweep, "ipo/sweep_interval_s", "3600",
      "how often letters, registrations and stuck firms are looked at "
      "(0: never)" },
    { "fit", ipo_fit_work, "ipo/fit_interval_s", "2",
      "how often this copy looks for a batch fit of the registry to fetch "
      "(0: never)" },
    { NULL }
};

static const kj_service_def_t s_def = {
    .name = "ipo",
    .summary = "The IPO pipeline: the listing reserve pool, each firm's "
               "file and way to\nlisting, board fit, subsidy claims and "
               "their budget. Serves the MDP\nservice \"ipo\".",
    .options = ipo_options,
    .services = s_services,
    .schema = "ipo",
    .migrations = ipo_migrations,
    .outbox = true,
    .jobs = s_jobs,
    .init = ipo_server_new,
    .destroy = ipo_server_destroy
};

int
main (int argc, char **argv)
{
    return kj_service_main (&s_def, argc, argv);
}
