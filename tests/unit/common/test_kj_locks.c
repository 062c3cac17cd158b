/*  =========================================================================
    test_kj_locks - one table of advisory-lock namespaces: numbers unique,
    each as its macro says, names found back from numbers
    =========================================================================
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "kejin.h"

static void
test_table_matches_macros (void **state)
{
    struct {
        const char *macro;
        const char *name;
    } macros [] = {
        { KJ_LOCK_BOOTSTRAP, "KJ_LOCK_BOOTSTRAP" },
        { KJ_LOCK_MIGRATE, "KJ_LOCK_MIGRATE" },
        { KJ_LOCK_ENTITY, "KJ_LOCK_ENTITY" },
        { KJ_LOCK_IDEMPOTENCY, "KJ_LOCK_IDEMPOTENCY" },
        { KJ_LOCK_EVENTS_WRITER, "KJ_LOCK_EVENTS_WRITER" },
        { KJ_LOCK_RELAY, "KJ_LOCK_RELAY" },
        { KJ_LOCK_AUDIT_SEAL, "KJ_LOCK_AUDIT_SEAL" },
        { KJ_LOCK_IPO_FIT, "KJ_LOCK_IPO_FIT" },
        { KJ_LOCK_SCORING_STAGE, "KJ_LOCK_SCORING_STAGE" },
        { KJ_LOCK_TOPIC, "KJ_LOCK_TOPIC" },
    };
    size_t n = sizeof macros / sizeof macros [0];
    size_t rows = 0;
    while (kj_locks [rows].name)
        rows++;
    assert_int_equal (rows, n);  //  every macro has its row, no more
    for (size_t i = 0; i < n; i++) {
        int number = atoi (macros [i].macro);
        assert_string_equal (kj_lock_name (number), macros [i].name);
        assert_true (streq (kj_locks [i].scope, "xact")
                     || streq (kj_locks [i].scope, "session"));
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal (kj_locks [i].number, kj_locks [j].number);
    }
    assert_null (kj_lock_name (0));
    assert_null (kj_lock_name (19269));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_table_matches_macros),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
