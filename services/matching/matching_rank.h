/*  =========================================================================
    matching_rank - the order of the products that passed the filters,
    with an explanation per product

    Pure rules, no I/O (docs/rules/matching.md §4). Five components, each
    0..10000 basis points: rate advantage among the candidates, amount
    coverage min (1, max / requested), collateral-free, policy bonus
    (guarantee plan or risk compensation eligible: guaranteed, IP pledge,
    first-loan and renewal products) and the institution's decision
    target (30 days or more: 0, same day: 10000). The score is the sum of
    weight x component; weights come from configuration. Ties go to the
    smaller product id, so the order is the same on every run.
    =========================================================================
*/

#ifndef MATCHING_RANK_H_INCLUDED
#define MATCHING_RANK_H_INCLUDED

#include "matching_filter.h"

//  Version of these rules, recorded with every match.
#define MATCHING_RULES_VERSION "matching-1"

//  Weights, 0..10000 each.
typedef struct {
    int rate, amount, collateral, policy, sla;
} matching_weights_t;

//  A candidate and what ranking found.
typedef struct {
    const matching_product_t *product;
    int rate, amount, collateral, policy, sla;  //  components, 0..10000
    int64_t score;
    char why [200];  //  the explanation, for people
} matching_ranked_t;

//  --------------------------------------------------------------------------
//  Score the n candidates (product set) for a demand of amount_fen, and
//  put the best `top` first, in order (ties by product id), each with its
//  explanation; the others follow in no order, unexplained.

void
    matching_rank (matching_ranked_t *items, size_t n,
                   const matching_weights_t *weights, int64_t amount_fen,
                   size_t top);

//  --------------------------------------------------------------------------
//  The same order without the explanations (batches keep only scores).

void
    matching_rank_order (matching_ranked_t *items, size_t n,
                         const matching_weights_t *weights, int64_t amount_fen,
                         size_t top);

//  --------------------------------------------------------------------------
//  A product that passed the filters, as the bounded ranking reads it:
//  made in the filters' loop (matching_rank_candidate), while the
//  product is in the cache, so that ranking thousands of them reads one
//  compact array, not every product's struct a second time.

typedef struct {
    const matching_product_t *product;
    int64_t partial;  //  the weighted components but the rate's
    int rate_bp;
} matching_candidate_t;

void
    matching_rank_candidate (matching_candidate_t *candidate,
                             const matching_product_t *product,
                             const matching_weights_t *weights,
                             int64_t amount_fen);

//  The same for products [passing [i]], i < n (matching_filter_all's
//  indices), into candidates [0, n): one call, not one a product.

void
    matching_rank_candidates (matching_candidate_t *candidates,
                              const matching_product_t *products,
                              const uint32_t *passing, size_t n,
                              const matching_weights_t *weights,
                              int64_t amount_fen);

//  --------------------------------------------------------------------------
//  The best `top` (at most MATCHING_RANK_TOP_MAX) of the n candidates,
//  scored as matching_rank scores them (the same components, the same
//  sums), into best [0..top) in order and explained; the candidates are
//  not moved. Returns how many were written: min (n, top).

#define MATCHING_RANK_TOP_MAX 100

size_t
    matching_rank_best (const matching_candidate_t *candidates, size_t n,
                        const matching_weights_t *weights, int64_t amount_fen,
                        matching_ranked_t *best, size_t top);

//  The same without the explanations (batches keep only scores).

size_t
    matching_rank_best_scores (const matching_candidate_t *candidates, size_t n,
                               const matching_weights_t *weights,
                               int64_t amount_fen, matching_ranked_t *best,
                               size_t top);

#endif
