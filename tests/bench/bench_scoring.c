/*  =========================================================================
    bench_scoring - a year's batch of N enterprises (default 1,000,000;
    KEJIN_BENCH_SCORING_N sets it) end to end with 2 kejin-scoring
    daemons, beside the pure computation and a raw COPY of the same
    result rows, measured in the same run

    - end to end: Run, then the registry's export fetched over the broker,
      the members stored, every chunk scored and stored with its events,
      until the batch is finished (issue 13: >= 50,000 enterprises/s)
    - pure computation: the same members' cohorts added and scored in
      this process (scoring_cohort), no I/O
    - raw COPY: the stored portrait rows COPYed into an empty table of the
      same shape (the end-to-end target is at least half its speed)
    The registry is loaded first with `kejin demo load` (not measured).
    =========================================================================
*/

#include "kejin.h"
#include "kj_node.h"
#include "kj_test.h"
#include "scoring.pb-c.h"
#include "scoring_cohort.h"
#include "scoring_server.h"
#include "scoring_source.h"

//  How long the daemons may take to start (their workers registered)
#define S_START_MS 180000

static double
s_seconds (int64_t since)
{
    return (double) (kj_mono_us () - since) / 1e6;
}

static int64_t
s_value (kj_db_t *db, const char *sql)
{
    PGresult *res = kj_db_exec (db, sql, 0, NULL);
    int64_t value = res ? atoll (PQgetvalue (res, 0, 0)) : -1;
    if (res)
        PQclear (res);
    return value;
}

//  The pure computation: every stage's members added and scored
static double
s_pure (kj_db_t *db, const char *batch)
{
    kj_status_t status;
    scoring_model_t *model = scoring_model_load ("most-2024", &status);
    assert (model);
    double seconds = 0;
    for (int stage = 0; stage < SCORING_STAGES; stage++) {
        char stage_text [8];
        snprintf (stage_text, sizeof stage_text, "%d", stage);
        PGresult *res =
            kj_db_exec (db,
                        "SELECT code, packed FROM member WHERE batch_id = $1 "
                        "AND stage = $2 ORDER BY ord",
                        2, (const char *[]){ batch, stage_text });
        assert (res);
        int rows = PQntuples (res);
        scoring_cohort_t *cohort = scoring_cohort_new (model);
        size_t inputs = scoring_cohort_inputs (cohort);
        int64_t *values = calloc ((size_t) rows * inputs + 1, sizeof *values);
        bool *present = calloc ((size_t) rows * inputs + 1, sizeof *present);
        for (int r = 0; r < rows; r++)
            assert (scoring_source_unpack (PQgetvalue (res, r, 1),
                                           values + (size_t) r * inputs,
                                           present + (size_t) r * inputs,
                                           inputs)
                    == 0);
        int64_t started = kj_mono_us ();
        for (int r = 0; r < rows; r++)
            scoring_cohort_add (cohort, PQgetvalue (res, r, 0),
                                (scoring_stage_t) stage,
                                values + (size_t) r * inputs,
                                present + (size_t) r * inputs, &status);
        scoring_cohort_score (cohort);
        seconds += s_seconds (started);
        scoring_cohort_destroy (&cohort);
        free (values);
        free (present);
        PQclear (res);
    }
    scoring_model_destroy (&model);
    return seconds;
}

//  Where a run's CPU goes, per process (issue 13: on 2 cores, the sum
//  over every process bounds the batch): the two scoring daemons, their
//  PostgreSQL backends, the registry, its backends, the broker. Backends
//  are told apart by application_name (kj_db sets the program's name).
enum { S_SCORING, S_SCORING_DB, S_REGISTRY, S_REGISTRY_DB, S_BROKER, S_PARTS };
static const char *s_part_names [S_PARTS] = {
    "scoring daemons (2)", "their PostgreSQL backends", "registry daemon",
    "its PostgreSQL backends", "broker"
};

#define S_PIDS_MAX 64
typedef struct {
    pid_t pids [S_PIDS_MAX];
    int parts [S_PIDS_MAX];
    int64_t cpu_us [S_PIDS_MAX];
    size_t count;
} s_cpu_t;

