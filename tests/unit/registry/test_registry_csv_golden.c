/*  =========================================================================
    test_registry_csv_golden - the institution and product CSV files, byte
    for byte as the registry wrote and read them before the field tables
    drove them

    The files in tests/unit/registry/golden/ were made by the per-column
    code (commit 170eeb8): the demo's institutions and products exported,
    and two files with a problem in every column, with the rows and the
    problems read from them. Reading and writing must give the same bytes.
    Run from the repository's root (tests/run.sh does).
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "registry_csv.h"
#include "registry_demo.h"

#define S_GOLDEN "tests/unit/registry/golden/"

static const registry_csv_options_t s_options = { .today = { 2026, 5, 10 } };

//  The whole of a golden file, NUL-ended; fails the test if missing.
static char *
s_read (const char *name)
{
    char path [256];
    snprintf (path, sizeof path, S_GOLDEN "%s", name);
    FILE *file = fopen (path, "rb");
    if (!file)
        fail_msg ("%s: missing (run from the repository's root)", path);
    fseek (file, 0, SEEK_END);
    long size = ftell (file);
    fseek (file, 0, SEEK_SET);
    char *data = (char *) malloc ((size_t) size + 1);
    assert_non_null (data);
    assert_int_equal (fread (data, 1, (size_t) size, file), (size_t) size);
    data [size] = 0;
    fclose (file);
    return data;
}

//  What reading a file gave: each valid row written again in the file's
//  columns after its line, and each problem as "line|field|reason|value".
typedef struct {
    registry_csv_t *layout;
    registry_csv_buf_t out;
} s_read_t;

static void
s_on_row (const registry_csv_row_t *row, void *arg)
{
    s_read_t *result = (s_read_t *) arg;
    char line [16];
    snprintf (line, sizeof line, "%u:", row->line);
    registry_csv_buf_append (&result->out, line, strlen (line));
    registry_csv_format (result->layout, row, &result->out);
}

static void
s_on_error (const registry_csv_error_t *error, void *arg)
{
    s_read_t *result = (s_read_t *) arg;
    char line [1024];
    snprintf (line, sizeof line, "%u|%s|%s|%s\n", error->line, error->field,
              error->reason, error->value ? error->value : "");
    registry_csv_buf_append (&result->out, line, strlen (line));
}

//  Read text (a header line, then rows) of kind into out.
static void
s_parse (registry_csv_kind_t kind, const char *text, registry_csv_buf_t *out)
{
    const char *newline = strchr (text, '\n');
    assert_non_null (newline);
    kj_status_t status;
    s_read_t result = { .layout = registry_csv_new (kind, text,
                                                    (size_t) (newline - text),
                                                    &s_options, &status) };
    assert_non_null (result.layout);
    registry_csv_buf_append (&result.out, "", 0);
    registry_csv_parse (result.layout, newline + 1, strlen (newline + 1), 2,
                        s_on_row, s_on_error, &result);
    registry_csv_destroy (&result.layout);
    *out = result.out;
}

static void
s_collect (const registry_csv_row_t *row, void *arg)
{
    registry_csv_format (NULL, row, (registry_csv_buf_t *) arg);
}

//  --------------------------------------------------------------------------
//  The demo's institutions and products, exported: the same file; read
//  back and written again: the same rows

static void
s_assert_export (registry_csv_kind_t kind, const char *name)
{
    registry_demo_config_t config = { .seed = 7,
                                      .enterprises = 500,
                                      .today = { 2026, 5, 10 } };
    kj_status_t status;
    registry_demo_t *demo = registry_demo_new (&config, &status);
    assert_non_null (demo);
    registry_csv_buf_t file = { 0 };
    registry_csv_header (kind, &file);
    if (kind == REGISTRY_CSV_INSTITUTIONS)
        registry_demo_institutions (demo, s_collect, &file);
    else
        registry_demo_products (demo, s_collect, &file);
    registry_demo_destroy (&demo);
    char *golden = s_read (name);
    assert_string_equal (file.data, golden);

    registry_csv_buf_t again;
    s_parse (kind, golden, &again);
    //  Without the line prefixes, the golden file's rows
    registry_csv_buf_t rows = { 0 };
    registry_csv_buf_append (&rows, "", 0);
    for (const char *at = again.data; *at;) {
        const char *colon = strchr (at, ':');
        assert_non_null (colon);
        const char *end = strchr (colon, '\n');
        registry_csv_buf_append (&rows, colon + 1, (size_t) (end - colon));
        at = end + 1;
    }
    assert_string_equal (rows.data, strchr (golden, '\n') + 1);
    registry_csv_buf_free (&rows);
    registry_csv_buf_free (&again);
    registry_csv_buf_free (&file);
    free (golden);
}

static void
test_institutions_exported_as_before (void **state)
{
    s_assert_export (REGISTRY_CSV_INSTITUTIONS, "institutions.csv");
}

static void
test_products_exported_as_before (void **state)
{
    s_assert_export (REGISTRY_CSV_PRODUCTS, "products.csv");
}

//  --------------------------------------------------------------------------
//  Files with a problem in every column (Chinese headers): the same rows
//  and the same problems, in the same words

static void
s_assert_read (registry_csv_kind_t kind, const char *name, const char *expect)
{
    char *text = s_read (name);
    registry_csv_buf_t out;
    s_parse (kind, text, &out);
    char *golden = s_read (expect);
    assert_string_equal (out.data, golden);
    registry_csv_buf_free (&out);
    free (golden);
    free (text);
}

static void
test_institution_problems_as_before (void **state)
{
    s_assert_read (REGISTRY_CSV_INSTITUTIONS, "institutions_bad.csv",
                   "institutions_bad.out");
}

static void
test_product_problems_as_before (void **state)
{
    s_assert_read (REGISTRY_CSV_PRODUCTS, "products_bad.csv",
                   "products_bad.out");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_institutions_exported_as_before),
        cmocka_unit_test (test_products_exported_as_before),
        cmocka_unit_test (test_institution_problems_as_before),
        cmocka_unit_test (test_product_problems_as_before),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
