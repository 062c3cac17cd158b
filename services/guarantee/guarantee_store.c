/*  =========================================================================
    guarantee_store - claims and budgets of kejin-guarantee as rows and
    as messages
    =========================================================================
*/

#include "guarantee_store.h"

#define CLAIM_COLUMNS "SELECT " GUARANTEE_CLAIM_FIELDS " FROM claim "

#define BUDGET_COLUMNS                                                         \
    "SELECT b.year, b.total_fen, b.remaining_fen, "                            \
    "(SELECT coalesce (sum (amount_fen), 0) FROM payment p "                   \
    " WHERE p.year = b.year) AS paid_fen, "                                    \
    "(SELECT coalesce (sum (c.refunded_fen), 0) FROM claim c "                 \
    " JOIN payment p ON p.claim_id = c.id WHERE p.year = b.year) "             \
    "AS refunded_fen, "                                                        \
    "(SELECT coalesce (sum (entitled_fen), 0) FROM claim c "                   \
    " WHERE c.state COLLATE \"C\" = 'QUEUED' AND c.budget_year = b.year) "     \
    "AS queued_fen "                                                           \
    "FROM budget_left b "

//  --------------------------------------------------------------------------
//  Rows read by column name: the names resolved once per result, then
//  each row read by those indexes; a NULL where the schema allows none
//  refused, logged as kj_sql's getters log it.

int
guarantee_store_bad_row (kj_call_t *call)
{
    const Kj__RequestHeader *header = kj_call_header (call);
    return kj_call_fail (call, KJ__CODE__INTERNAL, NULL,
                         "%s failed without saying why",
                         header && header->method ? header->method
                                                  : "guarantee");
}

//  GUARANTEE_CLAIM_FIELDS by name, in its order
enum {
    CLAIM_ID,
    CLAIM_DAICHANG_ID,
    CLAIM_LOAN_ID,
    CLAIM_GUARANTOR_ID,
    CLAIM_STATE,
    CLAIM_DAICHANG_FEN,
    CLAIM_RATE_BP,
    CLAIM_ENTITLED_FEN,
    CLAIM_PAYABLE_FEN,
    CLAIM_BINDING,
    CLAIM_PAID_FEN,
    CLAIM_BUDGET_YEAR,
    CLAIM_SUBMITTED_BY,
    CLAIM_CITY_REVIEWED_BY,
    CLAIM_PROVINCE_REVIEWED_BY,
    CLAIM_APPROVED_BY,
    CLAIM_CITY_DUE,
    CLAIM_PROVINCE_DUE,
    CLAIM_REASON,
    CLAIM_REFUNDED_FEN,
    CLAIM_RECOVERED_FEN,
    CLAIM_FIELDS
};
static const char *const s_claim_names [CLAIM_FIELDS] = {
    "id",
    "daichang_id",
    "loan_id",
    "guarantor_id",
    "state",
    "daichang_fen",
    "rate_bp",
    "entitled_fen",
    "payable_fen",
    "binding",
    "paid_fen",
    "budget_year",
    "submitted_by",
    "city_reviewed_by",
    "province_reviewed_by",
    "approved_by",
    "city_due",
    "province_due",
    "reason",
    "refunded_fen",
    "recovered_fen"
};

