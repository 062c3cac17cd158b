/*  =========================================================================
    guarantee_parties - guarantors, risk-sharing agreements, guarantees
    per loan and 代偿 records of kejin-guarantee

    Checks every field (with the registry's field checks), then writes the
    row and its event in the call's transaction. Whether a guarantee
    qualifies for provincial compensation is decided once, when it is
    created, and the reason kept with it (docs/rules/guarantee.md).
    =========================================================================
*/

#include "guarantee_server.h"
#include "guarantee_claim.h"
#include "guarantee_store.h"
#include "kj_check.h"

//  The product category that qualifies (创业类: start-up loans)
#define GUARANTEE_CATEGORY_QUALIFIES "创业类"

//  --------------------------------------------------------------------------
//  AddGuarantor: a guarantee company, qualified for the scheme or not

int
guarantee_add_guarantor (kj_call_t *call, const ProtobufCMessage *request,
                         ProtobufCMessage *reply)
{
    const Kj__GuarantorAddRequest *in = (const Kj__GuarantorAddRequest *)
        request;
    kj_audit_object (call, "guarantor", in->id);
    kj_status_t status;
    if (kj_check_id (in->id, "id", &status)
        || kj_check_text (in->name, "name", 200, true, &status))
        return kj_call_fail_status (call, &status);
    if (in->yearly_cap_fen < 0)
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "yearly_cap_fen",
                             "yearly_cap_fen: %" PRId64 "; 0 or more",
                             in->yearly_cap_fen);
    char cap [24];
    snprintf (cap, sizeof cap, "%" PRId64, in->yearly_cap_fen);
    if (kj_db_lock_key (kj_call_db (call), "guarantee.guarantor", in->id))
        return kj_call_fail_db (call);
    int64_t rows = kj_db_run (
        kj_call_db (call),
        "INSERT INTO guarantor (id, name, qualified, yearly_cap_fen) "
        "VALUES ($1, $2, $3::boolean, $4::bigint) ON CONFLICT DO NOTHING",
        4,
        (const char *[]){ in->id, in->name, in->qualified ? "t" : "f", cap });
    if (rows < 0)
        return kj_call_fail_db (call);
    if (rows == 0)
        return kj_call_fail (call, KJ__CODE__ALREADY_EXISTS, "id",
                             "id: guarantor %s exists", in->id);
    Kj__Guarantor *out = (Kj__Guarantor *) reply;
    out->id = (char *) in->id;
    out->name = (char *) in->name;
    out->qualified = in->qualified;
    out->yearly_cap_fen = in->yearly_cap_fen;
    return guarantee_server_event (call, "guarantee.guarantor.added", in->id,
                                   reply);
}

//  --------------------------------------------------------------------------
//  The shares and rate of an agreement within the policy (the bank at
//  least 20%, the guarantee system at most 80%, together 100%, its
//  re-guarantee layers within it); the rate at most 40%.

static int
s_check_agreement (const guarantee_policy_t *policy,
                   const Kj__AgreementAddRequest *in, kj_status_t *status)
{
    if (kj_check_id (in->id, "id", status)
        || kj_check_id (in->guarantor_id, "guarantor_id", status)
        || kj_check_text (in->bank, "bank", 200, true, status))
        return -1;
    guarantee_shares_t shares = { .bank_bp = in->bank_share_bp,
                                  .system_bp = in->system_share_bp,
                                  .national_bp = in->national_share_bp,
                                  .provincial_bp = in->provincial_share_bp };
    if (guarantee_shares_check (policy, &shares, status))
        return -1;
    if (in->rate_bp < 0 || in->rate_bp > GUARANTEE_RATE_MAX_BP)
        return kj_status_set (status, KJ__CODE__OUT_OF_RANGE, "rate_bp",
                              "rate_bp: %d; the province compensates 0 to "
                              "4000 (40%%) of a 代偿",
                              in->rate_bp);
    if (in->per_claim_cap_fen < 0)
        return kj_status_set (status, KJ__CODE__OUT_OF_RANGE,
                              "per_claim_cap_fen",
                              "per_claim_cap_fen: %" PRId64 "; 0 or more",
                              in->per_claim_cap_fen);
    kj_date_t from, to;
    if (kj_check_date (in->valid_from, "valid_from", &from, status)
        || kj_check_date (in->valid_to, "valid_to", &to, status))
        return -1;
    if (kj_check_date_compare (from, to) > 0)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "valid_to",
                              "valid_to: %s is before valid_from %s",
                              in->valid_to, in->valid_from);
    return 0;
}

