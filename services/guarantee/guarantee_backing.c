/*  =========================================================================
    guarantee_backing - backings of applications that wait: the job
    "expire" (a backing pending longer than guarantee/backing_expire_s
    expires, with its event; the disbursements remembered for late
    backings trimmed to their age and count) and ListBackings

    The backings are made and made live in guarantee_follow.c.
    docs/rules/guarantee.md, "Guarantees from matching's events".
    =========================================================================
*/

#include "guarantee_server.h"
#include "guarantee_store.h"
#include "kj_check.h"

//  --------------------------------------------------------------------------
//  The job "expire": backings pending longer than guarantee/backing_expire_s
//  become EXPIRED, each with its event guarantee.backing.expired; the
//  disbursements remembered are trimmed to their age and count. What it
//  expired and forgot, or -1 when the database failed.

#define EXPIRE_BATCH "500"

//  A backing's columns as the expiry's RETURNING and ListBackings name
//  them; ListBackings reads two more (state, expires_at)
enum {
    BACKING_ID,
    BACKING_GUARANTOR,
    BACKING_AGREEMENT,
    BACKING_CATEGORY,
    BACKING_GUARANTEE_FEE,
    BACKING_REGUARANTEE_FEE,
    BACKING_CITY,
    BACKING_BACKED_BY,
    BACKING_BACKED_AT,
    BACKING_REASON,
    BACKING_STATE,
    BACKING_EXPIRES_AT,
    BACKING_FIELDS
};
static const char *const s_backing_names [BACKING_FIELDS] = {
    "application_id",
    "guarantor_id",
    "agreement_id",
    "product_category",
    "guarantee_fee_bp",
    "reguarantee_fee_bp",
    "city",
    "backed_by",
    "backed_at",
    "reason",
    "state",
    "expires_at"
};

int
guarantee_follow_expire (void *state, kj_db_t *db)
{
    const guarantee_config_t *self = state;
    char expire [24], keep [24], max [24];
    snprintf (expire, sizeof expire, "%" PRId64, self->backing_expire_s);
    snprintf (keep, sizeof keep, "%" PRId64, self->disbursement_keep_s);
    snprintf (max, sizeof max, "%" PRId64, self->disbursements_max);
    int done = 0;
    if (kj_db_begin (db))
        return -1;
    //  Each application's lock (its events' order: kj_db_lock_key), in
    //  id order, before the first write; then those still pending expire
    PGresult *res = kj_db_exec (
        db,
        "SELECT application_id FROM backing WHERE state = 'PENDING' AND "
        "created_at < now () - $1::bigint * interval '1 second' ORDER BY "
        "application_id LIMIT " EXPIRE_BATCH,
        1, (const char *[]){ expire });
    int id;
    if (res
        && kj_sql_columns (res, (const char *[]){ "application_id" }, &id, 1)) {
        PQclear (res);
        res = NULL;
    }
    if (!res)
        goto failed;
    int n = PQntuples (res);
    const char **ids = (const char **) calloc ((size_t) n + 1, sizeof *ids);
    assert (ids);
    int rc = 0;
    for (int row = 0; row < n && rc == 0; row++) {
        ids [row] = PQgetvalue (res, row, id);
        rc = kj_db_lock_key (db, "guarantee.application", ids [row]);
    }
    kj_params_t params = { 0 };
    kj_params_add (&params, expire);
    kj_params_add_array (&params, ids, (size_t) n);
    free (ids);
    PQclear (res);
    res = NULL;
    if (rc == 0)
        res = kj_db_exec (
            db,
            "UPDATE backing b SET state = 'EXPIRED', reason = "
            "'no disbursement came within ' || $1 || ' s of the backing "
            "(guarantee/backing_expire_s)' FROM (SELECT application_id FROM "
            "backing WHERE state = 'PENDING' AND created_at < now () - "
            "$1::bigint "
            "* interval '1 second' AND application_id = ANY ($2::text[]) "
            " FOR UPDATE) x WHERE b.application_id = x.application_id "
            "RETURNING b.application_id, b.guarantor_id, b.agreement_id, "
            "b.product_category, b.guarantee_fee_bp, b.reguarantee_fee_bp, "
            "b.city, "
            "b.backed_by, to_char (b.created_at AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD HH24:MI:SS') AS backed_at, b.reason",
            params.count, params.values);
    kj_params_reset (&params);
    if (!res)
        goto failed;
    int col [BACKING_STATE];  //  all but state and expires_at
    rc = kj_sql_columns (res, s_backing_names, col, BACKING_STATE);
    for (int row = 0; row < PQntuples (res) && rc == 0; row++) {
        Kj__LoanGuarantee out = KJ__LOAN_GUARANTEE__INIT;
        rc = kj_sql_required (res, row, col, BACKING_STATE);
        if (rc)
            break;
        out.loan_id = PQgetvalue (res, row, col [BACKING_ID]);
        out.guarantor_id = PQgetvalue (res, row, col [BACKING_GUARANTOR]);
        out.agreement_id = PQgetvalue (res, row, col [BACKING_AGREEMENT]);
        out.product_category = PQgetvalue (res, row, col [BACKING_CATEGORY]);
        out.guarantee_fee_bp = atoi (
            PQgetvalue (res, row, col [BACKING_GUARANTEE_FEE]));
        out.reguarantee_fee_bp = atoi (
            PQgetvalue (res, row, col [BACKING_REGUARANTEE_FEE]));
        out.city = PQgetvalue (res, row, col [BACKING_CITY]);
        out.backed_by = PQgetvalue (res, row, col [BACKING_BACKED_BY]);
        out.backed_at = PQgetvalue (res, row, col [BACKING_BACKED_AT]);
        out.reason = PQgetvalue (res, row, col [BACKING_REASON]);
        out.state = "EXPIRED";
        if (kj_outbox_add (db, "guarantee.backing.expired", out.loan_id,
                           &out.base)) {
            PQclear (res);
            goto failed;
        }
        kj_info ("guarantee.expire", "backing of application %s expired: %s",
                 out.loan_id, out.reason);
        done++;
    }
    PQclear (res);
    if (rc)
        goto failed;  //  a row the schema rules out (logged)
    int64_t old = kj_db_run (db,
                             "DELETE FROM disbursement WHERE seen_at < now () "
                             "- $1::bigint * interval '1 second'",
                             1, (const char *[]){ keep });
    int64_t over =
        kj_db_run (db,
                   "DELETE FROM disbursement WHERE application_id IN (SELECT "
                   "application_id FROM disbursement ORDER BY seen_at DESC, "
                   "application_id DESC OFFSET $1::bigint)",
                   1, (const char *[]){ max });
    if (old < 0 || over < 0 || kj_db_commit (db))
        goto failed;
    return done + (int) old + (int) over;
failed:
    kj_warn ("guarantee.expire", "backings not expired: %s", kj_db_error (db));
    kj_db_rollback (db);
    return -1;
}

