/*  =========================================================================
    matching_rank - the order of the matched products

    Pure rules, no I/O; integer arithmetic only. See the header.
    =========================================================================
*/

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kj_i18n.h"
#include "matching_rank.h"
#include "registry.pb-c.h"

//  Decision targets of this many days or more earn nothing.
#define SLA_DAYS_ZERO 30

//  --------------------------------------------------------------------------
//  Best first, then the smaller product id.

static int
s_compare (const void *a, const void *b)
{
    const matching_ranked_t *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return strcmp (x->product->id, y->product->id);
}

//  --------------------------------------------------------------------------
//  The explanation of a scored candidate, for people

static void
s_explain (matching_ranked_t *item)
{
    //  Each component 0-10000 as a percentage with one decimal: 6666 is
    //  66.6%, not the 6666/10000 people had to divide themselves
    int c [5] = { item->rate, item->amount, item->collateral, item->policy,
                  item->sla };
    snprintf (item->why, sizeof item->why,
              _ ("rate %d.%d%%, amount %d.%d%%, collateral-free %d.%d%%, "
                 "policy %d.%d%%, decision time %d.%d%%"),
              c [0] / 100, c [0] % 100 / 10, c [1] / 100, c [1] % 100 / 10,
              c [2] / 100, c [2] % 100 / 10, c [3] / 100, c [3] % 100 / 10,
              c [4] / 100, c [4] % 100 / 10);
}

//  --------------------------------------------------------------------------
//  The rate component: best rate 10000, worst 0, all equal 10000; no
//  rate: 0

static inline int
s_rate (int rate_bp, int low, int high)
{
    if (rate_bp <= 0)
        return 0;
    if (high == low)
        return 10000;
    return (int) ((int64_t) (high - rate_bp) * 10000 / (high - low));
}

//  s_rate for the thousands of candidates of one ranking, its division by
//  d = high - low done as a multiplication: with m = ceil (2^64 / d),
//  floor (n / d) is (n * m) >> 64 exactly for every n < 2^32 when
//  1 < d < 2^32 (the excess n * (m * d - 2^64) / (d * 2^64) is below
//  1 / d, so it never carries the quotient to the next integer). A
//  ranking whose numerators (high - rate) * 10000 may reach 2^32 divides.
typedef struct {
    int low, high;
    uint64_t magic;  //  m, or 0: divide
} s_rates_t;

static s_rates_t
s_rates (int low, int high)
{
    s_rates_t rates = { low, high, 0 };
    int64_t d = (int64_t) high - low;
    if (d > 1 && d * 10000 < (INT64_C (1) << 32))
        rates.magic = UINT64_MAX / (uint64_t) d + 1;
    return rates;
}

static inline int
s_rate_fast (const s_rates_t *rates, int rate_bp)
{
    if (rates->magic && rate_bp > 0) {
        uint64_t n = (uint64_t) (rates->high - rate_bp) * 10000;
        return (int) (((unsigned __int128) n * rates->magic) >> 64);
    }
    return s_rate (rate_bp, rates->low, rates->high);
}

//  --------------------------------------------------------------------------
//  The components that depend on the product and the amount only, and
//  their weighted sum

static inline int64_t
s_static (matching_ranked_t *item, const matching_weights_t *weights,
          int64_t amount_fen)
{
    const matching_product_t *p = item->product;
    if (amount_fen <= 0 || p->max_amount_fen >= amount_fen)
        item->amount = 10000;
    else
        item->amount = (int) (p->max_amount_fen * 10000 / amount_fen);
    item->collateral = p->collateral ? 0 : 10000;
    item->policy = p->type == KJ__PRODUCT_TYPE__PRODUCT_GUARANTEED
                        || p->type == KJ__PRODUCT_TYPE__PRODUCT_IP_PLEDGE
                        || p->type == KJ__PRODUCT_TYPE__PRODUCT_FIRST_LOAN
                        || p->type == KJ__PRODUCT_TYPE__PRODUCT_RENEWAL
                     ? 10000
                     : 0;
    if (p->sla_days <= 0 || p->sla_days >= SLA_DAYS_ZERO)
        item->sla = 0;
    else
        item->sla = (SLA_DAYS_ZERO - p->sla_days) * 10000 / SLA_DAYS_ZERO;
    return (int64_t) weights->amount * item->amount
         + (int64_t) weights->collateral * item->collateral
         + (int64_t) weights->policy * item->policy
         + (int64_t) weights->sla * item->sla;
}

//  --------------------------------------------------------------------------
//  One candidate's components and score

static void
s_score (matching_ranked_t *item, const matching_weights_t *weights,
         int64_t amount_fen, int low, int high)
{
    item->rate = s_rate (item->product->rate_bp, low, high);
    item->score = (int64_t) weights->rate * item->rate
                + s_static (item, weights, amount_fen);
}

//  --------------------------------------------------------------------------
//  Components, score, explanation, order.

void
matching_rank_order (matching_ranked_t *items, size_t n,
                     const matching_weights_t *weights, int64_t amount_fen,
                     size_t top)
{
    assert (items || n == 0);
    assert (weights);
    int low = 0, high = 0;
    for (size_t i = 0; i < n; i++) {
        int rate = items [i].product->rate_bp;
        if (rate > 0 && (low == 0 || rate < low))
            low = rate;
        if (rate > high)
            high = rate;
    }
    for (size_t i = 0; i < n; i++)
        s_score (&items [i], weights, amount_fen, low, high);
    //  The best `top` in order: a partial selection when few are wanted
    //  of many, else a sort of all
    if (top > n)
        top = n;
    if (top * 16 < n) {
        for (size_t i = 0; i < top; i++) {
            size_t best = i;
            for (size_t j = i + 1; j < n; j++)
                if (s_compare (&items [j], &items [best]) < 0)
                    best = j;
            matching_ranked_t swap = items [i];
            items [i] = items [best];
            items [best] = swap;
        }
    }
    else if (n > 1)
        qsort (items, n, sizeof items [0], s_compare);
}