//  AddAgreement: a new agreement, or the next version of one

int
guarantee_add_agreement (kj_call_t *call, const ProtobufCMessage *request,
                         ProtobufCMessage *reply)
{
    const Kj__AgreementAddRequest *in = (const Kj__AgreementAddRequest *)
        request;
    kj_audit_object (call, "agreement", in->id);
    kj_status_t status;
    guarantee_policy_t policy;
    if (guarantee_store_policy (call, &policy, NULL))
        return -1;
    if (s_check_agreement (&policy, in, &status))
        return kj_call_fail_status (call, &status);
    kj_db_t *db = kj_call_db (call);
    if (kj_db_lock_key (db, "guarantee.agreement", in->id))
        return kj_call_fail_db (call);
    PGresult *res = kj_db_exec (
        db,
        "SELECT (SELECT count (*) FROM guarantor WHERE id = $2) AS guarantors,"
        "       (SELECT guarantor_id FROM agreement WHERE id = $1 LIMIT 1)"
        "        AS owner,"
        "       (SELECT coalesce (max (version), 0) + 1 FROM agreement"
        "        WHERE id = $1) AS version",
        2, (const char *[]){ in->id, in->guarantor_id });
    if (!res)
        return kj_call_fail_db (call);
    //  owner: NULL when the agreement is new
    int64_t guarantors;
    int version;
    const char *owner_text = kj_sql_text (res, 0, "owner");
    bool readable = kj_sql_int64 (res, 0, "guarantors", &guarantors) == 0
                 && kj_sql_int (res, 0, "version", &version) == 0;
    bool known = readable && guarantors == 1;
    bool other = owner_text && !streq (owner_text, in->guarantor_id);
    char *owner = kj_call_strdup (call, owner_text ? owner_text : "");
    PQclear (res);
    if (!readable)
        return guarantee_store_bad_row (call);
    if (!known)
        return kj_call_fail (call, KJ__CODE__NOT_FOUND, "guarantor_id",
                             "guarantor_id: no guarantor %s", in->guarantor_id);
    if (other)
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION,
                             "guarantor_id",
                             "guarantor_id: agreement %s is "
                             "guarantor %s's; a new version keeps its "
                             "guarantor",
                             in->id, owner);
    char text [8][24];
    snprintf (text [0], 24, "%d", version);
    snprintf (text [1], 24, "%d", in->bank_share_bp);
    snprintf (text [2], 24, "%d", in->system_share_bp);
    snprintf (text [3], 24, "%d", in->rate_bp);
    snprintf (text [4], 24, "%" PRId64, in->per_claim_cap_fen);
    snprintf (text [5], 24, "%d", in->national_share_bp);
    snprintf (text [6], 24, "%d", in->provincial_share_bp);
    snprintf (text [7], 24, "%" PRId64, policy.version);
    if (kj_db_run (
            db,
            "INSERT INTO agreement (id, version, guarantor_id, bank, "
            "bank_share_bp, system_share_bp, rate_bp, per_claim_cap_fen, "
            "valid_from, valid_to, national_share_bp, provincial_share_bp, "
            "policy_version) VALUES ($1, $2::int, $3, $4, $5::int, "
            "$6::int, $7::int, $8::bigint, $9::date, $10::date, $11::int, "
            "$12::int, $13::int)",
            13,
            (const char *[]){ in->id, text [0], in->guarantor_id, in->bank,
                              text [1], text [2], text [3], text [4],
                              in->valid_from, in->valid_to, text [5], text [6],
                              text [7] })
        != 1)
        return kj_call_fail_db (call);
    Kj__Agreement *out = (Kj__Agreement *) reply;
    out->id = (char *) in->id;
    out->version = version;
    out->guarantor_id = (char *) in->guarantor_id;
    out->bank = (char *) in->bank;
    out->bank_share_bp = in->bank_share_bp;
    out->system_share_bp = in->system_share_bp;
    out->rate_bp = in->rate_bp;
    out->per_claim_cap_fen = in->per_claim_cap_fen;
    out->valid_from = (char *) in->valid_from;
    out->valid_to = (char *) in->valid_to;
    out->national_share_bp = in->national_share_bp;
    out->provincial_share_bp = in->provincial_share_bp;
    out->policy_version = (int32_t) policy.version;
    return guarantee_server_event (call, "guarantee.agreement.added", in->id,
                                   reply);
}

