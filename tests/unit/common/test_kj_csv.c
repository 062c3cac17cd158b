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
#include <csv.h>

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

//  --------------------------------------------------------------------------
//  kj_csv_read reads plain lines itself and hands the rest to libcsv: on
//  random text of commas, blanks, quotes, CR and LF it must give exactly
//  the rows, return code and message of libcsv alone (the reader as it
//  was before the fast way, kept here as the reference)

typedef struct {
    char *out;
    size_t used;
    char field [4096];
    size_t field_size;
    char line [8192];
    size_t line_size;
    uint32_t row;
} s_ref_t;

static void
s_ref_field (void *data, size_t size, void *arg)
{
    s_ref_t *self = (s_ref_t *) arg;
    int at = snprintf (self->line + self->line_size,
                       sizeof self->line - self->line_size, "%s[%.*s]",
                       self->line_size ? "," : "", (int) size,
                       data ? (const char *) data : "");
    self->line_size += (size_t) at;
}

static void
s_ref_row (int end, void *arg)
{
    (void) end;
    s_ref_t *self = (s_ref_t *) arg;
    self->row++;
    self->used += (size_t) sprintf (self->out + self->used, "%u:%s|", self->row,
                                    self->line);
    self->line_size = 0;
    self->line [0] = 0;
}

static int
s_reference (const char *text, char *out)
{
    struct csv_parser parser;
    assert_int_equal (csv_init (&parser, CSV_STRICT | CSV_STRICT_FINI), 0);
    s_ref_t self = { .out = out };
    out [0] = 0;
    int rc = 0;
    size_t size = strlen (text);
    //  In pieces, as a file is read
    for (size_t at = 0; at < size && !rc; at += 7) {
        size_t n = size - at < 7 ? size - at : 7;
        if (csv_parse (&parser, text + at, n, s_ref_field, s_ref_row, &self)
            != n)
            rc = -1;
    }
    if (!rc && csv_fini (&parser, s_ref_field, s_ref_row, &self))
        rc = -1;
    csv_free (&parser);
    return rc;
}

static int
s_collect_all (uint32_t row, const char *const *fields, size_t count, void *arg)
{
    char *out = (char *) arg;
    size_t at = strlen (out);
    at += (size_t) sprintf (out + at, "%u:", row);
    for (size_t i = 0; i < count; i++)
        at += (size_t) sprintf (out + at, "%s[%s]", i ? "," : "", fields [i]);
    strcpy (out + at, "|");
    return 0;
}

static void
test_read_agrees_with_libcsv (void **state)
{
    (void) state;
    static const char alphabet [] = "ab,, \t\"\r\n\n";
    uint64_t seed = 12345;
    char text [200], got [8192], want [8192], error [200];
    for (int round = 0; round < 200000; round++) {
        size_t size = 0, length = (size_t) (seed % 40);
        for (; size < length; size++) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            text [size] = alphabet [seed % (sizeof alphabet - 1)];
        }
        text [size] = 0;
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        int expected = s_reference (text, want);
        FILE *file = fmemopen (text, size ? size : 1, "r");
        assert_non_null (file);
        if (!size)
            fgetc (file);  //  fmemopen will not open 0 bytes
        got [0] = 0;
        int rc = kj_csv_read (file, s_collect_all, got, error, sizeof error);
        fclose (file);
        if (rc != expected || (rc == 0 && strcmp (got, want))) {
            fprintf (stderr, "text [%s]\n got %d %s\nwant %d %s\n", text, rc,
                     got, expected, want);
            fail ();
        }
    }
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
        cmocka_unit_test (test_read_agrees_with_libcsv),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
