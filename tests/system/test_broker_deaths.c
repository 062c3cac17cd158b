/*  =========================================================================
    test_broker_deaths - workers dying under the broker, every way they
    can, with the broker built with AddressSanitizer and UBSan

    Runs $KEJIN_BUILD/san/kejin-broker (the Makefile builds it for `make
    test`): a use after free or undefined behaviour aborts the broker, and
    the test fails on its exit status and its log. Plain MDP workers from
    tests/tools/mdp_echo, several per process as real services run them,
    are killed at random moments while they hold requests; every request
    must still be answered once. KEJIN_SEED=n replays one run.
    =========================================================================
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "kejin.h"
#include "kj_test.h"
#include "kj_node.h"

static void *s_ctx;
static unsigned s_seed;

//  Workers the broker counts for a service, -1 if it did not answer
static int
s_workers (const char *endpoint, const char *service)
{
    kj_client_t *client = kj_client_new (endpoint);
    Kj__BrokerStatsRequest request = KJ__BROKER_STATS_REQUEST__INIT;
    Kj__BrokerStats *stats = NULL;
    kj_status_t status;
    kj_call_opts_t opts = { .read_only = true,
                            .timeout_ms = 1000,
                            .retries = -1 };
    int workers = -1;
    if (kj_client_call (client, "kejin.broker", "Stats", &request.base,
                        &kj__broker_stats__descriptor,
                        (ProtobufCMessage **) &stats, &status, &opts)
        == 0) {
        workers = 0;
        for (size_t i = 0; i < stats->n_services; i++)
            if (streq (stats->services [i]->name, service))
                workers = (int) stats->services [i]->workers;
        kj__broker_stats__free_unpacked (stats, NULL);
    }
    kj_client_destroy (&client);
    return workers;
}

static bool
s_wait_workers (const char *endpoint, const char *service, int workers,
                int timeout_ms)
{
    int64_t end = kj_mono_us () + (int64_t) timeout_ms * 1000;
    while (kj_mono_us () < end) {
        if (s_workers (endpoint, service) == workers)
            return true;
        zclock_sleep (20);
    }
    return false;
}

static pid_t
s_spawn_echo (const char *endpoint, const char *service, int workers,
              int sleep_ms, const char *name)
{
    char log [512], count [16], sleep [16];
    snprintf (log, sizeof log, "%s/mdp_echo-%s.log", kj_test_tmpdir (), name);
    snprintf (count, sizeof count, "%d", workers);
    snprintf (sleep, sizeof sleep, "%d", sleep_ms);
    const char *argv [] = { kj_tool_path ("mdp_echo"),
                            endpoint,
                            service,
                            "--name",
                            name,
                            "--sleep",
                            sleep,
                            "--heartbeat",
                            "200",
                            "--workers",
                            count,
                            NULL };
    return kj_test_spawn (argv, NULL, log);
}

//  A plain MDP client on a DEALER: request [id] to service
static void
s_send (void *sock, const char *service, const char *id)
{
    zmq_send (sock, "", 0, ZMQ_SNDMORE);
    zmq_send (sock, "MDPC01", 6, ZMQ_SNDMORE);
    zmq_send (sock, service, strlen (service), ZMQ_SNDMORE);
    zmq_send (sock, id, strlen (id), 0);
}

//  One reply into frames (strings, up to 8); their count, -1 on timeout
static int
s_recv (void *sock, char frames [8][256], int timeout_ms)
{
    zmq_pollitem_t item = { sock, 0, ZMQ_POLLIN, 0 };
    if (zmq_poll (&item, 1, timeout_ms) <= 0)
        return -1;
    int count = 0, more = 1;
    while (more) {
        zmq_msg_t frame;
        zmq_msg_init (&frame);
        zmq_msg_recv (&frame, sock, 0);
        if (count < 8) {
            size_t size = zmq_msg_size (&frame);
            if (size > 255)
                size = 255;
            memcpy (frames [count], zmq_msg_data (&frame), size);
            frames [count][size] = 0;
        }
        count++;
        more = zmq_msg_more (&frame);
        zmq_msg_close (&frame);
    }
    return count;
}

static void *
s_dealer (const char *endpoint)
{
    void *sock = zmq_socket (s_ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt (sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_connect (sock, endpoint);
    return sock;
}

//  The broker's log says nothing of ASan or UBSan, and it exits 0
static void
s_stop_clean (kj_broker_t *broker)
{
    assert_int_equal (kill (broker->pid, 0), 0);  //  still running
    assert_int_equal (kj_broker_stop (broker, SIGTERM), 0);
    char *log = NULL;
    FILE *file = fopen (broker->log, "r");
    assert_non_null (file);
    size_t size = 0;
    assert_true (getdelim (&log, &size, 0, file) >= 0);
    fclose (file);
    if (strstr (log, "AddressSanitizer") || strstr (log, "runtime error"))
        fprintf (stderr, "%s\n", log);
    assert_null (strstr (log, "AddressSanitizer"));
    assert_null (strstr (log, "runtime error"));
    free (log);
}

static const char *s_args [] = {
    "-s", "broker/heartbeat_ms=200",     "-s", "broker/liveness=3",
    "-s", "broker/retry_safe=safe",      "-s", "broker/max_retries=3",
    "-s", "broker/default_wait_ms=5000", NULL
};

//  --------------------------------------------------------------------------
//  Rounds of: two processes of 2-4 workers each on a retry-safe service,
//  1 to 10 requests (so that some workers are idle, some busy), one process
//  killed -9 at a random moment. Every request is answered once, by a
//  worker. A process dying with an idle worker and a busy one is what made
//  the tick free a worker and then read it.

static void
test_random_worker_deaths (void **state)
{
    kj_broker_t broker;
    assert_int_equal (kj_broker_start (&broker, 0, s_args), 0);
    void *client = s_dealer (broker.endpoint);
    int rounds = getenv ("KEJIN_ROUNDS") ? atoi (getenv ("KEJIN_ROUNDS")) : 10;
    int answered = 0, failed = 0, sent = 0;
    for (int round = 0; round < rounds; round++) {
        pid_t procs [2];
        int total = 0;
        for (int p = 0; p < 2; p++) {
            int workers = 2 + rand () % 3;
            char name [32];
            snprintf (name, sizeof name, "r%dp%d", round, p);
            procs [p] = s_spawn_echo (broker.endpoint, "safe", workers,
                                      20 + rand () % 150, name);
            total += workers;
        }
        assert_true (s_wait_workers (broker.endpoint, "safe", total, 5000));
        char id [32];
        int requests = 1 + rand () % 10;
        sent += requests;
        for (int i = 0; i < requests; i++) {
            snprintf (id, sizeof id, "%d.%d", round, i);
            s_send (client, "safe", id);
        }
        zclock_sleep (rand () % 100);
        int victim = rand () % 2;
        kill (procs [victim], SIGKILL);
        //  One process died; the other takes what it held: each request
        //  answered by a worker, exactly once
        bool seen [10] = { false };
        for (int i = 0; i < requests; i++) {
            char frames [8][256];
            int count = s_recv (client, frames, 8000);
            assert_int_equal (count, 5);  //  [] MDPC01 safe [name] [id]
            assert_string_equal (frames [2], "safe");
            if (frames [3][0] == 'r') {
                int got_round = -1, got = -1;
                sscanf (frames [4], "%d.%d", &got_round, &got);
                assert_int_equal (got_round, round);
                assert_in_range (got, 0, 9);
                assert_false (seen [got]);
                seen [got] = true;
                answered++;
            }
            else {
                fprintf (stderr, "round %d: %s %s\n", round, frames [3],
                         frames [4]);
                failed++;
            }
        }
        char extra [8][256];
        assert_int_equal (s_recv (client, extra, 100), -1);
        kj_test_kill (procs [victim], SIGKILL, 3000);
        kj_test_kill (procs [1 - victim], SIGKILL, 3000);
        //  Every worker of both found dead within liveness and one more
        assert_true (s_wait_workers (broker.endpoint, "safe", 0, 2000));
    }
    print_message ("  seed %u: %d rounds, %d answered by workers, %d failed\n",
                   s_seed, rounds, answered, failed);
    assert_int_equal (failed, 0);
    assert_int_equal (answered, sent);
    zmq_close (client);
    s_stop_clean (&broker);
}

//  --------------------------------------------------------------------------
//  The two kinds of plain request whose worker is killed holding it: a
//  service listed in broker/retry_safe is re-sent to the next worker; any
//  other gets 502 at once (it may have been done)

static void
test_plain_request_worker_killed (void **state)
{
    kj_broker_t broker;
    assert_int_equal (kj_broker_start (&broker, 0, s_args), 0);
    void *client = s_dealer (broker.endpoint);
    const char *services [] = { "safe", "unsafe" };
    for (int s = 0; s < 2; s++) {
        pid_t slow = s_spawn_echo (broker.endpoint, services [s], 1, 2000,
                                   "slow");
        assert_true (s_wait_workers (broker.endpoint, services [s], 1, 5000));
        pid_t fast = s_spawn_echo (broker.endpoint, services [s], 1, 0, "fast");
        assert_true (s_wait_workers (broker.endpoint, services [s], 2, 5000));
        s_send (client, services [s], "job");
        zclock_sleep (200);
        int64_t killed = kj_mono_us ();
        kj_test_kill (slow, SIGKILL, 2000);
        char frames [8][256];
        assert_int_equal (s_recv (client, frames, 3000), 5);
        int64_t waited_ms = (kj_mono_us () - killed) / 1000;
        if (s == 0) {
            assert_string_equal (frames [3], "fast");
            assert_string_equal (frames [4], "job");
        }
        else {
            assert_string_equal (frames [3], "502");
            assert_non_null (strstr (frames [4], "not safe to retry"));
        }
        //  Found at the next heartbeat that cannot be routed (200 ms),
        //  within the documented liveness + 1 intervals in any case
        assert_true (waited_ms < 800);
        kj_test_kill (fast, SIGTERM, 3000);
    }
    zmq_close (client);
    s_stop_clean (&broker);
}

//  --------------------------------------------------------------------------
//  A busy worker whose process stops answering at all (SIGSTOP: as a host
//  that vanished, no FIN) is found dead within liveness + 1 heartbeat
//  intervals, not after busy_timeout_ms (120 s)

static void
test_busy_worker_vanished (void **state)
{
    kj_broker_t broker;
    assert_int_equal (kj_broker_start (&broker, 0, s_args), 0);
    void *client = s_dealer (broker.endpoint);
    pid_t slow = s_spawn_echo (broker.endpoint, "unsafe", 1, 5000, "slow");
    assert_true (s_wait_workers (broker.endpoint, "unsafe", 1, 5000));
    s_send (client, "unsafe", "job");
    zclock_sleep (100);
    int64_t stopped = kj_mono_us ();
    kill (slow, SIGSTOP);
    char frames [8][256];
    int count = s_recv (client, frames, 5000);
    int64_t waited_ms = (kj_mono_us () - stopped) / 1000;
    //  Let it go before any assertion, or a failure leaves it stopped
    kill (slow, SIGCONT);
    kj_test_kill (slow, SIGKILL, 2000);
    assert_int_equal (count, 5);
    assert_string_equal (frames [3], "502");
    //  Heartbeats of 200 ms, liveness 3: the connection is closed 600 ms
    //  after the last traffic at most, the next heartbeat finds it gone
    print_message ("  stopped worker found dead after %d ms\n",
                   (int) waited_ms);
    assert_in_range (waited_ms, 300, 800 + 400);
    zmq_close (client);
    s_stop_clean (&broker);
}

int
main (void)
{
    kj_log_init ("test_broker_deaths", "warn");
    //  The sanitized broker, and sanitizers that stop it at the first fault
    const char *build = getenv ("KEJIN_BUILD");
    char bin [1024];
    snprintf (bin, sizeof bin, "%s/san", build ? build : "build");
    setenv ("KEJIN_BIN", bin, 1);
    setenv ("ASAN_OPTIONS", "halt_on_error=1:detect_leaks=1", 1);
    setenv ("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1", 1);
    s_seed = getenv ("KEJIN_SEED") ? (unsigned) atoi (getenv ("KEJIN_SEED"))
                                   : (unsigned) (time (NULL) ^ getpid ());
    srand (s_seed);
    fprintf (stderr, "test_broker_deaths: KEJIN_SEED=%u\n", s_seed);
    s_ctx = zmq_ctx_new ();
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_random_worker_deaths),
        cmocka_unit_test (test_plain_request_worker_killed),
        cmocka_unit_test (test_busy_worker_vanished),
    };
    int rc = cmocka_run_group_tests (tests, NULL, NULL);
    zmq_ctx_term (s_ctx);
    return rc;
}
