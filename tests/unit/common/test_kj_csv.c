/*  =========================================================================
    test_kj_csv - cutting CSV text into chunks of whole rows
    =========================================================================
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "kejin.h"

static const char *s_data = "a,b\nc,\"d\ne\"\nf,g\n";

static void
test_cut_keeps_quoted_newlines_together (void **state)
{
    size_t size = strlen (s_data);
    uint32_t lines;
    //  Want 6 bytes: the first row only (the newline at 9 is quoted)
    assert_int_equal (kj_csv_cut (s_data, size, 6, false, &lines), 4);
    assert_int_equal (lines, 1);
    //  Want 9: still only the first; the quoted row ends at 12
    assert_int_equal (kj_csv_cut (s_data, size, 9, false, &lines), 4);
    //  Want 12: both rows, 3 lines
    assert_int_equal (kj_csv_cut (s_data, size, 12, false, &lines), 12);
    assert_int_equal (lines, 3);
    //  Want 2: nothing ends before, so the first row anyway
    assert_int_equal (kj_csv_cut (s_data, size, 2, false, &lines), 4);
    //  No newline at all: 0, more data is needed
    assert_int_equal (kj_csv_cut ("a,b", 3, 2, false, &lines), 0);
}

static void
test_cut_at_end_of_file (void **state)
{
    uint32_t lines;
    //  A last row without a newline ends the file
    assert_int_equal (kj_csv_cut ("a,b", 3, 2, true, &lines), 3);
    assert_int_equal (lines, 0);
    //  All that is left fits the chunk: all of it
    assert_int_equal (kj_csv_cut ("a,b\nc,d", 7, 100, true, &lines), 7);
    assert_int_equal (lines, 1);
    //  More than a chunk left: whole rows still
    assert_int_equal (kj_csv_cut (s_data, strlen (s_data), 6, true, &lines),
                      4);
    assert_int_equal (lines, 1);
    //  Nothing at all
    assert_int_equal (kj_csv_cut ("", 0, 10, true, &lines), 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_cut_keeps_quoted_newlines_together),
        cmocka_unit_test (test_cut_at_end_of_file),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
