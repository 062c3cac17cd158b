/*  =========================================================================
    test_kj_hist - exact below 64, about 3% above, percentiles as the upper
    edge of their bucket, never above the largest value recorded
    =========================================================================
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "kejin.h"

static void
test_empty (void **state)
{
    kj_hist_t *hist = kj_hist_new ();
    assert_int_equal (kj_hist_count (hist), 0);
    assert_int_equal (kj_hist_max (hist), 0);
    assert_int_equal (kj_hist_percentile (hist, 500), 0);
    assert_int_equal (kj_hist_percentile (hist, 990), 0);
    kj_hist_destroy (&hist);
    assert_null (hist);
    kj_hist_destroy (&hist);  //  twice is harmless
}

static void
test_exact_below_64 (void **state)
{
    kj_hist_t *hist = kj_hist_new ();
    for (uint64_t v = 1; v <= 50; v++)
        kj_hist_record (hist, v);
    assert_int_equal (kj_hist_count (hist), 50);
    assert_int_equal (kj_hist_max (hist), 50);
    assert_int_equal (kj_hist_percentile (hist, 500), 25);
    assert_int_equal (kj_hist_percentile (hist, 990), 50);
    assert_int_equal (kj_hist_percentile (hist, 1000), 50);
    assert_int_equal (kj_hist_percentile (hist, 0), 1);  //  rank 1
    assert_int_equal (kj_hist_percentile (hist, 20), 1);
    assert_int_equal (kj_hist_percentile (hist, 21), 2);
    kj_hist_destroy (&hist);
}

static void
test_buckets_above_64 (void **state)
{
    kj_hist_t *hist = kj_hist_new ();
    //  64 .. 127: buckets of 2; 512 .. 1023 of 16: 1000 in [992, 1007]
    kj_hist_record (hist, 64);
    assert_int_equal (kj_hist_percentile (hist, 500), 64);  //  capped by max
    kj_hist_record (hist, 1000);
    kj_hist_record (hist, 5000);
    assert_int_equal (kj_hist_percentile (hist, 333), 65);
    assert_int_equal (kj_hist_percentile (hist, 500), 1007);
    assert_int_equal (kj_hist_percentile (hist, 999), 5000);
    //  Every value's bucket edge is within 1/32 above it
    kj_hist_reset (hist);
    uint64_t values [] = { 100,       777,        123456,
                           99999999,  1ULL << 40, (1ULL << 62) + 12345,
                           UINT64_MAX };
    for (size_t i = 0; i < sizeof values / sizeof values [0]; i++) {
        kj_hist_t *one = kj_hist_new ();
        kj_hist_record (one, values [i]);
        kj_hist_record (one, UINT64_MAX);
        uint64_t edge = kj_hist_percentile (one, 500);
        assert_true (edge >= values [i]);
        assert_true (edge - values [i] <= values [i] / 32);
        kj_hist_destroy (&one);
    }
    assert_int_equal (kj_hist_count (hist), 0);
    kj_hist_destroy (&hist);
}

static void
test_merge_and_reset (void **state)
{
    kj_hist_t *a = kj_hist_new ();
    kj_hist_t *b = kj_hist_new ();
    for (int i = 0; i < 10; i++)
        kj_hist_record (a, 10);
    for (int i = 0; i < 10; i++)
        kj_hist_record (b, 20);
    kj_hist_merge (a, b);
    assert_int_equal (kj_hist_count (a), 20);
    assert_int_equal (kj_hist_max (a), 20);
    assert_int_equal (kj_hist_percentile (a, 500), 10);
    assert_int_equal (kj_hist_percentile (a, 550), 20);
    assert_int_equal (kj_hist_count (b), 10);  //  other unchanged
    kj_hist_reset (a);
    assert_int_equal (kj_hist_count (a), 0);
    assert_int_equal (kj_hist_max (a), 0);
    assert_int_equal (kj_hist_percentile (a, 500), 0);
    kj_hist_destroy (&a);
    kj_hist_destroy (&b);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_empty),
        cmocka_unit_test (test_exact_below_64),
        cmocka_unit_test (test_buckets_above_64),
        cmocka_unit_test (test_merge_and_reset),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
