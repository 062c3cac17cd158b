/*  =========================================================================
    test_guarantee_money - the money invariants of kejin-guarantee under
    concurrency and crashes (docs/rules/guarantee.md, reliability M1, M3)

    M1: six clients pay thirty claims against a budget that holds about
    half of them, each retrying under its own idempotency key until it gets
    an answer, while one of two daemons is killed (-9) and restarted:
    the sum paid never passes the budget, each claim is paid at most once
    and as its payers were told, a claim is queued only when it did not
    fit, the ledger balances; then the queue is paid, first in first out,
    from the next year's budget.
    M3: two operators approve the same claim at the same moment, then pay
    it at the same moment, for many claims: exactly one approval and one
    payment each, the other told "already approved" / "already paid".
    =========================================================================
*/

#include <pthread.h>
#include "guarantee_fixture.h"
#include "guarantee_store.h"

#define M1_CLAIMS     30
#define M1_PAYERS     6
#define M1_BUDGET_FEN 10000000
#define M3_CLAIMS     25

//  --------------------------------------------------------------------------
//  M1

typedef struct {
    const char *endpoint;
    int64_t *claims;
    int index;
    int answered;  //  calls that got an answer
    int retried;   //  attempts again under the same key
    int paid;      //  answers "PAID" this payer caused
    int queued;
    int refused;                   //  FAILED_PRECONDITION
    int other;                     //  any other answer: must stay 0
    int64_t paid_fen [M1_CLAIMS];  //  as this payer was told, 0 if not
} m1_payer_t;

static void *
s_m1_payer (void *arg)
{
    m1_payer_t *self = (m1_payer_t *) arg;
    kj_client_t *client = kj_client_new (self->endpoint);
    kj_client_set_caller (client, "carol");
    for (int n = 0; n < M1_CLAIMS; n++) {
        //  Each payer goes through the claims from its own starting point
        int at = (n + self->index * 5) % M1_CLAIMS;
        Kj__ClaimPayRequest pay = KJ__CLAIM_PAY_REQUEST__INIT;
        pay.claim_id = self->claims [at];
        char key [64];
        snprintf (key, sizeof key, "m1-pay-%" PRId64 "-%d", pay.claim_id,
                  self->index);
        kj_call_opts_t opts = { .idempotency_key = key,
                                .timeout_ms = 2000,
                                .retries = -1 };
        for (int attempt = 0; attempt < 30; attempt++) {
            Kj__Claim *claim = NULL;
            kj_status_t status;
            int code = kj_client_call (client, "guarantee", "PayClaim",
                                       &pay.base, &kj__claim__descriptor,
                                       (ProtobufCMessage **) &claim, &status,
                                       &opts);
            if (code == KJ__CODE__DEADLINE_EXCEEDED
                || code == KJ__CODE__UNAVAILABLE) {
                self->retried++;
                continue;  //  the same key again: done at most once
            }
            self->answered++;
            if (code == KJ__CODE__OK && streq (claim->state, "PAID")) {
                self->paid++;
                self->paid_fen [at] = claim->paid_fen;
            }
            else if (code == KJ__CODE__OK && streq (claim->state, "QUEUED"))
                self->queued++;
            else if (code == KJ__CODE__FAILED_PRECONDITION)
                self->refused++;
            else {
                fprintf (stderr, "m1: %s %s\n", kj_code_name (code),
                         status.message);
                self->other++;
            }
            if (claim)
                kj__claim__free_unpacked (claim, NULL);
            break;
        }
    }
    kj_client_destroy (&client);
    return NULL;
}