//  --------------------------------------------------------------------------
//  AddGuarantee: a loan's guarantee, and whether it qualifies: a 创业类
//  product, a qualified guarantor, the guarantor's agreement in force on
//  the loan date. The reason says which held and which did not.

static int
s_check_guarantee (const guarantee_policy_t *policy,
                   const Kj__GuaranteeAddRequest *in, kj_status_t *status)
{
    kj_date_t date;
    if (kj_check_id (in->loan_id, "loan_id", status)
        || kj_check_id (in->guarantor_id, "guarantor_id", status)
        || (*in->agreement_id
            && kj_check_id (in->agreement_id, "agreement_id", status))
        || kj_check_text (in->enterprise, "enterprise", 64, true, status)
        || kj_check_text (in->product_category, "product_category", 50, true,
                          status)
        || kj_check_text (in->city, "city", 64, false, status)
        || kj_check_date (in->loan_date, "loan_date", &date, status))
        return -1;
    return guarantee_fees_check (policy, in->amount_fen, in->guarantee_fee_bp,
                                 in->reguarantee_fee_bp, status);
}

//  The guarantee of in->loan_id written with its event, in db's
//  transaction: 0; -1 with *status set when a rule refuses it; -2 when the
//  database failed. out points into `in`, `city` and `reason`.
int
guarantee_parties_insert (kj_db_t *db, const guarantee_policy_t *policy,
                          const Kj__GuaranteeAddRequest *in, const char *city,
                          Kj__LoanGuarantee *out, char *reason,
                          size_t reason_size, kj_status_t *status)
{
    //  The enterprise's balance is a sum over rows: one writer at a time;
    //  the loan's lock orders the loan's events
    if (kj_db_lock_key (db, "guarantee.enterprise", in->enterprise)
        || kj_db_lock_key (db, "guarantee.loan", in->loan_id))
        return -2;
    char amount [24];
    snprintf (amount, sizeof amount, "%" PRId64, in->amount_fen);
    PGresult *res = kj_db_exec (
        db,
        "SELECT r.qualified,"
        "  (SELECT count (*) FROM agreement WHERE id = $2) AS versions,"
        "  a.version, a.guarantor_id AS owner,"
        "  (SELECT coalesce (sum (amount_fen), 0) FROM guarantee"
        "   WHERE enterprise = $4 AND state = 'ACTIVE') AS balance,"
        "  (SELECT count (*) FROM guarantee WHERE loan_id = $5) AS guarantees "
        "FROM guarantor r LEFT JOIN LATERAL ("
        "  SELECT version, guarantor_id FROM agreement"
        "  WHERE id = $2 AND valid_from <= $3::date AND valid_to >= $3::date"
        "  ORDER BY version DESC LIMIT 1) a ON true "
        "WHERE r.id = $1",
        5,
        (const char *[]){ in->guarantor_id, in->agreement_id, in->loan_date,
                          in->enterprise, in->loan_id });
    if (!res)
        return -2;
    int found = PQntuples (res);
    bool qualified = false;
    int64_t versions = 0, guarantees = 0, balance = 0;
    //  version and owner: NULL (0, "") when no agreement is in force on
    //  the loan date
    int version = 0;
    char owner [128] = "";
    if (found) {
        if (kj_sql_bool (res, 0, "qualified", &qualified)
            || kj_sql_int64 (res, 0, "versions", &versions)
            || kj_sql_int64 (res, 0, "balance", &balance)
            || kj_sql_int64 (res, 0, "guarantees", &guarantees)) {
            PQclear (res);
            return -2;  //  a row the schema rules out (logged)
        }
        version = (int) kj_sql_int64_or (res, 0, "version", 0);
        const char *text = kj_sql_text (res, 0, "owner");
        kj_strlcpy (owner, text ? text : "", sizeof owner);
    }
    bool exists = guarantees > 0;
    PQclear (res);
    if (!found)
        return kj_status_set (status, KJ__CODE__NOT_FOUND, "guarantor_id",
                              "guarantor_id: no guarantor %s",
                              in->guarantor_id);
    if (exists)
        return kj_status_set (status, KJ__CODE__ALREADY_EXISTS, "loan_id",
                              "loan_id: loan %s already has its guarantee",
                              in->loan_id);
    if (*in->agreement_id && versions == 0)
        return kj_status_set (status, KJ__CODE__NOT_FOUND, "agreement_id",
                              "agreement_id: no agreement %s",
                              in->agreement_id);
    if (version && !streq (owner, in->guarantor_id))
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                              "agreement_id",
                              "agreement_id: agreement %s is guarantor %s's, "
                              "not %s's",
                              in->agreement_id, owner, in->guarantor_id);
    if (balance > policy->balance_cap_fen - in->amount_fen)
        return kj_status_set (status, KJ__CODE__OUT_OF_RANGE, "amount_fen",
                              "amount_fen: %s already has %" PRId64 " fen "
                              "guaranteed; with %" PRId64 " more it would "
                              "pass the cap of %" PRId64 " fen (policy %" PRId64
                              ": an enterprise's guaranteed balance cap)",
                              in->enterprise, balance, in->amount_fen,
                              policy->balance_cap_fen, policy->version);

    bool category = streq (in->product_category, GUARANTEE_CATEGORY_QUALIFIES);
    bool qualifies = category && qualified && version > 0;
    char terms [200] = "no risk-sharing agreement";
    if (version)
        snprintf (terms, sizeof terms, "agreement %s version %d in force on %s",
                  in->agreement_id, version, in->loan_date);
    else if (*in->agreement_id)
        snprintf (terms, sizeof terms, "agreement %s not in force on %s",
                  in->agreement_id, in->loan_date);
    snprintf (reason, reason_size,
              "%s: product %s %s 创业类; guarantor %s %s "
              "qualified; %s",
              qualifies ? "qualifies" : "does not qualify",
              in->product_category, category ? "is" : "is not",
              in->guarantor_id, qualified ? "is" : "is not", terms);
    char version_text [16], fees [3][24];
    snprintf (version_text, sizeof version_text, "%d", version);
    snprintf (fees [0], 24, "%d", in->guarantee_fee_bp);
    snprintf (fees [1], 24, "%d", in->reguarantee_fee_bp);
    snprintf (fees [2], 24, "%" PRId64, policy->version);
    if (kj_db_run (
            db,
            "INSERT INTO guarantee (loan_id, guarantor_id, agreement_id, "
            "agreement_version, enterprise, product_category, amount_fen, "
            "loan_date, qualifies, reason, state, city, guarantee_fee_bp, "
            "reguarantee_fee_bp, policy_version) VALUES ($1, $2, $3, $4::int, "
            "$5, $6, $7::bigint, $8::date, $9::boolean, $10, 'ACTIVE', $11, "
            "$12::int, $13::int, $14::int)",
            14,
            (const char *[]){ in->loan_id, in->guarantor_id,
                              version ? in->agreement_id : NULL,
                              version ? version_text : NULL, in->enterprise,
                              in->product_category, amount, in->loan_date,
                              qualifies ? "t" : "f", reason, city, fees [0],
                              fees [1], fees [2] })
        != 1)
        return -2;
    out->loan_id = (char *) in->loan_id;
    out->guarantor_id = (char *) in->guarantor_id;
    out->agreement_id = (char *) in->agreement_id;
    out->agreement_version = version;
    out->enterprise = (char *) in->enterprise;
    out->product_category = (char *) in->product_category;
    out->amount_fen = in->amount_fen;
    out->loan_date = (char *) in->loan_date;
    out->qualifies = qualifies;
    out->reason = reason;
    out->state = "ACTIVE";
    out->guarantee_fee_bp = in->guarantee_fee_bp;
    out->reguarantee_fee_bp = in->reguarantee_fee_bp;
    out->city = (char *) city;
    out->policy_version = (int32_t) policy->version;
    if (kj_outbox_add (db, "guarantee.guarantee.added", in->loan_id,
                       &out->base))
        return -2;
    return 0;
}

