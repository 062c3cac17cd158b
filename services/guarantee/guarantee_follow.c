/*  =========================================================================
    guarantee_follow - guarantees and default notices from matching's
    loan events

    Staff record that a guarantor backs an application (AddGuarantee with
    the application's id and neither amount nor loan date); the job
    "follow" reads matching.loan.disbursed and matching.loan.defaulted from
    the log with kj_subscriber: a disbursement makes the backed
    application's guarantee live with the disbursed amount and date, a
    default records a default notice. Each event is applied in one
    transaction with the follower's next offset (table follow), so a
    restart or kill -9 repeats nothing and loses nothing; two copies of the
    daemon take the offset row's lock and skip what the other applied. An
    event for an application no guarantor backs is counted in follow_skip
    and logged once per application. docs/rules/guarantee.md.
    =========================================================================
*/

#include "guarantee_server.h"
#include "kj_check.h"
#include "guarantee_store.h"
#include "kj_subscriber.h"
#include "matching.pb-c.h"

#define FOLLOW_STREAM  "matching.loan"
#define FOLLOW_POLL_MS 900

//  --------------------------------------------------------------------------
//  AddGuarantee for an application: the guarantor backs it; the guarantee
//  waits for the disbursement (state PENDING in the reply).

int
guarantee_follow_back (kj_call_t *call, const guarantee_policy_t *policy,
                       const Kj__GuaranteeAddRequest *in, const char *city,
                       ProtobufCMessage *reply)
{
    kj_status_t status;
    const char *caller = guarantee_server_caller (call);
    if (!caller)
        return -1;
    //  The reguarantee fee's cap depends on the amount, known at
    //  disbursement: checked then against the larger cap here
    if (kj_check_id (in->loan_id, "loan_id", &status)
        || kj_check_id (in->guarantor_id, "guarantor_id", &status)
        || (*in->agreement_id
            && kj_check_id (in->agreement_id, "agreement_id", &status))
        || kj_check_text (in->enterprise, "enterprise", 64, false, &status)
        || kj_check_text (in->product_category, "product_category", 50, true,
                          &status)
        || kj_check_text (in->city, "city", 64, false, &status)
        || guarantee_fees_check (policy, policy->balance_cap_fen,
                                 in->guarantee_fee_bp, in->reguarantee_fee_bp,
                                 &status))
        return kj_call_fail_status (call, &status);
    char fees [2][24];
    snprintf (fees [0], 24, "%d", in->guarantee_fee_bp);
    snprintf (fees [1], 24, "%d", in->reguarantee_fee_bp);
    PGresult *res = kj_db_exec (
        kj_call_db (call),
        "INSERT INTO backing (application_id, guarantor_id, agreement_id, "
        "product_category, guarantee_fee_bp, reguarantee_fee_bp, city, "
        "backed_by) SELECT $1, $2, $3, $4, $5::int, $6::int, $7, $8 "
        "WHERE NOT EXISTS (SELECT 1 FROM guarantee WHERE loan_id = $1) "
        "ON CONFLICT (application_id) DO NOTHING RETURNING 1",
        8,
        (const char *[]){ in->loan_id, in->guarantor_id, in->agreement_id,
                          in->product_category, fees [0], fees [1], city,
                          caller });
    if (!res)
        return kj_call_fail_db (call);
    int added = PQntuples (res);
    PQclear (res);
    if (!added)
        return kj_call_fail (call, KJ__CODE__ALREADY_EXISTS, "loan_id",
                             "loan_id: application %s is already backed or "
                             "guaranteed",
                             in->loan_id);
    Kj__LoanGuarantee *out = (Kj__LoanGuarantee *) reply;
    out->loan_id = (char *) in->loan_id;
    out->guarantor_id = (char *) in->guarantor_id;
    out->agreement_id = (char *) in->agreement_id;
    out->product_category = (char *) in->product_category;
    out->guarantee_fee_bp = in->guarantee_fee_bp;
    out->reguarantee_fee_bp = in->reguarantee_fee_bp;
    out->city = (char *) city;
    out->state = "PENDING";
    out->reason = "waits for matching.loan.disbursed";
    out->policy_version = (int32_t) policy->version;
    return guarantee_server_event (call, "guarantee.backing.added", in->loan_id,
                                   reply);
}

