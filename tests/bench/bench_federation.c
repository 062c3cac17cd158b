/*  =========================================================================
    bench_federation - a request across cities beside a local one

    Two cities on loopback with CURVE keys, as test_federation sets them
    up: the hub runs kejin-diag; the other city runs no diag worker, only
    kejin-link with the route diag=hub. The same Echo (64 bytes) is timed
    at the hub (local: client, broker, worker) and at the city (across:
    client, the city's broker, the link, the hub's broker, the worker and
    back), one request at a time, alternating, so that both see the same
    machine load. Prints p50 and p99 of each and what the crossing adds.
    Then the event half, tests/bench/federation_mirror.sh: a city's log
    copied to a hub by kejin-mirror, its throughput beside the origin's
    append rate, and the catch-up after a partition of 1,000,000 events.
    =========================================================================
*/

#include "kejin.h"
#include "kj_test.h"
#include "diag.pb-c.h"

#define ROUNDS 2000

static char s_last [600];  //  the last failure

//  Issue a key in dir
static void
s_issue (const char *dir, const char *name, const char *role, const char *city,
         const char *services)
{
    kj_keys_t *keys = kj_keys_new (dir);
    kj_key_info_t info;
    memset (&info, 0, sizeof info);
    kj_strlcpy (info.name, name, sizeof info.name);
    kj_strlcpy (info.role, role, sizeof info.role);
    kj_strlcpy (info.city, city, sizeof info.city);
    kj_strlcpy (info.services, services, sizeof info.services);
    kj_status_t status;
    if (kj_keys_issue (keys, &info, NULL, &status)) {
        fprintf (stderr, "bench_federation: key %s: %s\n", name,
                 status.message);
        exit (1);
    }
    kj_keys_destroy (&keys);
}

static void
s_copy (const char *from, const char *to)
{
    char *command = zsys_sprintf ("cp '%s' '%s'", from, to);
    if (system (command)) {
        fprintf (stderr, "bench_federation: %s failed\n", command);
        exit (1);
    }
    zstr_free (&command);
}

static pid_t
s_broker (const char *tmp, const char *city, int port, const char *keys)
{
    char endpoint [80], keys_arg [600], log [600];
    snprintf (endpoint, sizeof endpoint, "broker/endpoint=tcp://127.0.0.1:%d",
              port);
    snprintf (keys_arg, sizeof keys_arg, "broker/keys=%s", keys);
    snprintf (log, sizeof log, "%s/%s-broker.log", tmp, city);
    const char *argv [] = { kj_test_bin ("kejin-broker"),
                            "-s",
                            endpoint,
                            "-s",
                            "broker/pub_endpoint=",
                            "-s",
                            "broker/sub_endpoint=",
                            "-s",
                            keys_arg,
                            "-s",
                            "log/level=warn",
                            NULL };
    return kj_test_spawn (argv, NULL, log);
}

//  A client of the broker at port with the key operator of keys
static kj_client_t *
s_client (const char *keys, int port)
{
    setenv ("KEJIN_NODE_KEYS", keys, 1);
    setenv ("KEJIN_KEY", "operator", 1);
    char endpoint [80];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    kj_client_t *client = kj_client_new (endpoint);
    unsetenv ("KEJIN_NODE_KEYS");
    unsetenv ("KEJIN_KEY");
    kj_client_set_timeout (client, 2000);
    return client;
}

//  One Echo; its time in microseconds, or -1
static int64_t
s_echo (kj_client_t *client)
{
    byte data [64];
    memset (data, 'e', sizeof data);
    Kj__EchoRequest request = KJ__ECHO_REQUEST__INIT;
    request.data.data = data;
    request.data.len = sizeof data;
    kj_call_opts_t opts = { .read_only = true, .retries = -1 };
    ProtobufCMessage *reply = NULL;
    kj_status_t status;
    int64_t start = kj_mono_us ();
    int code = kj_client_call (client, "diag", "Echo", &request.base,
                               &kj__echo_reply__descriptor, &reply, &status,
                               &opts);
    int64_t took = kj_mono_us () - start;
    if (reply)
        protobuf_c_message_free_unpacked (reply, NULL);
    if (code != KJ__CODE__OK)
        snprintf (s_last, sizeof s_last, "%s: %s", kj_code_name (code),
                  status.message);
    return code == KJ__CODE__OK ? took : -1;
}

