/*  =========================================================================
    bench_guarantee - claims paid per second under contention: many
    clients, one year's budget, with each way of guarding the budget side
    by side in one run

    For each guard (guarantee/budget_guard): a fresh database, 6,000
    approved claims of 4,000 yuan each (seeded straight into the schema,
    across 50 guarantors) against a budget that holds half of them; 32
    clients, one request in flight each, pay them over the broker to one
    kejin-guarantee with its default 2 workers (under the commit guard
    each pays the PayClaims that reach it together in one transaction, up
    to guarantee/pay_batch: BENCH_PAY_BATCH=N sets it; BENCH_WORKERS=N
    the workers; BENCH_DEBUG=1 the daemon's debug log). The guards:
      update        UPDATE budget ... WHERE remaining >= amount, the
                    payment's last statement
      commit        the same UPDATE run by a trigger at commit
      lock          SELECT ... FOR UPDATE of the budget row, then UPDATE
      serializable  read, check, write back, under SERIALIZABLE; the
                    worker runs a transaction again on 40001
      slice         the budget left dealt into 16 slices; a payment takes
                    from the first with enough that no other payer holds
                    (SKIP LOCKED), all dealt again when none has
      slice+gc      the same with PostgreSQL's group commit for the
                    daemon's connections (commit_delay 200 us,
                    commit_siblings 4)
    Reported per guard: calls per second (payments and queueings), the
    payments a second (paid calls over the time from the start to the last
    PAID answer, while the budget had room), p50
    and p99 latency, client retries, server retries (transactions rolled
    back: the worker's runs again), and the overspend (must be 0), with the
    ledger checked. The baseline is the target, 2,000 payments a
    second. BENCH_GUARDS (e.g. "commit slice") runs only the guards named.

    Beside each guard, the CPU of one call in each process (the bench's
    clients, the broker, kejin-guarantee, PostgreSQL's processes), read
    from /proc before and after the payments: what the machine's load does
    not distort, and the ceiling it sets (cores / CPU of a call). Then one
    client alone pays 500 claims under the commit guard with the daemon's
    debug log: each phase of a payment in time and round trips (the
    worker's BEGIN and key, the handler, the COMMIT), the commit phase
    being how long the budget row is held (the trigger takes it at
    commit). BENCH_PROFILE=0 leaves that pass out.

    Old against new in one run: with BENCH_OLD=1 each guard runs
    BENCH_PAIRS times (3 unless set) with bin/kejin-guarantee-old (the
    build to compare with, copied there by hand), each time followed by
    bin/kejin-guarantee, on the same machine at about the same load.
    =========================================================================
*/

#include <pthread.h>
#include <dirent.h>
#include <sys/resource.h>
#include "../system/guarantee_fixture.h"
#include "kj_money.h"

#define CLAIMS       6000
#define CLIENTS      32
#define GUARANTORS   50
#define CLAIM_FEN    400000
#define WORKERS      "2"  //  the daemon's default; BENCH_WORKERS=N: N instead
#define PROFILE_PAYS 500
typedef struct {
    const char *endpoint;
    int64_t first;  //  claim ids first .. first + count - 1
    int count;
    int offset;           //  where this client starts among them
    int64_t *latency_us;  //  one per call
    int calls;
    int paid;
    int queued;
    int retries;
    int failed;
    int64_t last_paid_us;  //  mono clock of the last PAID answer
} payer_t;