//  --------------------------------------------------------------------------
//  An event for an application no guarantor backs: counted; logged the
//  first time only. 0 or -1 (database).

static int
s_skip (kj_db_t *db, const char *topic, const char *id, const char *why)
{
    PGresult *res = kj_db_exec (
        db,
        "INSERT INTO follow_skip (application_id, events) VALUES ($1, 1) "
        "ON CONFLICT (application_id) DO UPDATE "
        "SET events = follow_skip.events + 1 RETURNING events",
        1, (const char *[]){ id });
    if (!res)
        return -1;
    if (atoll (PQgetvalue (res, 0, 0)) == 1)
        kj_info ("guarantee.follow", "%s for application %s skipped: %s", topic,
                 id, why);
    PQclear (res);
    return 0;
}

//  The UTC date of a time in microseconds, as YYYY-MM-DD.
static void
s_date (int64_t us, char date [11])
{
    kj_date_t day = kj_check_date_from_days (us / 86400000000LL);
    kj_check_date_format (day, date);
}

//  matching.loan.disbursed: the backed application's guarantee, live.
static int
s_disbursed (kj_db_t *db, const Kj__Application *a, int64_t at_us)
{
    PGresult *res = kj_db_exec (
        db,
        "SELECT guarantor_id, agreement_id, product_category, "
        "guarantee_fee_bp, reguarantee_fee_bp, city FROM backing "
        "WHERE application_id = $1 AND state = 'PENDING' FOR UPDATE",
        1, (const char *[]){ a->id });
    if (!res)
        return -1;
    if (PQntuples (res) == 0) {
        PQclear (res);
        return s_skip (db, "matching.loan.disbursed", a->id,
                       "no guarantor backs it");
    }
    char guarantor [128], agreement [128], category [128], city [65];
    char date [11];
    kj_strlcpy (guarantor, PQgetvalue (res, 0, 0), sizeof guarantor);
    kj_strlcpy (agreement, PQgetvalue (res, 0, 1), sizeof agreement);
    kj_strlcpy (category, PQgetvalue (res, 0, 2), sizeof category);
    kj_strlcpy (city, PQgetvalue (res, 0, 5), sizeof city);
    s_date (at_us, date);
    Kj__GuaranteeAddRequest in = KJ__GUARANTEE_ADD_REQUEST__INIT;
    in.loan_id = a->id;
    in.guarantor_id = guarantor;
    in.agreement_id = agreement;
    in.enterprise = a->enterprise_code;
    in.product_category = category;
    in.amount_fen = a->amount_fen;
    in.loan_date = date;
    in.guarantee_fee_bp = atoi (PQgetvalue (res, 0, 3));
    in.reguarantee_fee_bp = atoi (PQgetvalue (res, 0, 4));
    in.city = city;
    PQclear (res);

    guarantee_policy_t policy;
    kj_status_t status = { 0 };
    char reason [512] = "";
    Kj__LoanGuarantee out = KJ__LOAN_GUARANTEE__INIT;
    int rc = guarantee_store_policy_db (db, &policy);
    if (rc == -2)
        return -1;
    if (rc == -1)
        kj_status_set (&status, KJ__CODE__FAILED_PRECONDITION, NULL,
                       "no guarantee policy is recorded");
    else if (in.amount_fen <= 0 || in.amount_fen > policy.balance_cap_fen)
        kj_status_set (&status, KJ__CODE__OUT_OF_RANGE, "amount_fen",
                       "amount_fen: %" PRId64 " fen disbursed; a guarantee "
                       "is above 0 and at most %" PRId64 " fen",
                       in.amount_fen, policy.balance_cap_fen);
    else if (guarantee_fees_check (&policy, in.amount_fen, in.guarantee_fee_bp,
                                   in.reguarantee_fee_bp, &status)
             == 0) {
        rc = guarantee_parties_insert (db, &policy, &in, city, &out, reason,
                                       sizeof reason, &status);
        if (rc == -2)
            return -1;
        if (rc == 0)
            return kj_db_run (db,
                              "UPDATE backing SET state = 'LIVE', reason = $2 "
                              "WHERE application_id = $1",
                              2, (const char *[]){ a->id, reason })
                        == 1
                     ? 0
                     : -1;
    }
    //  A rule refuses it: the backing says why, and so does its event
    kj_warn ("guarantee.follow",
             "application %s disbursed, its guarantee "
             "refused: %s",
             a->id, status.message);
    if (kj_db_run (db,
                   "UPDATE backing SET state = 'REFUSED', reason = $2 "
                   "WHERE application_id = $1",
                   2, (const char *[]){ a->id, status.message })
        != 1)
        return -1;
    out.loan_id = a->id;
    out.guarantor_id = guarantor;
    out.agreement_id = agreement;
    out.enterprise = a->enterprise_code;
    out.product_category = category;
    out.amount_fen = a->amount_fen;
    out.loan_date = date;
    out.state = "REFUSED";
    out.reason = status.message;
    out.city = city;
    return kj_outbox_add (db, "guarantee.backing.refused", a->id, &out.base);
}

