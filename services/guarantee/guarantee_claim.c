/*  =========================================================================
    guarantee_claim - provincial risk compensation for one 代偿 payment,
    and the province's share of what is recovered afterwards

    The rules are in docs/rules/guarantee.md. Amounts up to INT64_MAX fen
    are exact: rate x 代偿 and recovery x compensation are formed in
    __int128 (both factors below 2^63, so the product is below 2^126) and
    divided once, rounding down.
    =========================================================================
*/

#include "guarantee_claim.h"

//  --------------------------------------------------------------------------
//  Amounts are never negative; 代偿 is a payment, so above zero

static int
s_amount (int64_t value, const char *field, bool positive, kj_status_t *status)
{
    if (value < 0 || (positive && value == 0))
        return kj_status_set (status, KJ__CODE__OUT_OF_RANGE, field,
                              "%s must be %s, not %" PRId64, field,
                              positive ? "above 0" : "0 or more", value);
    return 0;
}

int
guarantee_comp_check (const guarantee_comp_t *comp, kj_status_t *status)
{
    kj_status_ok (status);
    if (s_amount (comp->daichang_fen, "daichang_fen", true, status)
        || s_amount (comp->per_claim_cap_fen, "per_claim_cap_fen", false,
                     status)
        || s_amount (comp->guarantor_cap_left_fen, "guarantor_cap_left_fen",
                     false, status)
        || s_amount (comp->budget_left_fen, "budget_left_fen", false, status))
        return -1;
    if (comp->rate_bp < 0 || comp->rate_bp > GUARANTEE_RATE_MAX_BP)
        return kj_status_set (status, KJ__CODE__OUT_OF_RANGE, "rate_bp",
                              "rate_bp must be 0 to %d (the province pays at "
                              "most 40%% of a 代偿), not %" PRId64,
                              GUARANTEE_RATE_MAX_BP, comp->rate_bp);
    return 0;
}

int64_t
guarantee_comp_payable (const guarantee_comp_t *comp, unsigned *binding)
{
    //  rate <= 10000, so the quotient fits back into int64
    int64_t by_rate = (int64_t) ((__int128) comp->daichang_fen * comp->rate_bp
                                 / 10000);
    const int64_t terms [] = { by_rate, comp->per_claim_cap_fen,
                               comp->guarantor_cap_left_fen,
                               comp->budget_left_fen };
    int64_t payable = terms [0];
    for (size_t i = 1; i < sizeof terms / sizeof terms [0]; i++)
        if (terms [i] < payable)
            payable = terms [i];
    if (binding) {
        *binding = 0;
        for (size_t i = 0; i < sizeof terms / sizeof terms [0]; i++)
            if (terms [i] == payable)
                *binding |= 1u << i;
    }
    return payable;
}

int
guarantee_recovery_check (const guarantee_recovery_t *recovery,
                          kj_status_t *status)
{
    kj_status_ok (status);
    if (s_amount (recovery->daichang_fen, "daichang_fen", true, status)
        || s_amount (recovery->comp_paid_fen, "comp_paid_fen", false, status)
        || s_amount (recovery->net_recovery_fen, "net_recovery_fen", false,
                     status))
        return -1;
    //  The province pays at most 40% of the 代偿; more than all of it is
    //  a figure typed wrong, and would give a refund above what was paid.
    if (recovery->comp_paid_fen > recovery->daichang_fen)
        return kj_status_set (status, KJ__CODE__OUT_OF_RANGE, "comp_paid_fen",
                              "comp_paid_fen (%" PRId64
                              ") is more than daichang_fen (%" PRId64 "): "
                              "compensation is a share of the 代偿",
                              recovery->comp_paid_fen, recovery->daichang_fen);
    //  Recovery is split in proportion to the losses borne; recovering
    //  more than the 代偿 would refund the province more than it paid.
    if (recovery->net_recovery_fen > recovery->daichang_fen)
        return kj_status_set (status, KJ__CODE__OUT_OF_RANGE,
                              "net_recovery_fen",
                              "net_recovery_fen (%" PRId64
                              ") is more than daichang_fen (%" PRId64 "): "
                              "only the loss is shared back",
                              recovery->net_recovery_fen,
                              recovery->daichang_fen);
    return 0;
}

int64_t
guarantee_recovery_refund (const guarantee_recovery_t *recovery)
{
    //  net <= 代偿, so the quotient is at most comp_paid
    return (int64_t) ((__int128) recovery->net_recovery_fen
                      * recovery->comp_paid_fen / recovery->daichang_fen);
}
