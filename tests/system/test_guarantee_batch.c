/*  =========================================================================
    test_guarantee_batch - PayClaims that reach a worker together, paid in
    one transaction (common/kj_worker_batch.c, guarantee_pay_batch.c;
    docs/rules/guarantee.md, "PayClaims together")

    Each test makes a batch for certain: one worker, and the test's own
    session holds the lock of a claim (the lock every payer of that claim
    takes first), so the worker waits in the first PayClaim while the
    others reach it and wait behind it in its socket; when the test lets
    go, the worker takes them all in one batch. What a batch answers must
    be what the calls alone, one after the other in the order of their
    claims' ids, would have answered.
    =========================================================================
*/

#include <pthread.h>
#include "guarantee_fixture.h"

#define PAYERS 10

typedef struct {
    const char *endpoint;
    int64_t claim;
    char key [64];
    int code;
    char state [16];
    int64_t paid_fen;
    int budget_year;
    char reason [256];
} s_payer_t;

static void *
s_payer (void *arg)
{
    s_payer_t *self = (s_payer_t *) arg;
    kj_client_t *client = kj_client_new (self->endpoint);
    kj_client_set_caller (client, "carol");
    Kj__ClaimPayRequest pay = KJ__CLAIM_PAY_REQUEST__INIT;
    pay.claim_id = self->claim;
    kj_call_opts_t opts = { .idempotency_key = self->key,
                            .timeout_ms = 2000,
                            .retries = -1 };
    Kj__Claim *claim = NULL;
    kj_status_t status;
    for (int attempt = 0; attempt < 30; attempt++) {
        self->code = kj_client_call (client, "guarantee", "PayClaim", &pay.base,
                                     &kj__claim__descriptor,
                                     (ProtobufCMessage **) &claim, &status,
                                     &opts);
        if (self->code != KJ__CODE__DEADLINE_EXCEEDED
            && self->code != KJ__CODE__UNAVAILABLE)
            break;  //  the same key again until it is answered
    }
    if (claim) {
        kj_strlcpy (self->state, claim->state, sizeof self->state);
        self->paid_fen = claim->paid_fen;
        self->budget_year = claim->budget_year;
        kj_strlcpy (self->reason, claim->reason, sizeof self->reason);
        kj__claim__free_unpacked (claim, NULL);
    }
    else
        kj_strlcpy (self->reason, status.message, sizeof self->reason);
    kj_client_destroy (&client);
    return NULL;
}

//  Hold (or let go of) the lock every payer of `claim` takes first
static void
s_hold (gfx_t *fx, int64_t claim, bool hold)
{
    char id [24];
    snprintf (id, sizeof id, "%" PRId64, claim);
    PGresult
        *res = kj_db_exec (fx->db,
                           hold ? "SELECT pg_advisory_lock (" KJ_LOCK_ENTITY
                                  ", hashtext ('guarantee.claim:' || $1))"
                                : "SELECT pg_advisory_unlock (" KJ_LOCK_ENTITY
                                  ", hashtext "
                                  "('guarantee.claim:' || $1))",
                           1, (const char *[]){ id });
    assert_non_null (res);
    PQclear (res);
}

//  Start n payers, payers [i] paying claims [i] under keys [i] (NULL:
//  "PREFIX-i"), while the test holds claims [0]'s lock: the payer of
//  claims [0] is sent first and waits for it in the worker, the others
//  reach the worker meanwhile and wait behind it in its socket
static void
s_send (gfx_t *fx, const int64_t *claims, const char *const *keys,
        const char *prefix, int n, s_payer_t *payers, pthread_t *threads)
{
    for (int i = 0; i < n; i++) {
        payers [i] = (s_payer_t){ .endpoint = fx->broker.endpoint,
                                  .claim = claims [i] };
        if (keys)
            kj_strlcpy (payers [i].key, keys [i], sizeof payers [i].key);
        else
            snprintf (payers [i].key, sizeof payers [i].key, "%s-%d", prefix,
                      i);
        assert_int_equal (pthread_create (&threads [i], NULL, s_payer,
                                          &payers [i]),
                          0);
        if (i == 0)
            usleep (300 * 1000);  //  the first waits in the worker
    }
    usleep (700 * 1000);  //  the others wait behind it
}

//  ... then let go of claims [0], and wait for every answer
static void
s_pay_together (gfx_t *fx, const int64_t *claims, const char *const *keys,
                const char *prefix, int n, s_payer_t *payers)
{
    pthread_t threads [PAYERS];
    s_hold (fx, claims [0], true);
    s_send (fx, claims, keys, prefix, n, payers, threads);
    s_hold (fx, claims [0], false);
    for (int i = 0; i < n; i++)
        assert_int_equal (pthread_join (threads [i], NULL), 0);
}

