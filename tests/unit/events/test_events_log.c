/*  =========================================================================
    test_events_log - the writer's rules: which rows of an Append are new,
    what a bad Append is told, how far size retention cuts
    =========================================================================
*/

#include "events_log.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

typedef struct {
    Kj__AppendRequest request;
    Kj__OutboxEvent items [8];
    Kj__OutboxEvent *pointers [8];
    Kj__Envelope envelopes [8];
} append_t;

//  An Append of n rows with the given (txid, id) pairs
static void
s_append (append_t *self, size_t n, const uint64_t pairs [][2])
{
    kj__append_request__init (&self->request);
    self->request.producer = (char *) "registry";
    for (size_t i = 0; i < n; i++) {
        kj__envelope__init (&self->envelopes [i]);
        self->envelopes [i].topic = (char *) "registry.enterprise.registered";
        kj__outbox_event__init (&self->items [i]);
        self->items [i].txid = pairs [i][0];
        self->items [i].id = pairs [i][1];
        self->items [i].event = &self->envelopes [i];
        self->pointers [i] = &self->items [i];
    }
    self->request.events = self->pointers;
    self->request.n_events = n;
}

static void
test_fresh_splits_at_the_cursor (void **state)
{
    append_t append;
    s_append (&append, 4,
              (const uint64_t [][2]){
                  { 10, 5 }, { 10, 9 }, { 11, 6 }, { 12, 1 } });
    kj_status_t status;
    assert_int_equal (events_log_check (&append.request, &status), 0);
    assert_int_equal (events_log_fresh (&append.request,
                                        (events_cursor_t){ 0, 0 }),
                      0);
    assert_int_equal (events_log_fresh (&append.request,
                                        (events_cursor_t){ 10, 9 }),
                      2);
    //  A later txid with a smaller id is still above the cursor
    assert_int_equal (events_log_fresh (&append.request,
                                        (events_cursor_t){ 10, 100 }),
                      2);
    assert_int_equal (events_log_fresh (&append.request,
                                        (events_cursor_t){ 12, 1 }),
                      4);
}

//  Text that the log's text columns cannot take is refused here.
static void
test_check_refuses_non_utf8 (void **state)
{
    append_t append;
    s_append (&append, 2, (const uint64_t [][2]){ { 10, 5 }, { 11, 6 } });
    kj_status_t status;
    append.envelopes [1].topic = (char *) "registry.\xe4\xb8";
    assert_int_equal (events_log_check (&append.request, &status), -1);
    assert_int_equal (status.code, KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "events.event.topic");
    append.envelopes [1].topic = (char *) "registry.企业";
    assert_int_equal (events_log_check (&append.request, &status), 0);
    //  '/' would pass for a mirrored city's topic at a hub
    append.envelopes [1].topic = (char *) "anshan/registry.x";
    assert_int_equal (events_log_check (&append.request, &status), -1);
    assert_string_equal (status.field, "events.event.topic");
    append.request.producer = (char *) "reg\nistry";
    assert_int_equal (events_log_check (&append.request, &status), -1);
    assert_string_equal (status.field, "producer");
}

//  The log keeps txid and id as bigint: 2^63 - 1 is the last one taken.
static void
test_check_positions_fit (void **state)
{
    append_t append;
    kj_status_t status;
    s_append (&append, 1, (const uint64_t [][2]){ { INT64_MAX, INT64_MAX } });
    assert_int_equal (events_log_check (&append.request, &status), 0);
    s_append (&append, 1,
              (const uint64_t [][2]){ { (uint64_t) INT64_MAX + 1, 1 } });
    assert_int_equal (events_log_check (&append.request, &status), -1);
    assert_int_equal (status.code, KJ__CODE__OUT_OF_RANGE);
    assert_string_equal (status.field, "events.txid");
    s_append (&append, 1,
              (const uint64_t [][2]){ { 1, (uint64_t) INT64_MAX + 1 } });
    assert_int_equal (events_log_check (&append.request, &status), -1);
    assert_string_equal (status.field, "events.id");
}

