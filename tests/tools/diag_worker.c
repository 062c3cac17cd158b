/*  =========================================================================
    diag_worker - a Kejin worker (kj_worker) serving the Diag service, for
    the broker's tests and benchmarks

    diag_worker ENDPOINT [--service NAME] [--credit N] [--instance NAME]
                         [--heartbeat MS]
    =========================================================================
*/

#include "kejin.h"

static int
s_echo (kj_call_t *call, const ProtobufCMessage *request,
        ProtobufCMessage *reply)
{
    const Kj__EchoRequest *in = (const Kj__EchoRequest *) request;
    Kj__EchoReply *out = (Kj__EchoReply *) reply;
    if (in->sleep_ms)
        zclock_sleep ((int) in->sleep_ms);
    if (in->fail)
        return kj_call_fail (call, KJ__CODE__INTERNAL, NULL,
                             "failed as asked");
    out->data = in->data;       //  lives until the reply is packed
    out->served_by = (char *) kj_call_instance (call);
    return 0;
}

static const kj_method_t s_methods [] = {
    { "Echo", s_echo, 0 },
    { NULL }
};

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
        .methods = s_methods,
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