//  M1 with the budget guarded as `option` says (NULL: the default)
static void
s_m1 (const char *option)
{
    gfx_t fx;
    gfx_start (&fx, 2, option);
    gfx_parties (&fx);
    gfx_allot (&fx, fx.year, M1_BUDGET_FEN);
    int64_t claims [M1_CLAIMS];
    for (int i = 0; i < M1_CLAIMS; i++)
        claims [i] = gfx_claim (&fx, 1000000 + i * 37001, 2, true);

    m1_payer_t payers [M1_PAYERS];
    pthread_t threads [M1_PAYERS];
    for (int i = 0; i < M1_PAYERS; i++) {
        payers [i] = (m1_payer_t){ .endpoint = fx.broker.endpoint,
                                   .claims = claims,
                                   .index = i };
        assert_int_equal (pthread_create (&threads [i], NULL, s_m1_payer,
                                          &payers [i]),
                          0);
    }
    //  Kill one daemon as soon as payments are under way, and restart it
    int64_t seen = 0;
    for (int wait = 0; wait < 2000 && seen < 2; wait++) {
        usleep (1000);
        seen = gfx_count (&fx, "SELECT count (*) FROM payment");
    }
    assert_int_equal (kj_test_kill (fx.daemon [0], SIGKILL, 5000), 128 + 9);
    const char *extra [] = { "-s",
                             "guarantee/relay=false",
                             "-s",
                             "guarantee/workers=3",
                             option ? "-s" : NULL,
                             option,
                             NULL };
    fx.daemon [0] = kj_daemon_start ("guarantee", &fx.broker, fx.dsn, extra);
    assert_true (fx.daemon [0] > 0);
    for (int i = 0; i < M1_PAYERS; i++)
        assert_int_equal (pthread_join (threads [i], NULL), 0);

    //  Every call answered, with no surprise
    int answered = 0, paid = 0, queued = 0, retried = 0;
    for (int i = 0; i < M1_PAYERS; i++) {
        answered += payers [i].answered;
        retried += payers [i].retried;
        paid += payers [i].paid;
        queued += payers [i].queued;
        assert_int_equal (payers [i].other, 0);
    }
    assert_int_equal (answered, M1_PAYERS * M1_CLAIMS);

    //  Sum paid within the budget, and the budget's own account of it
    int64_t total_paid = gfx_count (&fx, "SELECT coalesce (sum (amount_fen),"
                                         " 0) FROM payment");
    assert_true (total_paid <= M1_BUDGET_FEN);
    assert_int_equal (gfx_count (&fx, "SELECT remaining_fen FROM budget_left"),
                      M1_BUDGET_FEN - total_paid);
    //  Each claim paid at most once, PAID exactly when a payment exists,
    //  and as much as every payer who was told PAID was told
    int64_t payments = gfx_count (&fx, "SELECT count (*) FROM payment");
    assert_int_equal (gfx_count (&fx, "SELECT count (DISTINCT claim_id) "
                                      "FROM payment"),
                      payments);
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM claim WHERE "
                                      "state = 'PAID'"),
                      payments);
    assert_int_equal (paid, payments);  //  told PAID once per claim
    for (int at = 0; at < M1_CLAIMS; at++)
        for (int i = 0; i < M1_PAYERS; i++)
            if (payers [i].paid_fen [at]) {
                char sql [128];
                snprintf (sql, sizeof sql,
                          "SELECT amount_fen FROM payment "
                          "WHERE claim_id = %" PRId64,
                          claims [at]);
                assert_int_equal (gfx_count (&fx, sql),
                                  payers [i].paid_fen [at]);
            }
    //  The rest wait for next year, each queued only because it did not
    //  fit: what is left is less than the smallest of them
    int64_t waiting = gfx_count (&fx, "SELECT count (*) FROM claim WHERE "
                                      "state = 'QUEUED'");
    assert_int_equal (payments + waiting, M1_CLAIMS);
    assert_int_equal (queued, waiting);
    assert_true (waiting > 0 && payments > 0);
    assert_true (gfx_count (&fx, "SELECT remaining_fen FROM budget_left")
                 < gfx_count (&fx, "SELECT min (entitled_fen) FROM claim "
                                   "WHERE state = 'QUEUED'"));
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM claim WHERE "
                                      "state = 'QUEUED' AND budget_year = "
                                      "extract (year FROM now ()) + 1"),
                      waiting);
    //  The slice guard dealt the budget: its slices hold what is left
    if (!option || strstr (option, "=slice"))
        assert_true (gfx_count (&fx, "SELECT count (*) FROM budget_slice") > 0);
    Kj__LedgerReport *report = gfx_ledger (&fx);
    assert_int_equal (report->transactions, 1 + payments);
    kj__ledger_report__free_unpacked (report, NULL);
    printf ("m1: %d payers x %d claims, %" PRId64 " paid (%" PRId64 " of %d "
            "fen), %" PRId64 " queued, one daemon killed -9 mid-run, %d "
            "retries under the same key\n",
            M1_PAYERS, M1_CLAIMS, payments, total_paid, M1_BUDGET_FEN, waiting,
            retried);

    //  Next year's budget pays the queue, first in first out
    gfx_allot (&fx, fx.year + 1, 100000000);
    PGresult *res = kj_db_exec (fx.db,
                                "SELECT id FROM claim WHERE state = "
                                "'QUEUED' ORDER BY queued_at, id",
                                0, NULL);
    assert_non_null (res);
    int rows = PQntuples (res);
    int64_t order [M1_CLAIMS];
    for (int row = 0; row < rows; row++)
        order [row] = atoll (PQgetvalue (res, row, 0));
    PQclear (res);
    Kj__ClaimPayRequest pay = KJ__CLAIM_PAY_REQUEST__INIT;
    kj_status_t status;
    if (rows > 1) {
        pay.claim_id = order [rows - 1];
        assert_int_equal (gfx_call (fx.carol, "PayClaim", &pay,
                                    &kj__claim__descriptor, NULL, &status,
                                    NULL),
                          KJ__CODE__FAILED_PRECONDITION);
        char first [64];
        snprintf (first, sizeof first, "claim %" PRId64 " waits", order [0]);
        assert_non_null (strstr (status.message, first));
    }
    for (int row = 0; row < rows; row++) {
        pay.claim_id = order [row];
        Kj__Claim *claim = gfx_ok (fx.carol, "PayClaim", &pay,
                                   &kj__claim__descriptor);
        assert_string_equal (claim->state, "PAID");
        assert_int_equal (claim->paid_fen, claim->entitled_fen);
        assert_int_equal (claim->budget_year, fx.year + 1);
        kj__claim__free_unpacked (claim, NULL);
    }
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM payment"),
                      M1_CLAIMS);
    report = gfx_ledger (&fx);
    kj__ledger_report__free_unpacked (report, NULL);
    gfx_stop (&fx);
}

//  Under the slice guard: the budget dealt into slices, each
//  payment taking from one no other payer holds, and dealt again when none
//  has enough; the killed daemon may die holding a slice, and the small
//  budget runs every slice dry
static void
test_m1_budget_under_contention_and_crash (void **state)
{
    s_m1 ("guarantee/budget_guard=slice");
}

//  The same with the default guard, the conditional UPDATE run at
//  commit by a trigger: a
//  commit that finds too little left fails, the worker runs the payment
//  again, and it queues
static void
test_m1_commit_guard (void **state)
{
    s_m1 ("guarantee/budget_guard=commit");
}

//  And with the budget row locked before the payment is written
static void
test_m1_lock_guard (void **state)
{
    s_m1 ("guarantee/budget_guard=lock");
}

//  And with the conditional UPDATE of the budget row, the payment's last
//  statement
static void
test_m1_update_guard (void **state)
{
    s_m1 ("guarantee/budget_guard=update");
}

//  --------------------------------------------------------------------------
//  A daemon guarding the budget any other way than by slices folds the
//  slices back into the budget row at its start: what is left stays what
//  it was, the row holds all of it, and the next payment takes from it

static void
s_pay (gfx_t *fx, int64_t claim)
{
    Kj__ClaimPayRequest pay = KJ__CLAIM_PAY_REQUEST__INIT;
    pay.claim_id = claim;
    Kj__Claim *paid = gfx_ok (fx->carol, "PayClaim", &pay,
                              &kj__claim__descriptor);
    assert_string_equal (paid->state, "PAID");
    kj__claim__free_unpacked (paid, NULL);
}

