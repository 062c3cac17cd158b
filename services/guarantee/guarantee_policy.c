/*  =========================================================================
    guarantee_policy - the limits an agreement and a guarantee must keep,
    and the split of a 代偿 across an agreement's layers

    The rules are in docs/rules/guarantee.md. Each refusal names the field
    as the request spells it and the rule with the policy version, so that
    a clerk sees which limit to read.
    =========================================================================
*/

#include "guarantee_policy.h"

//  --------------------------------------------------------------------------

void
guarantee_policy_default (guarantee_policy_t *policy)
{
    *policy = (guarantee_policy_t){ .version = 1,
                                    .bank_share_min_bp = 2000,
                                    .system_share_max_bp = 8000,
                                    .national_share_max_bp = 4000,
                                    .provincial_share_min_bp = 2000,
                                    .guarantee_fee_max_bp = 100,
                                    .reguarantee_fee_small_max_bp = 30,
                                    .reguarantee_fee_large_max_bp = 50,
                                    .reguarantee_large_above_fen = 500000000,
                                    .balance_cap_fen = 3000000000 };
}

//  --------------------------------------------------------------------------
//  A figure in basis points: 0 to 10000.

static int
s_bp (int64_t value, const char *field, kj_status_t *status)
{
    if (value < 0 || value > 10000)
        return kj_status_set (status, KJ__CODE__OUT_OF_RANGE, field,
                              "%s: %" PRId64 "; 0 to 10000 basis points", field,
                              value);
    return 0;
}

int
guarantee_policy_check (const guarantee_policy_t *policy, kj_status_t *status)
{
    kj_status_ok (status);
    if (s_bp (policy->bank_share_min_bp, "bank_share_min_bp", status)
        || s_bp (policy->system_share_max_bp, "system_share_max_bp", status)
        || s_bp (policy->national_share_max_bp, "national_share_max_bp", status)
        || s_bp (policy->provincial_share_min_bp, "provincial_share_min_bp",
                 status)
        || s_bp (policy->guarantee_fee_max_bp, "guarantee_fee_max_bp", status)
        || s_bp (policy->reguarantee_fee_small_max_bp,
                 "reguarantee_fee_small_max_bp", status)
        || s_bp (policy->reguarantee_fee_large_max_bp,
                 "reguarantee_fee_large_max_bp", status))
        return -1;
    if (policy->bank_share_min_bp + policy->system_share_max_bp < 10000)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                              "system_share_max_bp",
                              "system_share_max_bp: %" PRId64 " with "
                              "bank_share_min_bp %" PRId64 " leaves no "
                              "agreement whose shares add to 10000",
                              policy->system_share_max_bp,
                              policy->bank_share_min_bp);
    if (policy->provincial_share_min_bp > policy->system_share_max_bp)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                              "provincial_share_min_bp",
                              "provincial_share_min_bp: %" PRId64 " is more "
                              "than the guarantee system may bear, "
                              "system_share_max_bp %" PRId64,
                              policy->provincial_share_min_bp,
                              policy->system_share_max_bp);
    if (policy->reguarantee_large_above_fen < 0)
        return kj_status_set (status, KJ__CODE__OUT_OF_RANGE,
                              "reguarantee_large_above_fen",
                              "reguarantee_large_above_fen: %" PRId64
                              "; 0 or more",
                              policy->reguarantee_large_above_fen);
    if (policy->balance_cap_fen <= 0)
        return kj_status_set (status, KJ__CODE__OUT_OF_RANGE, "balance_cap_fen",
                              "balance_cap_fen: %" PRId64 "; above 0",
                              policy->balance_cap_fen);
    return 0;
}

//  --------------------------------------------------------------------------