static void
s_cpu_add (s_cpu_t *self, pid_t pid, int part)
{
    if (self->count < S_PIDS_MAX) {
        self->pids [self->count] = pid;
        self->parts [self->count] = part;
        self->cpu_us [self->count++] = kj_test_proc_cpu_us (pid, NULL);
    }
}

//  Every process's CPU so far
static void
s_cpu_take (s_cpu_t *self, kj_db_t *db, pid_t one, pid_t two, pid_t registry,
            pid_t broker)
{
    self->count = 0;
    s_cpu_add (self, one, S_SCORING);
    s_cpu_add (self, two, S_SCORING);
    s_cpu_add (self, registry, S_REGISTRY);
    s_cpu_add (self, broker, S_BROKER);
    PGresult *res =
        kj_db_exec (db,
                    "SELECT pid, application_name = 'kejin-registry' FROM "
                    "pg_stat_activity WHERE datname = current_database () "
                    "AND pid <> pg_backend_pid () AND application_name IN "
                    "('kejin-scoring', 'kejin-registry')",
                    0, NULL);
    for (int r = 0; res && r < PQntuples (res); r++)
        s_cpu_add (self, (pid_t) atoi (PQgetvalue (res, r, 0)),
                   streq (PQgetvalue (res, r, 1), "t") ? S_REGISTRY_DB
                                                       : S_SCORING_DB);
    if (res)
        PQclear (res);
}

//  CPU seconds per part between two takes (a backend gone by the later
//  take is not counted; none goes during a batch)
static void
s_cpu_between (const s_cpu_t *from, const s_cpu_t *to, double *seconds)
{
    for (int part = 0; part < S_PARTS; part++)
        seconds [part] = 0;
    for (size_t i = 0; i < to->count; i++) {
        int64_t before = 0;
        for (size_t j = 0; j < from->count; j++)
            if (from->pids [j] == to->pids [i])
                before = from->cpu_us [j];
        seconds [to->parts [i]] += (double) (to->cpu_us [i] - before) / 1e6;
    }
}

//  A COPY ... TO STDOUT's data
static zchunk_t *
s_copy_out (kj_db_t *db, const char *sql)
{
    PGconn *conn = kj_db_conn (db);
    PGresult *res = PQexec (conn, sql);
    assert (PQresultStatus (res) == PGRES_COPY_OUT);
    PQclear (res);
    zchunk_t *data = zchunk_new (NULL, 0);
    char *row;
    int length;
    while ((length = PQgetCopyData (conn, &row, 0)) > 0) {
        zchunk_extend (data, row, (size_t) length);
        PQfreemem (row);
    }
    while ((res = PQgetResult (conn)))
        PQclear (res);
    return data;
}

//  The raw COPY: the stored rows into an empty table of the same shape
static double
s_raw_copy (kj_db_t *db)
{
    PGresult *res = PQexec (kj_db_conn (db),
                            "CREATE TABLE portrait_raw (LIKE portrait)");
    PQclear (res);
    zchunk_t *data = s_copy_out (db, "COPY portrait TO STDOUT");
    int64_t started = kj_mono_us ();
    int rc = kj_db_copy (db, "COPY portrait_raw FROM STDIN", zchunk_data (data),
                         zchunk_size (data));
    double seconds = s_seconds (started);
    assert (rc == 0);
    zchunk_destroy (&data);
    return seconds;
}

//  What the store is made of (issue 13, Session 27): the stored rows
//  COPYed again into tables with one part of the real store more each,
//  the backend's CPU and the WAL it wrote per row. Portraits go binary
//  (as the daemons send them), events as text with hex payloads (as
//  kj_outbox_add_many sends them), and binary for comparison.

static void
s_run_sql (kj_db_t *db, const char *sql)
{
    PGresult *res = PQexec (kj_db_conn (db), sql);
    assert (PQresultStatus (res) == PGRES_COMMAND_OK
            || PQresultStatus (res) == PGRES_TUPLES_OK);
    PQclear (res);
}