static void
test_slices_folded_back (void **state)
{
    gfx_t fx;
    gfx_start (&fx, 1, "guarantee/budget_guard=slice");
    gfx_parties (&fx);
    gfx_allot (&fx, fx.year, 10000001);
    int64_t first = gfx_claim (&fx, 1000000, 2, true);
    int64_t second = gfx_claim (&fx, 2000000, 2, true);
    s_pay (&fx, first);  //  400,000 fen, from a slice
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM budget_slice"),
                      16);
    assert_int_equal (gfx_count (&fx, "SELECT remaining_fen FROM budget"), 0);
    assert_int_equal (gfx_count (&fx, "SELECT sum (remaining_fen) FROM "
                                      "budget_slice"),
                      9600001);
    //  9,600,001 dealt evenly: the first slice a fen more
    assert_int_equal (gfx_count (&fx, "SELECT max (remaining_fen) - min "
                                      "(remaining_fen) FROM budget_slice"),
                      1);

    assert_int_equal (kj_test_kill (fx.daemon [0], SIGTERM, 10000), 0);
    const char *extra [] = { "-s", "guarantee/relay=false",
                             "-s", "guarantee/budget_guard=lock",
                             "-s", "guarantee/workers=3",
                             NULL };
    fx.daemon [0] = kj_daemon_start ("guarantee", &fx.broker, fx.dsn, extra);
    assert_true (fx.daemon [0] > 0);
    assert_true (
        kj_broker_wait_workers (fx.broker.endpoint, "guarantee", 3, 20000));
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM budget_slice"), 0);
    assert_int_equal (gfx_count (&fx, "SELECT remaining_fen FROM budget"),
                      9600001);
    s_pay (&fx, second);  //  800,000 fen, from the row
    assert_int_equal (gfx_count (&fx, "SELECT remaining_fen FROM budget"),
                      8800001);
    Kj__LedgerReport *report = gfx_ledger (&fx);
    kj__ledger_report__free_unpacked (report, NULL);
    gfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  M3

typedef struct {
    const char *endpoint;
    const char *operator;
    int64_t *claims;
    pthread_barrier_t *barrier;
    int approve [M3_CLAIMS];  //  status codes
    char approve_message [M3_CLAIMS][128];
    int pay [M3_CLAIMS];
    char pay_message [M3_CLAIMS][128];
} m3_operator_t;

static void *
s_m3_operator (void *arg)
{
    m3_operator_t *self = (m3_operator_t *) arg;
    kj_client_t *client = kj_client_new (self->endpoint);
    kj_client_set_caller (client, self->operator);
    for (int k = 0; k < M3_CLAIMS; k++) {
        kj_status_t status;
        Kj__ClaimApproveRequest approve = KJ__CLAIM_APPROVE_REQUEST__INIT;
        approve.claim_id = self->claims [k];
        pthread_barrier_wait (self->barrier);
        self->approve [k] = gfx_call (client, "ApproveClaim", &approve,
                                      &kj__claim__descriptor, NULL, &status,
                                      NULL);
        kj_strlcpy (self->approve_message [k], status.message, 128);
        Kj__ClaimPayRequest pay = KJ__CLAIM_PAY_REQUEST__INIT;
        pay.claim_id = self->claims [k];
        pthread_barrier_wait (self->barrier);
        self->pay [k] = gfx_call (client, "PayClaim", &pay,
                                  &kj__claim__descriptor, NULL, &status, NULL);
        kj_strlcpy (self->pay_message [k], status.message, 128);
    }
    kj_client_destroy (&client);
    return NULL;
}

static void
test_m3_two_approvers_at_once (void **state)
{
    gfx_t fx;
    gfx_start (&fx, 2, NULL);
    gfx_parties (&fx);
    gfx_allot (&fx, fx.year, 1000000000);
    int64_t claims [M3_CLAIMS];
    for (int k = 0; k < M3_CLAIMS; k++)
        claims [k] = gfx_claim (&fx, 1000000 + k, 2, false);

    pthread_barrier_t barrier;
    pthread_barrier_init (&barrier, NULL, 2);
    static m3_operator_t operators [2];
    const char *names [] = { "dave", "erin" };
    pthread_t threads [2];
    for (int i = 0; i < 2; i++) {
        memset (&operators [i], 0, sizeof operators [i]);
        operators [i].endpoint = fx.broker.endpoint;
        operators [i].operator= names [i];
        operators [i].claims = claims;
        operators [i].barrier = &barrier;
        assert_int_equal (pthread_create (&threads [i], NULL, s_m3_operator,
                                          &operators [i]),
                          0);
    }
    for (int i = 0; i < 2; i++)
        assert_int_equal (pthread_join (threads [i], NULL), 0);
    pthread_barrier_destroy (&barrier);

    int wins [2] = { 0, 0 };
    for (int k = 0; k < M3_CLAIMS; k++) {
        int winner = operators [0].approve [k] == KJ__CODE__OK ? 0 : 1;
        int loser = 1 - winner;
        wins [winner]++;
        assert_int_equal (operators [winner].approve [k], KJ__CODE__OK);
        assert_int_equal (operators [loser].approve [k],
                          KJ__CODE__FAILED_PRECONDITION);
        assert_non_null (
            strstr (operators [loser].approve_message [k], "already approved"));
        int payer = operators [0].pay [k] == KJ__CODE__OK ? 0 : 1;
        assert_int_equal (operators [payer].pay [k], KJ__CODE__OK);
        assert_int_equal (operators [1 - payer].pay [k],
                          KJ__CODE__FAILED_PRECONDITION);
        assert_non_null (
            strstr (operators [1 - payer].pay_message [k], "already paid"));
        char sql [160];
        snprintf (sql, sizeof sql,
                  "SELECT count (*) FROM claim WHERE id = %" PRId64
                  " AND approved_by = '%s'",
                  claims [k], names [winner]);
        assert_int_equal (gfx_count (&fx, sql), 1);
    }
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM payment"),
                      M3_CLAIMS);
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM kj_outbox WHERE "
                                      "topic = 'guarantee.claim.approved'"),
                      M3_CLAIMS);
    printf ("m3: %d claims approved by two operators at once: dave won %d, "
            "erin %d; one approval and one payment each\n",
            M3_CLAIMS, wins [0], wins [1]);
    Kj__LedgerReport *report = gfx_ledger (&fx);
    kj__ledger_report__free_unpacked (report, NULL);
    gfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  Under the commit guard a payment is written without a savepoint, and a