int
main (void)
{
    kj_log_init ("bench_federation", "error");
    const char *tmp = kj_test_tmpdir ();
    char hub [600], city [600], kit [600], path [700], path2 [700];
    snprintf (hub, sizeof hub, "%s/hub-keys", tmp);
    snprintf (city, sizeof city, "%s/city-keys", tmp);
    snprintf (kit, sizeof kit, "%s/link-keys", tmp);
    zsys_dir_create ("%s", kit);
    s_issue (hub, "broker", "peer", "210100", "");
    s_issue (hub, "operator", "operator", "210100", "");
    s_issue (hub, "diag", "service", "210100", "diag");
    s_issue (hub, "city", "peer", "210300", "");
    s_issue (city, "broker", "peer", "210300", "");
    s_issue (city, "operator", "operator", "210300", "");
    s_issue (city, "link", "peer", "210300", "diag");
    snprintf (path, sizeof path, "%s/secret/city.key_secret", hub);
    snprintf (path2, sizeof path2, "%s/hub.key_secret", kit);
    s_copy (path, path2);
    snprintf (path, sizeof path, "%s/public/city.key", hub);
    snprintf (path2, sizeof path2, "%s/hub.key", kit);
    s_copy (path, path2);
    snprintf (path, sizeof path, "%s/public/broker.key", hub);
    snprintf (path2, sizeof path2, "%s/hub.broker.key", kit);
    s_copy (path, path2);

    int hub_port = kj_test_free_port ();
    pid_t hub_broker = s_broker (tmp, "hub", hub_port, hub);
    int city_port = kj_test_free_port ();
    while (city_port == hub_port)
        city_port = kj_test_free_port ();
    pid_t city_broker = s_broker (tmp, "city", city_port, city);

    char broker_arg [80], env_keys [620], log [600];
    snprintf (broker_arg, sizeof broker_arg, "node/broker=tcp://127.0.0.1:%d",
              hub_port);
    snprintf (env_keys, sizeof env_keys, "KEJIN_NODE_KEYS=%s", hub);
    snprintf (log, sizeof log, "%s/diag.log", tmp);
    const char *diag_argv [] = {
        kj_test_bin ("kejin-diag"), "-s", broker_arg, "-s",
        "log/level=warn",           NULL
    };
    const char *diag_env [] = { env_keys, "KEJIN_KEY=diag", NULL };
    pid_t diag = kj_test_spawn (diag_argv, diag_env, log);

    char city_arg [80], peers [120], keys_arg [620], city_env [620];
    snprintf (city_arg, sizeof city_arg, "node/broker=tcp://127.0.0.1:%d",
              city_port);
    snprintf (peers, sizeof peers, "link/peers=hub=tcp://127.0.0.1:%d",
              hub_port);
    snprintf (keys_arg, sizeof keys_arg, "link/keys=%s", kit);
    snprintf (city_env, sizeof city_env, "KEJIN_NODE_KEYS=%s", city);
    snprintf (log, sizeof log, "%s/link.log", tmp);
    const char *link_argv [] = { kj_test_bin ("kejin-link"),
                                 "-s",
                                 city_arg,
                                 "-s",
                                 "link/routes=diag=hub",
                                 "-s",
                                 peers,
                                 "-s",
                                 keys_arg,
                                 "-s",
                                 "log/level=warn",
                                 NULL };
    const char *link_env [] = { city_env, "KEJIN_KEY=link", NULL };
    pid_t link = kj_test_spawn (link_argv, link_env, log);

    //  A client that timed out connects again, with the environment of
    //  that moment: fresh clients until both cities answer
    kj_client_t *local = NULL, *across = NULL;
    int ready = 0;
    for (int i = 0; i < 100 && ready < 2; i++) {
        kj_client_destroy (&local);
        kj_client_destroy (&across);
        local = s_client (hub, hub_port);
        across = s_client (city, city_port);
        ready = (s_echo (local) >= 0) + (s_echo (across) >= 0);
        if (ready < 2)
            zclock_sleep (200);
    }
    int rc = 0;
    if (ready < 2) {
        fprintf (stderr,
                 "bench_federation: the cities did not come up: "
                 "%s (logs in %s)\n",
                 s_last, tmp);
        rc = 1;
    }
    kj_hist_t *here = kj_hist_new (), *there = kj_hist_new ();
    int failed = 0;
    for (int i = 0; rc == 0 && i < ROUNDS; i++) {
        int64_t a = s_echo (local), b = s_echo (across);
        if (a < 0 || b < 0)
            failed++;
        else {
            kj_hist_record (here, (uint64_t) a);
            kj_hist_record (there, (uint64_t) b);
        }
    }
    if (rc == 0) {
        double load [1] = { 0 };
        getloadavg (load, 1);
        printf ("\nbench_federation: Echo of 64 bytes, one at a time, CURVE "
                "on every hop, %d rounds (load average %.1f)\n",
                ROUNDS, load [0]);
        printf ("  %-34s  %9s  %9s\n", "", "p50 us", "p99 us");
        printf ("  %-34s  %9" PRIu64 "  %9" PRIu64 "\n",
                "local (client, broker, worker)",
                kj_hist_percentile (here, 500), kj_hist_percentile (here, 990));
        printf ("  %-34s  %9" PRIu64 "  %9" PRIu64 "\n",
                "across (+ link, + the hub's broker)",
                kj_hist_percentile (there, 500),
                kj_hist_percentile (there, 990));
        printf ("  crossing adds p50 %" PRId64 " us; %d requests failed\n",
                (int64_t) kj_hist_percentile (there, 500)
                    - (int64_t) kj_hist_percentile (here, 500),
                failed);
        rc = failed ? 1 : 0;
    }
    kj_hist_destroy (&here);
    kj_hist_destroy (&there);
    kj_client_destroy (&local);
    kj_client_destroy (&across);
    kj_test_kill (link, SIGTERM, 5000);
    kj_test_kill (diag, SIGTERM, 5000);
    kj_test_kill (city_broker, SIGTERM, 5000);
    kj_test_kill (hub_broker, SIGTERM, 5000);
    //  The event half drives two PostgreSQL clusters: a script
    fflush (stdout);  //  the request half's figures first
    if (rc == 0) {
        const char *root = getenv ("KEJIN_ROOT");
        char *command = zsys_sprintf ("'%s/tests/bench/federation_mirror.sh'",
                                      root ? root : ".");
        rc = system (command) == 0 ? 0 : 1;
        zstr_free (&command);
    }
    return rc;
}
