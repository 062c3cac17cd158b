/*  =========================================================================
    mdp_echo - a plain MDP/0.1 worker (from RFC 7 alone, no common/) that
    echoes each request, for the broker's tests and benchmarks

    mdp_echo ENDPOINT SERVICE [--name NAME] [--sleep MS] [--heartbeat MS]
    With --name, the reply is [NAME] followed by the request's frames.
    =========================================================================
*/

#include "mdp_rfc.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t s_stop;

static void
s_on_signal (int signum)
{
    s_stop = 1;
}

int
main (int argc, char **argv)
{
    if (argc < 3) {
        fprintf (stderr, "usage: mdp_echo ENDPOINT SERVICE [--name NAME] "
                 "[--sleep MS] [--heartbeat MS]\n");
        return 2;
    }
    const char *name = NULL;
    int sleep_ms = 0, heartbeat_ms = 2500;
    for (int i = 3; i + 1 < argc; i += 2) {
        if (!strcmp (argv [i], "--name"))
            name = argv [i + 1];
        else if (!strcmp (argv [i], "--sleep"))
            sleep_ms = atoi (argv [i + 1]);
        else if (!strcmp (argv [i], "--heartbeat"))
            heartbeat_ms = atoi (argv [i + 1]);
    }
    struct sigaction action = { .sa_handler = s_on_signal };
    sigaction (SIGTERM, &action, NULL);
    sigaction (SIGINT, &action, NULL);

    void *ctx = zmq_ctx_new ();
    mdp_worker_t *worker = mdp_worker_new (ctx, argv [1], argv [2],
                                           heartbeat_ms);
    while (!s_stop) {
        mdp_body_t request = { 0 };
        int rc = mdp_worker_recv (worker, &request, 200);
        if (rc == -2) {
            fprintf (stderr, "mdp_echo: broker sent fewer than 3 frames\n");
            return 3;
        }
        if (rc)
            continue;
        if (sleep_ms)
            usleep ((useconds_t) sleep_ms * 1000);
        mdp_body_t reply = { 0 };
        if (name)
            mdp_body_add_str (&reply, name);
        for (int i = 0; i < request.count; i++)
            mdp_body_add (&reply, request.data [i], request.size [i]);
        mdp_worker_send (worker, &reply);
        mdp_body_free (&reply);
        mdp_body_free (&request);
    }
    mdp_worker_destroy (&worker);
    zmq_ctx_term (ctx);
    return 0;
}