//  The daemon's batches so far (its lines of the test's log): how many
//  calls the largest did, and how many batches failed at their COMMIT
static int
s_batches (gfx_t *fx, int *failed)
{
    char pid [32];
    snprintf (pid, sizeof pid, "kejin-guarantee[%d]", (int) fx->daemon [0]);
    char *log = zsys_sprintf ("%s/kejin-guarantee.log", kj_test_tmpdir ());
    FILE *file = fopen (log, "r");
    assert_non_null (file);
    char line [1024];
    int largest = 0;
    *failed = 0;
    while (fgets (line, sizeof line, file)) {
        if (!strstr (line, pid))
            continue;
        const char *at = strstr (line, "worker.batch method=PayClaim ");
        const char *done = at ? strstr (at, " done=") : NULL;
        if (done && atoi (done + 6) > largest)
            largest = atoi (done + 6);
        *failed += strstr (line, "worker.batch_failed method=PayClaim") != NULL;
    }
    fclose (file);
    zstr_free (&log);
    return largest;
}

static int64_t
s_count (gfx_t *fx, const char *sql, int64_t claim)
{
    char id [24];
    snprintf (id, sizeof id, "%" PRId64, claim);
    PGresult *res = kj_db_exec (fx->db, sql, 1, (const char *[]){ id });
    assert_non_null (res);
    int64_t count = atoll (PQgetvalue (res, 0, 0));
    PQclear (res);
    return count;
}

//  Every payer but payers [refused] (-1: none) was told PAID, 400,000 fen;
//  the schema holds `payments` payments, and `paid` ledger transactions,
//  events "paid" and keys "PREFIX-..."
static void
s_expect_paid (gfx_t *fx, const s_payer_t *payers, int n, int refused,
               const char *prefix, int payments, int paid)
{
    for (int i = 0; i < n; i++) {
        if (i == refused)
            continue;
        assert_int_equal (payers [i].code, KJ__CODE__OK);
        assert_string_equal (payers [i].state, "PAID");
        assert_int_equal (payers [i].paid_fen, 400000);
    }
    assert_int_equal (gfx_count (fx, "SELECT count (*) FROM payment"),
                      payments);
    assert_int_equal (gfx_count (fx, "SELECT count (*) FROM ledger_txn"
                                     " WHERE kind = 'pay'"),
                      paid);
    assert_int_equal (gfx_count (fx, "SELECT count (*) FROM kj_outbox WHERE"
                                     " topic = 'guarantee.claim.paid'"),
                      paid);
    char sql [128];
    snprintf (sql, sizeof sql,
              "SELECT count (*) FROM kj_idempotency WHERE key LIKE '%s-%%'",
              prefix);
    assert_int_equal (gfx_count (fx, sql), paid);
}

//  A payment of 1 fen of `claim` written straight into the schema: 1, or
//  -1 when the database refused it
static int
s_pay_straight (gfx_t *fx, int64_t claim)
{
    char id [24];
    snprintf (id, sizeof id, "%" PRId64, claim);
    return kj_db_run (
        fx->db,
        "INSERT INTO payment (claim_id, year, guarantor_id,"
        " amount_fen, paid_by) SELECT id, budget_year,"
        " guarantor_id, 1, 'test' FROM claim WHERE id = $1::bigint",
        1, (const char *[]){ id });
}

//  One daemon with one worker, its debug log, a budget of `budget` fen
//  this year and n approved claims of 400,000 fen each
static void
s_start (gfx_t *fx, int64_t budget, int64_t *claims, int n)
{
    const char *options [] = { "log/level=debug", "guarantee/pay_batch=32",
                               NULL };
    gfx_start_with (fx, 1, 1, options);
    gfx_parties (fx);
    gfx_allot (fx, fx->year, budget);
    for (int i = 0; i < n; i++)
        claims [i] = gfx_claim (fx, 1000000, 2, true);
}

//  --------------------------------------------------------------------------
//  Ten claims of 400,000 fen together, a budget with 2,200,000 left after
//  the first: the batch pays the four lowest ids in full and queues the
//  other five, each told what a payment alone would have told it; one
//  payment, one ledger transaction and one event per claim paid, one event
//  per claim queued, every key stored