static void *
s_payer (void *arg)
{
    payer_t *self = (payer_t *) arg;
    kj_client_t *client = kj_client_new (self->endpoint);
    kj_client_set_caller (client, "carol");
    //  Each client pays every claim of its share once; shares do not
    //  overlap, so every call is a payment or a queueing
    for (int n = 0; n < self->count; n++) {
        Kj__ClaimPayRequest pay = KJ__CLAIM_PAY_REQUEST__INIT;
        pay.claim_id = self->first + (n + self->offset) % self->count;
        char key [48];
        snprintf (key, sizeof key, "bench-%" PRId64, pay.claim_id);
        kj_call_opts_t opts = { .idempotency_key = key,
                                .timeout_ms = 10000,
                                .retries = -1 };
        for (int attempt = 0; attempt < 5; attempt++) {
            Kj__Claim *claim = NULL;
            kj_status_t status;
            int64_t start = kj_mono_us ();
            int code = kj_client_call (client, "guarantee", "PayClaim",
                                       &pay.base, &kj__claim__descriptor,
                                       (ProtobufCMessage **) &claim, &status,
                                       &opts);
            if (code == KJ__CODE__DEADLINE_EXCEEDED
                || code == KJ__CODE__UNAVAILABLE) {
                self->retries++;
                continue;
            }
            self->latency_us [self->calls++] = kj_mono_us () - start;
            if (code == KJ__CODE__OK && streq (claim->state, "PAID")) {
                self->paid++;
                self->last_paid_us = kj_mono_us ();
            }
            else if (code == KJ__CODE__OK)
                self->queued++;
            else {
                if (self->failed++ == 0)
                    fprintf (stderr, "bench_guarantee: %s %s\n",
                             kj_code_name (code), status.message);
            }
            if (claim)
                kj__claim__free_unpacked (claim, NULL);
            break;
        }
    }
    kj_client_destroy (&client);
    return NULL;
}