int
guarantee_shares_check (const guarantee_policy_t *policy,
                        const guarantee_shares_t *shares, kj_status_t *status)
{
    kj_status_ok (status);
    if (shares->bank_bp < policy->bank_share_min_bp || shares->bank_bp > 10000)
        return kj_status_set (status, KJ__CODE__OUT_OF_RANGE, "bank_share_bp",
                              "bank_share_bp: %" PRId64 "; the bank bears "
                              "at least %" PRId64 " bp of the risk (policy "
                              "%" PRId64 ": bank share)",
                              shares->bank_bp, policy->bank_share_min_bp,
                              policy->version);
    if (shares->system_bp < 0
        || shares->system_bp > policy->system_share_max_bp)
        return kj_status_set (status, KJ__CODE__OUT_OF_RANGE, "system_share_bp",
                              "system_share_bp: %" PRId64 "; the guarantee "
                              "system bears 0 to %" PRId64 " bp of the risk "
                              "(policy %" PRId64 ": system share)",
                              shares->system_bp, policy->system_share_max_bp,
                              policy->version);
    if (shares->bank_bp + shares->system_bp != 10000)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                              "system_share_bp",
                              "system_share_bp: %" PRId64 " and "
                              "bank_share_bp %" PRId64 " add to %" PRId64
                              "; the shares must add to 10000",
                              shares->system_bp, shares->bank_bp,
                              shares->bank_bp + shares->system_bp);
    if (shares->national_bp < 0
        || shares->national_bp > policy->national_share_max_bp)
        return kj_status_set (status, KJ__CODE__OUT_OF_RANGE,
                              "national_share_bp",
                              "national_share_bp: %" PRId64 "; the national "
                              "fund re-guarantees 0 to %" PRId64 " bp of the "
                              "risk (policy %" PRId64 ": national share)",
                              shares->national_bp,
                              policy->national_share_max_bp, policy->version);
    if (shares->provincial_bp < policy->provincial_share_min_bp
        || shares->provincial_bp > 10000)
        return kj_status_set (status, KJ__CODE__OUT_OF_RANGE,
                              "provincial_share_bp",
                              "provincial_share_bp: %" PRId64 "; the "
                              "provincial re-guarantee bears at least %" PRId64
                              " bp of the risk (policy %" PRId64
                              ": provincial share)",
                              shares->provincial_bp,
                              policy->provincial_share_min_bp, policy->version);
    if (shares->national_bp + shares->provincial_bp > shares->system_bp)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                              "provincial_share_bp",
                              "provincial_share_bp: %" PRId64 " and "
                              "national_share_bp %" PRId64 " add to %" PRId64
                              ", more than system_share_bp %" PRId64 "; the "
                              "re-guarantee layers are shares of the "
                              "system's",
                              shares->provincial_bp, shares->national_bp,
                              shares->national_bp + shares->provincial_bp,
                              shares->system_bp);
    return 0;
}

//  --------------------------------------------------------------------------

int
guarantee_fees_check (const guarantee_policy_t *policy, int64_t amount_fen,
                      int64_t guarantee_fee_bp, int64_t reguarantee_fee_bp,
                      kj_status_t *status)
{
    kj_status_ok (status);
    if (amount_fen <= 0 || amount_fen > policy->balance_cap_fen)
        return kj_status_set (status, KJ__CODE__OUT_OF_RANGE, "amount_fen",
                              "amount_fen: %" PRId64 "; above 0, at most "
                              "%" PRId64 " fen (policy %" PRId64 ": an "
                              "enterprise's guaranteed balance cap)",
                              amount_fen, policy->balance_cap_fen,
                              policy->version);
    if (guarantee_fee_bp < 0 || guarantee_fee_bp > policy->guarantee_fee_max_bp)
        return kj_status_set (status, KJ__CODE__OUT_OF_RANGE,
                              "guarantee_fee_bp",
                              "guarantee_fee_bp: %" PRId64 "; at most %" PRId64
                              " bp a year (policy %" PRId64 ": guarantee fee "
                              "cap)",
                              guarantee_fee_bp, policy->guarantee_fee_max_bp,
                              policy->version);
    bool large = amount_fen > policy->reguarantee_large_above_fen;
    int64_t cap = large ? policy->reguarantee_fee_large_max_bp
                        : policy->reguarantee_fee_small_max_bp;
    if ((reguarantee_fee_bp < 0 || reguarantee_fee_bp > cap) && large)
        return kj_status_set (status, KJ__CODE__OUT_OF_RANGE,
                              "reguarantee_fee_bp",
                              "reguarantee_fee_bp: %" PRId64
                              "; at most %" PRId64
                              " bp for a guarantee above %" PRId64 " fen "
                              "(policy %" PRId64 ": re-guarantee fee cap)",
                              reguarantee_fee_bp, cap,
                              policy->reguarantee_large_above_fen,
                              policy->version);
    if (reguarantee_fee_bp < 0 || reguarantee_fee_bp > cap)
        return kj_status_set (status, KJ__CODE__OUT_OF_RANGE,
                              "reguarantee_fee_bp",
                              "reguarantee_fee_bp: %" PRId64
                              "; at most %" PRId64
                              " bp for a guarantee of at most %" PRId64 " fen "
                              "(policy %" PRId64 ": re-guarantee fee cap)",
                              reguarantee_fee_bp, cap,
                              policy->reguarantee_large_above_fen,
                              policy->version);
    return 0;
}

//  --------------------------------------------------------------------------

void
guarantee_layers_split (const guarantee_shares_t *shares, int64_t daichang_fen,
                        guarantee_layers_t *layers)
{
    assert (daichang_fen > 0);
    *layers = (guarantee_layers_t){ .guarantor_fen = daichang_fen };
    if (shares->system_bp <= 0)
        return;
    //  national + provincial <= system, so each quotient is at most the
    //  代偿 and their sum too
    layers->national_fen = (int64_t) ((__int128) daichang_fen
                                      * shares->national_bp
                                      / shares->system_bp);
    layers->provincial_fen = (int64_t) ((__int128) daichang_fen
                                        * shares->provincial_bp
                                        / shares->system_bp);
    layers->guarantor_fen = daichang_fen - layers->national_fen
                          - layers->provincial_fen;
}
