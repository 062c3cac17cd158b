/*  =========================================================================
    bench_hop - the broker round trip to an empty handler (a Kejin worker's
    built-in Health) at 1 in flight, and settings of the hop's daemons
    tried side by side in the same run

    Two identical stacks, each a kejin-broker and a diag_worker (kj_worker,
    credit 1, KJC01), stack B started under one setting; one client in this
    process (kj_client, as the CLI) alternates blocks of 50 calls between
    them, so that both stacks see the same load of a shared machine, which
    sets the tail (docs/protocol.md, "Session 25"). The settings: B's
    ROUTER on ipc:// instead of loopback TCP; B's daemons at nice -5; an
    EEVDF slice of 100 us or 3 ms (Linux 6.12 and later, sched_setattr);
    SCHED_FIFO priority 1. One that the system refuses (no privilege, an
    older kernel) is skipped and said so. `bench_hop exec SETTING PROGRAM
    ARGS...` is the wrapper that applies a setting, then runs PROGRAM.
    =========================================================================
*/

#include "kejin.h"
#include "kj_test.h"
#include "kj_node.h"
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>

//  Calls per stack and run; KEJIN_BENCH_CALLS=N for a quick check of the
//  bench itself
static int s_calls = 10000;
#define CALLS   s_calls
#define WARM_UP 500
#define BLOCK   50
#define RUNS    3

//  struct sched_attr, as the kernel has it (glibc 2.36 has no wrapper)
typedef struct {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
} s_sched_attr_t;

//  Apply a setting to this process (its threads to come inherit it); 0,
//  or -1 if the system refused it
static int
s_apply (const char *setting)
{
    if (streq (setting, "nice-5"))
        return setpriority (PRIO_PROCESS, 0, -5);
    if (streq (setting, "slice100us") || streq (setting, "slice3ms")) {
        s_sched_attr_t attr = { .size = sizeof attr,
                                .policy = SCHED_OTHER,
                                .runtime = streq (setting, "slice100us")
                                             ? 100000
                                             : 3000000 };
        return (int) syscall (SYS_sched_setattr, 0, &attr, 0);
    }
    if (streq (setting, "fifo1")) {
        struct sched_param param = { .sched_priority = 1 };
        return sched_setscheduler (0, SCHED_FIFO, &param);
    }
    return 0;  //  tcp, ipc: nothing to apply
}

typedef struct {
    pid_t broker, worker;
    char endpoint [256];
    kj_client_t *client;
    kj_hist_t *hist;
} s_stack_t;

static int
s_stack_start (s_stack_t *self, const char *setting, int index)
{
    const char *dir = kj_test_tmpdir ();
    char file [600], log [600], spec [700];
    snprintf (file, sizeof file, "%s/broker-%d.endpoints", dir, index);
    snprintf (log, sizeof log, "%s/hop-%d.log", dir, index);
    unlink (file);
    if (streq (setting, "ipc"))
        snprintf (spec, sizeof spec, "broker/endpoint=ipc://%s/broker-%d", dir,
                  index);
    else
        snprintf (spec, sizeof spec, "broker/endpoint=tcp://127.0.0.1:*");
    char files [700];
    snprintf (files, sizeof files, "broker/endpoints_file=%s", file);
    char self_path [600];
    snprintf (self_path, sizeof self_path, "%s/tests/bench/bench_hop",
              getenv ("KEJIN_BUILD") ? getenv ("KEJIN_BUILD") : "build");
    const char *broker [] = { self_path, "exec",
                              setting,   kj_test_bin ("kejin-broker"),
                              "-s",      spec,
                              "-s",      files,
                              "-s",      "broker/pub_endpoint=",
                              "-s",      "broker/sub_endpoint=",
                              "-s",      "broker/insecure=true",
                              "-s",      "log/level=error",
                              NULL };
    self->broker = kj_test_spawn (broker, NULL, log);
    for (int waited = 0; waited < 5000; waited += 10) {
        if (kj_read_keyvalue (file, "endpoint", self->endpoint,
                              sizeof self->endpoint)
            == 0)
            break;
        zclock_sleep (10);
    }
    if (!*self->endpoint)
        return -1;
    char worker_bin [600];
    snprintf (worker_bin, sizeof worker_bin, "%s/tests/tools/diag_worker",
              getenv ("KEJIN_BUILD") ? getenv ("KEJIN_BUILD") : "build");
    const char *worker [] = { self_path,  "exec",         setting,
                              worker_bin, self->endpoint, NULL };
    self->worker = kj_test_spawn (worker, NULL, log);
    self->client = kj_client_new (self->endpoint);
    self->hist = kj_hist_new ();
    return self->broker > 0 && self->worker > 0 && self->client ? 0 : -1;
}

