/*  =========================================================================
    mdp_echo - a plain MDP/0.1 worker (from RFC 7 alone, no common/) that
    echoes each request, for the broker's tests and benchmarks

    mdp_echo ENDPOINT SERVICE [--name NAME] [--sleep MS] [--heartbeat MS]
             [--workers N]
    With --name, the reply is [NAME] followed by the request's frames.
    With --workers, N workers (each its own socket and thread) in this one
    process, as a service that runs several in one process does.
    =========================================================================
*/

#include "mdp_rfc.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>

static volatile sig_atomic_t s_stop;

static void
s_on_signal (int signum)
{
    s_stop = 1;
}

typedef struct {
    void *ctx;
    const char *endpoint, *service, *name;
    int sleep_ms, heartbeat_ms;
    int rc;
} args_t;

static void *
s_serve (void *arg)
{
    args_t *args = (args_t *) arg;
    mdp_worker_t *worker = mdp_worker_new (args->ctx, args->endpoint,
                                           args->service, args->heartbeat_ms);
    while (!s_stop) {
        mdp_body_t request = { 0 };
        int rc = mdp_worker_recv (worker, &request, 200);
        if (rc == -2) {
            fprintf (stderr, "mdp_echo: broker sent fewer than 3 frames\n");
            args->rc = 3;
            break;
        }
        if (rc)
            continue;
        if (args->sleep_ms)
            usleep ((useconds_t) args->sleep_ms * 1000);
        mdp_body_t reply = { 0 };
        if (args->name)
            mdp_body_add_str (&reply, args->name);
        for (int i = 0; i < request.count; i++)
            mdp_body_add (&reply, request.data [i], request.size [i]);
        mdp_worker_send (worker, &reply);
        mdp_body_free (&reply);
        mdp_body_free (&request);
    }
    mdp_worker_destroy (&worker);
    return NULL;
}

int
main (int argc, char **argv)
{
    if (argc < 3) {
        fprintf (stderr, "usage: mdp_echo ENDPOINT SERVICE [--name NAME] "
                         "[--sleep MS] [--heartbeat MS]\n");
        return 2;
    }
    args_t args = { .endpoint = argv [1],
                    .service = argv [2],
                    .heartbeat_ms = 2500 };
    int workers = 1;
    for (int i = 3; i + 1 < argc; i += 2) {
        if (!strcmp (argv [i], "--name"))
            args.name = argv [i + 1];
        else if (!strcmp (argv [i], "--sleep"))
            args.sleep_ms = atoi (argv [i + 1]);
        else if (!strcmp (argv [i], "--heartbeat"))
            args.heartbeat_ms = atoi (argv [i + 1]);
        else if (!strcmp (argv [i], "--workers"))
            workers = atoi (argv [i + 1]);
    }
    if (workers < 1 || workers > 64) {
        fprintf (stderr, "mdp_echo: --workers takes 1 to 64\n");
        return 2;
    }
    struct sigaction action = { .sa_handler = s_on_signal };
    sigaction (SIGTERM, &action, NULL);
    sigaction (SIGINT, &action, NULL);

    args.ctx = zmq_ctx_new ();
    pthread_t threads [64];
    for (int i = 1; i < workers; i++)
        pthread_create (&threads [i], NULL, s_serve, &args);
    s_serve (&args);
    for (int i = 1; i < workers; i++)
        pthread_join (threads [i], NULL);
    zmq_ctx_term (args.ctx);
    return args.rc;
}
