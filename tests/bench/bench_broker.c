/*  =========================================================================
    bench_broker - kejin-broker beside a direct DEALER->ROUTER echo, in one
    run, 64-byte bodies over loopback

    The client is a raw DEALER in this process that keeps N requests in
    flight; workers are separate processes: plain MDP/0.1 workers
    (tests/tools/mdp_echo, one request at a time) or Kejin credit workers
    (tests/tools/diag_worker, kj_worker with credit). Each figure is the
    median of three runs.
    =========================================================================
*/

#include "kejin.h"
#include "kj_test.h"
#include "kj_node.h"

#define BODY     64
#define RUNS     3
#define RUN_US   1500000
#define WARM_US  300000

typedef struct {
    double rate;                //  requests per second
    uint64_t p50, p99;          //  microseconds, at 1 in flight
    uint64_t count;
} result_t;

//  The message a client sends, frame by frame, pre-built once
typedef struct {
    int count;
    zframe_t *frames [6];
} request_t;

//  --------------------------------------------------------------------------
//  The baseline: a ROUTER that echoes every message, in a thread

static void
s_echo_actor (zsock_t *pipe, void *endpoint_out)
{
    zsock_t *router = zsock_new_router ("tcp://127.0.0.1:*");
    zsock_set_sndhwm (router, 0);
    zsock_set_rcvhwm (router, 0);
    strcpy ((char *) endpoint_out, zsock_endpoint (router));
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which != router)
            break;
        while (zsock_events (router) & ZMQ_POLLIN) {
            zmsg_t *msg = zmsg_recv (router);
            zmsg_send (&msg, router);
        }
    }
    zpoller_destroy (&poller);
    zsock_destroy (&router);
}

//  --------------------------------------------------------------------------
//  Keep `in_flight` requests going for the run; count replies, and record
//  latency when one at a time.

static result_t
s_run (const char *endpoint, request_t *request, int in_flight)
{
    result_t result = { 0 };
    double rates [RUNS];
    kj_hist_t *hist = kj_hist_new ();
    for (int run = 0; run < RUNS; run++) {
        zsock_t *client = zsock_new_dealer (endpoint);
        zsock_set_sndhwm (client, 0);
        zsock_set_rcvhwm (client, 0);
        zsock_set_rcvtimeo (client, 5000);     //  a lost reply ends the run
        void *sock = zsock_resolve (client);
        zclock_sleep (50);
        int64_t start = kj_mono_us (), measured_from = start + WARM_US;
        int64_t end = measured_from + RUN_US;
        int64_t sent_at = 0;
        uint64_t counted = 0;
        int outstanding = 0;
        while (true) {
            int64_t now = kj_mono_us ();
            while (outstanding < in_flight && now < end) {
                for (int i = 0; i < request->count; i++)
                    zmq_send (sock, zframe_data (request->frames [i]),
                              zframe_size (request->frames [i]),
                              i < request->count - 1 ? ZMQ_SNDMORE : 0);
                outstanding++;
                sent_at = now;
            }
            if (outstanding == 0)
                break;
            zmq_msg_t frame;
            zmq_msg_init (&frame);
            if (zmq_msg_recv (&frame, sock, 0) < 0)
                break;
            while (zmq_msg_more (&frame))
                zmq_msg_recv (&frame, sock, 0);
            zmq_msg_close (&frame);
            outstanding--;
            now = kj_mono_us ();
            if (now >= measured_from && now < end) {
                counted++;
                if (in_flight == 1)
                    kj_hist_record (hist, (uint64_t) (now - sent_at));
            }
        }
        rates [run] = (double) counted * 1e6 / RUN_US;
        result.count += counted;
        zsock_destroy (&client);
    }
    //  median of the runs
    for (int i = 0; i < RUNS; i++)
        for (int j = i + 1; j < RUNS; j++)
            if (rates [j] < rates [i]) {
                double t = rates [i];
                rates [i] = rates [j];
                rates [j] = t;
            }
    result.rate = rates [RUNS / 2];
    result.p50 = kj_hist_percentile (hist, 500);
    result.p99 = kj_hist_percentile (hist, 990);
    kj_hist_destroy (&hist);
    return result;
}

static void
s_request_plain (request_t *request, const char *service)
{
    char body [BODY];
    memset (body, 'x', BODY);
    request->count = 4;
    request->frames [0] = zframe_new (NULL, 0);
    request->frames [1] = zframe_new ("MDPC01", 6);
    request->frames [2] = zframe_new (service, strlen (service));
    request->frames [3] = zframe_new (body, BODY);
}