//  budget found short at commit fails its whole transaction. Two payers
//  of different guarantors are held at the budget row (the test locks it)
//  until both have read that enough is left for each; the budget holds
//  one. One is paid; the other's commit fails, its worker runs it again,
//  and it is queued with nothing of the failed payment left: no payment,
//  no ledger transaction, no event.

typedef struct {
    const char *endpoint;
    int64_t claim_id;
    int code;
    char state [16];
} short_payer_t;

static void *
s_short_payer (void *arg)
{
    short_payer_t *self = (short_payer_t *) arg;
    kj_client_t *client = kj_client_new (self->endpoint);
    kj_client_set_caller (client, "carol");
    Kj__ClaimPayRequest pay = KJ__CLAIM_PAY_REQUEST__INIT;
    pay.claim_id = self->claim_id;
    Kj__Claim *claim = NULL;
    kj_status_t status;
    self->code = gfx_call (client, "PayClaim", &pay, &kj__claim__descriptor,
                           &claim, &status, NULL);
    if (claim) {
        kj_strlcpy (self->state, claim->state, sizeof self->state);
        kj__claim__free_unpacked (claim, NULL);
    }
    kj_client_destroy (&client);
    return NULL;
}

static void
test_commit_guard_short_at_commit (void **state)
{
    gfx_t fx;
    gfx_start (&fx, 1, "guarantee/budget_guard=commit");
    gfx_parties (&fx);
    //  Two claims of 400,000 fen (40% of 1,000,000), the second moved to
    //  guarantor G2 so that the payers do not wait on one guarantor's row
    short_payer_t payers [2];
    for (int i = 0; i < 2; i++)
        payers [i] = (short_payer_t){ .endpoint = fx.broker.endpoint,
                                      .claim_id = gfx_claim (&fx, 1000000, 2,
                                                             true) };
    char id [24];
    snprintf (id, sizeof id, "%" PRId64, payers [1].claim_id);
    assert_int_equal (kj_db_run (fx.db,
                                 "INSERT INTO guarantor VALUES ('G2', 'G2',"
                                 " true, 100000000)",
                                 0, NULL),
                      1);
    assert_int_equal (kj_db_run (fx.db,
                                 "UPDATE claim SET guarantor_id = 'G2'"
                                 " WHERE id = $1::bigint",
                                 1, (const char *[]){ id }),
                      1);
    gfx_allot (&fx, fx.year, 600000);

    //  The budget row locked: each payer reads 600,000 fen left, writes,
    //  and waits at the row in its COMMIT (the trigger's UPDATE)
    PGconn *holder = PQconnectdb (fx.dsn);
    assert_int_equal (PQstatus (holder), CONNECTION_OK);
    PGresult *res = PQexec (holder, "BEGIN; SELECT 1 FROM guarantee.budget "
                                    "FOR UPDATE");
    assert_int_equal (PQresultStatus (res), PGRES_TUPLES_OK);
    PQclear (res);
    pthread_t threads [2];
    for (int i = 0; i < 2; i++)
        assert_int_equal (pthread_create (&threads [i], NULL, s_short_payer,
                                          &payers [i]),
                          0);
    int64_t waiting = 0;
    for (int wait = 0; wait < 1000 && waiting < 2; wait++) {
        usleep (10000);
        waiting = gfx_count (&fx, "SELECT count (*) FROM pg_stat_activity"
                                  " WHERE datname = current_database ()"
                                  " AND wait_event_type = 'Lock'");
    }
    assert_int_equal (waiting, 2);
    res = PQexec (holder, "COMMIT");
    assert_int_equal (PQresultStatus (res), PGRES_COMMAND_OK);
    PQclear (res);
    PQfinish (holder);
    for (int i = 0; i < 2; i++)
        assert_int_equal (pthread_join (threads [i], NULL), 0);

    //  One paid, one queued after its commit failed
    assert_int_equal (payers [0].code, KJ__CODE__OK);
    assert_int_equal (payers [1].code, KJ__CODE__OK);
    int paid = streq (payers [0].state, "PAID") ? 0 : 1;
    assert_string_equal (payers [paid].state, "PAID");
    assert_string_equal (payers [1 - paid].state, "QUEUED");
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM payment"), 1);
    assert_int_equal (gfx_count (&fx, "SELECT remaining_fen FROM budget"),
                      200000);
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM ledger_txn"), 2);
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM kj_outbox"
                                      " WHERE topic = 'guarantee.claim.paid'"),
                      1);
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM kj_outbox WHERE"
                                      " topic = 'guarantee.claim.queued'"),
                      1);
    Kj__LedgerReport *report = gfx_ledger (&fx);
    assert_int_equal (report->transactions, 2);
    kj__ledger_report__free_unpacked (report, NULL);
    //  The queued one's worker ran it again after the failed commit
    char *log = zsys_sprintf ("%s/kejin-guarantee.log", kj_test_tmpdir ());
    FILE *file = fopen (log, "r");
    assert_non_null (file);
    char line [1024];
    int retries = 0;
    while (fgets (line, sizeof line, file))
        retries += strstr (line, "worker.retry_transaction method=PayClaim")
                != NULL;
    fclose (file);
    zstr_free (&log);
    assert_true (retries >= 1);
    gfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  The schema's backstops behind a payment, written straight to the
