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
    " WHERE p.year = b.year), "                                                \
    "(SELECT coalesce (sum (c.refunded_fen), 0) FROM claim c "                 \
    " JOIN payment p ON p.claim_id = c.id WHERE p.year = b.year), "            \
    "(SELECT coalesce (sum (entitled_fen), 0) FROM claim c "                   \
    " WHERE c.state COLLATE \"C\" = 'QUEUED' AND c.budget_year = b.year) "     \
    "FROM budget_left b "

//  --------------------------------------------------------------------------

Kj__Claim *
guarantee_store_claim_row (kj_call_t *call, PGresult *res, int row)
{
    Kj__Claim *claim = kj_call_message (call, &kj__claim__descriptor);
    claim->id = atoll (PQgetvalue (res, row, 0));
    claim->daichang_id = atoll (PQgetvalue (res, row, 1));
    claim->loan_id = kj_call_strdup (call, PQgetvalue (res, row, 2));
    claim->guarantor_id = kj_call_strdup (call, PQgetvalue (res, row, 3));
    claim->state = kj_call_strdup (call, PQgetvalue (res, row, 4));
    claim->daichang_fen = atoll (PQgetvalue (res, row, 5));
    claim->rate_bp = atoi (PQgetvalue (res, row, 6));
    claim->entitled_fen = atoll (PQgetvalue (res, row, 7));
    claim->payable_fen = atoll (PQgetvalue (res, row, 8));
    //  binding: "rate,per_claim", at most four names
    char *binding = kj_call_strdup (call, PQgetvalue (res, row, 9));
    claim->binding = kj_call_alloc (call, 4 * sizeof (char *));
    for (char *name = strtok (binding, ","); name && claim->n_binding < 4;
         name = strtok (NULL, ","))
        claim->binding [claim->n_binding++] = name;
    claim->paid_fen = atoll (PQgetvalue (res, row, 10));
    claim->budget_year = atoi (PQgetvalue (res, row, 11));
    claim->submitted_by = kj_call_strdup (call, PQgetvalue (res, row, 12));
    claim->city_reviewed_by = kj_call_strdup (call, PQgetvalue (res, row, 13));
    claim->province_reviewed_by = kj_call_strdup (call,
                                                  PQgetvalue (res, row, 14));
    claim->approved_by = kj_call_strdup (call, PQgetvalue (res, row, 15));
    claim->city_due = kj_call_strdup (call, PQgetvalue (res, row, 16));
    claim->province_due = kj_call_strdup (call, PQgetvalue (res, row, 17));
    claim->reason = kj_call_strdup (call, PQgetvalue (res, row, 18));
    claim->refunded_fen = atoll (PQgetvalue (res, row, 19));
    claim->recovered_fen = atoll (PQgetvalue (res, row, 20));
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
    return 0;
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
    for (int row = 0; row < rows; row++)
        list->claims [row] = guarantee_store_claim_row (call, res, row);
    list->n_claims = (size_t) rows;
    PQclear (res);
    return 0;
}

//  --------------------------------------------------------------------------

static void
s_budget_from_row (PGresult *res, int row, Kj__Budget *budget)
{
    budget->year = atoi (PQgetvalue (res, row, 0));
    budget->total_fen = atoll (PQgetvalue (res, row, 1));
    budget->remaining_fen = atoll (PQgetvalue (res, row, 2));
    budget->paid_fen = atoll (PQgetvalue (res, row, 3));
    budget->refunded_fen = atoll (PQgetvalue (res, row, 4));
    budget->queued_fen = atoll (PQgetvalue (res, row, 5));
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
    if (rows == 1)
        s_budget_from_row (res, 0, budget);
    PQclear (res);
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
    for (int row = 0; row < rows; row++) {
        list->budgets [row] = kj_call_message (call, &kj__budget__descriptor);
        s_budget_from_row (res, row, list->budgets [row]);
    }
    list->n_budgets = (size_t) rows;
    PQclear (res);
    return 0;
}

//  --------------------------------------------------------------------------

//  The policy's row: the result (clear it), or NULL when the database
//  failed; no rows when none is recorded.
static PGresult *
s_policy_row (kj_db_t *db, guarantee_policy_t *policy)
{
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
    for (int i = 0; i < 10; i++)
        *fields [i] = atoll (PQgetvalue (res, 0, i));
    return res;
}

int
guarantee_store_policy (kj_call_t *call, guarantee_policy_t *policy,
                        const char **set_by)
{
    PGresult *res = s_policy_row (kj_call_db (call), policy);
    if (!res)
        return kj_call_fail_db (call);
    if (PQntuples (res) != 1) {
        PQclear (res);
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, NULL,
                             "no guarantee policy is recorded");
    }
    if (set_by)
        *set_by = kj_call_strdup (call, PQgetvalue (res, 0, 10));
    PQclear (res);
    return 0;
}

//  --------------------------------------------------------------------------

int
guarantee_store_policy_db (kj_db_t *db, guarantee_policy_t *policy)
{
    PGresult *res = s_policy_row (db, policy);
    if (!res)
        return -2;
    int rows = PQntuples (res);
    PQclear (res);
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