//  AddGuarantee with an amount and a loan date: the guarantee now. With
//  neither: the guarantor backs application loan_id, and matching's
//  disbursement event makes the guarantee (guarantee_follow.c).
int
guarantee_add_guarantee (kj_call_t *call, const ProtobufCMessage *request,
                         ProtobufCMessage *reply)
{
    const Kj__GuaranteeAddRequest *in = (const Kj__GuaranteeAddRequest *)
        request;
    kj_audit_object (call, "guarantee", in->loan_id);
    kj_status_t status;
    guarantee_policy_t policy;
    if (guarantee_store_policy (call, &policy, NULL))
        return -1;
    const guarantee_config_t *config = kj_call_state (call);
    const char *city = *in->city ? in->city : config ? config->city : "";
    if (in->amount_fen == 0 && !*in->loan_date)
        return guarantee_follow_back (call, &policy, in, city, reply);
    if (s_check_guarantee (&policy, in, &status))
        return kj_call_fail_status (call, &status);
    char *reason = kj_call_alloc (call, 512);
    int rc = guarantee_parties_insert (kj_call_db (call), &policy, in, city,
                                       (Kj__LoanGuarantee *) reply, reason, 512,
                                       &status);
    if (rc == -1)
        return kj_call_fail_status (call, &status);
    if (rc == -2)
        return kj_call_fail_db (call);
    return 0;
}