//  database: a payment of a year with no budget, an entry of no ledger
//  transaction and an unbalanced transaction fail their commit; budgets,
//  payments and the ledger are never deleted or edited (the checks of
//  006_fewer_fk_checks.sql that replaced a foreign key, and the keys kept)

//  The SQLSTATE of one statement run alone on its own connection, "" when
//  it succeeded; "added" when refused by the append-only triggers (not by
//  a privilege the role lacks)
static void
s_sqlstate (gfx_t *fx, const char *sql, char *state)
{
    PGconn *conn = PQconnectdb (fx->dsn);
    assert_int_equal (PQstatus (conn), CONNECTION_OK);
    PQclear (PQexec (conn, "SET search_path = guarantee"));
    PGresult *res = PQexec (conn, sql);
    const char *code = PQresultErrorField (res, PG_DIAG_SQLSTATE);
    const char *message = PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY);
    bool added = message && strstr (message, "only ever added");
    snprintf (state, 6, "%s", added ? "added" : code ? code : "");
    PQclear (res);
    PQfinish (conn);
}

static void
test_schema_backstops (void **state)
{
    gfx_t fx;
    gfx_start (&fx, 1, "guarantee/budget_guard=commit");
    gfx_parties (&fx);
    gfx_allot (&fx, fx.year, 10000000);
    int64_t paid = gfx_claim (&fx, 1000000, 2, true);
    int64_t other = gfx_claim (&fx, 1000000, 2, true);
    s_pay (&fx, paid);
    char sql [512], code [6];
    const char *refused [][2] = {
        //  a payment of a year with no budget, taken at commit or not
        { "INSERT INTO payment (claim_id, year, guarantor_id, amount_fen,"
          " paid_by, take_at_commit) VALUES (%" PRId64 ", 2099, 'G1', 1,"
          " 'x', true)",
          "23503" },
        { "INSERT INTO payment (claim_id, year, guarantor_id, amount_fen,"
          " paid_by) VALUES (%" PRId64 ", 2099, 'G1', 1, 'x')",
          "23503" },
        //  an entry of no transaction; a transaction that does not balance
        { "INSERT INTO ledger_entry (txn_id, account, debit_fen, credit_fen)"
          " VALUES (%" PRId64 " + 1000000, 'x', 1, 0)",
          "23503" },
        { "WITH t AS (INSERT INTO ledger_txn (kind, claim_id) VALUES ('pay',"
          " %" PRId64 ") RETURNING id) INSERT INTO ledger_entry (txn_id,"
          " account, debit_fen, credit_fen) SELECT id, 'x', 1, 0 FROM t",
          "23514" },
        //  rows only ever added
        { "DELETE FROM budget WHERE year > %" PRId64, "added" },
        { "UPDATE budget SET year = 2099 WHERE year > %" PRId64, "added" },
        { "UPDATE payment SET amount_fen = 1 WHERE claim_id = %" PRId64,
          "added" },
        { "DELETE FROM payment WHERE claim_id = %" PRId64, "added" },
        { "UPDATE ledger_entry SET debit_fen = debit_fen WHERE id > %" PRId64,
          "added" },
        { "DELETE FROM ledger_txn WHERE id > %" PRId64, "added" },
        { "TRUNCATE ledger_entry, ledger_txn, payment, budget CASCADE"
          " -- %" PRId64,
          "added" }
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused [0]; i++) {
        snprintf (sql, sizeof sql, refused [i][0], i < 4 ? other : 0);
        s_sqlstate (&fx, sql, code);
        if (!streq (code, refused [i][1]))
            fail_msg ("%s: SQLSTATE '%s', expected %s", sql, code,
                      refused [i][1]);
    }
    //  Nothing moved: the one payment, its ledger, the budget left
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM payment"), 1);
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM ledger_txn"), 2);
    assert_int_equal (gfx_count (&fx, "SELECT remaining_fen FROM budget"),
                      9600000);
    Kj__LedgerReport *report = gfx_ledger (&fx);
    assert_true (report->balanced);
    kj__ledger_report__free_unpacked (report, NULL);
    //  A payment of a year with a budget is still taken at commit
    s_pay (&fx, other);
    assert_int_equal (gfx_count (&fx, "SELECT remaining_fen FROM budget"),
                      9200000);
    gfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  Under the commit guard a payment's writes go with the worker's audit
//  row, key row and COMMIT, and the key's BEGIN, lock and look-up with the
//  claim's reads: two round trips a payment (three before session 28),
//  read from the daemon's debug log (worker.write). A write that fails
//  there fails the COMMIT, and nothing of the call stays: here the
//  payment's row, refused by UNIQUE (claim_id) because one was written
//  straight into the schema, leaves the claim APPROVED, no ledger
//  transaction, no event, no key, the budget as it was.

static void
test_commit_guard_writes_go_with_commit (void **state)
{
    gfx_t fx;
    gfx_start (&fx, 1, "log/level=debug");  //  the commit guard: the default
    gfx_parties (&fx);
    gfx_allot (&fx, fx.year, 10000000);
    //  Six payments: each of the three workers' connections prepares its
    //  statements at its first (a round trip each), so at least one
    //  payment runs on a connection that has them
    for (int i = 0; i < 6; i++)
        s_pay (&fx, gfx_claim (&fx, 1000000, 2, true));
    int64_t second = gfx_claim (&fx, 1000000, 2, true);
    assert_int_equal (gfx_count (&fx, "SELECT remaining_fen FROM budget"),
                      7600000);
    char *log = zsys_sprintf ("%s/kejin-guarantee.log", kj_test_tmpdir ());
    FILE *file = fopen (log, "r");
    assert_non_null (file);
    char line [1024];
    int writes = 0, fewest = 0;
    while (fgets (line, sizeof line, file)) {
        const char *at = strstr (line, "worker.write method=PayClaim ");
        if (!at)
            continue;
        long trips [3] = { -1, -1, -1 };
        const char *names [] = { " claim_trips=", " handler_trips=",
                                 " commit_trips=" };
        for (int i = 0; i < 3; i++) {
            const char *field = strstr (at, names [i]);
            assert_non_null (field);
            trips [i] = atol (field + strlen (names [i]));
        }
        assert_true (trips [1] >= 1 && trips [2] >= 1);
        //  None of the key's own (BEGIN, its lock and look-up go with the
        //  reads); the reads; the writes with COMMIT
        fewest += trips [0] == 0 && trips [1] == 1 && trips [2] == 1;
        writes++;
    }
    fclose (file);
    zstr_free (&log);
    assert_int_equal (writes, 6);
    assert_true (fewest >= 1);

    //  A payment of the second claim already there: the call's writes
    //  fail at its COMMIT
    char id [24];
    snprintf (id, sizeof id, "%" PRId64, second);
    assert_int_equal (kj_db_run (fx.db,
                                 "INSERT INTO payment (claim_id, year,"
                                 " guarantor_id, amount_fen, paid_by)"
                                 " SELECT id, budget_year, guarantor_id, 1,"
                                 " 'test' FROM claim WHERE id = $1::bigint",
                                 1, (const char *[]){ id }),
                      1);
    Kj__ClaimPayRequest pay = KJ__CLAIM_PAY_REQUEST__INIT;
    pay.claim_id = second;
    Kj__Claim *paid = NULL;
    kj_status_t status;
    int code = gfx_call (fx.carol, "PayClaim", &pay, &kj__claim__descriptor,
                         &paid, &status, "pay-second");
    assert_int_equal (code, KJ__CODE__ALREADY_EXISTS);
    assert_null (paid);
    assert_int_equal (kj_db_run (fx.db,
                                 "SELECT 1 FROM claim WHERE id = $1::bigint"
                                 " AND state = 'APPROVED' AND paid_fen = 0",
                                 1, (const char *[]){ id }),
                      1);
    assert_int_equal (kj_db_run (fx.db,
                                 "SELECT 1 FROM ledger_txn"
                                 " WHERE claim_id = $1::bigint",
                                 1, (const char *[]){ id }),
                      0);
    assert_int_equal (kj_db_run (fx.db,
                                 "SELECT 1 FROM kj_outbox WHERE key = $1"
                                 " AND topic = 'guarantee.claim.paid'",
                                 1, (const char *[]){ id }),
                      0);
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM kj_idempotency"
                                      " WHERE key = 'pay-second'"),
                      0);
    assert_int_equal (gfx_count (&fx, "SELECT remaining_fen FROM budget"),
                      7600000);
    gfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  A replay answers the first reply, byte for byte, whatever the handler