static int
s_compare (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

//  The CPU of every process of the scratch cluster: the postmaster and its
//  children (the daemon's backends among them)
static int64_t
s_postgres_cpu_us (void)
{
    char path [600];
    snprintf (path, sizeof path, "%s/data/postmaster.pid", kj_test_pg_dir ());
    FILE *file = fopen (path, "r");
    int postmaster = 0;
    if (!file || fscanf (file, "%d", &postmaster) != 1)
        postmaster = 0;
    if (file)
        fclose (file);
    if (postmaster <= 0)
        return 0;
    int64_t total = kj_test_proc_cpu_us (postmaster, NULL);
    DIR *proc = opendir ("/proc");
    struct dirent *entry;
    while (proc && (entry = readdir (proc))) {
        int pid = atoi (entry->d_name), ppid = 0;
        if (pid <= 0)
            continue;
        int64_t cpu = kj_test_proc_cpu_us (pid, &ppid);
        if (ppid == postmaster)
            total += cpu;
    }
    if (proc)
        closedir (proc);
    return total;
}

//  CPU so far of each process a payment passes through
typedef struct {
    int64_t client, broker, daemon, postgres;
} cpu_t;

static void
s_cpu (gfx_t *fx, cpu_t *cpu)
{
    struct rusage usage;
    getrusage (RUSAGE_SELF, &usage);
    cpu->client = (int64_t) usage.ru_utime.tv_sec * 1000000
                + usage.ru_utime.tv_usec
                + (int64_t) usage.ru_stime.tv_sec * 1000000
                + usage.ru_stime.tv_usec;
    cpu->broker = kj_test_proc_cpu_us (fx->broker.pid, NULL);
    cpu->daemon = kj_test_proc_cpu_us (fx->daemon [0], NULL);
    cpu->postgres = s_postgres_cpu_us ();
}

//  The phases of a payment from the daemon's debug log (worker.write):
//  means over the PayClaim lines, in microseconds and round trips
typedef struct {
    int count;
    double claim_us, claim_trips, handler_us, handler_trips, commit_us,
        commit_trips;
} phases_t;

static void
s_phases (phases_t *phases)
{
    memset (phases, 0, sizeof *phases);
    char path [600];
    snprintf (path, sizeof path, "%s/kejin-guarantee.log", kj_test_tmpdir ());
    FILE *file = fopen (path, "r");
    char line [1024];
    while (file && fgets (line, sizeof line, file)) {
        const char *at = strstr (line, "worker.write method=PayClaim ");
        long v [6];
        if (!at
            || sscanf (at,
                       "worker.write method=PayClaim claim_us=%ld "
                       "claim_trips=%ld handler_us=%ld handler_trips=%ld "
                       "commit_us=%ld commit_trips=%ld",
                       &v [0], &v [1], &v [2], &v [3], &v [4], &v [5])
                   != 6)
            continue;
        phases->count++;
        phases->claim_us += v [0];
        phases->claim_trips += v [1];
        phases->handler_us += v [2];
        phases->handler_trips += v [3];
        phases->commit_us += v [4];
        phases->commit_trips += v [5];
    }
    if (file)
        fclose (file);
    if (phases->count) {
        double n = phases->count;
        phases->claim_us /= n;
        phases->claim_trips /= n;
        phases->handler_us /= n;
        phases->handler_trips /= n;
        phases->commit_us /= n;
        phases->commit_trips /= n;
    }
}

//  The outcome of one guard's run
typedef struct {
    const char *guard;
    double rate;
    double pay_rate;  //  paid calls a second, while the budget had room
    int64_t p50_us, p99_us;
    int calls, paid, queued, retries, failed;
    int64_t server_retries;
    int64_t overspend;
    bool balanced;
    double seconds;
    cpu_t cpu;  //  per call, microseconds
} run_t;

static int64_t
s_rollbacks (kj_db_t *db)
{
    PGresult *res = kj_db_exec (db,
                                "SELECT xact_rollback FROM pg_stat_database"
                                " WHERE datname = current_database ()",
                                0, NULL);
    assert_non_null (res);
    int64_t rollbacks = atoll (PQgetvalue (res, 0, 0));
    PQclear (res);
    return rollbacks;
}

//  Seed approved claims straight into the schema, and the budget
static void
s_seed (gfx_t *fx)
{
    char count [16], guarantors [16], claim_fen [24];
    snprintf (count, sizeof count, "%d", CLAIMS);
    snprintf (guarantors, sizeof guarantors, "%d", GUARANTORS);
    snprintf (claim_fen, sizeof claim_fen, "%d", CLAIM_FEN);
    const char *params [] = { count, guarantors, claim_fen };
    assert_true (
        kj_db_run (fx->db,
                   "INSERT INTO guarantor SELECT 'G' || i, 'bench', true,"
                   " 1000000000000 FROM generate_series (0, $1::int - 1) i",
                   1, (const char *[]){ guarantors })
        == GUARANTORS);
    assert_true (
        kj_db_run (fx->db,
                   "INSERT INTO guarantee (loan_id, guarantor_id, enterprise,"
                   " product_category, amount_fen, loan_date, qualifies, "
                   "reason, state)"
                   " SELECT 'L' || i, 'G' || (i % $2::int), 'E' || i, '创业类',"
                   " 10000000, '2026-01-01', false, 'bench', 'DAICHANG_PAID'"
                   " FROM generate_series (1, $1::int) i",
                   2, params)
        == CLAIMS);
    assert_true (
        kj_db_run (fx->db,
                   "INSERT INTO daichang (loan_id, amount_fen, paid_on,"
                   " guarantor_fen) SELECT 'L' || i, 1000000, '2026-06-30',"
                   " 1000000 FROM generate_series (1, $1::int) i",
                   1, params)
        == CLAIMS);
    assert_true (
        kj_db_run (
            fx->db,
            "INSERT INTO claim (daichang_id, loan_id, guarantor_id, state,"
            " daichang_fen, rate_bp, entitled_fen, payable_fen, binding,"
            " budget_year, submitted_by, city_due, approved_by, approved_at)"
            " SELECT d.id, d.loan_id, g.guarantor_id, 'APPROVED', 1000000, "
            "4000,"
            " $3::bigint, $3::bigint, 'rate',"
            " extract (year FROM current_date)::int, 'alice', current_date,"
            " 'bob', now () FROM daichang d JOIN guarantee g USING (loan_id)"
            " WHERE $1::int > 0 AND $2::int > 0",
            3, params)
        == CLAIMS);
    gfx_allot (fx, fx->year, (int64_t) CLAIMS / 2 * CLAIM_FEN);
}

//  Last year's claims, all paid, as a node that has run a year has them:
//  their guarantees, 代偿, payments, ledger (the allotment and a payment
//  a claim, balanced), the payers' idempotency keys, and their audit rows,
//  which the daemon's seal job chains before the run. Without them the
//  tables a payment reads start empty, every worker's connection plans its
//  statements once on them (sequential scans) and keeps those plans for
//  the run: each payment then reads every row written before it.
static void
s_seed_history (gfx_t *fx)
{
    char count [16], guarantors [16], claim_fen [24], year [16], total [24];
    snprintf (count, sizeof count, "%d", CLAIMS);
    snprintf (guarantors, sizeof guarantors, "%d", GUARANTORS);
    snprintf (claim_fen, sizeof claim_fen, "%d", CLAIM_FEN);
    snprintf (year, sizeof year, "%d", fx->year - 1);
    snprintf (total, sizeof total, "%" PRId64, (int64_t) CLAIMS * CLAIM_FEN);
    //  $1 the year, $2 a claim's amount or the year's total, $3 and $4 the
    //  claims and the guarantors
    const char *year_total [] = { year, total };
    const char *loans [] = { year, claim_fen, count, guarantors };
    const char *paid [] = { year, claim_fen };
    const struct {
        const char *sql;
        int nparams;
        const char *const *params;
    } steps [] = {
        { "INSERT INTO budget (year, total_fen, remaining_fen)"
          " VALUES ($1::int, $2::bigint, 0)",
          2, year_total },
        { "INSERT INTO guarantee (loan_id, guarantor_id, enterprise,"
          " product_category, amount_fen, loan_date, qualifies, reason,"
          " state) SELECT 'H' || i, 'G' || (i % $4::int), 'H' || i, '创业类',"
          " 10000000, make_date ($1::int, 1, 1), false, 'bench',"
          " 'DAICHANG_PAID' FROM generate_series (1, $3::int) i"
          " WHERE $2::bigint > 0",
          4, loans },
        { "INSERT INTO daichang (loan_id, amount_fen, paid_on, guarantor_fen)"
          " SELECT loan_id, 1000000, make_date ($1::int, 6, 30), 1000000"
          " FROM guarantee WHERE loan_id LIKE 'H%'",
          1, paid },
        { "INSERT INTO claim (daichang_id, loan_id, guarantor_id, state,"
          " daichang_fen, rate_bp, entitled_fen, payable_fen, paid_fen,"
          " binding, budget_year, submitted_by, city_due, approved_by,"
          " approved_at) SELECT d.id, d.loan_id, g.guarantor_id, 'PAID',"
          " 1000000, 4000, $2::bigint, $2::bigint, $2::bigint, 'rate',"
          " $1::int, 'alice', make_date ($1::int, 7, 1), 'bob', now ()"
          " FROM daichang d JOIN guarantee g USING (loan_id)"
          " WHERE d.loan_id LIKE 'H%'",
          2, paid },
        { "INSERT INTO payment (claim_id, year, guarantor_id, amount_fen,"
          " paid_by) SELECT id, $1::int, guarantor_id, $2::bigint, 'carol'"
          " FROM claim WHERE budget_year = $1::int",
          2, paid },
        { "WITH txn AS (INSERT INTO ledger_txn (kind, year) VALUES ('allot',"
          " $1::int) RETURNING id) INSERT INTO ledger_entry (txn_id, account,"
          " debit_fen, credit_fen) SELECT id, 'budget:' || $1, $2::bigint, 0"
          " FROM txn UNION ALL SELECT id, 'appropriation:' || $1, 0,"
          " $2::bigint FROM txn",
          2, year_total },
        { "WITH txn AS (INSERT INTO ledger_txn (kind, claim_id, year)"
          " SELECT 'pay', id, $1::int FROM claim WHERE budget_year = $1::int"
          " RETURNING id, claim_id) INSERT INTO ledger_entry (txn_id, account,"
          " debit_fen, credit_fen) SELECT t.id, 'compensation:' ||"
          " c.guarantor_id, $2::bigint, 0 FROM txn t JOIN claim c"
          " ON c.id = t.claim_id UNION ALL SELECT id, 'budget:' || $1, 0,"
          " $2::bigint FROM txn",
          2, paid },
        { "INSERT INTO kj_idempotency (key, method, request_hash)"
          " SELECT 'history-' || i, 'PayClaim', '\\x00'::bytea"
          " FROM generate_series (1, $1::int) i",
          1, (const char *[]){ count } },
        { "INSERT INTO guarantee_audit.trail (service, method, key, role,"
          " city, object, request_id, code, message)"
          " SELECT 'guarantee', 'PayClaim', 'carol', '', '', 'claim:' || i,"
          " 'history-' || i, 0, '' FROM generate_series (1, $1::int) i",
          1, (const char *[]){ count } }
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps [0]; i++)
        assert_true (kj_db_run (fx->db, steps [i].sql, steps [i].nparams,
                                steps [i].params)
                     > 0);
    //  The seal job (every second) chains the trail's rows
    int64_t pending = 1;
    for (int wait = 0; wait < 600 && pending > 0; wait++) {
        zclock_sleep (100);
        pending = gfx_count (fx, "SELECT count (*) FROM guarantee_audit.trail"
                                 " t WHERE NOT EXISTS (SELECT 1 FROM"
                                 " guarantee_audit.chain c WHERE c.id = t.id)");
    }
    assert_int_equal (pending, 0);
}

//  The daemon's workers: WORKERS, or BENCH_WORKERS
static const char *
s_workers (void)
{
    const char *given = getenv ("BENCH_WORKERS");
    return given && atoi (given) > 0 ? given : WORKERS;
}

//  One guard: a fresh database and daemon, `pays` of the claims paid by
//  `clients` clients (the daemon's log at debug level when `debug`), the
//  figures
static void
s_run (const char *guard, int clients, int pays, bool debug, bool old,
       run_t *run)
{
    gfx_t fx;
    memset (&fx, 0, sizeof fx);
    memset (run, 0, sizeof *run);
    run->guard = guard;
    assert_int_equal (kj_broker_start (&fx.broker, 0,
                                       (const char *[]){ "-s", "log/level=warn",
                                                         NULL }),
                      0);
    char name [64];
    snprintf (name, sizeof name, "bench_guarantee_%s", guard);
    for (char *c = name; *c; c++)
        *c = isalnum ((unsigned char) *c) ? *c : '_';
    fx.dsn = kj_test_db_new (name);
    //  "slice+gc": the slice guard with PostgreSQL's group commit
    //  (commit_delay: a committing transaction waits that many
    //  microseconds for others to flush the WAL with it, when at least
    //  commit_siblings others are open)
    bool serializable = streq (guard, "serializable");
    bool group_commit = streq (guard, "slice+gc");
    char *dsn = serializable
                  ? zsys_sprintf ("%s options='-c "
                                  "default_transaction_isolation=serializable'",
                                  fx.dsn)
              : group_commit
                  ? zsys_sprintf ("%s options='-c commit_delay=200 -c "
                                  "commit_siblings=4'",
                                  fx.dsn)
                  : strdup (fx.dsn);
    char workers_option [48];
    snprintf (workers_option, sizeof workers_option, "guarantee/workers=%s",
              s_workers ());
    char guard_option [64];
    snprintf (guard_option, sizeof guard_option, "guarantee/budget_guard=%s",
              group_commit ? "slice" : guard);
    const char *argv [12] = {
        "-s",
        "guarantee/relay=false",
        "-s",
        workers_option,
        "-s",
        guard_option,
        "-s",
        debug || getenv ("BENCH_DEBUG") ? "log/level=debug" : "log/level=warn"
    };
    //  BENCH_PAY_BATCH=N: PayClaims paid together, N at most (the new
    //  daemon only: the old may not know the option)
    char batch_option [48];
    if (getenv ("BENCH_PAY_BATCH") && !old) {
        snprintf (batch_option, sizeof batch_option, "guarantee/pay_batch=%s",
                  getenv ("BENCH_PAY_BATCH"));
        argv [8] = "-s";
        argv [9] = batch_option;
    }
    fx.daemon [0] = kj_daemon_start (old ? "guarantee-old" : "guarantee",
                                     &fx.broker, dsn, argv);
    assert_true (kj_broker_wait_workers (fx.broker.endpoint, "guarantee",
                                         atoi (s_workers ()), 30000));
    fx.db = kj_db_new (fx.dsn, "guarantee", 5000);
    fx.carol = kj_client_new (fx.broker.endpoint);
    kj_client_set_caller (fx.carol, "carol");
    fx.alice = kj_client_new (fx.broker.endpoint);
    time_t now = time (NULL);
    struct tm tm;
    gmtime_r (&now, &tm);
    fx.year = tm.tm_year + 1900;
    s_seed (&fx);
    s_seed_history (&fx);
    assert_true (kj_db_run (fx.db, "ANALYZE", 0, NULL) >= 0);
    int64_t first = gfx_count (&fx, "SELECT min (id) FROM claim"
                                    " WHERE state = 'APPROVED'");
    int64_t rollbacks = s_rollbacks (fx.db);

    payer_t payers [CLIENTS];
    pthread_t threads [CLIENTS];
    int share = pays / clients;
    cpu_t before, after;
    s_cpu (&fx, &before);
    int64_t start = kj_mono_us ();
    for (int i = 0; i < clients; i++) {
        payers [i] = (payer_t){
            .endpoint = fx.broker.endpoint,
            .first = first + i * share,
            .count = i == clients - 1 ? pays - i * share : share,
            .offset = i,
            .latency_us = calloc (CLAIMS, sizeof (int64_t))
        };
        assert_int_equal (pthread_create (&threads [i], NULL, s_payer,
                                          &payers [i]),
                          0);
    }
    int64_t *latency = calloc (CLAIMS * 5, sizeof (int64_t));
    int64_t last_paid = start;
    for (int i = 0; i < clients; i++) {
        assert_int_equal (pthread_join (threads [i], NULL), 0);
        memcpy (latency + run->calls, payers [i].latency_us,
                payers [i].calls * sizeof (int64_t));
        run->calls += payers [i].calls;
        run->paid += payers [i].paid;
        run->queued += payers [i].queued;
        run->retries += payers [i].retries;
        run->failed += payers [i].failed;
        if (payers [i].last_paid_us > last_paid)
            last_paid = payers [i].last_paid_us;
        free (payers [i].latency_us);
    }
    run->seconds = (kj_mono_us () - start) / 1e6;
    s_cpu (&fx, &after);
    int calls = run->calls ? run->calls : 1;
    run->cpu.client = (after.client - before.client) / calls;
    run->cpu.broker = (after.broker - before.broker) / calls;
    run->cpu.daemon = (after.daemon - before.daemon) / calls;
    run->cpu.postgres = (after.postgres - before.postgres) / calls;
    qsort (latency, run->calls, sizeof (int64_t), s_compare);
    run->rate = run->calls / run->seconds;
    //  Payments: from the start to the last claim paid (the budget ran
    //  out then; every call after it queues)
    run->pay_rate = last_paid > start ? run->paid / ((last_paid - start) / 1e6)
                                      : 0;
    run->p50_us = run->calls ? latency [run->calls / 2] : 0;
    run->p99_us = run->calls ? latency [run->calls * 99 / 100] : 0;
    free (latency);
    int64_t total_paid = gfx_count (&fx, "SELECT coalesce (sum (amount_fen), "
                                         "0) FROM payment WHERE year = "
                                         "(SELECT max (year) FROM budget)");
    int64_t budget = (int64_t) CLAIMS / 2 * CLAIM_FEN;
    run->overspend = total_paid > budget ? total_paid - budget : 0;
    Kj__LedgerReport *report = gfx_ledger (&fx);
    run->balanced = report->balanced;
    kj__ledger_report__free_unpacked (report, NULL);
    //  The daemon's connections flush their statistics as they close
    kj_client_destroy (&fx.carol);
    kj_client_destroy (&fx.alice);
    kj_test_kill (fx.daemon [0], SIGTERM, 10000);
    zclock_sleep (600);
    run->server_retries = s_rollbacks (fx.db) - rollbacks;
    char label [32];
    snprintf (label, sizeof label, "%s%s", guard, old ? " old" : "");
    printf ("  %-13s %8.0f/s %6.1f ms %7.1f ms %7d %8" PRId64 " %9" PRId64
            "   %d paid (%.0f/s), %d queued, %d refused, ledger %s\n",
            label, run->rate, run->p50_us / 1000.0, run->p99_us / 1000.0,
            run->retries, run->server_retries, run->overspend, run->paid,
            run->pay_rate, run->queued, run->failed,
            run->balanced ? "balanced" : "UNBALANCED");
    int64_t cpu = run->cpu.client + run->cpu.broker + run->cpu.daemon
                + run->cpu.postgres;
    printf ("  %-13s cpu a call: clients %" PRId64 ", broker %" PRId64
            ", daemon %" PRId64 ", postgres %" PRId64 " = %" PRId64
            " us; %ld cores: at most %.0f/s\n",
            "", run->cpu.client, run->cpu.broker, run->cpu.daemon,
            run->cpu.postgres, cpu, sysconf (_SC_NPROCESSORS_ONLN),
            cpu ? sysconf (_SC_NPROCESSORS_ONLN) * 1e6 / cpu : 0.0);
    fflush (stdout);
    kj_db_destroy (&fx.db);
    kj_broker_stop (&fx.broker, SIGTERM);
    free (dsn);
    free (fx.dsn);
}

int
main (int argc, char **argv)
{
    kj_log_init ("bench_guarantee", "error");
    double load [3] = { 0 };
    getloadavg (load, 3);
    printf ("\nbench_guarantee: %d approved claims paid by %d clients against "
            "one budget that holds\nhalf of them, %s workers, each budget "
            "guard in turn on a fresh database.\n%ld cores, load average "
            "%.2f before the run; baseline >= 2,000/s, overspend 0\n\n",
            CLAIMS, CLIENTS, s_workers (), sysconf (_SC_NPROCESSORS_ONLN),
            load [0]);
    printf ("  %-13s %10s %9s %10s %7s %8s %9s\n", "guard", "calls", "p50",
            "p99", "retries", "server", "overspend");
    fflush (stdout);
    const char *guards [] = { "update",       "commit", "lock",
                              "serializable", "slice",  "slice+gc" };
    //  BENCH_GUARDS="commit slice": only those (for a quick before/after)
    const char *only = getenv ("BENCH_GUARDS");
    //  BENCH_OLD=1: bin/kejin-guarantee-old, then the new, BENCH_PAIRS times
    bool old = getenv ("BENCH_OLD") && streq (getenv ("BENCH_OLD"), "1");
    int pairs = old && getenv ("BENCH_PAIRS") ? atoi (getenv ("BENCH_PAIRS"))
              : old                           ? 3
                                              : 1;
    int bad = 0;
    for (int i = 0; i < 6; i++) {
        char word [24];
        snprintf (word, sizeof word, " %s ", guards [i]);
        char padded [256];
        snprintf (padded, sizeof padded, " %s ", only ? only : "");
        if (only && *only && !strstr (padded, word))
            continue;
        for (int pair = 0; pair < pairs; pair++)
            for (int side = old ? 0 : 1; side < 2; side++) {
                run_t run;
                s_run (guards [i], CLIENTS, CLAIMS, false, side == 0, &run);
                bad += run.failed || run.overspend || !run.balanced
                    || run.paid + run.queued != CLAIMS;
            }
    }
    //  One payer alone: a payment's phases, nothing waiting on the lock
    const char *profile = getenv ("BENCH_PROFILE");
    if (!profile || !streq (profile, "0")) {
        printf ("\n  one client alone, 500 payments, commit guard, the "
                "daemon's debug log:\n");
        run_t run;
        s_run ("commit", 1, PROFILE_PAYS, true, false, &run);
        bad += run.failed || run.overspend || !run.balanced
            || run.paid != PROFILE_PAYS;
        phases_t phases;
        s_phases (&phases);
        printf ("  %d payments, means: BEGIN and key %.0f us (%.1f round "
                "trips), handler %.0f us (%.1f), COMMIT %.0f us (%.1f);\n"
                "  the budget row is held for part of the COMMIT (its "
                "trigger to the flush; the\n  payment's writes go first): "
                "one budget bounds commits near %.0f/s or above\n"
                "  (PayClaims paid together share one)\n",
                phases.count, phases.claim_us, phases.claim_trips,
                phases.handler_us, phases.handler_trips, phases.commit_us,
                phases.commit_trips,
                phases.commit_us > 0 ? 1e6 / phases.commit_us : 0.0);
        bad += phases.count != PROFILE_PAYS;
        //  Every call of this pass is a payment: its CPU alone, without
        //  the queueings that make half of the calls above (the daemon's
        //  figure includes its debug log)
        printf ("  a payment alone, CPU: postgres %" PRId64
                " us, daemon %" PRId64 " us, broker %" PRId64
                " us, client %" PRId64 " us\n",
                run.cpu.postgres, run.cpu.daemon, run.cpu.broker,
                run.cpu.client);
    }
    getloadavg (load, 3);
    printf ("\n  calls are payments and queueings; retries: the client's "
            "(timeouts), server: transactions\n  rolled back and run "
            "again by a worker. Load average %.2f after the run.\n",
            load [0]);
    return bad != 0;
}