//  --------------------------------------------------------------------------
//  RecordDaichang: the guarantor paid the bank on a default. All 代偿 of a
//  loan together stay within its guaranteed amount.

int
guarantee_record_daichang (kj_call_t *call, const ProtobufCMessage *request,
                           ProtobufCMessage *reply)
{
    const Kj__DaichangRecordRequest *in = (const Kj__DaichangRecordRequest *)
        request;
    kj_audit_object (call, "guarantee", in->loan_id);
    kj_status_t status;
    kj_date_t date;
    if (kj_check_id (in->loan_id, "loan_id", &status)
        || kj_check_date (in->paid_on, "paid_on", &date, &status))
        return kj_call_fail_status (call, &status);
    if (in->amount_fen <= 0)
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "amount_fen",
                             "amount_fen: %" PRId64 "; a 代偿 is above 0",
                             in->amount_fen);
    kj_db_t *db = kj_call_db (call);
    //  The loan's lock before the first write: its events in order
    if (kj_db_lock_key (db, "guarantee.loan", in->loan_id))
        return kj_call_fail_db (call);
    PGresult *res = kj_db_exec (
        db,
        "SELECT g.amount_fen - (SELECT coalesce (sum (amount_fen), 0)"
        "                       FROM daichang WHERE loan_id = g.loan_id)"
        "        AS left_fen,"
        "       $2::date >= g.loan_date AS after, g.loan_date::text"
        "        AS loan_date,"
        "       coalesce (a.bank_share_bp, 10000) AS bank_share_bp,"
        "       coalesce (a.system_share_bp, 0) AS system_share_bp,"
        "       coalesce (a.national_share_bp, 0) AS national_share_bp,"
        "       coalesce (a.provincial_share_bp, 0) AS provincial_share_bp "
        "FROM guarantee g LEFT JOIN agreement a ON a.id = g.agreement_id"
        " AND a.version = g.agreement_version "
        "WHERE g.loan_id = $1 FOR UPDATE OF g",
        2, (const char *[]){ in->loan_id, in->paid_on });
    if (!res)
        return kj_call_fail_db (call);
    int found = PQntuples (res);
    int64_t left = 0;
    bool after = false;
    char *loan_date = "";
    guarantee_shares_t shares = { .bank_bp = 10000 };
    if (found) {
        const char *date = kj_sql_text (res, 0, "loan_date");
        if (!date || kj_sql_int64 (res, 0, "left_fen", &left)
            || kj_sql_bool (res, 0, "after", &after)
            || kj_sql_int64 (res, 0, "bank_share_bp", &shares.bank_bp)
            || kj_sql_int64 (res, 0, "system_share_bp", &shares.system_bp)
            || kj_sql_int64 (res, 0, "national_share_bp", &shares.national_bp)
            || kj_sql_int64 (res, 0, "provincial_share_bp",
                             &shares.provincial_bp)) {
            kj_error ("sql.null", "loan %s: a column is missing or NULL",
                      in->loan_id);
            PQclear (res);
            return guarantee_store_bad_row (call);
        }
        loan_date = kj_call_strdup (call, date);
    }
    PQclear (res);
    if (!found)
        return kj_call_fail (call, KJ__CODE__NOT_FOUND, "loan_id",
                             "loan_id: no guarantee of loan %s", in->loan_id);
    if (!after)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "paid_on",
                             "paid_on: %s is before the loan, on %s",
                             in->paid_on, loan_date);
    if (in->amount_fen > left)
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "amount_fen",
                             "amount_fen: %" PRId64 "; the guarantee of loan "
                             "%s has %" PRId64 " fen left to pay out",
                             in->amount_fen, in->loan_id, left);
    //  The layers: each re-guarantee's share rounded down, the remainder
    //  the guarantor's (a guarantee without an agreement: all of it)
    guarantee_layers_t layers;
    guarantee_layers_split (&shares, in->amount_fen, &layers);
    char amount [4][24];
    snprintf (amount [0], 24, "%" PRId64, in->amount_fen);
    snprintf (amount [1], 24, "%" PRId64, layers.national_fen);
    snprintf (amount [2], 24, "%" PRId64, layers.provincial_fen);
    snprintf (amount [3], 24, "%" PRId64, layers.guarantor_fen);
    res = kj_db_exec (
        db,
        "WITH d AS (INSERT INTO daichang (loan_id, amount_fen, paid_on,"
        "           national_fen, provincial_fen, guarantor_fen) "
        "           VALUES ($1, $2::bigint, $3::date, $4::bigint, $5::bigint,"
        "           $6::bigint) RETURNING id) "
        "UPDATE guarantee SET state = 'DAICHANG_PAID' FROM d "
        "WHERE loan_id = $1 RETURNING d.id",
        6,
        (const char *[]){ in->loan_id, amount [0], in->paid_on, amount [1],
                          amount [2], amount [3] });
    if (!res)
        return kj_call_fail_db (call);
    Kj__Daichang *out = (Kj__Daichang *) reply;
    out->id = atoll (PQgetvalue (res, 0, 0));
    PQclear (res);
    out->loan_id = (char *) in->loan_id;
    out->amount_fen = in->amount_fen;
    out->paid_on = (char *) in->paid_on;
    out->national_fen = layers.national_fen;
    out->provincial_fen = layers.provincial_fen;
    out->guarantor_fen = layers.guarantor_fen;
    return guarantee_server_event (call, "guarantee.daichang.recorded",
                                   in->loan_id, reply);
}

