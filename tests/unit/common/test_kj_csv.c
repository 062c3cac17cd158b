/*  =========================================================================
    test_kj_csv - cutting CSV text into chunks of whole rows; reading a
    CSV file row by row
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
    assert_int_equal (kj_csv_cut (s_data, strlen (s_data), 6, true, &lines), 4);
    assert_int_equal (lines, 1);
    //  Nothing at all
    assert_int_equal (kj_csv_cut ("", 0, 10, true, &lines), 0);
}

//  --------------------------------------------------------------------------
//  kj_csv_read: rows as text, joined by '|', one string per call

static int
s_collect (uint32_t row, const char *const *fields, size_t count, void *arg)
{
    char *out = (char *) arg;
    char line [256];
    int at = snprintf (line, sizeof line, "%u:", row);
    for (size_t i = 0; i < count; i++)
        at += snprintf (line + at, sizeof line - at, "%s[%s]", i ? "," : "",
                        fields [i]);
    strcat (out, line);
    strcat (out, "|");
    return row == 99 ? 7 : 0;
}

static int
s_read (const char *text, char *out, char *error)
{
    FILE *file = fmemopen ((void *) text, strlen (text), "r");
    assert_non_null (file);
    out [0] = error [0] = 0;
    int rc = kj_csv_read (file, s_collect, out, error, 200);
    fclose (file);
    return rc;
}

static void
test_read_rows_with_quotes_and_empty_fields (void **state)
{
    char out [1024], error [200];
    assert_int_equal (s_read ("id,kind\r\na,\"x,\"\"y\"\"\"\n\n,\n"
                              "\"two\nlines\",z",
                              out, error),
                      0);
    assert_string_equal (out, "1:[id],[kind]|2:[a],[x,\"y\"]|3:[],[]|"
                              "4:[two\nlines],[z]|");
}

static void
test_read_refuses_malformed_and_oversized (void **state)
{
    char out [1024], error [200];
    //  A quote inside an unquoted field is not CSV (strict)
    assert_int_equal (s_read ("a,b\nc,d\"e\n", out, error), -1);
    assert_string_equal (out, "1:[a],[b]|");
    assert_non_null (strstr (error, "row 2 is not well-formed CSV"));
    //  An unterminated quote at the end
    assert_int_equal (s_read ("a,b\n\"c,d\n", out, error), -1);
    assert_non_null (strstr (error, "row 2 is not well-formed CSV"));
    //  Too many fields: refused with the row, fn never sees it
    char wide [KJ_CSV_MAX_FIELDS * 2 + 16] = "h\n";
    for (int i = 0; i <= KJ_CSV_MAX_FIELDS; i++)
        strcat (wide, i ? ",x" : "x");
    assert_int_equal (s_read (wide, out, error), -1);
    assert_string_equal (out, "1:[h]|");
    assert_string_equal (error, "row 2 has more than 256 fields");
}

//  A field past the limit stops the read there: the reader does not take
//  the rest of a runaway field into memory (it read all 8 MiB of it, and
//  held it, before the bound)
static void
test_read_stops_at_a_runaway_field (void **state)
{
    size_t size = 8 << 20;
    char *text = (char *) malloc (size + 1);
    assert_non_null (text);
    memcpy (text, "h\n", 2);
    memset (text + 2, 'x', size - 2);
    text [size] = 0;
    FILE *file = fmemopen (text, size, "r");
    assert_non_null (file);
    char out [1024] = "", error [200] = "";
    assert_int_equal (kj_csv_read (file, s_collect, out, error, sizeof error),
                      -1);
    assert_string_equal (out, "1:[h]|");
    assert_string_equal (error, "row 2 has a field longer than 65536 bytes");
    assert_true (ftell (file) < 1 << 20);
    fclose (file);
    free (text);
}

static void
test_read_stops_when_fn_says_so (void **state)
{
    char text [2048] = "", out [8192], error [200];
    for (int i = 0; i < 120; i++)
        strcat (text, "r\n");
    assert_int_equal (s_read (text, out, error), 7);
    assert_non_null (strstr (out, "99:[r]|"));
    assert_null (strstr (out, "100:"));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_cut_keeps_quoted_newlines_together),
        cmocka_unit_test (test_cut_at_end_of_file),
        cmocka_unit_test (test_read_rows_with_quotes_and_empty_fields),
        cmocka_unit_test (test_read_refuses_malformed_and_oversized),
        cmocka_unit_test (test_read_stops_when_fn_says_so),
        cmocka_unit_test (test_read_stops_at_a_runaway_field),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
