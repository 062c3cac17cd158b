/*  =========================================================================
    bench_guarantee - claims paid per second under contention: many
    clients, one year's budget, the conditional-UPDATE guard

    20,000 approved claims of 4,000 yuan each (seeded straight into a fresh
    schema, across 50 guarantors) against a budget that holds half of them;
    32 clients, one request in flight each, pay them over the broker to one
    kejin-guarantee with 8 workers. Every PayClaim is a transaction: the
    claim's lock and row, its guarantor's row, the budget's row (the one
    hot spot), the payment, the ledger, the event. Reported: payments (and
    queueings) per second, latency p50/p99, client retries, the overspend
    (must be 0) and the ledger check. The baseline is the target,
    2,000 payments a second; locking the budget row and SERIALIZABLE with
    retries, the other two guards, are not built.
    =========================================================================
*/

#include <pthread.h>
#include "../system/guarantee_fixture.h"
#include "kj_money.h"

#define CLAIMS     20000
#define CLIENTS    32
#define GUARANTORS 50
#define CLAIM_FEN  400000

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
            if (code == KJ__CODE__OK && streq (claim->state, "PAID"))
                self->paid++;
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

int
main (int argc, char **argv)
{
    kj_log_init ("bench_guarantee", "error");
    double load [3] = { 0 };
    getloadavg (load, 3);
    printf ("\nbench_guarantee: %d approved claims paid by %d clients against "
            "one budget that holds\nhalf of them (conditional UPDATE guard)."
            "\n%ld cores, load average %.2f before the run\n\n",
            CLAIMS, CLIENTS, sysconf (_SC_NPROCESSORS_ONLN), load [0]);
    fflush (stdout);

    gfx_t fx;
    memset (&fx, 0, sizeof fx);
    assert_int_equal (kj_broker_start (&fx.broker, 0,
                                       (const char *[]){ "-s", "log/level=warn",
                                                         NULL }),
                      0);
    fx.dsn = kj_test_db_new ("bench_guarantee");
    fx.daemon [0] = kj_daemon_start ("guarantee", &fx.broker, fx.dsn,
                                     (const char *[]){
                                         "-s", "guarantee/relay=false", "-s",
                                         "guarantee/workers=8", "-s",
                                         "log/level=warn", NULL });
    assert_true (
        kj_broker_wait_workers (fx.broker.endpoint, "guarantee", 8, 30000));
    fx.db = kj_db_new (fx.dsn, "guarantee", 5000);
    fx.carol = kj_client_new (fx.broker.endpoint);
    kj_client_set_caller (fx.carol, "carol");
    fx.alice = kj_client_new (fx.broker.endpoint);
    time_t now = time (NULL);
    struct tm tm;
    gmtime_r (&now, &tm);
    fx.year = tm.tm_year + 1900;

    //  Seed approved claims straight into the schema
    char count [16], guarantors [16], claim_fen [24];
    snprintf (count, sizeof count, "%d", CLAIMS);
    snprintf (guarantors, sizeof guarantors, "%d", GUARANTORS);
    snprintf (claim_fen, sizeof claim_fen, "%d", CLAIM_FEN);
    const char *params [] = { count, guarantors, claim_fen };
    assert_true (
        kj_db_run (fx.db,
                   "INSERT INTO guarantor SELECT 'G' || i, 'bench', true,"
                   " 1000000000000 FROM generate_series (0, $1::int - 1) i",
                   1, (const char *[]){ guarantors })
        == GUARANTORS);
    assert_true (
        kj_db_run (fx.db,
                   "INSERT INTO guarantee (loan_id, guarantor_id, enterprise,"
                   " product_category, amount_fen, loan_date, qualifies, "
                   "reason, state)"
                   " SELECT 'L' || i, 'G' || (i % $2::int), 'E' || i, '创业类',"
                   " 10000000, '2026-01-01', false, 'bench', 'DAICHANG_PAID'"
                   " FROM generate_series (1, $1::int) i",
                   2, params)
        == CLAIMS);
    assert_true (
        kj_db_run (fx.db,
                   "INSERT INTO daichang (loan_id, amount_fen, paid_on)"
                   " SELECT 'L' || i, 1000000, '2026-06-30'"
                   " FROM generate_series (1, $1::int) i",
                   1, params)
        == CLAIMS);
    assert_true (
        kj_db_run (
            fx.db,
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
    gfx_allot (&fx, fx.year, (int64_t) CLAIMS / 2 * CLAIM_FEN);
    int64_t first = gfx_count (&fx, "SELECT min (id) FROM claim");

    payer_t payers [CLIENTS];
    pthread_t threads [CLIENTS];
    int share = CLAIMS / CLIENTS;
    int64_t start = kj_mono_us ();
    for (int i = 0; i < CLIENTS; i++) {
        payers [i] = (payer_t){
            .endpoint = fx.broker.endpoint,
            .first = first + i * share,
            .count = i == CLIENTS - 1 ? CLAIMS - i * share : share,
            .offset = i,
            .latency_us = calloc (CLAIMS, sizeof (int64_t))
        };
        assert_int_equal (pthread_create (&threads [i], NULL, s_payer,
                                          &payers [i]),
                          0);
    }
    int calls = 0, paid = 0, queued = 0, retries = 0, failed = 0;
    int64_t *latency = calloc (CLAIMS, sizeof (int64_t));
    for (int i = 0; i < CLIENTS; i++) {
        assert_int_equal (pthread_join (threads [i], NULL), 0);
        memcpy (latency + calls, payers [i].latency_us,
                payers [i].calls * sizeof (int64_t));
        calls += payers [i].calls;
        paid += payers [i].paid;
        queued += payers [i].queued;
        retries += payers [i].retries;
        failed += payers [i].failed;
        free (payers [i].latency_us);
    }
    double seconds = (kj_mono_us () - start) / 1e6;
    qsort (latency, calls, sizeof (int64_t), s_compare);
    int64_t total_paid = gfx_count (&fx, "SELECT coalesce (sum (amount_fen), "
                                         "0) FROM payment");
    int64_t budget = (int64_t) CLAIMS / 2 * CLAIM_FEN;
    Kj__LedgerReport *report = gfx_ledger (&fx);
    char rate [32];
    kj_money_grouped ((uint64_t) (calls / seconds + 0.5), rate, sizeof rate);
    printf ("  %-44s %10s  %9s  %9s  %7s  %9s   %s\n", "guard", "calls/s",
            "p50", "p99", "retries", "overspend", "baseline");
    printf ("  %-44s %10s  %6.1f ms  %6.1f ms  %7d  %9" PRId64 "   %s\n",
            "conditional UPDATE (remaining >= amount)", rate,
            latency [calls / 2] / 1000.0, latency [calls * 99 / 100] / 1000.0,
            retries, total_paid > budget ? total_paid - budget : 0,
            ">= 2,000/s, overspend 0");
    printf ("\n  %d calls in %.1f s: %d paid, %d queued for next year, %d "
            "refused; paid %" PRId64 " of %" PRId64 " fen; ledger %s (%" PRIu64
            " transactions)\n",
            calls, seconds, paid, queued, failed, total_paid, budget,
            report->balanced ? "balanced" : "UNBALANCED", report->transactions);
    kj__ledger_report__free_unpacked (report, NULL);
    free (latency);
    kj_client_destroy (&fx.carol);
    kj_client_destroy (&fx.alice);
    kj_db_destroy (&fx.db);
    kj_test_kill (fx.daemon [0], SIGTERM, 10000);
    kj_broker_stop (&fx.broker, SIGTERM);
    free (fx.dsn);
    return failed || total_paid > budget || paid + queued != CLAIMS;
}