//  --------------------------------------------------------------------------
//  The bounded heap of matching_rank_best: the worst kept at the root.

typedef struct {
    int64_t score;
    const matching_product_t *product;
} s_kept_t;

//  True if a ranks below b (lower score, or equal and the larger id)
static inline bool
s_below (const s_kept_t *a, const s_kept_t *b)
{
    if (a->score != b->score)
        return a->score < b->score;
    return strcmp (a->product->id, b->product->id) > 0;
}

static void
s_sift_down (s_kept_t *heap, size_t n, size_t i)
{
    while (true) {
        size_t worst = i, left = 2 * i + 1, right = left + 1;
        if (left < n && s_below (&heap [left], &heap [worst]))
            worst = left;
        if (right < n && s_below (&heap [right], &heap [worst]))
            worst = right;
        if (worst == i)
            return;
        s_kept_t swap = heap [i];
        heap [i] = heap [worst];
        heap [worst] = swap;
        i = worst;
    }
}

static void
s_sift_up (s_kept_t *heap, size_t i)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!s_below (&heap [i], &heap [parent]))
            return;
        s_kept_t swap = heap [i];
        heap [i] = heap [parent];
        heap [parent] = swap;
        i = parent;
    }
}

//  --------------------------------------------------------------------------
//  A candidate for matching_rank_best.

void
matching_rank_candidate (matching_candidate_t *candidate,
                         const matching_product_t *product,
                         const matching_weights_t *weights, int64_t amount_fen)
{
    matching_ranked_t item = { .product = product };
    candidate->product = product;
    candidate->partial = s_static (&item, weights, amount_fen);
    candidate->rate_bp = product->rate_bp;
}

void
matching_rank_candidates (matching_candidate_t *candidates,
                          const matching_product_t *products,
                          const uint32_t *passing, size_t n,
                          const matching_weights_t *weights, int64_t amount_fen)
{
    for (size_t i = 0; i < n; i++)
        matching_rank_candidate (&candidates [i], &products [passing [i]],
                                 weights, amount_fen);
}

//  --------------------------------------------------------------------------
//  The best `top` of n candidates into best [], in order, scored and
//  explained if asked, through a heap of `top` entries: no copy of the
//  candidates.

static size_t
s_best (const matching_candidate_t *candidates, size_t n,
        const matching_weights_t *weights, int64_t amount_fen,
        matching_ranked_t *best, size_t top, bool explain)
{
    assert (candidates || n == 0);
    assert (weights);
    assert (best || top == 0);
    if (top > n)
        top = n;
    if (top == 0)
        return 0;
    int low = 0, high = 0;
    for (size_t i = 0; i < n; i++) {
        int rate = candidates [i].rate_bp;
        if (rate > 0 && (low == 0 || rate < low))
            low = rate;
        if (rate > high)
            high = rate;
    }
    s_kept_t heap [MATCHING_RANK_TOP_MAX];
    if (top > MATCHING_RANK_TOP_MAX)
        top = MATCHING_RANK_TOP_MAX;
    size_t kept = 0;
    s_rates_t rates = s_rates (low, high);
    for (size_t i = 0; i < n; i++) {
        const matching_candidate_t *c = &candidates [i];
        s_kept_t entry = { (int64_t) weights->rate
                                   * s_rate_fast (&rates, c->rate_bp)
                               + c->partial,
                           c->product };
        if (kept < top) {
            heap [kept] = entry;
            s_sift_up (heap, kept++);
        }
        else if (s_below (&heap [0], &entry)) {
            heap [0] = entry;
            s_sift_down (heap, kept, 0);
        }
    }
    //  Worst out first, so best [] fills from its end
    for (size_t i = kept; i-- > 0;) {
        best [i] = (matching_ranked_t){ .product = heap [0].product };
        heap [0] = heap [i];
        s_sift_down (heap, i, 0);
    }
    for (size_t i = 0; i < kept; i++) {
        s_score (&best [i], weights, amount_fen, low, high);
        if (explain)
            s_explain (&best [i]);
    }
    return kept;
}

size_t
matching_rank_best (const matching_candidate_t *candidates, size_t n,
                    const matching_weights_t *weights, int64_t amount_fen,
                    matching_ranked_t *best, size_t top)
{
    return s_best (candidates, n, weights, amount_fen, best, top, true);
}

size_t
matching_rank_best_scores (const matching_candidate_t *candidates, size_t n,
                           const matching_weights_t *weights,
                           int64_t amount_fen, matching_ranked_t *best,
                           size_t top)
{
    return s_best (candidates, n, weights, amount_fen, best, top, false);
}

void
matching_rank (matching_ranked_t *items, size_t n,
               const matching_weights_t *weights, int64_t amount_fen,
               size_t top)
{
    matching_rank_order (items, n, weights, amount_fen, top);
    if (top > n)
        top = n;
    for (size_t i = 0; i < top; i++)
        s_explain (&items [i]);
}