//  One claim row by the indexes of s_claim_names: the message, or NULL
//  (logged) when a column is NULL; none may be (the schema's NOT NULLs,
//  and coalesce where a step is still to come).
static Kj__Claim *
s_claim_read (kj_call_t *call, const PGresult *res, int row, const int col [])
{
    if (kj_sql_required (res, row, col, CLAIM_FIELDS))
        return NULL;
    Kj__Claim *claim = kj_call_message (call, &kj__claim__descriptor);
#define TEXT(c)   kj_call_strdup (call, PQgetvalue (res, row, col [c]))
#define NUMBER(c) atoll (PQgetvalue (res, row, col [c]))
    claim->id = NUMBER (CLAIM_ID);
    claim->daichang_id = NUMBER (CLAIM_DAICHANG_ID);
    claim->loan_id = TEXT (CLAIM_LOAN_ID);
    claim->guarantor_id = TEXT (CLAIM_GUARANTOR_ID);
    claim->state = TEXT (CLAIM_STATE);
    claim->daichang_fen = NUMBER (CLAIM_DAICHANG_FEN);
    claim->rate_bp = (int32_t) NUMBER (CLAIM_RATE_BP);
    claim->entitled_fen = NUMBER (CLAIM_ENTITLED_FEN);
    claim->payable_fen = NUMBER (CLAIM_PAYABLE_FEN);
    //  binding: "rate,per_claim", at most four names
    char *binding = TEXT (CLAIM_BINDING);
    claim->binding = kj_call_alloc (call, 4 * sizeof (char *));
    for (char *name = strtok (binding, ","); name && claim->n_binding < 4;
         name = strtok (NULL, ","))
        claim->binding [claim->n_binding++] = name;
    claim->paid_fen = NUMBER (CLAIM_PAID_FEN);
    claim->budget_year = (int32_t) NUMBER (CLAIM_BUDGET_YEAR);
    claim->submitted_by = TEXT (CLAIM_SUBMITTED_BY);
    claim->city_reviewed_by = TEXT (CLAIM_CITY_REVIEWED_BY);
    claim->province_reviewed_by = TEXT (CLAIM_PROVINCE_REVIEWED_BY);
    claim->approved_by = TEXT (CLAIM_APPROVED_BY);
    claim->city_due = TEXT (CLAIM_CITY_DUE);
    claim->province_due = TEXT (CLAIM_PROVINCE_DUE);
    claim->reason = TEXT (CLAIM_REASON);
    claim->refunded_fen = NUMBER (CLAIM_REFUNDED_FEN);
    claim->recovered_fen = NUMBER (CLAIM_RECOVERED_FEN);
#undef TEXT
#undef NUMBER
    return claim;
}

Kj__Claim *
guarantee_store_claim_row (kj_call_t *call, PGresult *res, int row)
{
    int col [CLAIM_FIELDS];
    Kj__Claim *claim = NULL;
    if (kj_sql_columns (res, s_claim_names, col, CLAIM_FIELDS) == 0)
        claim = s_claim_read (call, res, row, col);
    if (!claim)
        guarantee_store_bad_row (call);
    return claim;
}

//  --------------------------------------------------------------------------

int
guarantee_store_claim (kj_call_t *call, int64_t id, bool lock,
                       const char *field, Kj__Claim **claim_p)
{
    char id_text [24];
    snprintf (id_text, sizeof id_text, "%" PRId64, id);
    const char *params [] = { id_text };
    PGresult *res = lock ? kj_db_exec (kj_call_db (call),
                                       CLAIM_COLUMNS
                                       "WHERE id = $1::bigint FOR UPDATE",
                                       1, params)
                         : kj_db_exec (kj_call_db (call),
                                       CLAIM_COLUMNS "WHERE id = $1::bigint", 1,
                                       params);
    if (!res)
        return kj_call_fail_db (call);
    if (PQntuples (res) == 0) {
        PQclear (res);
        return kj_call_fail (call, KJ__CODE__NOT_FOUND, field,
                             "%s: no claim %s", field, id_text);
    }
    *claim_p = guarantee_store_claim_row (call, res, 0);
    PQclear (res);
    return *claim_p ? 0 : -1;
}

//  --------------------------------------------------------------------------

int
guarantee_store_claims (kj_call_t *call, const char *state, int64_t after_id,
                        uint32_t limit, Kj__ClaimList *list)
{
    char after [24], limit_text [16];
    snprintf (after, sizeof after, "%" PRId64, after_id);
    snprintf (limit_text, sizeof limit_text, "%u", limit);
    const char *params [] = { state && *state ? state : NULL, after,
                              limit_text };
    PGresult *res = kj_db_exec (kj_call_db (call),
                                CLAIM_COLUMNS
                                "WHERE ($1::text IS NULL OR state = $1) "
                                "AND id > $2::bigint ORDER BY id LIMIT $3::int",
                                3, params);
    if (!res)
        return kj_call_fail_db (call);
    int rows = PQntuples (res);
    list->claims = kj_call_alloc (call, sizeof (Kj__Claim *) * (rows + 1));
    int col [CLAIM_FIELDS];
    int rc = kj_sql_columns (res, s_claim_names, col, CLAIM_FIELDS);
    for (int row = 0; row < rows && rc == 0; row++) {
        list->claims [row] = s_claim_read (call, res, row, col);
        rc = list->claims [row] ? 0 : -1;
    }
    list->n_claims = (size_t) rows;
    PQclear (res);
    return rc ? guarantee_store_bad_row (call) : 0;
}