static void
s_stack_stop (s_stack_t *self)
{
    kj_client_destroy (&self->client);
    kj_hist_destroy (&self->hist);
    if (self->worker > 0)
        kj_test_kill (self->worker, SIGTERM, 3000);
    if (self->broker > 0)
        kj_test_kill (self->broker, SIGTERM, 3000);
}

static int
s_call (s_stack_t *stack)
{
    kj_call_opts_t opts = { .read_only = true, .timeout_ms = 5000 };
    Kj__HealthRequest request = KJ__HEALTH_REQUEST__INIT;
    Kj__Health *reply = NULL;
    kj_status_t status;
    int rc = kj_client_call (stack->client, "diag", "Health", &request.base,
                             &kj__health__descriptor,
                             (ProtobufCMessage **) &reply, &status, &opts);
    if (reply)
        kj__health__free_unpacked (reply, NULL);
    if (rc)
        fprintf (stderr, "bench_hop: Health failed: %s\n", status.message);
    return rc;
}

//  One run: A (loopback TCP, no setting) against B (setting). Returns -1
//  if B could not be started under it.
static int
s_run (const char *setting, int index)
{
    s_stack_t stacks [2] = { { 0 } };
    if (s_stack_start (&stacks [0], "tcp", 2 * index)
        || s_stack_start (&stacks [1], setting, 2 * index + 1)) {
        s_stack_stop (&stacks [0]);
        s_stack_stop (&stacks [1]);
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < 2 * (WARM_UP + CALLS) && rc == 0; i++) {
        s_stack_t *stack = &stacks [(i / BLOCK) % 2];
        int64_t sent = kj_mono_us ();
        rc = s_call (stack);
        if (i >= 2 * WARM_UP)
            kj_hist_record (stack->hist, (uint64_t) (kj_mono_us () - sent));
    }
    double load [3] = { 0 };
    getloadavg (load, 3);
    for (int s = 0; s < 2 && rc == 0; s++)
        printf ("  %-12s %-12s %6" PRIu64 " us  %6" PRIu64 " us  %6" PRIu64
                " us  %6" PRIu64 " us   %.1f\n",
                s ? setting : "tcp (A)", s ? "B" : "A",
                kj_hist_percentile (stacks [s].hist, 500),
                kj_hist_percentile (stacks [s].hist, 990),
                kj_hist_percentile (stacks [s].hist, 999),
                kj_hist_max (stacks [s].hist), load [0]);
    fflush (stdout);
    s_stack_stop (&stacks [0]);
    s_stack_stop (&stacks [1]);
    return rc;
}

int
main (int argc, char **argv)
{
    if (argc >= 4 && streq (argv [1], "exec")) {
        if (s_apply (argv [2]))
            return 3;  //  refused: the stack does not come up
        execv (argv [3], argv + 3);
        return 127;
    }
    kj_log_init ("bench_hop", "error");
    if (getenv ("KEJIN_BENCH_CALLS") && atoi (getenv ("KEJIN_BENCH_CALLS")) > 0)
        s_calls = atoi (getenv ("KEJIN_BENCH_CALLS"));
    printf ("\nbench_hop: the broker round trip to an empty handler "
            "(Health), 1 in flight,\ntwo stacks alternated in blocks of %d "
            "calls, %d calls each per run\n\n",
            BLOCK, CALLS);
    printf ("  %-12s %-12s %9s  %9s  %9s  %9s   %s\n", "setting", "stack",
            "p50", "p99", "p99.9", "max", "load");
    static const char *settings [] = { "ipc",      "nice-5", "slice100us",
                                       "slice3ms", "fifo1",  NULL };
    int index = 0;
    for (int i = 0; settings [i]; i++)
        for (int run = 0; run < RUNS; run++)
            if (s_run (settings [i], index++)) {
                printf ("  %-12s skipped: the system refused it, or a stack "
                        "did not start\n",
                        settings [i]);
                break;
            }
    printf ("\n  each pair is one run; B against A in the same run is the "
            "figure\n");
    return 0;
}
