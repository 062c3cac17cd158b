/*  =========================================================================
    guarantee_claim - provincial risk compensation for one 代偿 payment,
    and the province's share of what is recovered afterwards

    Pure rules (docs/rules/guarantee.md): given a 代偿, the compensation
    rate and the caps left, what may be paid and which caps bind; given a
    net recovery, what the province gets back. No I/O. Every amount is in
    fen and exact for any int64 input: products are formed in 128 bits
    before dividing, and results round down to the fen.
    =========================================================================
*/

#ifndef GUARANTEE_CLAIM_H_INCLUDED
#define GUARANTEE_CLAIM_H_INCLUDED

#include "kejin.h"

//  The province compensates at most 40% of a 代偿 (policy measure 3)
#define GUARANTEE_RATE_MAX_BP 4000

//  What limits a payment: every term equal to the result binds
enum {
    GUARANTEE_BIND_RATE = 1,       //  rate x 代偿
    GUARANTEE_BIND_PER_CLAIM = 2,  //  the per-claim cap
    GUARANTEE_BIND_GUARANTOR = 4,  //  the guarantor's yearly cap left
    GUARANTEE_BIND_BUDGET = 8      //  the provincial budget left
};

typedef struct {
    int64_t daichang_fen;            //  the guarantor's 代偿 to the bank
    int64_t rate_bp;                 //  compensation rate, 0..4000
    int64_t per_claim_cap_fen;       //  cap on one claim
    int64_t guarantor_cap_left_fen;  //  the guarantor's yearly cap left
    int64_t budget_left_fen;         //  the yearly provincial budget left
} guarantee_comp_t;

typedef struct {
    int64_t daichang_fen;      //  the 代偿 the compensation was for
    int64_t comp_paid_fen;     //  compensation the province paid
    int64_t net_recovery_fen;  //  recovered, after recovery costs
} guarantee_recovery_t;

//  0 if the terms can be computed, else -1 with status naming the field
//  (its name as in the CSV header of `kejin guarantee calc`).
int
    guarantee_comp_check (const guarantee_comp_t *comp, kj_status_t *status);

//  Compensation payable, in fen: min (floor (rate x 代偿 / 10000), the
//  per-claim cap, the guarantor's cap left, the budget left). Sets
//  *binding (may be NULL) to the GUARANTEE_BIND_ terms equal to it.
//  The terms must pass guarantee_comp_check.
int64_t
    guarantee_comp_payable (const guarantee_comp_t *comp, unsigned *binding);

int
    guarantee_recovery_check (const guarantee_recovery_t *recovery,
                              kj_status_t *status);

//  The province's refund from a net recovery, in fen:
//  floor (net recovery x compensation paid / 代偿). With cumulative
//  figures (every recovery so far, every refund so far) it is the refund
//  due in total, so that rounding never drifts.
int64_t
    guarantee_recovery_refund (const guarantee_recovery_t *recovery);

#endif