//  --------------------------------------------------------------------------
//  SetPolicy: the next version of the limits, checked as a whole; the
//  operator who set it is the caller, never the payload's set_by.

int
guarantee_set_policy (kj_call_t *call, const ProtobufCMessage *request,
                      ProtobufCMessage *reply)
{
    const char *caller = guarantee_server_caller (call);
    if (!caller)
        return -1;
    guarantee_policy_t policy;
    guarantee_store_policy_from ((const Kj__Policy *) request, &policy);
    kj_audit_object (call, "policy", "");
    kj_status_t status;
    if (guarantee_policy_check (&policy, &status))
        return kj_call_fail_status (call, &status);
    kj_db_t *db = kj_call_db (call);
    //  guarantee.policy.set's key is the new version: its topic's lock,
    //  which every policy change takes, orders it
    if (kj_db_lock_key (db, "guarantee.policy", "policy")
        || kj_db_lock_topic (db, "guarantee.policy.set", false))
        return kj_call_fail_db (call);
    char text [10][24];
    const int64_t values [] = { policy.bank_share_min_bp,
                                policy.system_share_max_bp,
                                policy.national_share_max_bp,
                                policy.provincial_share_min_bp,
                                policy.guarantee_fee_max_bp,
                                policy.reguarantee_fee_small_max_bp,
                                policy.reguarantee_fee_large_max_bp,
                                policy.reguarantee_large_above_fen,
                                policy.balance_cap_fen };
    for (int i = 0; i < 9; i++)
        snprintf (text [i], 24, "%" PRId64, values [i]);
    PGresult *res = kj_db_exec (
        db,
        "INSERT INTO policy SELECT coalesce (max (version), 0) + 1,"
        " $1::int, $2::int, $3::int, $4::int, $5::int, $6::int, $7::int,"
        " $8::bigint, $9::bigint, $10 FROM policy RETURNING version",
        10,
        (const char *[]){ text [0], text [1], text [2], text [3], text [4],
                          text [5], text [6], text [7], text [8], caller });
    if (!res)
        return kj_call_fail_db (call);
    policy.version = atoll (PQgetvalue (res, 0, 0));
    PQclear (res);
    Kj__Policy *out = guarantee_store_policy_message (call, &policy);
    out->set_by = (char *) caller;
    *(Kj__Policy *) reply = *out;
    snprintf (text [9], 24, "%" PRId64, policy.version);
    return guarantee_server_event (call, "guarantee.policy.set", text [9],
                                   reply);
}

//  GetPolicy: the limits in force.

int
guarantee_get_policy (kj_call_t *call, const ProtobufCMessage *request,
                      ProtobufCMessage *reply)
{
    guarantee_policy_t policy;
    const char *set_by;
    if (guarantee_store_policy (call, &policy, &set_by))
        return -1;
    *(Kj__Policy *) reply = *guarantee_store_policy_message (call, &policy);
    ((Kj__Policy *) reply)->set_by = (char *) set_by;
    return 0;
}