//  One statement (a COPY of data, or a query when data is NULL), printed
//  as the backend's CPU and the WAL written per row of rows
static void
s_cost (kj_db_t *db, const char *what, const char *sql, zchunk_t *data,
        int64_t rows)
{
    pid_t backend = PQbackendPID (kj_db_conn (db));
    const char *lsn = "SELECT (pg_current_wal_insert_lsn () - '0/0')::bigint";
    int64_t wal = s_value (db, lsn);
    int64_t cpu = kj_test_proc_cpu_us (backend, NULL);
    int64_t started = kj_mono_us ();
    if (data)
        assert (kj_db_copy (db, sql, zchunk_data (data), zchunk_size (data))
                == 0);
    else
        s_run_sql (db, sql);
    double seconds = s_seconds (started);
    cpu = kj_test_proc_cpu_us (backend, NULL) - cpu;
    wal = s_value (db, lsn) - wal;
    printf ("  %-52s %8.2f %8.2f %8.0f\n", what, (double) cpu / (double) rows,
            seconds * 1e6 / (double) rows, (double) wal / (double) rows);
}

static void
s_store_costs (kj_db_t *db)
{
    int64_t portraits = s_value (db, "SELECT count (*) FROM portrait");
    int64_t events = s_value (db, "SELECT count (*) FROM kj_outbox WHERE "
                                  "topic = 'scoring.portrait.scored'");
    if (portraits <= 0 || events <= 0)
        return;
    printf ("\n  the store, part by part (%" PRId64 " portraits, %" PRId64
            " events)              us CPU   us wall  WAL bytes a row\n",
            portraits, events);
    s_run_sql (db, "CREATE TABLE cost_bare (LIKE portrait); "
                   "CREATE TABLE cost_pk (LIKE portrait, PRIMARY KEY "
                   "(code, year, model, version)); "
                   "CREATE TABLE cost_real (LIKE portrait INCLUDING INDEXES); "
                   "CREATE UNLOGGED TABLE cost_unlogged "
                   "(LIKE portrait INCLUDING INDEXES); "
                   "CREATE TABLE cost_ev_bare (topic text, key text, "
                   "payload_type text, payload bytea); "
                   "CREATE TABLE cost_ev (LIKE kj_outbox INCLUDING DEFAULTS "
                   "INCLUDING INDEXES); "
                   "CREATE TABLE cost_ev_bin (LIKE kj_outbox INCLUDING "
                   "DEFAULTS INCLUDING INDEXES)");
    zchunk_t *data = s_copy_out (db, "COPY portrait TO STDOUT (FORMAT binary)");
    static const char *const tables [][2] = {
        { "cost_bare", "portraits, binary, no index" },
        { "cost_pk", "  with the primary key" },
        { "cost_real", "  with the primary key and the BRIN (as portrait)" },
        { "cost_unlogged", "  the same unlogged (no WAL)" },
    };
    for (size_t t = 0; t < sizeof tables / sizeof tables [0]; t++) {
        char sql [128];
        snprintf (sql, sizeof sql, "COPY %s FROM STDIN (FORMAT binary)",
                  tables [t][0]);
        s_cost (db, tables [t][1], sql, data, portraits);
    }
    zchunk_destroy (&data);
    //  The events as kj_outbox_add_many sends them: text, payloads in hex
    const char *columns = "(topic, key, payload_type, payload)";
    char sql [256];
    data = s_copy_out (db, "COPY (SELECT topic, key, payload_type, payload "
                           "FROM kj_outbox WHERE topic = "
                           "'scoring.portrait.scored') TO STDOUT");
    s_cost (db, "events, text (hex), no default, no index",
            "COPY cost_ev_bare FROM STDIN", data, events);
    snprintf (sql, sizeof sql, "COPY cost_ev %s FROM STDIN", columns);
    s_cost (db, "  into kj_outbox's shape (id, txid, 2 indexes)", sql, data,
            events);
    zchunk_destroy (&data);
    data = s_copy_out (db, "COPY (SELECT topic, key, payload_type, payload "
                           "FROM kj_outbox WHERE topic = "
                           "'scoring.portrait.scored') TO STDOUT "
                           "(FORMAT binary)");
    snprintf (sql, sizeof sql, "COPY cost_ev_bin %s FROM STDIN (FORMAT binary)",
              columns);
    s_cost (db, "  the same, binary", sql, data, events);
    zchunk_destroy (&data);
    //  A chunk's look-up of what is stored (scoring_chunk.c, s_before) for
    //  50,000 codes that all have their portrait, the codes as its array
    //  parameter
    PGresult *res = kj_db_exec (
        db,
        "SELECT array_agg (code)::text, count (*), min (model), "
        "min (year)::text, min (version)::text FROM (SELECT code, model, "
        "year, version FROM portrait LIMIT 50000) p",
        0, NULL);
    assert (res && PQntuples (res) == 1);
    int64_t looked = atoll (PQgetvalue (res, 0, 1));
    const char *params [] = { PQgetvalue (res, 0, 2), PQgetvalue (res, 0, 3),
                              PQgetvalue (res, 0, 4), PQgetvalue (res, 0, 0) };
    pid_t backend = PQbackendPID (kj_db_conn (db));
    int64_t cpu = kj_test_proc_cpu_us (backend, NULL);
    int64_t started = kj_mono_us ();
    PGresult *found = kj_db_exec (db, SCORING_STORED_SQL, 4, params);
    double seconds = s_seconds (started);
    cpu = kj_test_proc_cpu_us (backend, NULL) - cpu;
    assert (found && PQntuples (found) == looked);
    PQclear (found);
    PQclear (res);
    printf ("  %-52s %8.2f %8.2f %8s\n",
            "a chunk's look-up of stored portraits, a code",
            (double) cpu / (double) looked, seconds * 1e6 / (double) looked,
            "-");
    fflush (stdout);
}