//  does when it runs again (since session 28 it runs: the key's look-up
//  goes in its first round trip, and its transaction is rolled back): a
//  PayClaim replayed fails "already paid" inside, an AllotBudget replayed
//  would allot again; the same key with another request is refused, also
//  when that request's handler refuses it before any statement or would
//  succeed, and nothing of it stays.

//  The call's reply packed, for a comparison byte for byte (free it)
static uint8_t *
s_packed (const ProtobufCMessage *message, size_t *size)
{
    *size = protobuf_c_message_get_packed_size (message);
    uint8_t *bytes = malloc (*size + 1);
    assert_non_null (bytes);
    protobuf_c_message_pack (message, bytes);
    return bytes;
}

//  Call method with key twice: both succeed with the same bytes
static void
s_twice (gfx_t *fx, const char *method, const void *request,
         const ProtobufCMessageDescriptor *type, const char *key)
{
    ProtobufCMessage *reply [2] = { NULL, NULL };
    uint8_t *bytes [2];
    size_t size [2];
    kj_status_t status;
    for (int i = 0; i < 2; i++) {
        assert_int_equal (gfx_call (fx->carol, method, request, type,
                                    &reply [i], &status, key),
                          KJ__CODE__OK);
        bytes [i] = s_packed (reply [i], &size [i]);
    }
    assert_int_equal (size [0], size [1]);
    assert_memory_equal (bytes [0], bytes [1], size [0]);
    for (int i = 0; i < 2; i++) {
        free (bytes [i]);
        protobuf_c_message_free_unpacked (reply [i], NULL);
    }
}

static void
test_replays_answer_the_first_reply (void **state)
{
    gfx_t fx;
    gfx_start (&fx, 1, NULL);
    gfx_parties (&fx);
    gfx_allot (&fx, fx.year, 10000000);
    int64_t claim = gfx_claim (&fx, 1000000, 2, true);
    Kj__ClaimPayRequest pay = KJ__CLAIM_PAY_REQUEST__INIT;
    pay.claim_id = claim;
    s_twice (&fx, "PayClaim", &pay, &kj__claim__descriptor, "pay-replay");
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM payment"), 1);
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM kj_outbox"
                                      " WHERE topic = 'guarantee.claim.paid'"),
                      1);
    assert_int_equal (gfx_count (&fx, "SELECT remaining_fen FROM budget"),
                      9600000);

    Kj__BudgetAllotRequest allot = KJ__BUDGET_ALLOT_REQUEST__INIT;
    allot.year = fx.year + 1;
    allot.amount_fen = 500000;
    s_twice (&fx, "AllotBudget", &allot, &kj__budget__descriptor,
             "allot-replay");
    char sql [128];
    snprintf (sql, sizeof sql, "SELECT total_fen FROM budget WHERE year = %d",
              fx.year + 1);
    assert_int_equal (gfx_count (&fx, sql), 500000);

    //  The key with another request that would succeed: refused, and its
    //  allotment rolled back
    kj_status_t status;
    allot.amount_fen = 700000;
    assert_int_equal (gfx_call (fx.carol, "AllotBudget", &allot,
                                &kj__budget__descriptor, NULL, &status,
                                "allot-replay"),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_string_equal (status.field, "idempotency_key");
    assert_string_equal (status.message,
                         "idempotency key 'allot-replay' was already used "
                         "for another request (AllotBudget); use a new key");
    assert_int_equal (gfx_count (&fx, sql), 500000);
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM kj_outbox WHERE"
                                      " topic = 'guarantee.budget.allotted'"),
                      2);

    //  ... and with one its handler refuses before any statement: the
    //  key's refusal, not the handler's
    pay.claim_id = -1;
    assert_int_equal (gfx_call (fx.carol, "PayClaim", &pay,
                                &kj__claim__descriptor, NULL, &status,
                                "pay-replay"),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_string_equal (status.field, "idempotency_key");
    assert_string_equal (status.message,
                         "idempotency key 'pay-replay' was already used "
                         "for another request (PayClaim); use a new key");
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM kj_idempotency"
                                      " WHERE key IN ('pay-replay',"
                                      " 'allot-replay')"),
                      2);
    gfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  The queue ahead of a payment is read through claim_queue whatever the
