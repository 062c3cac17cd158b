/*  =========================================================================
    test_registry_csv - the CSV files of the bulk import: headers, rows of
    every kind, every problem of a row with its line and column, quoting,
    line numbers across quoted newlines, formatting
    that reads back to the same message, and the institution and product
    files byte for byte as before their field tables drove them
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
#include "kj_util.h"

static const registry_csv_options_t s_options = { .today = { 2026, 5, 10 } };

//  What a parse gave: rows re-formatted, and the problems as text lines
//  "line|field|reason|value".
typedef struct {
    registry_csv_buf_t rows;
    registry_csv_buf_t errors;
    int n_rows, n_errors;
    registry_csv_t *layout;
    bool together;  //  problems into rows, in the file's order
} s_result_t;

static void
s_on_row (const registry_csv_row_t *row, void *arg)
{
    s_result_t *result = (s_result_t *) arg;
    char line [16];
    snprintf (line, sizeof line, "%u:", row->line);
    registry_csv_buf_append (&result->rows, line, strlen (line));
    registry_csv_format (result->layout, row, &result->rows);
    result->n_rows++;
}

static void
s_on_error (const registry_csv_error_t *error, void *arg)
{
    s_result_t *result = (s_result_t *) arg;
    char line [1024];
    snprintf (line, sizeof line, "%u|%s|%s|%s\n", error->line, error->field,
              error->reason, error->value ? error->value : "");
    registry_csv_buf_append (result->together ? &result->rows : &result->errors,
                             line, strlen (line));
    result->n_errors++;
}

//  Parse text (header line, then rows from line 2) of kind; together:
//  the problems among the rows.
static s_result_t
s_parse_as (registry_csv_kind_t kind, const char *text, bool together)
{
    s_result_t result = { .together = together };
    const char *newline = strchr (text, '\n');
    assert_non_null (newline);
    kj_status_t status;
    registry_csv_t *csv = registry_csv_new (kind, text,
                                            (size_t) (newline - text),
                                            &s_options, &status);
    assert_non_null (csv);
    result.layout = csv;
    registry_csv_buf_append (&result.rows, "", 0);
    registry_csv_buf_append (&result.errors, "", 0);
    registry_csv_parse (csv, newline + 1, strlen (newline + 1), 2, s_on_row,
                        s_on_error, &result);
    return result;
}

static s_result_t
s_parse (registry_csv_kind_t kind, const char *text)
{
    return s_parse_as (kind, text, false);
}

static void
s_free (s_result_t *result)
{
    registry_csv_destroy (&result->layout);
    registry_csv_buf_free (&result->rows);
    registry_csv_buf_free (&result->errors);
}

//  Parse text of kind, expecting n_rows rows, read back as rows (when not
//  NULL), and exactly the problems errors.
static void
s_assert_parse (registry_csv_kind_t kind, const char *text, int n_rows,
                const char *rows, const char *errors)
{
    s_result_t result = s_parse (kind, text);
    assert_int_equal (result.n_rows, n_rows);
    if (rows)
        assert_string_equal (result.rows.data, rows);
    assert_string_equal (result.errors.data, errors);
    s_free (&result);
}

static const char *s_enterprise_header =
    "code,name,region,industry,founded_on,size_class,status,"
    "listing_tutoring,board_standard,chain_leader,dishonest,abnormal,"
    "tax_grade,invention_patents,class2_ip,pledged_ip,round,round_closed_on,"
    "round_amount_fen,qualifications,stage,techsme_total\n";

//  --------------------------------------------------------------------------
//  Headers

static void
test_header_columns_in_any_order_and_chinese (void **state)
{
    const char *header = "企业名称, \"成立日期\",统一社会信用代码,stage";
    kj_status_t status;
    registry_csv_t *csv = registry_csv_new (REGISTRY_CSV_ENTERPRISES, header,
                                            strlen (header), &s_options,
                                            &status);
    assert_non_null (csv);
    const char *names [8];
    assert_int_equal (registry_csv_columns (csv, names, 8), 4);
    assert_string_equal (names [0], "name");
    assert_string_equal (names [1], "founded_on");
    assert_string_equal (names [2], "code");
    assert_string_equal (names [3], "stage");
    assert_int_equal (registry_csv_ignored (csv, names, 8), 1);
    assert_string_equal (names [0], "stage");
    registry_csv_destroy (&csv);
}

static void
test_header_byte_order_mark_and_crlf (void **state)
{
    const char *header = "\xEF\xBB\xBF"
                         "code,name,founded_on\r\n";
    kj_status_t status;
    registry_csv_t *csv = registry_csv_new (REGISTRY_CSV_ENTERPRISES, header,
                                            strlen (header), &s_options,
                                            &status);
    assert_non_null (csv);
    const char *names [4];
    assert_int_equal (registry_csv_columns (csv, names, 4), 3);
    assert_string_equal (names [0], "code");
    registry_csv_destroy (&csv);
}

static void
test_header_problems_all_listed (void **state)
{
    const char *header = "code,colour,code";
    kj_status_t status;
    assert_null (registry_csv_new (REGISTRY_CSV_ENTERPRISES, header,
                                   strlen (header), &s_options, &status));
    assert_int_equal (status.code, KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "header");
    assert_non_null (strstr (status.message,
                             "column 2: 'colour' is not a column of "
                             "enterprises files"));
    assert_non_null (strstr (status.message, "column 3: 'code' is there twice "
                                             "(also column 1)"));
    assert_non_null (strstr (status.message, "column 'name' (企业名称) is "
                                             "required and missing"));
    assert_non_null (strstr (status.message, "column 'founded_on' (成立日期) "
                                             "is required and missing"));
    assert_non_null (strstr (status.message, "Columns of enterprises files: "
                                             "code, name, region"));
}

//  Many problems: the file's columns still end the message whole, and the
//  problems are cut on a character with "…" (before: the list of columns
//  was what got cut, mid-word)
static void
test_header_many_problems_keep_the_columns (void **state)
{
    const char *header = "colour,shade,hue,tint,tone";
    kj_status_t status;
    assert_null (registry_csv_new (REGISTRY_CSV_PRODUCTS, header,
                                   strlen (header), &s_options, &status));
    assert_int_equal (status.code, KJ__CODE__INVALID_ARGUMENT);
    assert_true (kj_utf8_valid (status.message));
    assert_non_null (strstr (status.message, "column 1: 'colour' is not a "
                                             "column of products files"));
    const char *cut = strstr (status.message, "…. Columns of products files: ");
    assert_non_null (cut);
    //  The list a header with one problem gets, whole names, maybe fewer
    kj_status_t one;
    assert_null (registry_csv_new (REGISTRY_CSV_PRODUCTS, "colour", 6,
                                   &s_options, &one));
    const char *list = strstr (one.message, ". Columns of products files: ");
    assert_non_null (list);
    const char *ours = cut + strlen ("…");
    size_t length = strlen (ours);
    if (strcmp (ours, list) != 0) {
        assert_string_equal (ours + length - strlen (", …"), ", …");
        length -= strlen (", …");
        assert_memory_equal (ours, list, length);
        assert_true (list [length] == ',');
    }
}

//  --------------------------------------------------------------------------
//  Enterprise rows

static void
test_enterprise_row_parses_to_message (void **state)
{
    registry_csv_buf_t text = { 0 };
    registry_csv_buf_append (&text, s_enterprise_header,
                             strlen (s_enterprise_header));
    const char *row =
        " 91210100ma0qek7b6n ,沈阳华信智能装备有限公司,沈阳,高端装备制造,"
        "2019-03-15,small,,yes,0,false,否,no,b,3,12,1,b,2023-06-01,"
        "5000000000,\"high_tech:2026-10-19|tech_sme:2026-12-31\",growth,75\n";
    registry_csv_buf_append (&text, row, strlen (row));
    s_result_t result = s_parse (REGISTRY_CSV_ENTERPRISES, text.data);
    assert_int_equal (result.n_errors, 0);
    assert_int_equal (result.n_rows, 1);
    //  Normalised, defaulted, read back in the canonical form; computed
    //  columns (stage, techsme_total) are read and ignored
    assert_string_equal (
        result.rows.data,
        "2:91210100MA0QEK7B6N,沈阳华信智能装备有限公司,210100,高端装备制造,"
        "2019-03-15,small,active,true,false,false,false,false,B,3,12,1,b,"
        "2023-06-01,5000000000,high_tech:2026-10-19|tech_sme:2026-12-31,"
        "\"\",\"\"\n");
    s_free (&result);
    registry_csv_buf_free (&text);
}

static void
test_enterprise_every_problem_of_a_row (void **state)
{
    const char *text =
        "code,name,founded_on,size_class,dishonest,invention_patents\n"
        "91210100MA0QEK7B6X,,2019-02-30,huge,maybe,-1\n"
        "91210200241281739M,大连星海软件有限公司,2030-01-01,small,no,0\n";
    s_result_t result = s_parse (REGISTRY_CSV_ENTERPRISES, text);
    assert_int_equal (result.n_rows, 0);
    assert_string_equal (
        result.errors.data,
        "2|code|the check of the whole code (position 18) fails: a character "
        "at any of the 18 positions may be mistyped (the organisation code, "
        "positions 9-17, checks out, so most likely one of 1-8 or 18); "
        "compare the code with the business licence (营业执照)|"
        "91210100MA0QEK7B6X\n"
        "2|name|required, and empty|\n"
        "2|founded_on|2019-02-30 is not a date: 2019-02 has 28 days|"
        "2019-02-30\n"
        "2|size_class|'huge' is not one of unknown, micro, small, medium or "
        "large|huge\n"
        "2|dishonest|'maybe' is not yes or no: write true or false (also 1/0, "
        "yes/no, 是/否)|maybe\n"
        "2|invention_patents|-1 is out of range (0 to 1000000)|-1\n"
        "3|founded_on|2030-01-01 is after today (2026-05-10)|2030-01-01\n");
    assert_int_equal (result.n_errors, 7);
    s_free (&result);
}

static void
test_enterprise_region_rules (void **state)
{
    const char *text = "code,name,region,founded_on\n"
                       //  沈阳 code, region by Chinese short name: ok
                       "91210100MA0QEK7B6N,甲,沈阳市,2020-01-01\n"
                       //  Shenyang code in the Shenfu zone: ok
                       "91210100MA0QEK7B6N,乙,沈抚示范区,2020-01-01\n"
                       //  Dalian code in the Shenfu zone: refused
                       "91210200241281739M,丙,SFDZ,2020-01-01\n"
                       //  Shenyang code said to be in Dalian: refused
                       "91210100MA0QEK7B6N,丁,Dalian,2020-01-01\n"
                       //  Outside Liaoning: refused
                       "91110000600037341L,戊,,2020-01-01\n"
                       //  Not a region at all
                       "91210100MA0QEK7B6N,己,火星,2020-01-01\n";
    s_result_t result = s_parse (REGISTRY_CSV_ENTERPRISES, text);
    assert_int_equal (result.n_rows, 2);
    assert_non_null (
        strstr (result.rows.data, "2:91210100MA0QEK7B6N,甲,210100,"));
    assert_non_null (
        strstr (result.rows.data, "3:91210100MA0QEK7B6N,乙,SFDZ,"));
    assert_string_equal (
        result.errors.data,
        "4|region|SFDZ (沈抚示范区) enterprises carry a code of Shenyang "
        "(2101xx) or Fushun (2104xx); this code's region is 210200 (大连)|"
        "SFDZ\n"
        "5|region|Dalian does not match the code, whose region code 210100 "
        "is in 沈阳 (210100); only SFDZ may differ|Dalian\n"
        "6|code|positions 3-8: region code 110000 is outside Liaoning "
        "(Liaoning codes start with 21)|91110000600037341L\n"
        "7|region|'火星' is not a region: a city code (210100 .. 211400) or "
        "name (沈阳, 沈阳市, Shenyang), or SFDZ (沈抚示范区)|火星\n");
    s_free (&result);
}

static void
test_enterprise_round_needs_its_date (void **state)
{
    const char
        *text = "code,name,founded_on,round,round_closed_on,round_amount_fen\n"
                "91210100MA0QEK7B6N,甲,2020-01-01,a,,100\n"
                "91210100MA0QEK7B6N,乙,2020-01-01,,2021-01-01,\n"
                "91210100MA0QEK7B6N,丙,2020-01-01,天使轮,2019-12-31,\n"
                "91210100MA0QEK7B6N,丁,2020-01-01,seed,2020-06-01,12.5\n";
    s_assert_parse (
        REGISTRY_CSV_ENTERPRISES, text, 0, NULL,
        "2|round_closed_on|required with a round: the date the round closed, "
        "YYYY-MM-DD|\n"
        "3|round_closed_on|given without a round: name the round too (seed, "
        "angel, a, b, c_plus, pre_ipo)|\n"
        "4|round_closed_on|2019-12-31 is before the enterprise was founded "
        "(2020-01-01)|2019-12-31\n"
        "5|round_amount_fen|'12.5' is not a whole number of fen (分): write "
        "1234567 for ¥12,345.67, no separators or decimals|12.5\n");
}

static void
test_enterprise_qualifications_column (void **state)
{
    const char *text =
        "code,name,founded_on,qualifications\n"
        "91210100MA0QEK7B6N,甲,2020-01-01,高企:2027-01-01、srdi：2027-06-30\n"
        "91210100MA0QEK7B6N,乙,2020-01-01,high_tech\n"
        "91210100MA0QEK7B6N,丙,2020-01-01,gold:2027-01-01\n"
        "91210100MA0QEK7B6N,丁,2020-01-01,"
        "\"tech_sme:2026-12-31;tech_sme:2027-12-31\"\n";
    s_result_t result = s_parse (REGISTRY_CSV_ENTERPRISES, text);
    assert_int_equal (result.n_rows, 1);
    assert_string_equal (result.rows.data,
                         "2:91210100MA0QEK7B6N,甲,2020-01-01,"
                         "high_tech:2027-01-01|srdi:2027-06-30\n");
    assert_non_null (strstr (
        result.errors.data,
        "3|qualifications|high_tech: the expiry date is missing or not a "
        "date; write kind:YYYY-MM-DD, e.g. high_tech:2026-12-31|high_tech\n"));
    assert_non_null (strstr (
        result.errors.data,
        "4|qualifications|'gold' is not a qualification; one of high_tech, "));
    assert_non_null (
        strstr (result.errors.data,
                "5|qualifications|tech_sme is listed twice|tech_sme\n"));
    s_free (&result);
}

//  --------------------------------------------------------------------------
//  Lines, quoting and malformed CSV

static void
test_line_numbers_follow_the_file (void **state)
{
    //  A name with a quoted newline spans lines 2-3; a blank line 4; the
    //  bad row is on line 5, the last (no final newline) on line 6
    const char
        *text = "code,name,founded_on\n"
                "91210100MA0QEK7B6N,\"两行\n名称, 带\"\"引号\"\"\",2020-01-01\n"
                "\n"
                "91210100MA0QEK7B6N,乙,2020-13-01\n"
                "91210100MA0QEK7B6N,丙,2021-01-01";
    s_result_t result = s_parse (REGISTRY_CSV_ENTERPRISES, text);
    assert_int_equal (result.n_rows, 1);
    assert_int_equal (result.n_errors, 2);
    assert_string_equal (
        result.errors.data,
        "2|name|control character 0x0A at offset 6 is not allowed|"
        "两行\n名称, 带\"引号\"\n"
        "5|founded_on|2020-13-01 has no month 13 (01 to 12)|2020-13-01\n");
    assert_string_equal (result.rows.data,
                         "6:91210100MA0QEK7B6N,丙,2021-01-01\n");
    assert_int_equal (registry_csv_next_line (result.layout), 6);
    s_free (&result);
}

static void
test_field_count_and_malformed_quotes (void **state)
{
    const char *text = "code,name,founded_on\n"
                       "91210100MA0QEK7B6N,甲\n"
                       "91210100MA0QEK7B6N,乙\"x\",2020-01-01\n"
                       "91210100MA0QEK7B6N,丙,2020-01-01\n"
                       "91210100MA0QEK7B6N,\"丁,2020-01-01\n";
    s_assert_parse (
        REGISTRY_CSV_ENTERPRISES, text, 1,
        "4:91210100MA0QEK7B6N,丙,2020-01-01\n",
        "2||2 fields, but the header has 3 columns|2 fields\n"
        "3||malformed CSV: a quote inside an unquoted field, or text after a "
        "closing quote; a field with quotes, commas or newlines is written "
        "\"like \"\"this\"\"\"|\n"
        "5||malformed CSV: a quoted field is never closed|\n");
}

//  --------------------------------------------------------------------------
//  Figures, institutions, products

static void
test_figures_rows (void **state)
{
    const char
        *text = "code,year,revenue_fen,net_profit_fen,staff,tech_staff,"
                "high_tech_revenue_fen\n"
                "91210100MA0QEK7B6N,2025,100000000,-5000000,50,20,60000000\n"
                "91210100MA0QEK7B6N,2027,-1,0,10,20,0\n"
                "91210100MA0QEK7B6N,2024,100,0,10,20,0\n"
                "91210100MA0QEK7B6N,,1,0,1,0,2\n";
    s_assert_parse (
        REGISTRY_CSV_FIGURES, text, 1,
        "2:91210100MA0QEK7B6N,2025,100000000,-5000000,50,20,60000000\n",
        "3|year|2027 is out of range (1900 to 2026)|2027\n"
        "3|revenue_fen|-1 fen is negative; an amount here is 0 or more|-1\n"
        "4|tech_staff|2024: 20 tech staff, more than the 10 staff in all|\n"
        "5|year|required, and empty: the year of the figures, e.g. 2025|\n");
}

static void
test_institution_rows (void **state)
{
    const char *text = "id,name,type,regions,uscc\n"
                       "B1,测试银行,银行,\"沈阳、大连|SFDZ\",\n"
                       "B2,测试担保,guarantee,全省,\n"
                       "B3,,atm,沈阳都市圈,91210100MA0QEK7B6X\n"
                       "B 4,某机构,vc,,\n";
    s_result_t result = s_parse (REGISTRY_CSV_INSTITUTIONS, text);
    assert_int_equal (result.n_rows, 2);
    assert_string_equal (result.rows.data,
                         "2:B1,测试银行,bank,210100|210200|SFDZ,\"\"\n"
                         "3:B2,测试担保,guarantee,PROVINCE,\"\"\n");
    assert_non_null (strstr (result.errors.data, "4|name|required, and "
                                                 "empty|\n"));
    assert_non_null (strstr (result.errors.data, "4|type|'atm' is not one of "
                                                 "bank, guarantee, "));
    assert_non_null (strstr (result.errors.data, "4|uscc|the check of the "
                                                 "whole code (position 18) "
                                                 "fails"));
    assert_non_null (strstr (
        result.errors.data,
        "5|id|'B 4' is not an id: 1 to 40 ASCII letters, digits, '_', '.' "
        "or '-', starting with a letter or digit|B 4\n"));
    assert_non_null (
        strstr (result.errors.data,
                "5|regions|required, and empty: name at least one region"));
    s_free (&result);
}

static void
test_product_rows (void **state)
{
    const char
        *text = "id,institution_id,name,type,max_amount_fen,max_term_months,"
                "min_amount_fen,collateral,stages,any_qualifications,regions,"
                "valid_to\n"
                "P1,B1,辽知贷,知识产权质押,600000000,12,0,ip,\"初创期,成长期\","
                "high_tech|tech_sme,210100,2027-12-31\n"
                "P2,B1,信用贷,credit,100,12,200,,,,PROVINCE,\n"
                "P3,B1,担保贷,guaranteed,100,12,0,gold,burning,,210100,\n";
    //  min above max is the registry's rule across fields
    s_assert_parse (
        REGISTRY_CSV_PRODUCTS, text, 1,
        "2:P1,B1,辽知贷,ip_pledge,600000000,12,0,ip,startup|growth,"
        "high_tech|tech_sme,210100,2027-12-31\n",
        "3|max_amount_fen|¥1.00 is below the minimum amount, ¥2.00|\n"
        "4|collateral|'gold' is not one of ip, receivables, guarantee or "
        "real_estate|gold\n"
        "4|stages|'burning' is not one of incubation, startup, growth or "
        "mature|burning\n");
}

//  --------------------------------------------------------------------------
//  Formatting reads back the same, for every kind the demo makes

//  The demo of seed 7, 500 enterprises.
static registry_demo_t *
s_demo (void)
{
    registry_demo_config_t config = { .seed = 7,
                                      .enterprises = 500,
                                      .today = { 2026, 5, 10 } };
    kj_status_t status;
    registry_demo_t *demo = registry_demo_new (&config, &status);
    assert_non_null (demo);
    return demo;
}

static void
s_collect (const registry_csv_row_t *row, void *arg)
{
    registry_csv_buf_t *files = (registry_csv_buf_t *) arg;
    registry_csv_format (NULL, row, &files [row->kind]);
}

static void
test_format_reads_back_the_same (void **state)
{
    registry_demo_t *demo = s_demo ();
    registry_csv_buf_t files [5] = { { 0 } };
    for (int kind = 1; kind <= 4; kind++)
        registry_csv_header ((registry_csv_kind_t) kind, &files [kind]);
    registry_demo_institutions (demo, s_collect, files);
    registry_demo_products (demo, s_collect, files);
    registry_demo_enterprises (demo, s_collect, files);
    for (int kind = 1; kind <= 4; kind++) {
        s_result_t result = s_parse ((registry_csv_kind_t) kind,
                                     files [kind].data);
        assert_int_equal (result.n_errors, 0);
        //  Formatted again (without the line prefixes), the same bytes,
        //  but for the computed columns of enterprises
        const char *body = strchr (files [kind].data, '\n') + 1;
        registry_csv_buf_t again = { 0 };
        for (const char *at = result.rows.data; *at;) {
            const char *colon = strchr (at, ':');
            const char *end = strchr (colon, '\n');
            registry_csv_buf_append (&again, colon + 1, (size_t) (end - colon));
            at = end + 1;
        }
        if (kind != REGISTRY_CSV_ENTERPRISES)
            assert_string_equal (again.data, body);
        else
            assert_int_equal (result.n_rows, 500);
        registry_csv_buf_free (&again);
        s_free (&result);
        registry_csv_buf_free (&files [kind]);
    }
    registry_demo_destroy (&demo);
}

//  --------------------------------------------------------------------------
//  The institution and product files, byte for byte as the registry wrote
//  and read them before the field tables drove them: the files in
//  tests/unit/registry/golden/ were made by the per-column code (commit
//  170eeb8), the demo's institutions and products exported, and two files
//  with a problem in every column with the rows and the problems read from
//  them. Run from the repository's root (tests/run.sh does).

#define S_GOLDEN "tests/unit/registry/golden/"

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

//  --------------------------------------------------------------------------
//  The demo's institutions and products, exported: the same file; read
//  back and written again: the same rows

static void
s_assert_export (registry_csv_kind_t kind, const char *name)
{
    registry_demo_t *demo = s_demo ();
    registry_csv_buf_t files [5] = { { 0 } };
    registry_csv_header (kind, &files [kind]);
    registry_demo_institutions (demo, s_collect, files);
    registry_demo_products (demo, s_collect, files);
    registry_demo_destroy (&demo);
    registry_csv_buf_t file = files [kind];
    registry_csv_buf_free (
        &files [REGISTRY_CSV_INSTITUTIONS + REGISTRY_CSV_PRODUCTS - kind]);
    char *golden = s_read (name);
    assert_string_equal (file.data, golden);

    s_result_t again = s_parse (kind, golden);
    assert_int_equal (again.n_errors, 0);
    //  Without the line prefixes, the golden file's rows
    registry_csv_buf_t rows = { 0 };
    registry_csv_buf_append (&rows, "", 0);
    for (const char *at = again.rows.data; *at;) {
        const char *colon = strchr (at, ':');
        assert_non_null (colon);
        const char *end = strchr (colon, '\n');
        registry_csv_buf_append (&rows, colon + 1, (size_t) (end - colon));
        at = end + 1;
    }
    assert_string_equal (rows.data, strchr (golden, '\n') + 1);
    registry_csv_buf_free (&rows);
    s_free (&again);
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
    s_result_t out = s_parse_as (kind, text, true);
    char *golden = s_read (expect);
    assert_string_equal (out.rows.data, golden);
    s_free (&out);
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

static void
test_format_quotes_what_needs_it (void **state)
{
    Kj__Institution i = KJ__INSTITUTION__INIT;
    char *regions [] = { "210100" };
    i.id = "X";
    i.name = "名, \"带\"引号";
    i.type = KJ__INSTITUTION_TYPE__INSTITUTION_BANK;
    i.uscc = "";
    i.regions = regions;
    i.n_regions = 1;
    i.contact = " 前后空格 ";
    i.sponsor_code = "";
    registry_csv_row_t row = { .kind = REGISTRY_CSV_INSTITUTIONS,
                               .institution = &i };
    registry_csv_buf_t out = { 0 };
    registry_csv_format (NULL, &row, &out);
    assert_string_equal (out.data, "X,\"名, \"\"带\"\"引号\",bank,\"\",210100,"
                                   "\" 前后空格 \",\"\",listed\n");
    registry_csv_buf_free (&out);
}

static void
test_region_and_kind_names (void **state)
{
    assert_string_equal (registry_csv_region ("沈阳", false), "210100");
    assert_string_equal (registry_csv_region (" 葫芦岛市 ", false), "211400");
    assert_string_equal (registry_csv_region ("Dalian", false), "210200");
    assert_string_equal (registry_csv_region ("210102", false), "210100");
    assert_null (registry_csv_region ("210102", true));
    assert_string_equal (registry_csv_region ("sfdz", false), "SFDZ");
    assert_string_equal (registry_csv_region ("沈阳都市圈", true),
                         "SHENYANG_METRO");
    assert_null (registry_csv_region ("沈阳都市圈", false));
    assert_string_equal (registry_csv_region ("全省", true), "PROVINCE");
    assert_null (registry_csv_region ("", true));
    assert_int_equal (registry_csv_kind_from_name ("enterprise"),
                      REGISTRY_CSV_ENTERPRISES);
    assert_int_equal (registry_csv_kind_from_name ("Products"),
                      REGISTRY_CSV_PRODUCTS);
    assert_int_equal (registry_csv_kind_from_name ("loans"), -1);
    assert_string_equal (registry_csv_kind_name (REGISTRY_CSV_FIGURES),
                         "figures");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_header_columns_in_any_order_and_chinese),
        cmocka_unit_test (test_header_byte_order_mark_and_crlf),
        cmocka_unit_test (test_header_problems_all_listed),
        cmocka_unit_test (test_header_many_problems_keep_the_columns),
        cmocka_unit_test (test_enterprise_row_parses_to_message),
        cmocka_unit_test (test_enterprise_every_problem_of_a_row),
        cmocka_unit_test (test_enterprise_region_rules),
        cmocka_unit_test (test_enterprise_round_needs_its_date),
        cmocka_unit_test (test_enterprise_qualifications_column),
        cmocka_unit_test (test_line_numbers_follow_the_file),
        cmocka_unit_test (test_field_count_and_malformed_quotes),
        cmocka_unit_test (test_figures_rows),
        cmocka_unit_test (test_institution_rows),
        cmocka_unit_test (test_product_rows),
        cmocka_unit_test (test_format_reads_back_the_same),
        cmocka_unit_test (test_institutions_exported_as_before),
        cmocka_unit_test (test_products_exported_as_before),
        cmocka_unit_test (test_institution_problems_as_before),
        cmocka_unit_test (test_product_problems_as_before),
        cmocka_unit_test (test_format_quotes_what_needs_it),
        cmocka_unit_test (test_region_and_kind_names),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