//  --------------------------------------------------------------------------
//  ListBackings: the backings in one state (PENDING unless asked), by
//  application id, a page at a time.

int
guarantee_list_backings (kj_call_t *call, const ProtobufCMessage *request,
                         ProtobufCMessage *reply)
{
    const Kj__BackingListRequest *in = (const Kj__BackingListRequest *) request;
    static const char *states [] = { "PENDING", "LIVE", "REFUSED", "EXPIRED",
                                     NULL };
    const char *state = *in->state ? in->state : "PENDING";
    bool known = false;
    for (int i = 0; states [i] && !known; i++)
        known = streq (state, states [i]);
    if (!known)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "state",
                             "state: '%.20s'; one of PENDING, LIVE, REFUSED, "
                             "EXPIRED, or empty for PENDING",
                             in->state);
    if (in->limit > GUARANTEE_LIST_MAX)
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "limit",
                             "limit: %u; at most %d backings a page", in->limit,
                             GUARANTEE_LIST_MAX);
    kj_status_t status;
    if (*in->after_id && kj_check_id (in->after_id, "after_id", &status))
        return kj_call_fail_status (call, &status);
    const guarantee_config_t *config = kj_call_state (call);
    char expire [24], limit [16];
    snprintf (expire, sizeof expire, "%" PRId64,
              config ? config->backing_expire_s : 0);
    snprintf (limit, sizeof limit, "%u",
              in->limit ? in->limit : GUARANTEE_LIST_DEFAULT);
    PGresult *res = kj_db_exec (
        kj_call_db (call),
        "SELECT application_id, guarantor_id, agreement_id, product_category,"
        " guarantee_fee_bp, reguarantee_fee_bp, city, state, reason,"
        " backed_by, to_char (created_at AT TIME ZONE 'UTC',"
        " 'YYYY-MM-DD HH24:MI:SS') AS backed_at, CASE WHEN state = 'PENDING'"
        " THEN to_char ((created_at + $3::bigint * interval '1 second')"
        " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') ELSE '' END"
        " AS expires_at "
        "FROM backing WHERE state = $1 AND application_id > $2 "
        "ORDER BY application_id LIMIT $4::int",
        4, (const char *[]){ state, in->after_id, expire, limit });
    if (!res)
        return kj_call_fail_db (call);
    Kj__BackingList *out = (Kj__BackingList *) reply;
    int rows = PQntuples (res);
    out->n_backings = rows;
    out->backings = kj_call_alloc (call, (rows ? rows : 1) * sizeof (void *));
    int col [BACKING_FIELDS];
    int rc = kj_sql_columns (res, s_backing_names, col, BACKING_FIELDS);
    for (int row = 0; row < rows && rc == 0; row++) {
        rc = kj_sql_required (res, row, col, BACKING_FIELDS);
        if (rc)
            break;
#define TEXT(c) kj_call_strdup (call, PQgetvalue (res, row, col [c]))
        Kj__LoanGuarantee *b = kj_call_alloc (call, sizeof *b);
        kj__loan_guarantee__init (b);
        b->loan_id = TEXT (BACKING_ID);
        b->guarantor_id = TEXT (BACKING_GUARANTOR);
        b->agreement_id = TEXT (BACKING_AGREEMENT);
        b->product_category = TEXT (BACKING_CATEGORY);
        b->guarantee_fee_bp = atoi (
            PQgetvalue (res, row, col [BACKING_GUARANTEE_FEE]));
        b->reguarantee_fee_bp = atoi (
            PQgetvalue (res, row, col [BACKING_REGUARANTEE_FEE]));
        b->city = TEXT (BACKING_CITY);
        b->state = TEXT (BACKING_STATE);
        b->reason = TEXT (BACKING_REASON);
        b->backed_by = TEXT (BACKING_BACKED_BY);
        b->backed_at = TEXT (BACKING_BACKED_AT);
        b->expires_at = TEXT (BACKING_EXPIRES_AT);
#undef TEXT
        out->backings [row] = b;
    }
    PQclear (res);
    return rc ? guarantee_store_bad_row (call) : 0;
}
