/*  =========================================================================
    test_events_refusals - refused subscriptions coalesced for the audit
    trail: a row for the first of each key and topic in a window, one row
    counting the repeats when it closes, the overflow past the pairs in
    one row, and never more than 2 * pairs + 1 rows a window
    =========================================================================
*/

#include "events_refusals.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#define WINDOW 10000000

typedef struct {
    size_t rows;
    uint64_t counted;      //  sum of the counts of the closing rows
    uint64_t overflow;     //  the overflow row's count
    char last_topic [64];  //  of the last pair row
} closing_t;

static void
s_closing (const char *key, const char *role, const char *city,
           const char *topic, uint64_t count, void *arg)
{
    closing_t *self = (closing_t *) arg;
    self->rows++;
    self->counted += count;
    if (topic) {
        assert_string_equal (role, "integrator");
        assert_string_equal (city, "210300");
        assert_non_null (key);
        snprintf (self->last_topic, sizeof self->last_topic, "%s", topic);
    }
    else {
        assert_string_equal (key, "");
        self->overflow = count;
    }
}

static bool
s_note (events_refusals_t *self, const char *key, const char *topic,
        int64_t now)
{
    return events_refusals_note (self, key, "integrator", "210300", topic, now);
}

//  100 distinct topics: 100 rows at once, none at the close
static void
test_each_pair_once (void **state)
{
    (void) state;
    events_refusals_t *self = events_refusals_new (WINDOW, 1000);
    char topic [32];
    for (int i = 0; i < 100; i++) {
        snprintf (topic, sizeof topic, "registry.x%d", i);
        assert_true (s_note (self, "bank", topic, 1000 + i));
    }
    //  Another key, same topic: its own row
    assert_true (s_note (self, "bank-2", "registry.x0", 2000));
    closing_t closing = { 0 };
    assert_false (events_refusals_due (self, 1000 + WINDOW - 1));
    assert_int_equal (events_refusals_close (self, 1000 + WINDOW - 1, s_closing,
                                             &closing),
                      0);
    assert_true (events_refusals_due (self, 1000 + WINDOW));
    assert_int_equal (events_refusals_close (self, 1000 + WINDOW, s_closing,
                                             &closing),
                      0);
    assert_int_equal (closing.rows, 0);
    assert_false (events_refusals_due (self, 1000 + 2 * WINDOW));
    events_refusals_destroy (&self);
    assert_null (self);
}

//  The same pair 100 times: a row at once, one row of 99 at the close,
//  and after it a new window with a row at once again
static void
test_repeats_counted_in_one_row (void **state)
{
    (void) state;
    events_refusals_t *self = events_refusals_new (WINDOW, 1000);
    assert_true (s_note (self, "bank", "registry.same", 5));
    for (int i = 1; i < 100; i++)
        assert_false (s_note (self, "bank", "registry.same", 5 + i));
    closing_t closing = { 0 };
    assert_int_equal (events_refusals_close (self, 5 + WINDOW, s_closing,
                                             &closing),
                      1);
    assert_int_equal (closing.counted, 99);
    assert_string_equal (closing.last_topic, "registry.same");
    assert_int_equal (closing.overflow, 0);
    assert_true (s_note (self, "bank", "registry.same", 6 + WINDOW));
    events_refusals_destroy (&self);
}

//  A stranger's flood of distinct topics: pairs rows, then one row for
//  the rest, whatever the number
static void
test_flood_bounded (void **state)
{
    (void) state;
    events_refusals_t *self = events_refusals_new (WINDOW, 10);
    size_t rows = 0;
    char topic [32];
    for (int i = 0; i < 100000; i++) {
        snprintf (topic, sizeof topic, "t%d", i % 50);
        rows += s_note (self, "stranger", topic, 1 + i / 100);
    }
    assert_int_equal (rows, 10);
    closing_t closing = { 0 };
    rows += events_refusals_close (self, 1 + WINDOW, s_closing, &closing);
    assert_true (rows <= 2 * 10 + 1);
    assert_int_equal (closing.rows, 11);
    //  Every refusal is in a row: 10 at once, the rest counted
    assert_int_equal (10 + closing.counted, 100000);
    assert_int_equal (closing.overflow, 100000 - 10 * (100000 / 50));
    events_refusals_destroy (&self);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_each_pair_once),
        cmocka_unit_test (test_repeats_counted_in_one_row),
        cmocka_unit_test (test_flood_bounded),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