//  --------------------------------------------------------------------------

//  BUDGET_COLUMNS by name, in its order; none is NULL
enum {
    BUDGET_YEAR,
    BUDGET_TOTAL_FEN,
    BUDGET_REMAINING_FEN,
    BUDGET_PAID_FEN,
    BUDGET_REFUNDED_FEN,
    BUDGET_QUEUED_FEN,
    BUDGET_FIELDS
};
static const char *const s_budget_names [BUDGET_FIELDS] = {
    "year",     "total_fen",    "remaining_fen",
    "paid_fen", "refunded_fen", "queued_fen"
};

//  One row by the indexes of s_budget_names: 0, or -1 (logged).
static int
s_budget_from_row (const PGresult *res, int row, const int col [],
                   Kj__Budget *budget)
{
    if (kj_sql_required (res, row, col, BUDGET_FIELDS))
        return -1;
    budget->year = atoi (PQgetvalue (res, row, col [BUDGET_YEAR]));
    budget->total_fen = atoll (PQgetvalue (res, row, col [BUDGET_TOTAL_FEN]));
    budget->remaining_fen = atoll (
        PQgetvalue (res, row, col [BUDGET_REMAINING_FEN]));
    budget->paid_fen = atoll (PQgetvalue (res, row, col [BUDGET_PAID_FEN]));
    budget->refunded_fen = atoll (
        PQgetvalue (res, row, col [BUDGET_REFUNDED_FEN]));
    budget->queued_fen = atoll (PQgetvalue (res, row, col [BUDGET_QUEUED_FEN]));
    return 0;
}

int
guarantee_store_budget (kj_call_t *call, int year, Kj__Budget *budget)
{
    char year_text [16];
    snprintf (year_text, sizeof year_text, "%d", year);
    PGresult *res = kj_db_exec (kj_call_db (call),
                                BUDGET_COLUMNS "WHERE b.year = $1::int", 1,
                                (const char *[]){ year_text });
    if (!res)
        return kj_call_fail_db (call);
    int rows = PQntuples (res);
    int col [BUDGET_FIELDS];
    int rc = rows == 1
               ? kj_sql_columns (res, s_budget_names, col, BUDGET_FIELDS)
                     || s_budget_from_row (res, 0, col, budget)
               : 0;
    PQclear (res);
    if (rc)
        return guarantee_store_bad_row (call);
    if (rows == 0)
        return kj_call_fail (call, KJ__CODE__NOT_FOUND, "year",
                             "year: no budget allotted for %d", year);
    return 0;
}

int
guarantee_store_budgets (kj_call_t *call, Kj__BudgetList *list)
{
    PGresult *res = kj_db_exec (kj_call_db (call),
                                BUDGET_COLUMNS "ORDER BY b.year", 0, NULL);
    if (!res)
        return kj_call_fail_db (call);
    int rows = PQntuples (res);
    list->budgets = kj_call_alloc (call, sizeof (Kj__Budget *) * (rows + 1));
    int col [BUDGET_FIELDS];
    int rc = kj_sql_columns (res, s_budget_names, col, BUDGET_FIELDS);
    for (int row = 0; row < rows && rc == 0; row++) {
        list->budgets [row] = kj_call_message (call, &kj__budget__descriptor);
        rc = s_budget_from_row (res, row, col, list->budgets [row]);
    }
    list->n_budgets = (size_t) rows;
    PQclear (res);
    return rc ? guarantee_store_bad_row (call) : 0;
}

//  --------------------------------------------------------------------------