//  statistics say. Planned (as the worker's prepared statement is, once
//  generic) on statistics taken before any claim queued, PostgreSQL took
//  claim_state for it: every payment then read every QUEUED claim of every
//  year. Here 2,000 of 4,000 claims are queued for next year after the
//  ANALYZE (autovacuum off for the table, so the statistics stay so).

static void
test_queue_read_through_its_index (void **state)
{
    gfx_t fx;
    gfx_start (&fx, 1, NULL);
    gfx_parties (&fx);
    const kj_db_query_t steps [] = {
        { "ALTER TABLE claim SET (autovacuum_enabled = false)", 0, NULL },
        { "INSERT INTO guarantee (loan_id, guarantor_id, enterprise,"
          " product_category, amount_fen, loan_date, qualifies, reason, state)"
          " SELECT 'Q' || i, 'G1', 'E' || i, '创业类', 10000000, '2026-01-01',"
          " false, 'test', 'DAICHANG_PAID' FROM generate_series (1, 4000) i",
          0, NULL },
        { "INSERT INTO daichang (loan_id, amount_fen, paid_on, guarantor_fen)"
          " SELECT loan_id, 1000000, '2026-06-30', 1000000 FROM guarantee"
          " WHERE loan_id LIKE 'Q%'",
          0, NULL },
        { "INSERT INTO claim (daichang_id, loan_id, guarantor_id, state,"
          " daichang_fen, rate_bp, entitled_fen, payable_fen, binding,"
          " budget_year, submitted_by, city_due, approved_by, approved_at)"
          " SELECT id, loan_id, 'G1', 'APPROVED', 1000000, 4000, 400000,"
          " 400000, 'rate', extract (year FROM current_date)::int, 'alice',"
          " current_date, 'carol', now () FROM daichang",
          0, NULL },
        { "ANALYZE claim", 0, NULL },
        { "UPDATE claim SET state = 'QUEUED', budget_year = budget_year + 1,"
          " queued_at = now () WHERE id % 2 = 0",
          0, NULL },
        //  As the worker's statement once PostgreSQL keeps a generic plan
        { "SET plan_cache_mode = force_generic_plan", 0, NULL },
        { "PREPARE ahead (bigint) AS " GUARANTEE_PAY_AHEAD_SQL, 0, NULL }
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps [0]; i++) {
        int64_t rows = kj_db_run (fx.db, steps [i].sql, steps [i].nparams,
                                  steps [i].params);
        if (rows < 0)
            fprintf (stderr, "%s: %s\n", steps [i].sql, kj_db_error (fx.db));
        assert_true (rows >= 0);
    }
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM claim"
                                      " WHERE state = 'QUEUED'"),
                      2000);
    PGresult *res = kj_db_exec (fx.db, "EXPLAIN EXECUTE ahead (1)", 0, NULL);
    assert_non_null (res);
    bool queue = false, by_state = false;
    for (int row = 0; row < PQntuples (res); row++) {
        const char *line = PQgetvalue (res, row, 0);
        queue |= strstr (line, "claim_queue") != NULL;
        by_state |= strstr (line, "claim_state") != NULL;
    }
    PQclear (res);
    assert_false (by_state);
    assert_true (queue);
    gfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  The guarantor's yearly cap left is read from the running total the
//  schema keeps (guarantor_paid, sql/008_guarantor_paid.sql), not summed
//  over its payments: the cap still binds, the total is what was paid, a
//  payment written straight into the schema counts too, and LedgerCheck
//  names a total that disagrees with the payments.

