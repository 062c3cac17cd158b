/*  =========================================================================
    kj_node - start real Kejin daemons for system tests and benchmarks
    =========================================================================
*/

#include "kejin.h"
#include "kj_test.h"
#include "kj_node.h"

int
kj_read_keyvalue (const char *path, const char *key, char *value, size_t size)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    char line [512];
    size_t len = strlen (key);
    int rc = -1;
    while (fgets (line, sizeof line, file)) {
        if (strncmp (line, key, len) == 0 && line [len] == '=') {
            line [strcspn (line, "\n")] = 0;
            kj_strlcpy (value, line + len + 1, size);
            rc = 0;
            break;
        }
    }
    fclose (file);
    return rc;
}

const char *
kj_tool_path (const char *name)
{
    static __thread char path [4][512];
    static __thread int next = 0;
    char *buf = path [next++ % 4];
    const char *build = getenv ("KEJIN_BUILD");
    snprintf (buf, 512, "%s/tests/tools/%s", build ? build : "build", name);
    return buf;
}

int
kj_broker_start (kj_broker_t *broker, int port, const char *const *extra)
{
    static int counter = 0;
    const char *dir = kj_test_tmpdir ();
    snprintf (broker->file, sizeof broker->file, "%s/broker-%d.endpoints", dir,
              counter);
    snprintf (broker->log, sizeof broker->log, "%s/broker-%d.log", dir,
              counter++);
    unlink (broker->file);
    char endpoint [96];
    if (port)
        snprintf (endpoint, sizeof endpoint,
                  "broker/endpoint=tcp://127.0.0.1:%d", port);
    else
        snprintf (endpoint, sizeof endpoint,
                  "broker/endpoint=tcp://127.0.0.1:*");
    char file [600];
    snprintf (file, sizeof file, "broker/endpoints_file=%s", broker->file);
    const char *argv [64] = { kj_test_bin ("kejin-broker"),
                              "-s",
                              endpoint,
                              "-s",
                              file,
                              "-s",
                              "broker/pub_endpoint=tcp://127.0.0.1:*",
                              "-s",
                              "broker/sub_endpoint=tcp://127.0.0.1:*" };
    int argc = 9;
    //  Without keys a broker starts only when told it may run open
    bool keys = false;
    for (int i = 0; extra && extra [i] && argc < 61; i++) {
        keys = keys || strncmp (extra [i], "broker/keys=", 12) == 0;
        argv [argc++] = extra [i];
    }
    if (!keys) {
        argv [argc++] = "-s";
        argv [argc++] = "broker/insecure=true";
    }
    argv [argc] = NULL;
    broker->pid = kj_test_spawn (argv, NULL, broker->log);
    if (broker->pid <= 0)
        return -1;
    for (int waited = 0; waited < 5000; waited += 10) {
        if (kj_read_keyvalue (broker->file, "endpoint", broker->endpoint,
                              sizeof broker->endpoint)
            == 0) {
            kj_read_keyvalue (broker->file, "pub", broker->pub,
                              sizeof broker->pub);
            kj_read_keyvalue (broker->file, "sub", broker->sub,
                              sizeof broker->sub);
            broker->port = atoi (strrchr (broker->endpoint, ':') + 1);
            return 0;
        }
        if (kj_test_wait_exit (broker->pid, 0) != -1)
            break;  //  it died
        zclock_sleep (10);
    }
    kj_error ("test.broker_not_up", "log=%s", broker->log);
    kj_test_kill (broker->pid, SIGKILL, 1000);
    return -1;
}

int
kj_broker_stop (kj_broker_t *broker, int signal)
{
    int status = kj_test_kill (broker->pid, signal, 10000);
    broker->pid = 0;
    return status;
}

//  --------------------------------------------------------------------------
//  Workers the broker counts on a service, from its Stats (0 when it does
//  not list the service); -1 if the broker did not answer.

static int
s_broker_workers (kj_client_t *client, const char *service)
{
    Kj__BrokerStatsRequest request = KJ__BROKER_STATS_REQUEST__INIT;
    Kj__BrokerStats *stats = NULL;
    kj_status_t status;
    kj_call_opts_t opts = { .read_only = true,
                            .timeout_ms = 500,
                            .retries = -1 };
    if (kj_client_call (client, "kejin.broker", "Stats", &request.base,
                        &kj__broker_stats__descriptor,
                        (ProtobufCMessage **) &stats, &status, &opts))
        return -1;
    int workers = 0;
    for (size_t i = 0; i < stats->n_services; i++)
        if (streq (stats->services [i]->name, service))
            workers = (int) stats->services [i]->workers;
    kj__broker_stats__free_unpacked (stats, NULL);
    return workers;
}

bool
kj_broker_wait_workers (const char *endpoint, const char *service, int workers,
                        int timeout_ms)
{
    kj_client_t *client = kj_client_new (endpoint);
    int64_t end = kj_mono_us () + (int64_t) timeout_ms * 1000;
    bool found = false;
    while (!found && kj_mono_us () < end) {
        found = s_broker_workers (client, service) == workers;
        if (!found)
            zclock_sleep (20);
    }
    kj_client_destroy (&client);
    return found;
}

//  --------------------------------------------------------------------------
//  A kj_service daemon bin/kejin-NAME on a broker (and a database)

pid_t
kj_daemon_start (const char *name, const kj_broker_t *broker, const char *dsn,
                 const char *const *extra)
{
    char binary [128], log [512], set_broker [256], set_dsn [600];
    snprintf (binary, sizeof binary, "kejin-%s", name);
    snprintf (log, sizeof log, "%s/%s.log", kj_test_tmpdir (), binary);
    snprintf (set_broker, sizeof set_broker, "node/broker=%s",
              broker->endpoint);
    snprintf (set_dsn, sizeof set_dsn, "db/dsn=%s", dsn ? dsn : "");
    const char *argv [40] = { kj_test_bin (binary), "-s", set_broker };
    int argc = 3;
    if (dsn) {
        argv [argc++] = "-s";
        argv [argc++] = set_dsn;
    }
    for (; extra && *extra && argc < 38; extra++)
        argv [argc++] = *extra;
    argv [argc] = NULL;
    return kj_test_spawn (argv, NULL, log);
}
