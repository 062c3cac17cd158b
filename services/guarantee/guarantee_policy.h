/*  =========================================================================
    guarantee_policy - the national rules a risk-sharing agreement and a
    guarantee must keep, as one versioned set of limits, and the split of a
    代偿 across the layers of an agreement

    Pure rules (docs/rules/guarantee.md), no I/O. The limits are
    configurable (kejin guarantee policy set) and versioned: each agreement
    and guarantee records the version it was checked under. Defaults are
    财金〔2024〕60号's: the bank bears at least 20%, the guarantee system at
    most 80%, of which the national fund (融担基金) up to 40% and the
    provincial re-guarantee at least 20%; guarantee fees at most 1% a year;
    re-guarantee fees at most 0.3% (a guarantee of ¥5m or less) or 0.5%
    (above ¥5m); an enterprise's guaranteed balance at most ¥30m.
    =========================================================================
*/

#ifndef GUARANTEE_POLICY_H_INCLUDED
#define GUARANTEE_POLICY_H_INCLUDED

#include "kejin.h"

//  The limits in force, one version. Shares are basis points of a loan's
//  risk, fees basis points a year of the amount guaranteed.
typedef struct {
    int64_t version;
    int64_t bank_share_min_bp;             //  2000
    int64_t system_share_max_bp;           //  8000
    int64_t national_share_max_bp;         //  4000
    int64_t provincial_share_min_bp;       //  2000
    int64_t guarantee_fee_max_bp;          //  100 (1% a year)
    int64_t reguarantee_fee_small_max_bp;  //  30 (0.3%), at most ¥5m
    int64_t reguarantee_fee_large_max_bp;  //  50 (0.5%), above ¥5m
    int64_t reguarantee_large_above_fen;   //  500000000 (¥5m)
    int64_t balance_cap_fen;               //  3000000000 (¥30m)
} guarantee_policy_t;

//  An agreement's layers, basis points of the loan's risk: the bank's and
//  the guarantee system's add to 10000; the system's is the national
//  fund's, the provincial re-guarantee's and the guarantor's own.
typedef struct {
    int64_t bank_bp;
    int64_t system_bp;
    int64_t national_bp;
    int64_t provincial_bp;
} guarantee_shares_t;

//  A 代偿 split across the system's layers, in fen: national and
//  provincial rounded down, the remainder the guarantor's own (it paid the
//  bank, and keeps what the re-guarantors do not reimburse). The bank's
//  share is the part of the loss the bank was never paid: no part of the
//  代偿.
typedef struct {
    int64_t national_fen;
    int64_t provincial_fen;
    int64_t guarantor_fen;
} guarantee_layers_t;

//  The defaults of 财金〔2024〕60号, version 1.
void
    guarantee_policy_default (guarantee_policy_t *policy);

//  0 if a policy's limits can stand together, else -1 with status naming
//  the field (OUT_OF_RANGE or INVALID_ARGUMENT).
int
    guarantee_policy_check (const guarantee_policy_t *policy,
                            kj_status_t *status);

//  0 if an agreement's shares keep the policy and add up, else -1 with
//  status naming the field (bank_share_bp, system_share_bp,
//  national_share_bp, provincial_share_bp) and the rule it breaks.
int
    guarantee_shares_check (const guarantee_policy_t *policy,
                            const guarantee_shares_t *shares,
                            kj_status_t *status);

//  0 if a guarantee's fees keep the policy for its amount, else -1 with
//  status naming the field (guarantee_fee_bp, reguarantee_fee_bp) and the
//  rule; also the amount against the balance cap alone (amount_fen).
int
    guarantee_fees_check (const guarantee_policy_t *policy, int64_t amount_fen,
                          int64_t guarantee_fee_bp, int64_t reguarantee_fee_bp,
                          kj_status_t *status);

//  Split daichang_fen (above 0) across the layers of shares (which passed
//  guarantee_shares_check). Exact for any int64 amount (128-bit products).
void
    guarantee_layers_split (const guarantee_shares_t *shares,
                            int64_t daichang_fen, guarantee_layers_t *layers);

#endif