//  New rows must name finished transactions (below xmin), on both sides
//  of the boundary; duplicates below the cursor are not looked at.
static void
test_check_finished_at_xmin (void **state)
{
    append_t append;
    s_append (&append, 3,
              (const uint64_t [][2]){ { 10, 5 }, { 11, 6 }, { 12, 1 } });
    kj_status_t status;
    assert_int_equal (events_log_check_finished (&append.request, 0, 13,
                                                 &status),
                      0);
    assert_int_equal (events_log_check_finished (&append.request, 0, 12,
                                                 &status),
                      -1);
    assert_int_equal (status.code, KJ__CODE__OUT_OF_RANGE);
    assert_string_equal (status.field, "events.txid");
    assert_non_null (strstr (status.message, "event 2: txid 12"));
    assert_int_equal (events_log_check_finished (&append.request, 0, 11,
                                                 &status),
                      -1);
    assert_non_null (strstr (status.message, "event 1: txid 11"));
    //  Only the new suffix counts: all duplicates pass whatever xmin is
    assert_int_equal (events_log_check_finished (&append.request, 3, 1,
                                                 &status),
                      0);
    s_append (&append, 1, (const uint64_t [][2]){ { UINT64_C (1) << 62, 1 } });
    assert_int_equal (events_log_check_finished (&append.request, 0, 100000,
                                                 &status),
                      -1);
}

static void
test_check_refuses_bad_appends (void **state)
{
    append_t append;
    kj_status_t status;
    s_append (&append, 2, (const uint64_t [][2]){ { 10, 5 }, { 10, 5 } });
    assert_int_equal (events_log_check (&append.request, &status), -1);
    assert_int_equal (status.code, KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "events.txid");

    s_append (&append, 2, (const uint64_t [][2]){ { 11, 1 }, { 10, 5 } });
    assert_int_equal (events_log_check (&append.request, &status), -1);
    assert_string_equal (status.field, "events.txid");

    s_append (&append, 1, (const uint64_t [][2]){ { 1, 1 } });
    append.envelopes [0].topic = (char *) "$batch";
    assert_int_equal (events_log_check (&append.request, &status), -1);
    assert_string_equal (status.field, "events.event.topic");
    append.envelopes [0].topic = (char *) "";
    assert_int_equal (events_log_check (&append.request, &status), -1);

    s_append (&append, 1, (const uint64_t [][2]){ { 1, 1 } });
    append.items [0].event = NULL;
    assert_int_equal (events_log_check (&append.request, &status), -1);
    assert_string_equal (status.field, "events.event");

    s_append (&append, 1, (const uint64_t [][2]){ { 1, 1 } });
    append.request.producer = (char *) "";
    assert_int_equal (events_log_check (&append.request, &status), -1);
    assert_string_equal (status.field, "producer");

    //  No events is a valid (empty) Append
    s_append (&append, 0, NULL);
    assert_int_equal (events_log_check (&append.request, &status), 0);
}

static void
test_cut_by_bytes (void **state)
{
    //  No limit, or under it: nothing goes
    assert_int_equal (events_log_cut_by_bytes (100, 1, 10000, 0, 1000), 0);
    assert_int_equal (events_log_cut_by_bytes (100, 1, 10000, 10000, 1000), 0);
    //  100 events of 100 bytes, limit 5000: the oldest 50 go
    assert_int_equal (events_log_cut_by_bytes (100, 1, 10000, 5000, 1000), 50);
    //  ... at most max_chunk at a time
    assert_int_equal (events_log_cut_by_bytes (100, 1, 10000, 5000, 20), 20);
    //  from the tail on
    assert_int_equal (events_log_cut_by_bytes (150, 51, 10000, 5000, 1000),
                      100);
    //  never past the head
    assert_int_equal (events_log_cut_by_bytes (10, 1, 10000, 1, 1000), 10);
    //  an empty log
    assert_int_equal (events_log_cut_by_bytes (10, 11, 500, 100, 1000), 0);
}

static void
test_matches_prefixes (void **state)
{
    char *prefixes [] = { (char *) "registry.", (char *) "guarantee.claim." };
    assert_true (
        events_log_matches ("registry.enterprise.registered", prefixes, 2));
    assert_true (events_log_matches ("guarantee.claim.approved", prefixes, 2));
    assert_false (events_log_matches ("guarantee.payout.made", prefixes, 2));
    assert_false (events_log_matches ("registry", prefixes, 2));
    assert_true (events_log_matches ("anything", NULL, 0));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_fresh_splits_at_the_cursor),
        cmocka_unit_test (test_check_refuses_bad_appends),
        cmocka_unit_test (test_check_finished_at_xmin),
        cmocka_unit_test (test_check_refuses_non_utf8),
        cmocka_unit_test (test_check_positions_fit),
        cmocka_unit_test (test_cut_by_bytes),
        cmocka_unit_test (test_matches_prefixes),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