//  The policy's row: the result (clear it), or NULL when the database
//  failed; no rows when none is recorded. *readable is false when a
//  column is missing or NULL (logged), which the schema rules out.
static PGresult *
s_policy_row (kj_db_t *db, guarantee_policy_t *policy, bool *readable)
{
    *readable = true;
    PGresult *res = kj_db_exec (
        db,
        "SELECT version, bank_share_min_bp, system_share_max_bp,"
        " national_share_max_bp, provincial_share_min_bp,"
        " guarantee_fee_max_bp, reguarantee_fee_small_max_bp,"
        " reguarantee_fee_large_max_bp, reguarantee_large_above_fen,"
        " balance_cap_fen, set_by FROM policy ORDER BY version DESC LIMIT 1",
        0, NULL);
    if (!res || PQntuples (res) != 1)
        return res;
    int64_t *fields [] = { &policy->version,
                           &policy->bank_share_min_bp,
                           &policy->system_share_max_bp,
                           &policy->national_share_max_bp,
                           &policy->provincial_share_min_bp,
                           &policy->guarantee_fee_max_bp,
                           &policy->reguarantee_fee_small_max_bp,
                           &policy->reguarantee_fee_large_max_bp,
                           &policy->reguarantee_large_above_fen,
                           &policy->balance_cap_fen };
    static const char *const names [] = { "version",
                                          "bank_share_min_bp",
                                          "system_share_max_bp",
                                          "national_share_max_bp",
                                          "provincial_share_min_bp",
                                          "guarantee_fee_max_bp",
                                          "reguarantee_fee_small_max_bp",
                                          "reguarantee_fee_large_max_bp",
                                          "reguarantee_large_above_fen",
                                          "balance_cap_fen" };
    for (int i = 0; i < 10 && *readable; i++)
        *readable = kj_sql_int64 (res, 0, names [i], fields [i]) == 0;
    return res;
}

int
guarantee_store_policy (kj_call_t *call, guarantee_policy_t *policy,
                        const char **set_by)
{
    bool readable;
    PGresult *res = s_policy_row (kj_call_db (call), policy, &readable);
    if (!res)
        return kj_call_fail_db (call);
    if (PQntuples (res) != 1) {
        PQclear (res);
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, NULL,
                             "no guarantee policy is recorded");
    }
    if (readable && set_by) {
        const char *text = kj_sql_text (res, 0, "set_by");
        if (!text)
            kj_error ("sql.null", "the policy's set_by is missing or NULL");
        readable = text != NULL;
        *set_by = kj_call_strdup (call, text ? text : "");
    }
    PQclear (res);
    return readable ? 0 : guarantee_store_bad_row (call);
}

//  --------------------------------------------------------------------------

int
guarantee_store_policy_db (kj_db_t *db, guarantee_policy_t *policy)
{
    bool readable;
    PGresult *res = s_policy_row (db, policy, &readable);
    if (!res)
        return -2;
    int rows = PQntuples (res);
    PQclear (res);
    if (!readable)
        return -2;  //  logged; the database's failure path
    return rows == 1 ? 0 : -1;
}

Kj__Policy *
guarantee_store_policy_message (kj_call_t *call,
                                const guarantee_policy_t *policy)
{
    Kj__Policy *out = kj_call_message (call, &kj__policy__descriptor);
    out->version = (int32_t) policy->version;
    out->bank_share_min_bp = (int32_t) policy->bank_share_min_bp;
    out->system_share_max_bp = (int32_t) policy->system_share_max_bp;
    out->national_share_max_bp = (int32_t) policy->national_share_max_bp;
    out->provincial_share_min_bp = (int32_t) policy->provincial_share_min_bp;
    out->guarantee_fee_max_bp = (int32_t) policy->guarantee_fee_max_bp;
    out->reguarantee_fee_small_max_bp = (int32_t) policy
                                            ->reguarantee_fee_small_max_bp;
    out->reguarantee_fee_large_max_bp = (int32_t) policy
                                            ->reguarantee_fee_large_max_bp;
    out->reguarantee_large_above_fen = policy->reguarantee_large_above_fen;
    out->balance_cap_fen = policy->balance_cap_fen;
    return out;
}

void
guarantee_store_policy_from (const Kj__Policy *in, guarantee_policy_t *policy)
{
    *policy = (guarantee_policy_t){
        .version = in->version,
        .bank_share_min_bp = in->bank_share_min_bp,
        .system_share_max_bp = in->system_share_max_bp,
        .national_share_max_bp = in->national_share_max_bp,
        .provincial_share_min_bp = in->provincial_share_min_bp,
        .guarantee_fee_max_bp = in->guarantee_fee_max_bp,
        .reguarantee_fee_small_max_bp = in->reguarantee_fee_small_max_bp,
        .reguarantee_fee_large_max_bp = in->reguarantee_fee_large_max_bp,
        .reguarantee_large_above_fen = in->reguarantee_large_above_fen,
        .balance_cap_fen = in->balance_cap_fen
    };
}
