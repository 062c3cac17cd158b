/*  =========================================================================
    bench_audit - what the audit trail costs a write, in one run

    8 threads, each on its own connection, run transactions that change
    one row of their own (a counter) and commit, as a handler's write
    does: without an audit row (the baseline), with the row kj_audit_write
    adds (what every KJ_WRITE now pays), and with a row chained at write
    time under one lock on the chain's head (the design not taken: every
    write waits for the one before it to commit). Then one seal chains
    the rows written, timed. Reported: transactions per second of each
    and the ratio to the baseline; the target is at least 0.5x (no global
    bottleneck that halves write throughput).
    =========================================================================
*/

#include "kejin.h"
#include "kj_test.h"
#include <pthread.h>

#define THREADS 8
#define TXNS    1500

typedef enum { PLAIN, AUDITED, LOCKED } mode_t_;

typedef struct {
    const char *dsn;
    kj_audit_t *audit;
    mode_t_ mode;
    int index;
    int failed;
} s_run_t;

static void *
s_thread (void *arg)
{
    s_run_t *run = (s_run_t *) arg;
    kj_db_t *db = kj_db_new (run->dsn, "bench", 5000);
    if (!db) {
        run->failed = 1;
        return NULL;
    }
    char id [16];
    snprintf (id, sizeof id, "%d", run->index);
    const char *params [] = { id };
    kj_audit_row_t row = { .service = "bench",
                           .method = "Change",
                           .key = "ops-1",
                           .role = "operator",
                           .city = "210100",
                           .object = id,
                           .request_id = "1",
                           .code = 0,
                           .message = "",
                           .before = "{\"n\": 1}",
                           .after = "{\"n\": 2}" };
    for (int i = 0; i < TXNS && !run->failed; i++) {
        bool ok = kj_db_begin (db) == 0
               && kj_db_run (db,
                             "UPDATE bench.counter SET n = n + 1 "
                             "WHERE id = $1::int",
                             1, params)
                      == 1;
        if (ok && run->mode == AUDITED)
            ok = kj_audit_write (run->audit, db, &row) == 0;
        if (ok && run->mode == LOCKED)
            ok = kj_db_run (db, "SELECT 1 FROM bench.head FOR UPDATE", 0, NULL)
                  == 1
              && kj_audit_write (run->audit, db, &row) == 0;
        if (!ok || kj_db_commit (db)) {
            kj_db_rollback (db);
            run->failed = 1;
        }
    }
    kj_db_destroy (&db);
    return NULL;
}

//  Transactions per second of THREADS threads in mode
static double
s_measure (const char *dsn, kj_audit_t *audit, mode_t_ mode)
{
    s_run_t runs [THREADS];
    pthread_t threads [THREADS];
    int64_t start = kj_mono_us ();
    for (int i = 0; i < THREADS; i++) {
        runs [i] = (s_run_t){
            .dsn = dsn, .audit = audit, .mode = mode, .index = i
        };
        pthread_create (&threads [i], NULL, s_thread, &runs [i]);
    }
    int failed = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join (threads [i], NULL);
        failed += runs [i].failed;
    }
    double seconds = (kj_mono_us () - start) / 1e6;
    if (failed) {
        fprintf (stderr, "bench_audit: %d threads failed\n", failed);
        exit (1);
    }
    return THREADS * TXNS / seconds;
}

int
main (void)
{
    kj_log_init ("bench_audit", getenv ("KEJIN_LOG_LEVEL"));
    char *dsn = kj_test_db_new ("bench_audit");
    kj_db_t *db = kj_db_new (dsn, "bench", 5000);
    assert (db);
    kj_audit_t *audit = kj_audit_new ("bench");
    PGresult *setup = PQexec (kj_db_conn (db),
                              "CREATE SCHEMA IF NOT EXISTS bench;"
                              "CREATE TABLE bench.counter (id int PRIMARY "
                              "KEY, n bigint NOT NULL DEFAULT 0);"
                              "INSERT INTO bench.counter (id) "
                              "SELECT generate_series (0, 63);"
                              "CREATE TABLE bench.head (id int);"
                              "INSERT INTO bench.head VALUES (1)");
    bool made = PQresultStatus (setup) == PGRES_COMMAND_OK;
    PQclear (setup);
    if (!made || kj_audit_install (audit, db, NULL)) {
        fprintf (stderr, "bench_audit: setup failed: %s\n",
                 PQerrorMessage (kj_db_conn (db)));
        return 1;
    }
    //  Warm up, then each mode once
    s_measure (dsn, audit, PLAIN);
    double plain = s_measure (dsn, audit, PLAIN);
    double audited = s_measure (dsn, audit, AUDITED);
    double locked = s_measure (dsn, audit, LOCKED);
    int64_t start = kj_mono_us ();
    int sealed = 0, count;
    while ((count = kj_audit_seal (audit, db)) > 0)
        sealed += count;
    double seal_s = (kj_mono_us () - start) / 1e6;

    printf ("\nbench_audit: %d threads x %d write transactions each\n", THREADS,
            TXNS);
    printf ("  %-46s %10s  %s\n", "write", "txn/s", "vs baseline");
    printf ("  %-46s %10.0f  %s\n", "no audit row (baseline)", plain, "1.00x");
    printf ("  %-46s %10.0f  %.2fx (target >= 0.50x)\n",
            "audit row, chained after commit (kj_audit)", audited,
            audited / plain);
    printf ("  %-46s %10.0f  %.2fx\n", "audit row under a global chain lock",
            locked, locked / plain);
    printf ("  sealed %d rows in %.2f s (%.0f rows/s, one sealer)\n", sealed,
            seal_s, sealed / (seal_s > 0 ? seal_s : 1));
    kj_audit_destroy (&audit);
    kj_db_destroy (&db);
    free (dsn);
    return count < 0 || audited / plain < 0.5;
}