static void
s_request_kejin (request_t *request)
{
    uint8_t body [BODY];
    memset (body, 'x', BODY);
    Kj__RequestHeader header = KJ__REQUEST_HEADER__INIT;
    header.request_id = 1;
    header.method = "Echo";
    header.retry_safe = true;
    Kj__EchoRequest echo = KJ__ECHO_REQUEST__INIT;
    echo.data.data = body;
    echo.data.len = BODY;
    request->count = 5;
    request->frames [0] = zframe_new (NULL, 0);
    request->frames [1] = zframe_new ("MDPC01", 6);
    request->frames [2] = zframe_new ("diag", 4);
    request->frames [3] = kj_proto_frame (&header.base, true);
    request->frames [4] = kj_proto_frame (&echo.base, false);
}

static void
s_request_direct (request_t *request)
{
    char body [BODY];
    memset (body, 'x', BODY);
    request->count = 1;
    request->frames [0] = zframe_new (body, BODY);
}

static void
s_request_free (request_t *request)
{
    for (int i = 0; i < request->count; i++)
        zframe_destroy (&request->frames [i]);
}

//  Broker CPU time so far, in ns (from the scheduler's own accounting)
static uint64_t
s_cpu_ns (pid_t pid)
{
    char path [64];
    snprintf (path, sizeof path, "/proc/%d/schedstat", (int) pid);
    FILE *file = fopen (path, "r");
    unsigned long long ns = 0;
    if (file) {
        if (fscanf (file, "%llu", &ns) != 1)
            ns = 0;
        fclose (file);
    }
    return ns;
}

static pid_t s_workers [8];
static int s_nworkers;

static void
s_start_workers (const char *endpoint, int count, bool credit)
{
    for (int i = 0; i < count; i++) {
        char log [512], name [32];
        snprintf (name, sizeof name, "w%d", s_nworkers);
        snprintf (log, sizeof log, "%s/bench-%s.log", kj_test_tmpdir (), name);
        const char *plain [] = { kj_tool_path ("mdp_echo"), endpoint, "echo",
                                 NULL };
        const char *kejin [] = { kj_tool_path ("diag_worker"), endpoint,
                                 "--credit", "100", "--instance", name, NULL };
        s_workers [s_nworkers++] = kj_test_spawn (credit ? kejin : plain, NULL,
                                                  log);
    }
    zclock_sleep (300);
}

static void
s_stop_workers (void)
{
    while (s_nworkers)
        kj_test_kill (s_workers [--s_nworkers], SIGTERM, 3000);
}

static void
s_line (const char *setup, result_t r, double direct, const char *target)
{
    char p50 [32] = "", p99 [32] = "";
    if (r.p50) {
        snprintf (p50, sizeof p50, "%" PRIu64 " us", r.p50);
        snprintf (p99, sizeof p99, "%" PRIu64 " us", r.p99);
    }
    printf ("  %-44s %9.0f  %8s  %8s  %6.2f   %s\n", setup, r.rate, p50, p99,
            direct > 0 ? r.rate / direct : 0, target);
    fflush (stdout);
}

//  `bench_broker plain N SECONDS` or `bench_broker credit N SECONDS`: one
//  configuration only, for profiling the broker (perf, strace) while it
//  runs; prints the broker's pid first. DEPTH=n sets the requests in
//  flight (100).
static int
s_profile (const char *kind, int workers, int seconds)
{
    kj_broker_t broker;
    if (kj_broker_start (&broker, 0, (const char *[]) {
            "-s", "log/level=warn", NULL }))
        return 1;
    printf ("broker pid %d\n", (int) broker.pid);
    fflush (stdout);
    bool credit = streq (kind, "credit");
    request_t request;
    if (credit)
        s_request_kejin (&request);
    else
        s_request_plain (&request, "echo");
    s_start_workers (broker.endpoint, workers, credit);
    int64_t end = kj_mono_us () + (int64_t) seconds * 1000000;
    while (kj_mono_us () < end) {
        int depth = getenv ("DEPTH") ? atoi (getenv ("DEPTH")) : 100;
        result_t r = s_run (broker.endpoint, &request, depth);
        printf ("%s, %d workers, %d in flight: %.0f req/s\n", kind, workers,
                depth, r.rate);
        fflush (stdout);
    }
    s_stop_workers ();
    s_request_free (&request);
    kj_broker_stop (&broker, SIGTERM);
    return 0;
}

