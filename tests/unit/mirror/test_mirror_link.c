/*  =========================================================================
    test_mirror_link - which links a hub holds, and the state of each

    mirror/links parsed and refused (names, duplicates, too many, no
    connection string), and every way a link's state follows from what
    was seen of it, GAP first and for good.
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "mirror.h"

static void
test_parse (void **state)
{
    (void) state;
    mirror_peer_t peers [MIRROR_LINKS_MAX];
    int count = -1;
    kj_status_t status;
    assert_int_equal (mirror_links_parse ("", peers, &count, &status), 0);
    assert_int_equal (count, 0);
    assert_int_equal (
        mirror_links_parse (" anshan = host=/x port=5 user=kejin_link ;"
                            "dalian_2=host=y password=a=b; ",
                            peers, &count, &status),
        0);
    assert_int_equal (count, 2);
    //  The city stops at the first '='; spaces around it and the item go
    assert_string_equal (peers [0].city, "anshan");
    assert_string_equal (peers [0].conninfo, "host=/x port=5 user=kejin_link");
    assert_string_equal (peers [1].city, "dalian_2");
    assert_string_equal (peers [1].conninfo, "host=y password=a=b");
    mirror_links_free (peers, count);
}

static void
test_parse_refused (void **state)
{
    (void) state;
    mirror_peer_t peers [MIRROR_LINKS_MAX];
    int count;
    kj_status_t status;
    const char *bad [] = {
        "Anshan=host=x",  "anshan",
        "anshan=",        "anshan=  ",
        "=host=x",        "1city=host=x",
        "an-shan=host=x", "a234567890123456789012345678901x=host=x"
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        assert_int_equal (mirror_links_parse (bad [i], peers, &count, &status),
                          -1);
        assert_int_equal (status.code, KJ__CODE__INVALID_ARGUMENT);
        assert_string_equal (status.field, "mirror/links");
        assert_int_equal (count, 0);
    }
    assert_int_equal (mirror_links_parse ("a=host=x;b=host=y;a=host=z", peers,
                                          &count, &status),
                      -1);
    assert_non_null (strstr (status.message, "city a twice"));
    char many [2048] = "";
    for (int i = 0; i <= MIRROR_LINKS_MAX; i++)
        snprintf (many + strlen (many), sizeof many - strlen (many),
                  "c%d=host=x;", i);
    assert_int_equal (mirror_links_parse (many, peers, &count, &status), -1);
    assert_int_equal (status.code, KJ__CODE__OUT_OF_RANGE);
}

static Kj__LinkState
s_state (mirror_seen_t seen, const char **reason)
{
    const char *ignored;
    return mirror_link_state (&seen, reason ? reason : &ignored);
}

static void
test_state (void **state)
{
    (void) state;
    const char *reason;
    mirror_seen_t whole = { .origin_reached = true,
                            .slot_found = true,
                            .running = true,
                            .hub_head = 10,
                            .origin_head = 10 };
    assert_int_equal (s_state (whole, &reason), KJ__LINK_STATE__LINK_OK);
    assert_string_equal (reason, "");
    mirror_seen_t behind = whole;
    behind.hub_head = 9;
    assert_int_equal (s_state (behind, NULL), KJ__LINK_STATE__LINK_CATCHING_UP);
    mirror_seen_t stopped = whole;
    stopped.running = false;
    assert_int_equal (s_state (stopped, &reason), KJ__LINK_STATE__LINK_DOWN);
    assert_non_null (strstr (reason, "apply worker"));
    mirror_seen_t away = { .origin_error = "connection refused" };
    assert_int_equal (s_state (away, &reason), KJ__LINK_STATE__LINK_DOWN);
    assert_string_equal (reason, "connection refused");
    away.origin_error = NULL;
    assert_int_equal (s_state (away, &reason), KJ__LINK_STATE__LINK_DOWN);
    assert_string_equal (reason, "the origin does not answer");
    //  Down is not a gap: an unreachable origin says nothing of its slot
    away.slot_lost = true;
    assert_int_equal (s_state (away, NULL), KJ__LINK_STATE__LINK_DOWN);
}

static void
test_gap (void **state)
{
    (void) state;
    const char *reason;
    mirror_seen_t lost = { .origin_reached = true,
                           .slot_found = true,
                           .slot_lost = true,
                           .running = true };
    assert_int_equal (s_state (lost, &reason), KJ__LINK_STATE__LINK_GAP);
    assert_non_null (strstr (reason, "max_slot_wal_keep_size"));
    mirror_seen_t gone = { .origin_reached = true, .running = true };
    assert_int_equal (s_state (gone, &reason), KJ__LINK_STATE__LINK_GAP);
    assert_non_null (strstr (reason, "slot is gone"));
    //  Once GAP, whatever is seen later
    mirror_seen_t whole = { .previous = KJ__LINK_STATE__LINK_GAP,
                            .origin_reached = true,
                            .slot_found = true,
                            .running = true,
                            .hub_head = 5,
                            .origin_head = 5 };
    assert_int_equal (s_state (whole, &reason), KJ__LINK_STATE__LINK_GAP);
    assert_non_null (strstr (reason, "re-seed"));
    assert_string_equal (mirror_link_topic (KJ__LINK_STATE__LINK_GAP),
                         "mirror.link.gap");
    assert_string_equal (mirror_link_topic (KJ__LINK_STATE__LINK_CATCHING_UP),
                         "mirror.link.catching_up");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_parse),
        cmocka_unit_test (test_parse_refused),
        cmocka_unit_test (test_state),
        cmocka_unit_test (test_gap),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