static void
test_guarantor_cap_from_running_total (void **state)
{
    gfx_t fx;
    gfx_start (&fx, 1, NULL);
    gfx_parties (&fx);
    gfx_allot (&fx, fx.year, 100000000);
    assert_true (kj_db_run (fx.db,
                            "UPDATE guarantor SET yearly_cap_fen = 700000"
                            " WHERE id = 'G1'",
                            0, NULL)
                 == 1);
    int64_t ids [3];
    for (int i = 0; i < 3; i++)
        ids [i] = gfx_claim (&fx, 1000000, 2, true);  //  entitled 400,000
    Kj__ClaimPayRequest pay = KJ__CLAIM_PAY_REQUEST__INIT;
    const int64_t expected [] = { 400000, 300000 };
    for (int i = 0; i < 2; i++) {
        pay.claim_id = ids [i];
        Kj__Claim *paid = gfx_ok (fx.carol, "PayClaim", &pay,
                                  &kj__claim__descriptor);
        assert_string_equal (paid->state, "PAID");
        assert_int_equal (paid->paid_fen, expected [i]);
        kj__claim__free_unpacked (paid, NULL);
    }
    //  The cap is used up: the third has nothing to pay
    pay.claim_id = ids [2];
    kj_status_t status;
    Kj__Claim *none = NULL;
    assert_int_equal (gfx_call (fx.carol, "PayClaim", &pay,
                                &kj__claim__descriptor, &none, &status, NULL),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_string_equal (status.field, "claim_id");
    assert_non_null (strstr (status.message, "has 0 fen of its"));
    char sql [160];
    snprintf (sql, sizeof sql,
              "SELECT paid_fen FROM guarantor_paid WHERE guarantor_id = 'G1'"
              " AND year = %d",
              fx.year);
    assert_int_equal (gfx_count (&fx, sql), 700000);
    kj__ledger_report__free_unpacked (gfx_ledger (&fx), NULL);

    //  A payment of last year written straight into the schema (as an
    //  import would): its own total
    assert_true (kj_db_run (fx.db,
                            "INSERT INTO budget (year, total_fen,"
                            " remaining_fen) VALUES (2020, 0, 0)",
                            0, NULL)
                 == 1);
    char id [24];
    snprintf (id, sizeof id, "%" PRId64, ids [2]);
    assert_true (kj_db_run (fx.db,
                            "INSERT INTO payment (claim_id, year,"
                            " guarantor_id, amount_fen, paid_by)"
                            " VALUES ($1::bigint, 2020, 'G1', 250000, 'carol')",
                            1, (const char *[]){ id })
                 == 1);
    assert_int_equal (gfx_count (&fx, "SELECT paid_fen FROM guarantor_paid"
                                      " WHERE guarantor_id = 'G1'"
                                      " AND year = 2020"),
                      250000);
    snprintf (sql, sizeof sql,
              "SELECT paid_fen FROM guarantor_paid WHERE guarantor_id = 'G1'"
              " AND year = %d",
              fx.year);
    assert_int_equal (gfx_count (&fx, sql), 700000);

    //  A total that disagrees with the payments is named
    assert_true (kj_db_run (fx.db,
                            "UPDATE guarantor_paid SET paid_fen = 1"
                            " WHERE year <> 2020",
                            0, NULL)
                 == 1);
    Kj__LedgerCheckRequest check = KJ__LEDGER_CHECK_REQUEST__INIT;
    Kj__LedgerReport *report = gfx_ok (fx.alice, "LedgerCheck", &check,
                                       &kj__ledger_report__descriptor);
    assert_false (report->balanced);
    snprintf (sql, sizeof sql,
              "guarantor G1: paid ¥7,000.00 in %d, running "
              "total ¥0.01",
              fx.year);
    int named = 0;
    for (size_t i = 0; i < report->n_problems; i++) {
        named += streq (report->problems [i], sql);
        //  the payment written straight in agrees with its total
        assert_null (strstr (report->problems [i], "in 2020, running"));
    }
    assert_int_equal (named, 1);
    kj__ledger_report__free_unpacked (report, NULL);
    gfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  The claim's CHECKs, one function since sql/009_claim_checks.sql: each
//  condition still refuses a row written straight into the schema
//  (23514), claim_four_eyes by its name, and a row that keeps them all
//  passes.

static void
test_claim_checks (void **state)
{
    gfx_t fx;
    gfx_start (&fx, 1, NULL);
    gfx_parties (&fx);
    //  APPROVED: 代偿 1,000,000, rate 40%, entitled 400,000, nothing paid
    int64_t id = gfx_claim (&fx, 1000000, 2, true);
    const char *refused [] = { "state = 'LOST'",
                               "daichang_fen = 0",
                               "rate_bp = -1",
                               "rate_bp = 4001",
                               "entitled_fen = -1",
                               "payable_fen = -1",
                               "paid_fen = -1",
                               "paid_fen = 400001",
                               "entitled_fen = 1000001",
                               "recovered_fen = -1",
                               "recovered_fen = 1000001",
                               "refunded_fen = -1",
                               "refunded_fen = 1",
                               "approved_by = submitted_by" };
    char sql [160], code [8];
    for (size_t i = 0; i < sizeof refused / sizeof refused [0]; i++) {
        snprintf (sql, sizeof sql, "UPDATE claim SET %s WHERE id = %" PRId64,
                  refused [i], id);
        s_sqlstate (&fx, sql, code);
        if (!streq (code, "23514"))
            fail_msg ("%s: SQLSTATE '%s', expected 23514", sql, code);
    }
    //  The four eyes' refusal names its constraint
    snprintf (sql, sizeof sql,
              "UPDATE claim SET approved_by = submitted_by WHERE id = %" PRId64,
              id);
    PGconn *conn = PQconnectdb (fx.dsn);
    assert_int_equal (PQstatus (conn), CONNECTION_OK);
    PQclear (PQexec (conn, "SET search_path = guarantee"));
    PGresult *res = PQexec (conn, sql);
    const char *name = PQresultErrorField (res, PG_DIAG_CONSTRAINT_NAME);
    assert_non_null (name);
    assert_string_equal (name, "claim_four_eyes");
    PQclear (res);
    PQfinish (conn);
    //  At the edges, every condition kept
    snprintf (sql, sizeof sql,
              "UPDATE claim SET state = 'PAID', paid_fen = 400000,"
              " refunded_fen = 400000, recovered_fen = 1000000, rate_bp = 0,"
              " payable_fen = 0 WHERE id = %" PRId64,
              id);
    s_sqlstate (&fx, sql, code);
    assert_string_equal (code, "");
    gfx_stop (&fx);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_m1_budget_under_contention_and_crash),
        cmocka_unit_test (test_m1_commit_guard),
        cmocka_unit_test (test_m1_lock_guard),
        cmocka_unit_test (test_m1_update_guard),
        cmocka_unit_test (test_slices_folded_back),
        cmocka_unit_test (test_m3_two_approvers_at_once),
        cmocka_unit_test (test_commit_guard_short_at_commit),
        cmocka_unit_test (test_schema_backstops),
        cmocka_unit_test (test_commit_guard_writes_go_with_commit),
        cmocka_unit_test (test_replays_answer_the_first_reply),
        cmocka_unit_test (test_queue_read_through_its_index),
        cmocka_unit_test (test_guarantor_cap_from_running_total),
        cmocka_unit_test (test_claim_checks),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
