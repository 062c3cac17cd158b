/*  =========================================================================
    test_matching_rank - golden rankings: components, weights from
    configuration, explanation, and the tie-break by product id
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "matching_rank.h"
#include "registry.pb-c.h"

static matching_product_t
s_product (const char *id, int type, int rate, int64_t max, unsigned collateral,
           int sla)
{
    matching_product_t p = { .id = id,
                             .type = type,
                             .rate_bp = rate,
                             .max_amount_fen = max,
                             .collateral = collateral,
                             .sla_days = sla };
    return p;
}

static void
test_golden_order (void **state)
{
    matching_product_t p [4] = {
        s_product ("P4", KJ__PRODUCT_TYPE__PRODUCT_CREDIT, 500, 100, 0, 0),
        s_product ("P2", KJ__PRODUCT_TYPE__PRODUCT_IP_PLEDGE, 400, 100, 2, 15),
        s_product ("P3", KJ__PRODUCT_TYPE__PRODUCT_CREDIT, 300, 50, 0, 3),
        s_product ("P1", KJ__PRODUCT_TYPE__PRODUCT_EQUITY, 0, 100, 0, 0),
    };
    matching_ranked_t items [4];
    memset (items, 0, sizeof items);
    for (int i = 0; i < 4; i++)
        items [i].product = &p [i];
    matching_weights_t weights = { 3000, 2000, 2000, 2000, 1000 };
    matching_rank (items, 4, &weights, 100, 4);
    //  P3: rate 10000, amount 5000, collateral 10000, sla 9000
    //      = 3e7 + 1e7 + 2e7 + 0 + 9e6 = 69,000,000
    //  P2: rate 5000, amount, policy, sla 5000 = 1.5e7+2e7+2e7+5e6 = 60e6
    //  P4: rate 0, amount, collateral = 4e7
    //  P1: no rate, amount, collateral = 4e7; tie with P4: P1 first
    assert_string_equal (items [0].product->id, "P3");
    assert_int_equal (items [0].score, 69000000);
    assert_int_equal (items [0].amount, 5000);
    assert_int_equal (items [0].sla, 9000);
    assert_string_equal (items [1].product->id, "P2");
    assert_int_equal (items [1].score, 60000000);
    assert_int_equal (items [1].rate, 5000);
    assert_int_equal (items [1].policy, 10000);
    assert_string_equal (items [2].product->id, "P1");
    assert_string_equal (items [3].product->id, "P4");
    assert_int_equal (items [2].score, items [3].score);
    assert_int_equal (items [2].score, 40000000);
    assert_non_null (strstr (items [0].why, "rate 100.0%, amount "));
    assert_non_null (strstr (items [1].why, "rate 50.0%, amount "));
    assert_non_null (strstr (items [1].why, ", policy 100.0%, "));

    //  other weights, other order: policy alone puts P2 first
    matching_weights_t policy = { 0, 0, 0, 10000, 0 };
    matching_rank (items, 4, &policy, 100, 4);
    assert_string_equal (items [0].product->id, "P2");
    assert_string_equal (items [1].product->id, "P1");
    assert_string_equal (items [2].product->id, "P3");
    assert_string_equal (items [3].product->id, "P4");
}

static void
test_single_and_empty (void **state)
{
    matching_product_t p = s_product ("P9", KJ__PRODUCT_TYPE__PRODUCT_CREDIT,
                                      450, 100, 0, 40);
    matching_ranked_t item = { .product = &p };
    matching_weights_t weights = { 1, 1, 1, 1, 1 };
    matching_rank (&item, 1, &weights, 0, 1);
    assert_int_equal (item.rate, 10000);
    assert_int_equal (item.sla, 0);
    assert_int_equal (item.score, 30000);
    matching_rank (NULL, 0, &weights, 100, 10);
}

//  The best few of many: the same order as a full sort, explained
static void
test_top_of_many (void **state)
{
    enum { N = 200, TOP = 5 };
    static matching_product_t p [N];
    static char ids [N][8];
    static matching_ranked_t few [N], all [N];
    for (int i = 0; i < N; i++) {
        snprintf (ids [i], sizeof ids [i], "P%03d", (i * 37) % N);
        p [i] = s_product (ids [i], KJ__PRODUCT_TYPE__PRODUCT_CREDIT,
                           300 + (i * 13) % 50, 100, 0, 0);
        few [i] = (matching_ranked_t){ .product = &p [i] };
        all [i] = few [i];
    }
    matching_weights_t weights = { 3000, 2000, 2000, 2000, 1000 };
    matching_rank (few, N, &weights, 100, TOP);
    matching_rank (all, N, &weights, 100, N);
    for (int i = 0; i < TOP; i++) {
        assert_string_equal (few [i].product->id, all [i].product->id);
        assert_true (strlen (few [i].why) > 0);
    }
    assert_int_equal (few [TOP].why [0], 0);
    //  best rate 300 at the smallest id among equals
    assert_int_equal (few [0].product->rate_bp, 300);
}

//  The bounded heap gives the full sort's best, in order, ties by id,
//  for every top from 0 to past the count; it moves no candidate
static void
test_heap_best (void **state)
{
    enum { N = 300 };
    static matching_product_t p [N];
    static char ids [N][8];
    static matching_candidate_t at [N];
    static matching_ranked_t all [N], best [MATCHING_RANK_TOP_MAX];
    for (int i = 0; i < N; i++) {
        snprintf (ids [i], sizeof ids [i], "P%03d", (i * 71) % N);
        //  Few rates and amounts: many ties
        p [i] = s_product (ids [i],
                           i % 3 ? KJ__PRODUCT_TYPE__PRODUCT_CREDIT
                                 : KJ__PRODUCT_TYPE__PRODUCT_GUARANTEED,
                           i % 5 ? 300 + (i * 13) % 4 * 50 : 0,
                           i % 2 ? 100 : 40, i % 7 == 0, i % 40);
        all [i] = (matching_ranked_t){ .product = &p [i] };
    }
    matching_weights_t weights = { 3000, 2000, 2000, 2000, 1000 };
    for (int i = 0; i < N; i++)
        matching_rank_candidate (&at [i], &p [i], &weights, 100);
    matching_rank (all, N, &weights, 100, N);
    size_t tops [] = { 0, 1, 2, 10, 99, 100 };
    for (size_t t = 0; t < sizeof tops / sizeof tops [0]; t++) {
        memset (best, 0, sizeof best);
        size_t got = matching_rank_best (at, N, &weights, 100, best, tops [t]);
        assert_int_equal (got, tops [t]);
        for (size_t i = 0; i < got; i++) {
            assert_ptr_equal (best [i].product, all [i].product);
            assert_int_equal (best [i].score, all [i].score);
            assert_string_equal (best [i].why, all [i].why);
        }
        //  The batch's: the same order and scores, no explanations
        memset (best, 0, sizeof best);
        got = matching_rank_best_scores (at, N, &weights, 100, best, tops [t]);
        assert_int_equal (got, tops [t]);
        for (size_t i = 0; i < got; i++) {
            assert_ptr_equal (best [i].product, all [i].product);
            assert_int_equal (best [i].score, all [i].score);
            assert_string_equal (best [i].why, "");
        }
    }
    for (int i = 0; i < N; i++)
        assert_ptr_equal (at [i].product, &p [i]);
    //  The candidates of some of them by index (matching_filter_all's):
    //  what matching_rank_candidate makes of each, in the indices' order
    static uint32_t index [N];
    static matching_candidate_t some [N];
    size_t n = 0;
    for (uint32_t i = 0; i < N; i += 3)
        index [n++] = i;
    matching_rank_candidates (some, p, index, n, &weights, 100);
    for (size_t i = 0; i < n; i++) {
        assert_ptr_equal (some [i].product, &p [index [i]]);
        assert_int_equal (some [i].partial, at [index [i]].partial);
        assert_int_equal (some [i].rate_bp, at [index [i]].rate_bp);
    }
    //  Fewer candidates than wanted; none
    assert_int_equal (matching_rank_best (at, 3, &weights, 100, best, 10), 3);
    assert_int_equal (matching_rank_best (NULL, 0, &weights, 100, best, 10), 0);
}

//  The heap scores the rate component by multiplication (matching_rank.c
//  s_rate_fast), the full sort by division: every order and score the
//  same for spreads of rates from 1 to past the multiplication's limit
//  (the rate and the decision time weighted 1 each, so that a component
//  one off would move a product past its neighbours, or break a tie)
static void
test_heap_rates_spread (void **state)
{
    enum { N = MATCHING_RANK_TOP_MAX };
    static matching_product_t p [N];
    static char ids [N][8];
    static matching_candidate_t at [N];
    static matching_ranked_t all [N], best [N];
    int spreads [] = { 1,    2,     3,      7,      100,     999,
                       4096, 65536, 429495, 429497, 1000000, 100000000 };
    matching_weights_t weights = { 1, 0, 0, 0, 1 };
    uint32_t seed = 12345;
    for (size_t s = 0; s < sizeof spreads / sizeof spreads [0]; s++) {
        for (int i = 0; i < N; i++) {
            seed = seed * 1103515245u + 12345u;
            int rate = 50 + (int) ((seed >> 8) % (uint32_t) (spreads [s] + 1));
            if (i == 0)
                rate = 50;
            if (i == 1)
                rate = 50 + spreads [s];
            snprintf (ids [i], sizeof ids [i], "P%03d", (i * 37) % N);
            p [i] = s_product (ids [i], KJ__PRODUCT_TYPE__PRODUCT_CREDIT, rate,
                               100, 0, 1 + (int) (seed >> 20) % 60);
            all [i] = (matching_ranked_t){ .product = &p [i] };
            matching_rank_candidate (&at [i], &p [i], &weights, 100);
        }
        matching_rank (all, N, &weights, 100, N);
        size_t got = matching_rank_best (at, N, &weights, 100, best, N);
        assert_int_equal (got, N);
        for (size_t i = 0; i < got; i++) {
            assert_ptr_equal (best [i].product, all [i].product);
            assert_int_equal (best [i].score, all [i].score);
        }
    }
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_golden_order),
        cmocka_unit_test (test_single_and_empty),
        cmocka_unit_test (test_top_of_many),
        cmocka_unit_test (test_heap_best),
        cmocka_unit_test (test_heap_rates_spread),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