static void
test_batch_pays_as_alone (void **state)
{
    gfx_t fx;
    int64_t claims [PAYERS];
    s_start (&fx, 2200000, claims, PAYERS);
    s_payer_t payers [PAYERS];
    s_pay_together (&fx, claims, NULL, "together", PAYERS, payers);
    int failed;
    assert_true (s_batches (&fx, &failed) >= 2);
    assert_int_equal (failed, 0);
    for (int i = 0; i < PAYERS; i++) {
        assert_int_equal (payers [i].code, KJ__CODE__OK);
        if (i < 5) {
            assert_string_equal (payers [i].state, "PAID");
            assert_int_equal (payers [i].paid_fen, 400000);
            assert_int_equal (payers [i].budget_year, fx.year);
            assert_string_equal (payers [i].reason, "");
        }
        else {
            char reason [256];
            snprintf (reason, sizeof reason,
                      "the %d budget has 200000 fen left, the claim needs "
                      "400000; it waits for the %d budget",
                      fx.year, fx.year + 1);
            assert_string_equal (payers [i].state, "QUEUED");
            assert_int_equal (payers [i].paid_fen, 0);
            assert_int_equal (payers [i].budget_year, fx.year + 1);
            assert_string_equal (payers [i].reason, reason);
        }
        const char *topic = i < 5 ? "guarantee.claim.paid"
                                  : "guarantee.claim.queued";
        char sql [160];
        snprintf (sql, sizeof sql,
                  "SELECT count (*) FROM kj_outbox WHERE key = $1 AND topic"
                  " = '%s'",
                  topic);
        assert_int_equal (s_count (&fx, sql, claims [i]), 1);
        assert_int_equal (s_count (&fx,
                                   "SELECT count (*) FROM payment"
                                   " WHERE claim_id = $1::bigint",
                                   claims [i]),
                          i < 5);
        assert_int_equal (s_count (&fx,
                                   "SELECT count (*) FROM ledger_txn"
                                   " WHERE claim_id = $1::bigint",
                                   claims [i]),
                          i < 5);
    }
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM kj_idempotency"
                                      " WHERE key LIKE 'together-%'"),
                      PAYERS);
    assert_int_equal (gfx_count (&fx, "SELECT remaining_fen FROM budget_left"),
                      200000);
    assert_int_equal (gfx_count (&fx, "SELECT paid_fen FROM guarantor_paid"),
                      2000000);
    //  The audit trail has each call, with its claim
    assert_int_equal (gfx_count (&fx,
                                 "SELECT count (*) FROM guarantee_audit"
                                 ".trail WHERE method = 'PayClaim'"
                                 " AND code = 0 AND object LIKE 'claim %'"),
                      PAYERS);
    kj__ledger_report__free_unpacked (gfx_ledger (&fx), NULL);
    gfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  A batch whose COMMIT fails (a payment of one of its claims written
//  straight into the schema meanwhile: UNIQUE (claim_id)) answers none of
//  its calls: each runs again alone, the others are paid, that one is
//  refused as alone it is (ALREADY_EXISTS), nothing paid twice

static void
test_batch_commit_fails_runs_alone (void **state)
{
    gfx_t fx;
    int64_t claims [5];
    s_start (&fx, 100000000, claims, 5);
    assert_int_equal (s_pay_straight (&fx, claims [3]), 1);
    s_payer_t payers [5];
    s_pay_together (&fx, claims, NULL, "fails", 5, payers);
    int failed;
    s_batches (&fx, &failed);
    assert_int_equal (failed, 1);
    assert_int_equal (payers [3].code, KJ__CODE__ALREADY_EXISTS);
    s_expect_paid (&fx, payers, 5, 3, "fails", 5, 4);
    gfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  One key twice in a batch, and a key already answered: the later call
//  runs alone after the commit and is given the stored answer; a call of
//  another content under a used key is refused; each claim paid once

static void
test_batch_keys_answered_once (void **state)
{
    gfx_t fx;
    int64_t claims [4];
    s_start (&fx, 100000000, claims, 4);
    //  claims [3] was paid before, under the key "keys-3"
    Kj__ClaimPayRequest pay = KJ__CLAIM_PAY_REQUEST__INIT;
    pay.claim_id = claims [3];
    kj_status_t status;
    Kj__Claim *first = NULL;
    assert_int_equal (gfx_call (fx.carol, "PayClaim", &pay,
                                &kj__claim__descriptor, &first, &status,
                                "keys-3"),
                      KJ__CODE__OK);
    kj__claim__free_unpacked (first, NULL);
    //  Payers 1 and 2 send claims [1] under one key; payer 3 claims [3]
    //  again under its key; payer 4 claims [2] under the used key "keys-3"
    int64_t sent [5] = { claims [0], claims [1], claims [1], claims [3],
                         claims [2] };
    s_payer_t payers [5];
    const char *keys [] = { "keys-0", "keys-1", "keys-1", "keys-3", "keys-3" };
    s_pay_together (&fx, sent, keys, NULL, 5, payers);
    int failed;
    assert_true (s_batches (&fx, &failed) >= 1);
    for (int i = 0; i < 4; i++) {
        assert_int_equal (payers [i].code, KJ__CODE__OK);
        assert_string_equal (payers [i].state, "PAID");
        assert_int_equal (payers [i].paid_fen, 400000);
    }
    assert_int_equal (payers [4].code, KJ__CODE__FAILED_PRECONDITION);
    assert_non_null (strstr (payers [4].reason, "already used"));
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM payment"), 3);
    assert_int_equal (s_count (&fx,
                               "SELECT count (*) FROM claim WHERE id ="
                               " $1::bigint AND state = 'APPROVED'",
                               claims [2]),
                      1);
    gfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  Two claims of one guarantor in a batch, its yearly cap short of both:
//  the lower id is paid in full, the other what the cap leaves, as alone
//  one after the other; and the database refuses (40001) a payment
//  written straight into the schema that passes the cap

static void
test_batch_guarantor_cap (void **state)
{
    gfx_t fx;
    int64_t claims [3];
    s_start (&fx, 100000000, claims, 3);
    //  G1's cap: what the first two claims and 150,000 fen more take
    assert_int_equal (kj_db_run (fx.db,
                                 "UPDATE guarantor SET yearly_cap_fen ="
                                 " 950000 WHERE id = 'G1'",
                                 0, NULL),
                      1);
    s_payer_t payers [3];
    s_pay_together (&fx, claims, NULL, "cap", 3, payers);
    int failed;
    assert_true (s_batches (&fx, &failed) >= 2);
    assert_int_equal (failed, 0);
    int64_t told [] = { 400000, 400000, 150000 };
    for (int i = 0; i < 3; i++) {
        assert_int_equal (payers [i].code, KJ__CODE__OK);
        assert_string_equal (payers [i].state, "PAID");
        assert_int_equal (payers [i].paid_fen, told [i]);
    }
    assert_int_equal (gfx_count (&fx, "SELECT paid_fen FROM guarantor_paid"),
                      950000);
    //  The backstop: one fen more than the cap
    int64_t more = gfx_claim (&fx, 1000000, 2, true);
    assert_int_equal (s_pay_straight (&fx, more), -1);
    assert_string_equal (kj_db_sqlstate (fx.db), "40001");
    gfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  The daemon killed (-9) while a batch waits for one of its claims' locks:
//  nothing of it was committed; a new daemon takes the clients' retries
//  under the same keys, and each claim is paid once

static void
test_batch_killed_mid_batch (void **state)
{
    gfx_t fx;
    int64_t claims [6];
    s_start (&fx, 100000000, claims, 6);
    //  The first payer waits for claims [0]'s lock while the others reach
    //  the worker; then the test lets go of claims [0] but holds claims
    //  [2]: the batch of the others waits at its locks, and dies there
    s_hold (&fx, claims [0], true);
    s_hold (&fx, claims [2], true);
    s_payer_t payers [6];
    pthread_t threads [6];
    s_send (&fx, claims, NULL, "killed", 6, payers, threads);
    s_hold (&fx, claims [0], false);
    usleep (500 * 1000);
    assert_int_equal (kj_test_kill (fx.daemon [0], SIGKILL, 5000), 128 + 9);
    const char *extra [] = { "-s", "guarantee/relay=false",
                             "-s", "guarantee/follow_interval_s=0",
                             "-s", "guarantee/workers=1",
                             NULL };
    fx.daemon [0] = kj_daemon_start ("guarantee", &fx.broker, fx.dsn, extra);
    assert_true (fx.daemon [0] > 0);
    //  Nothing of the batch was committed: only the first payment
    assert_int_equal (gfx_count (&fx, "SELECT count (*) FROM payment"), 1);
    s_hold (&fx, claims [2], false);
    for (int i = 0; i < 6; i++)
        assert_int_equal (pthread_join (threads [i], NULL), 0);
    s_expect_paid (&fx, payers, 6, -1, "killed", 6, 6);
    kj__ledger_report__free_unpacked (gfx_ledger (&fx), NULL);
    gfx_stop (&fx);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_batch_pays_as_alone),
        cmocka_unit_test (test_batch_commit_fails_runs_alone),
        cmocka_unit_test (test_batch_keys_answered_once),
        cmocka_unit_test (test_batch_guarantor_cap),
        cmocka_unit_test (test_batch_killed_mid_batch),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
