/*  =========================================================================
    test_kj_sql - parameters built in order and freed; rows read by column
    name, NULL refused where a value is required, text that is not the
    type refused, defaults only for NULL
    =========================================================================
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "kejin.h"

static void
test_params (void **state)
{
    kj_params_t p = { 0 };
    kj_params_add (&p, "plain");
    kj_params_add_int (&p, INT64_MIN);
    kj_params_add_bool (&p, true);
    kj_params_add_bool (&p, false);
    kj_params_add_opt (&p, "");
    kj_params_add_opt (&p, NULL);
    kj_params_add_opt (&p, "x");
    kj_params_add (&p, NULL);
    kj_params_add_owned (&p, NULL);  //  an owned NULL is SQL NULL too
    assert_int_equal (p.count, 9);
    assert_string_equal (p.values [0], "plain");
    assert_string_equal (p.values [1], "-9223372036854775808");
    assert_string_equal (p.values [2], "true");
    assert_string_equal (p.values [3], "false");
    assert_null (p.values [4]);
    assert_null (p.values [5]);
    assert_string_equal (p.values [6], "x");
    assert_null (p.values [7]);
    assert_null (p.values [8]);
    kj_params_reset (&p);
    assert_int_equal (p.count, 0);
    kj_params_add_int (&p, 42);  //  usable again after a reset
    assert_string_equal (p.values [0], "42");
    kj_params_reset (&p);
}

static void
test_array (void **state)
{
    kj_params_t p = { 0 };
    const char *items [] = { "a", "b,c", "say \"hi\"", "back\\slash", "{}" };
    kj_params_add_array (&p, items, 5);
    kj_params_add_array (&p, items, 0);
    assert_string_equal (p.values [0], "{\"a\",\"b,c\",\"say \\\"hi\\\"\","
                                       "\"back\\\\slash\",\"{}\"}");
    assert_string_equal (p.values [1], "{}");
    kj_params_reset (&p);
}

//  A result made without a server: columns n (bigint), flag (boolean),
//  name (text); row 0 has values, row 1 NULLs, row 2 malformed ones.
static PGresult *
s_result (void)
{
    PGresult *res = PQmakeEmptyPGresult (NULL, PGRES_TUPLES_OK);
    assert_non_null (res);
    PGresAttDesc attrs [3] = {
        { .name = "n", .format = 0, .typid = 20, .typlen = 8, .atttypmod = -1 },
        { .name = "flag", .typid = 16, .typlen = 1, .atttypmod = -1 },
        { .name = "name", .typid = 25, .typlen = -1, .atttypmod = -1 },
    };
    assert_int_equal (PQsetResultAttrs (res, 3, attrs), 1);
    const char *rows [3][3] = { { "-12", "t", "沈阳" },
                                { NULL, NULL, NULL },
                                { "12x", "yes", "" } };
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++) {
            const char *v = rows [r][c];
            assert_int_equal (PQsetvalue (res, r, c, (char *) v,
                                          v ? (int) strlen (v) : -1),
                              1);
        }
    return res;
}

static void
test_row_values (void **state)
{
    PGresult *res = s_result ();
    assert_int_equal (kj_sql_column (res, "flag"), 1);
    assert_int_equal (kj_sql_column (res, "nope"), -1);
    int columns [3] = { -2, -2, -2 };
    const char *const names [] = { "name", "n", "flag" };
    assert_int_equal (kj_sql_columns (res, names, columns, 3), 0);
    assert_int_equal (columns [0], 2);
    assert_int_equal (columns [1], 0);
    assert_int_equal (columns [2], 1);
    const char *const wrong [] = { "n", "nope" };
    assert_int_equal (kj_sql_columns (res, wrong, columns, 2), -1);

    int64_t n = 0;
    int small = 0;
    bool flag = false;
    assert_int_equal (kj_sql_int64 (res, 0, "n", &n), 0);
    assert_int_equal (n, -12);
    assert_int_equal (kj_sql_int (res, 0, "n", &small), 0);
    assert_int_equal (small, -12);
    assert_int_equal (kj_sql_bool (res, 0, "flag", &flag), 0);
    assert_true (flag);
    assert_string_equal (kj_sql_text (res, 0, "name"), "沈阳");
    assert_false (kj_sql_is_null (res, 0, "n"));
    assert_int_equal (kj_sql_int64_or (res, 0, "n", 7), -12);
    PQclear (res);
}

static void
test_row_null_and_malformed (void **state)
{
    PGresult *res = s_result ();
    int64_t n = 99;
    bool flag = true;
    //  NULL: refused by the plain getters, value untouched
    assert_int_equal (kj_sql_int64 (res, 1, "n", &n), -1);
    assert_int_equal (n, 99);
    assert_int_equal (kj_sql_bool (res, 1, "flag", &flag), -1);
    assert_true (kj_sql_is_null (res, 1, "name"));
    assert_null (kj_sql_text (res, 1, "name"));
    assert_int_equal (kj_sql_int64_or (res, 1, "n", 7), 7);
    //  Malformed text: refused, never half-parsed
    assert_int_equal (kj_sql_int64 (res, 2, "n", &n), -1);
    assert_int_equal (n, 99);
    assert_int_equal (kj_sql_bool (res, 2, "flag", &flag), -1);
    assert_int_equal (kj_sql_int64_or (res, 2, "n", 7), 7);
    assert_string_equal (kj_sql_text (res, 2, "name"), "");  //  "" is not NULL
    //  A column or row that is not there
    assert_int_equal (kj_sql_int64 (res, 0, "nope", &n), -1);
    assert_int_equal (kj_sql_int64 (res, 3, "n", &n), -1);
    assert_true (kj_sql_is_null (res, 0, "nope"));
    PQclear (res);
}

//  By an index kj_sql_columns resolved: the same values and refusals
static void
test_row_by_index (void **state)
{
    PGresult *res = s_result ();
    int64_t n = 99;
    int small = 99;
    bool flag = false;
    assert_int_equal (kj_sql_int64_at (res, 0, 0, &n), 0);
    assert_int_equal (n, -12);
    assert_int_equal (kj_sql_int_at (res, 0, 0, &small), 0);
    assert_int_equal (small, -12);
    assert_int_equal (kj_sql_bool_at (res, 0, 1, &flag), 0);
    assert_true (flag);
    n = 99;
    flag = true;
    //  NULL and malformed text refused, the value untouched
    assert_int_equal (kj_sql_int64_at (res, 1, 0, &n), -1);
    assert_int_equal (kj_sql_int_at (res, 1, 0, &small), -1);
    assert_int_equal (kj_sql_bool_at (res, 1, 1, &flag), -1);
    assert_int_equal (kj_sql_int64_at (res, 2, 0, &n), -1);
    assert_int_equal (kj_sql_bool_at (res, 2, 1, &flag), -1);
    assert_int_equal (kj_sql_int64_at (res, 0, 2, &n), -1);  //  text
    assert_int_equal (n, 99);
    assert_int_equal (small, -12);
    assert_true (flag);
    //  A column or row out of range, as kj_sql_columns' -1 would give
    assert_int_equal (kj_sql_int64_at (res, 0, -1, &n), -1);
    assert_int_equal (kj_sql_int64_at (res, 0, 3, &n), -1);
    assert_int_equal (kj_sql_int64_at (res, 3, 0, &n), -1);
    assert_int_equal (kj_sql_bool_at (res, -1, 1, &flag), -1);
    assert_int_equal (n, 99);
    //  Required columns: row 0 has all three, row 1 none, row 2 all
    const int all [] = { 0, 1, 2 };
    assert_int_equal (kj_sql_required (res, 0, all, 3), 0);
    assert_int_equal (kj_sql_required (res, 1, all, 3), -1);
    assert_int_equal (kj_sql_required (res, 1, all, 0), 0);
    assert_int_equal (kj_sql_required (res, 2, all + 1, 2), 0);
    PQclear (res);
}

static void
test_int_range (void **state)
{
    PGresult *res = PQmakeEmptyPGresult (NULL, PGRES_TUPLES_OK);
    PGresAttDesc attr = {
        .name = "n", .typid = 20, .typlen = 8, .atttypmod = -1
    };
    assert_int_equal (PQsetResultAttrs (res, 1, &attr), 1);
    const char *values [] = { "2147483647",          "2147483648",
                              "-2147483648",         "-2147483649",
                              "9223372036854775807", "9223372036854775808" };
    for (int r = 0; r < 6; r++)
        assert_int_equal (PQsetvalue (res, r, 0, (char *) values [r],
                                      (int) strlen (values [r])),
                          1);
    int small;
    int64_t wide;
    assert_int_equal (kj_sql_int (res, 0, "n", &small), 0);
    assert_int_equal (small, INT32_MAX);
    assert_int_equal (kj_sql_int (res, 1, "n", &small), -1);
    assert_int_equal (kj_sql_int (res, 2, "n", &small), 0);
    assert_int_equal (small, INT32_MIN);
    assert_int_equal (kj_sql_int (res, 3, "n", &small), -1);
    assert_int_equal (kj_sql_int_at (res, 1, 0, &small), -1);
    assert_int_equal (kj_sql_int_at (res, 2, 0, &small), 0);
    assert_int_equal (small, INT32_MIN);
    assert_int_equal (kj_sql_int64 (res, 4, "n", &wide), 0);
    assert_true (wide == INT64_MAX);
    assert_int_equal (kj_sql_int64 (res, 5, "n", &wide), -1);
    PQclear (res);
}

//  Numbers as PostgreSQL writes them, and nothing else: a sign, digits
static void
test_number_text (void **state)
{
    PGresult *res = PQmakeEmptyPGresult (NULL, PGRES_TUPLES_OK);
    PGresAttDesc attr = {
        .name = "n", .typid = 20, .typlen = 8, .atttypmod = -1
    };
    assert_int_equal (PQsetResultAttrs (res, 1, &attr), 1);
    const char *good [] = { "0", "-0", "+7", "007", "-9223372036854775808" };
    const int64_t want [] = { 0, 0, 7, 7, INT64_MIN };
    const char *bad [] = { "-",
                           "+",
                           " 12",
                           "12 ",
                           "--1",
                           "1e3",
                           "0x10",
                           "-9223372036854775809",
                           "99999999999999999999" };
    int rows = 0;
    for (size_t i = 0; i < sizeof good / sizeof *good; i++, rows++)
        assert_int_equal (PQsetvalue (res, rows, 0, (char *) good [i],
                                      (int) strlen (good [i])),
                          1);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++, rows++)
        assert_int_equal (PQsetvalue (res, rows, 0, (char *) bad [i],
                                      (int) strlen (bad [i])),
                          1);
    int64_t n;
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        n = 99;
        assert_int_equal (kj_sql_int64_at (res, (int) i, 0, &n), 0);
        assert_true (n == want [i]);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        n = 99;
        int row = (int) (sizeof good / sizeof *good + i);
        assert_int_equal (kj_sql_int64_at (res, row, 0, &n), -1);
        assert_int_equal (kj_sql_int64_or (res, row, "n", 5), 5);
        assert_int_equal (n, 99);
    }
    PQclear (res);
}

int
main (void)
{
    kj_log_init ("test_kj_sql", "error");
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_params),
        cmocka_unit_test (test_array),
        cmocka_unit_test (test_row_values),
        cmocka_unit_test (test_row_null_and_malformed),
        cmocka_unit_test (test_row_by_index),
        cmocka_unit_test (test_int_range),
        cmocka_unit_test (test_number_text),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