int
main (void)
{
    const char *n_text = getenv ("KEJIN_BENCH_SCORING_N");
    int n = n_text ? atoi (n_text) : 1000000;
    double load [3];
    getloadavg (load, 3);
    printf ("\nbench_scoring: a batch of %d enterprises (most-2024) with 2 "
            "kejin-scoring daemons,\nbeside the pure computation and a raw "
            "COPY of the same rows.\n%ld cores, load average %.2f before "
            "the run\n\n",
            n, sysconf (_SC_NPROCESSORS_ONLN), load [0]);
    fflush (stdout);
    char *dsn = kj_test_db_new ("bench_scoring");
    //  KEJIN_BENCH_SCORING_DUMP=FILE: the registry's schema restored from
    //  FILE if it is there (instead of the load), else dumped into it
    //  after the load, for the next run (not part of the figures)
    const char *dump = getenv ("KEJIN_BENCH_SCORING_DUMP");
    char command [1024];
    bool restored = false;
    if (dump && access (dump, R_OK) == 0) {
        printf ("  restoring the registry from %s ...\n", dump);
        fflush (stdout);
        int64_t at = kj_mono_us ();
        snprintf (command, sizeof command,
                  "pg_restore --no-owner --no-privileges --dbname='%s' '%s' "
                  "&& psql -q -d '%s' -c 'ANALYZE'",
                  dsn, dump, dsn);
        if (system (command) != 0) {
            fprintf (stderr, "bench_scoring: restore failed\n");
            return 1;
        }
        printf ("  restored in %.1f s (not part of the figures)\n",
                s_seconds (at));
        restored = true;
    }
    kj_broker_t broker;
    if (kj_broker_start (&broker, 0,
                         (const char *[]){ "-s", "log/level=warn", NULL }))
        return 1;
    pid_t registry = kj_daemon_start ("registry", &broker, dsn,
                                      (const char *[]){
                                          "-s", "registry/relay=false", "-s",
                                          "registry/bulk_workers=2", "-s",
                                          "log/level=warn", NULL });
    //  Daemons start slowly on a busy machine (the registry after a
    //  restore took more than 30 s at a load of 12): a start, not a figure
    if (!kj_broker_wait_workers (broker.endpoint, "registry.bulk", 2,
                                 S_START_MS)) {
        fprintf (stderr, "bench_scoring: the registry did not start\n");
        return 1;
    }
    snprintf (command, sizeof command,
              "%s --broker %s --timeout 600000 "
              "demo load --enterprises %d > %s/demo.log 2>&1",
              kj_test_bin ("kejin"), broker.endpoint, n, kj_test_tmpdir ());
    int64_t started = kj_mono_us ();
    if (!restored) {
        printf ("  loading %d demo enterprises into the registry ...\n", n);
        fflush (stdout);
        if (system (command) != 0) {
            fprintf (stderr, "bench_scoring: kejin demo load failed\n");
            return 1;
        }
        printf ("  loaded in %.1f s (not part of the figures)\n",
                s_seconds (started));
        snprintf (command, sizeof command,
                  "pg_dump -Fc -Z1 -n registry -f '%s' '%s'", dump ? dump : "",
                  dsn);
        if (dump && system (command) != 0)
            fprintf (stderr, "bench_scoring: dump failed (going on)\n");
    }
    //  KEJIN_BENCH_HOLD_S: time to look at the loaded registry (EXPLAIN)
    const char *hold = getenv ("KEJIN_BENCH_HOLD_S");
    if (hold) {
        printf ("  holding %s s: %s\n", hold, dsn);
        fflush (stdout);
        sleep ((unsigned) atoi (hold));
    }
    //  KEJIN_BENCH_SCORING_FETCHERS: scoring/fetchers (default the
    //  daemon's own)
    const char *fetchers = getenv ("KEJIN_BENCH_SCORING_FETCHERS");
    char fetchers_option [64];
    snprintf (fetchers_option, sizeof fetchers_option, "scoring/fetchers=%d",
              fetchers ? atoi (fetchers) : 0);
    const char *extra [] = { "-s",
                             "scoring/relay=false",
                             "-s",
                             "scoring/chunk=50000",
                             "-s",
                             "scoring/page=10000",
                             "-s",
                             "log/level=info",
                             fetchers ? "-s" : NULL,
                             fetchers_option,
                             NULL };
    pid_t one = kj_daemon_start ("scoring", &broker, dsn, extra);
    pid_t two = kj_daemon_start ("scoring", &broker, dsn, extra);
    if (!kj_broker_wait_workers (broker.endpoint, "scoring", 4, S_START_MS)) {
        fprintf (stderr, "bench_scoring: kejin-scoring did not start\n");
        return 1;
    }
    kj_client_t *client = kj_client_new (broker.endpoint);
    kj_db_t *db = kj_db_new (dsn, "scoring", 5000);
    s_cpu_t cpu_started, cpu_fetched, cpu_finished;
    s_cpu_take (&cpu_started, db, one, two, registry, broker.pid);
    kj_status_t status;
    Kj__ScoringRunRequest run = KJ__SCORING_RUN_REQUEST__INIT;
    Kj__ScoringRunReply *started_batch = NULL;
    started = kj_mono_us ();
    if (kj_client_call (client, "scoring", "Run", &run.base,
                        &kj__scoring_run_reply__descriptor,
                        (ProtobufCMessage **) &started_batch, &status, NULL)) {
        fprintf (stderr, "bench_scoring: Run: %s\n", status.message);
        return 1;
    }
    char batch [24];
    snprintf (batch, sizeof batch, "%" PRIu64, started_batch->batch->id);
    Kj__ScoringProgressRequest progress = KJ__SCORING_PROGRESS_REQUEST__INIT;
    progress.batch_id = started_batch->batch->id;
    kj__scoring_run_reply__free_unpacked (started_batch, NULL);
    double fetched = 0, total_seconds = 0;
    uint64_t total = 0;
    while (true) {
        Kj__ScoringProgressReply *seen = NULL;
        kj_call_opts_t opts = { .read_only = true, .timeout_ms = 30000 };
        if (kj_client_call (client, "scoring", "Progress", &progress.base,
                            &kj__scoring_progress_reply__descriptor,
                            (ProtobufCMessage **) &seen, &status, &opts)) {
            fprintf (stderr, "bench_scoring: Progress: %s\n", status.message);
            return 1;
        }
        bool done = streq (seen->batch->state, "finished");
        if (!fetched && !streq (seen->batch->state, "fetching")) {
            fetched = s_seconds (started);
            s_cpu_take (&cpu_fetched, db, one, two, registry, broker.pid);
        }
        total = seen->batch->total;
        kj__scoring_progress_reply__free_unpacked (seen, NULL);
        if (done)
            break;
        zclock_sleep (100);
    }
    total_seconds = s_seconds (started);
    s_cpu_take (&cpu_finished, db, one, two, registry, broker.pid);
    double cpu_fetch [S_PARTS], cpu_after [S_PARTS];
    s_cpu_between (&cpu_started, &cpu_fetched, cpu_fetch);
    s_cpu_between (&cpu_fetched, &cpu_finished, cpu_after);
    double cpu = cpu_fetch [S_SCORING] + cpu_after [S_SCORING];
    int64_t stored = s_value (db, "SELECT count (*) FROM portrait");
    double pure = s_pure (db, batch);
    double raw = s_raw_copy (db);
    double e2e_rate = (double) total / total_seconds;
    double raw_rate = (double) stored / raw;
    printf ("\n  %-44s %12s  %8s  %s\n", "", "per second", "time", "target");
    printf ("  %-44s %12.0f  %6.1f s  >= 50,000/s, >= 0.5 x raw COPY "
            "(%.2f)\n",
            "end to end (fetch, compute, store; 2 daemons)", e2e_rate,
            total_seconds, e2e_rate / raw_rate);
    printf ("  %-44s %12.0f  %6.1f s\n",
            "  of which the fetch (export + "
            "members)",
            (double) total / fetched, fetched);
    printf ("  %-44s %12.0f  %6.1f s  >= 0.5 x raw COPY (%.2f)\n",
            "  after the fetch (compute, store)",
            (double) total / (total_seconds - fetched), total_seconds - fetched,
            (double) total / (total_seconds - fetched) / raw_rate);
    printf ("  %-44s %12.1f  %6.1f s  (load-independent)\n",
            "  daemons' CPU, us per enterprise", cpu * 1e6 / (double) total,
            cpu);
    printf ("  %-44s %12.0f  %6.1f s\n", "pure computation (one core)",
            (double) total / pure, pure);
    printf ("  %-44s %12.0f  %6.1f s  baseline\n",
            "raw COPY of the result "
            "rows",
            raw_rate, raw);
    printf ("  %" PRIu64 " enterprises in the batch, %" PRId64 " portraits "
            "stored\n",
            total, stored);
    //  CPU per enterprise per process, in the fetch and after it (the
    //  Progress polls of this process are the broker's and the scoring
    //  daemons' small part)
    double per = 1e6 / (double) (total ? total : 1);
    double sums [3] = { 0 };
    printf ("\n  %-44s %8s %8s %8s\n", "CPU, us per enterprise", "fetch",
            "after", "total");
    for (int part = 0; part < S_PARTS; part++) {
        printf ("  %-44s %8.1f %8.1f %8.1f\n", s_part_names [part],
                cpu_fetch [part] * per, cpu_after [part] * per,
                (cpu_fetch [part] + cpu_after [part]) * per);
        sums [0] += cpu_fetch [part] * per;
        sums [1] += cpu_after [part] * per;
    }
    sums [2] = sums [0] + sums [1];
    printf ("  %-44s %8.1f %8.1f %8.1f  (2 cores: at most %.0f/s)\n", "all",
            sums [0], sums [1], sums [2], sums [2] > 0 ? 2e6 / sums [2] : 0);
    fflush (stdout);
    s_store_costs (db);
    //  Where the daemons' time went (their log lines at info)
    printf ("\n  the daemons' own account:\n");
    fflush (stdout);
    snprintf (command, sizeof command,
              "grep -h 'scoring\\.\\(fetch\\|batch\\)' %s/*.log "
              "| cut -c25-260 | sed 's/^/    /'",
              kj_test_tmpdir ());
    if (system (command) != 0)
        printf ("    (none)\n");
    kj_db_destroy (&db);
    kj_client_destroy (&client);
    kj_test_kill (one, SIGTERM, 10000);
    kj_test_kill (two, SIGTERM, 10000);
    kj_test_kill (registry, SIGTERM, 10000);
    kj_broker_stop (&broker, SIGTERM);
    free (dsn);
    return 0;
}
