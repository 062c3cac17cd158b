/*  =========================================================================
    diag_worker - a bare Kejin worker (kj_worker, no kj_service) serving
    the Diag service, for the broker's tests and benchmarks: one worker,
    its options on the command line, no config

    diag_worker ENDPOINT [--service NAME] [--credit N] [--instance NAME]
                         [--heartbeat MS]
    =========================================================================
*/

#include "diag.h"

int
main (int argc, char **argv)
{
    if (argc < 2) {
        fprintf (stderr, "usage: diag_worker ENDPOINT [--service NAME] "
                         "[--credit N] [--instance NAME] [--heartbeat MS]\n");
        return 2;
    }
    kj_worker_config_t config = {
        .endpoint = argv [1],
        .service = "diag",
        .descriptor = &kj__diag__descriptor,
        .methods = diag_methods,
        .credit = 1,
    };
    for (int i = 2; i + 1 < argc; i += 2) {
        if (streq (argv [i], "--service"))
            config.service = argv [i + 1];
        else if (streq (argv [i], "--credit"))
            config.credit = atoi (argv [i + 1]);
        else if (streq (argv [i], "--instance"))
            config.instance = argv [i + 1];
        else if (streq (argv [i], "--heartbeat"))
            config.heartbeat_ms = atoi (argv [i + 1]);
    }
    kj_log_init ("diag_worker", getenv ("KEJIN_LOG_LEVEL"));
    kj_signals_init ();
    kj_worker_t *worker = kj_worker_new (&config);
    kj_worker_run (worker);
    kj_worker_destroy (&worker);
    return 0;
}