//  matching.loan.defaulted: a default notice for the loan's guarantee.
static int
s_defaulted (kj_db_t *db, const Kj__Application *a, uint64_t offset,
             int64_t at_us)
{
    char date [11], offset_text [24];
    s_date (at_us, date);
    snprintf (offset_text, sizeof offset_text, "%" PRIu64, offset);
    PGresult *res = kj_db_exec (
        db,
        "WITH n AS (INSERT INTO default_notice (loan_id, source, "
        "event_offset, noticed_on) SELECT loan_id, 'matching', $2::bigint, "
        "$3::date FROM guarantee WHERE loan_id = $1 RETURNING loan_id) "
        "SELECT g.guarantor_id, coalesce (g.agreement_id, ''), g.enterprise, "
        "g.product_category, g.amount_fen, g.loan_date::text, g.qualifies, "
        "g.state, g.city FROM guarantee g JOIN n USING (loan_id)",
        3, (const char *[]){ a->id, offset_text, date });
    if (!res)
        return -1;
    if (PQntuples (res) == 0) {
        PQclear (res);
        return s_skip (db, "matching.loan.defaulted", a->id,
                       "no guarantee of it");
    }
    Kj__LoanGuarantee out = KJ__LOAN_GUARANTEE__INIT;
    out.loan_id = a->id;
    out.guarantor_id = PQgetvalue (res, 0, 0);
    out.agreement_id = PQgetvalue (res, 0, 1);
    out.enterprise = PQgetvalue (res, 0, 2);
    out.product_category = PQgetvalue (res, 0, 3);
    out.amount_fen = atoll (PQgetvalue (res, 0, 4));
    out.loan_date = PQgetvalue (res, 0, 5);
    out.qualifies = streq (PQgetvalue (res, 0, 6), "t");
    out.state = PQgetvalue (res, 0, 7);
    out.city = PQgetvalue (res, 0, 8);
    char reason [80];
    snprintf (reason, sizeof reason, "default noticed on %s (event %s)", date,
              offset_text);
    out.reason = reason;
    int rc = kj_outbox_add (db, "guarantee.default.noticed", a->id, &out.base);
    PQclear (res);
    return rc;
}

//  --------------------------------------------------------------------------
//  One event, applied with the next offset in one transaction. Nonzero
//  stops the subscriber: the database failed, and the job starts again
//  from the stored offset.

struct _guarantee_follow_t {
    kj_subscriber_t *subscriber;
    guarantee_config_t *self;
    kj_db_t *db;  //  this run's connection
    int applied;  //  this run's events
    bool failed;
};
typedef struct _guarantee_follow_t s_follow_t;