int
main (int argc, char **argv)
{
    kj_log_init ("bench_broker", "error");
    if (argc == 4)
        return s_profile (argv [1], atoi (argv [2]), atoi (argv [3]));
    double load [3] = { 0 };
    getloadavg (load, 3);
    printf ("\nbench_broker: kejin-broker beside a direct DEALER->ROUTER echo; "
            "%d-byte bodies, loopback,\n%ld cores, load average %.2f before "
            "the run; each figure the median of %d runs of %.1f s\n\n",
            BODY, sysconf (_SC_NPROCESSORS_ONLN), load [0], RUNS,
            RUN_US / 1e6);
    printf ("  %-44s %9s  %8s  %8s  %6s   %s\n", "setup", "req/s", "p50",
            "p99", "ratio", "target (ratio = vs direct echo, same in-flight)");

    //  Direct echo, the baseline of every ratio
    char direct_endpoint [256] = "";
    zactor_t *echo = zactor_new (s_echo_actor, direct_endpoint);
    request_t direct_request;
    s_request_direct (&direct_request);
    result_t direct1 = s_run (direct_endpoint, &direct_request, 1);
    s_line ("direct echo, 1 in flight", direct1, direct1.rate, "baseline");
    result_t direct100 = s_run (direct_endpoint, &direct_request, 100);
    s_line ("direct echo, 100 in flight", direct100, direct100.rate, "baseline");
    s_request_free (&direct_request);
    zactor_destroy (&echo);

    kj_broker_t broker;
    if (kj_broker_start (&broker, 0, (const char *[]) {
            "-s", "log/level=warn", NULL })) {
        fprintf (stderr, "bench_broker: the broker did not start\n");
        return 1;
    }
    request_t plain, kejin;
    s_request_plain (&plain, "echo");
    s_request_kejin (&kejin);

    s_start_workers (broker.endpoint, 1, false);
    result_t one = s_run (broker.endpoint, &plain, 1);
    s_line ("broker, 1 plain MDP worker, 1 in flight", one, direct1.rate,
            "p50 <= 240 us (plain two-hop proxy)");
    result_t r = s_run (broker.endpoint, &plain, 100);
    s_line ("broker, 1 plain MDP worker, 100 in flight", r, direct100.rate,
            "ref. Majordomo ~5,100");
    s_start_workers (broker.endpoint, 1, false);
    r = s_run (broker.endpoint, &plain, 100);
    s_line ("broker, 2 plain MDP workers, 100 in flight", r, direct100.rate,
            "ref. Majordomo ~6,300");
    s_start_workers (broker.endpoint, 2, false);
    uint64_t cpu_before = s_cpu_ns (broker.pid);
    r = s_run (broker.endpoint, &plain, 100);
    uint64_t cpu_ns = s_cpu_ns (broker.pid) - cpu_before;
    s_line ("broker, 4 plain MDP workers, 100 in flight", r, direct100.rate,
            ">= 25,000 (ref. Majordomo ~9,000)");
    double cpu_per_request = r.count ? (double) cpu_ns / 1000.0 / r.count
                                     * ((double) (RUN_US) / (RUN_US + WARM_US))
                                     : 0;
    s_stop_workers ();

    s_start_workers (broker.endpoint, 1, true);
    r = s_run (broker.endpoint, &kejin, 100);
    s_line ("broker, 1 Kejin credit worker, 100 in flight", r, direct100.rate,
            ">= 75,000");
    s_start_workers (broker.endpoint, 1, true);
    uint64_t cpu_before_credit = s_cpu_ns (broker.pid);
    r = s_run (broker.endpoint, &kejin, 100);
    uint64_t cpu_credit = s_cpu_ns (broker.pid) - cpu_before_credit;
    s_line ("broker, 2 Kejin credit workers, 100 in flight", r, direct100.rate,
            ">= 75,000");
    //  Not a target: shows the credit path is bound by latency, not CPU
    result_t deeper = s_run (broker.endpoint, &kejin, 200);
    s_line ("broker, 2 Kejin credit workers, 200 in flight", deeper,
            direct100.rate, "(latency-bound: grows with depth)");
    s_stop_workers ();

    printf ("\n  broker CPU per request: %.1f us with 4 plain workers, %.1f us "
            "with 2 credit workers\n  (CPU time of the broker process over the "
            "whole run, warm-up included, divided by the requests counted "
            "outside it,\n  scaled by the measured share of the run)\n\n",
            cpu_per_request,
            r.count ? (double) cpu_credit / 1000.0 / r.count
                      * ((double) RUN_US / (RUN_US + WARM_US)) : 0);
    s_request_free (&plain);
    s_request_free (&kejin);
    kj_broker_stop (&broker, SIGTERM);
    return 0;
}