static int
s_apply (const Kj__Envelope *event, void *arg)
{
    s_follow_t *follow = arg;
    kj_db_t *db = follow->db;
    char offset [24], next [24];
    snprintf (offset, sizeof offset, "%" PRIu64, event->offset);
    snprintf (next, sizeof next, "%" PRIu64, event->offset + 1);
    if (kj_db_begin (db))
        goto failed;
    PGresult *res = kj_db_exec (db,
                                "SELECT next_offset FROM follow "
                                "WHERE stream = $1 FOR UPDATE",
                                1, (const char *[]){ FOLLOW_STREAM });
    if (!res)
        goto failed;
    bool done = PQntuples (res) == 1
             && (uint64_t) atoll (PQgetvalue (res, 0, 0)) > event->offset;
    PQclear (res);
    if (done) {  //  another copy of the daemon applied it
        kj_db_rollback (db);
        return 0;
    }
    bool disbursed = streq (event->topic, "matching.loan.disbursed");
    bool defaulted = streq (event->topic, "matching.loan.defaulted");
    Kj__ApplicationChanged *changed = NULL;
    if (disbursed || defaulted) {
        changed = kj__application_changed__unpack (NULL, event->payload.len,
                                                   event->payload.data);
        if (!changed || !changed->application || !*changed->application->id) {
            kj_warn ("guarantee.follow",
                     "%s at offset %s: not an "
                     "ApplicationChanged with an application; skipped",
                     event->topic, offset);
            disbursed = defaulted = false;
        }
    }
    int rc = 0;
    if (disbursed || defaulted) {
        const Kj__Application *a = changed->application;
        int64_t at_us = a->updated_at_us > 0 ? a->updated_at_us
                                             : event->occurred_at_us;
        rc = disbursed ? s_disbursed (db, a, at_us)
                       : s_defaulted (db, a, event->offset, at_us);
    }
    if (changed)
        kj__application_changed__free_unpacked (changed, NULL);
    if (rc
        || kj_db_run (db,
                      "INSERT INTO follow (stream, next_offset) VALUES "
                      "($1, $2::bigint) ON CONFLICT (stream) DO UPDATE "
                      "SET next_offset = excluded.next_offset",
                      2, (const char *[]){ FOLLOW_STREAM, next })
               != 1
        || kj_db_commit (db))
        goto failed;
    follow->applied++;
    return 0;
failed:
    kj_warn ("guarantee.follow",
             "event %s not applied: %s; again from the "
             "stored offset",
             offset, kj_db_error (db));
    kj_db_rollback (db);
    follow->failed = true;
    return 1;
}

//  --------------------------------------------------------------------------
//  The job: (re)subscribe from the stored offset, apply what arrives for
//  about a second. What it applied, or -1 when the database failed.

int
guarantee_follow_run (void *state, kj_db_t *db)
{
    guarantee_config_t *self = state;
    s_follow_t *follow = self->follow;
    if (!follow) {
        PGresult *res = kj_db_exec (db,
                                    "SELECT next_offset FROM follow "
                                    "WHERE stream = $1",
                                    1, (const char *[]){ FOLLOW_STREAM });
        if (!res)
            return -1;
        uint64_t from = PQntuples (res) == 1
                          ? (uint64_t) atoll (PQgetvalue (res, 0, 0))
                          : 0;
        PQclear (res);
        follow = calloc (1, sizeof *follow);
        assert (follow);
        follow->self = self;
        kj_subscriber_config_t config = {
            .broker = self->broker,
            .pub_endpoint = self->pub,
            .prefixes = (const char *[]){ FOLLOW_STREAM ".", NULL },
            .from = from,
            .callback = s_apply,
            .arg = follow,
            .name = "guarantee.follow"
        };
        follow->subscriber = kj_subscriber_new (&config);
        if (!follow->subscriber) {
            free (follow);
            return -1;
        }
        self->follow = follow;
    }
    follow->db = db;
    follow->applied = 0;
    follow->failed = false;
    int64_t end = kj_mono_us () + FOLLOW_POLL_MS * 1000;
    int rc = 0;
    while (rc == 0 && !follow->failed && kj_mono_us () < end)
        rc = kj_subscriber_poll (follow->subscriber, 100);
    int applied = follow->applied;
    bool failed = follow->failed;
    if (rc < 0)
        kj_warn ("guarantee.follow", "matching's events: %s",
                 kj_subscriber_error (follow->subscriber));
    if (rc != 0 || failed)  //  again from the stored offset next time
        guarantee_follow_stop (self);
    return failed ? -1 : applied;
}

void
guarantee_follow_stop (guarantee_config_t *self)
{
    if (self && self->follow) {
        kj_subscriber_destroy (&self->follow->subscriber);
        free (self->follow);
        self->follow = NULL;
    }
}
