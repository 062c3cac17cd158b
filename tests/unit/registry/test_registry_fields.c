/*  =========================================================================
    test_registry_fields - the enterprise's field table (registry_check.h)
    agrees with the proto, the update mask, the CSV columns and the JSON:
    each row names a field of Kj__Enterprise of its kind, a column with its
    two headers, and a value goes through the check, CSV and JSON as the
    table says
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
#include <jansson.h>

#include "kejin.h"
#include "registry_check.h"
#include "registry_csv.h"
#include <csv.h>

#include "registry_csv_private.h"

//  An enterprise with its credit and ip parts, every table field set to a
//  value of its own: flags alternate, counts are 10 + 7 i
static void
s_enterprise (Kj__Enterprise *e, Kj__CreditFlags *credit, Kj__IpAssets *ip)
{
    kj__enterprise__init (e);
    kj__credit_flags__init (credit);
    kj__ip_assets__init (ip);
    e->credit = credit;
    e->ip = ip;
    for (int i = 0; i < REGISTRY_ENTERPRISE_FIELDS; i++) {
        const registry_field_t *f = &registry_check_enterprise_table [i];
        void *target = registry_check_enterprise_field (e, f);
        assert_non_null (target);
        if (f->kind == REGISTRY_FIELD_FLAG)
            *(protobuf_c_boolean *) target = i % 2 == 0;
        else
            *(int32_t *) target = 10 + 7 * i;
    }
}

//  Every row: a field of its kind in Kj__Enterprise, named in the update
//  mask's list; names, headers and options each used once; labels given
static void
test_rows_name_fields (void **state)
{
    Kj__Enterprise e;
    Kj__CreditFlags credit;
    Kj__IpAssets ip;
    s_enterprise (&e, &credit, &ip);
    for (int i = 0; i < REGISTRY_ENTERPRISE_FIELDS; i++) {
        const registry_field_t *f = &registry_check_enterprise_table [i];
        bool listed = false;
        for (int m = 0; registry_check_enterprise_fields [m]; m++)
            listed |= streq (registry_check_enterprise_fields [m], f->path);
        assert_true (listed);
        assert_true (*f->label_zh && *f->label_en && *f->csv_zh);
        for (int j = 0; j < i; j++) {
            const registry_field_t *g = &registry_check_enterprise_table [j];
            assert_string_not_equal (f->path, g->path);
            assert_string_not_equal (f->csv, g->csv);
            assert_string_not_equal (f->csv_zh, g->csv_zh);
            assert_string_not_equal (f->option, g->option);
        }
        //  The wrong kind, or no part to hold it: NULL
        registry_field_t wrong = *f;
        wrong.kind = f->kind == REGISTRY_FIELD_FLAG ? REGISTRY_FIELD_COUNT
                                                    : REGISTRY_FIELD_FLAG;
        assert_null (registry_check_enterprise_field (&e, &wrong));
        if (strchr (f->path, '.')) {
            Kj__Enterprise bare = e;
            bare.credit = NULL;
            bare.ip = NULL;
            assert_null (registry_check_enterprise_field (&bare, f));
        }
    }
    registry_field_t none = { .path = "ip.no_such",
                              .kind = REGISTRY_FIELD_FLAG };
    assert_null (registry_check_enterprise_field (&e, &none));
}

//  Every stored input column (the own rows, then the table's): a field of
//  its kind in Kj__Enterprise, named in the update mask's list, a CSV
//  column with its headers; paths, columns and options each used once
static void
test_columns_name_fields (void **state)
{
    Kj__Enterprise e;
    Kj__CreditFlags credit;
    Kj__IpAssets ip;
    s_enterprise (&e, &credit, &ip);
    const registry_csv_column_t *table;
    size_t size;
    registry_csv_table_of (REGISTRY_CSV_ENTERPRISES, &table, &size);
    for (int i = 0; i < REGISTRY_ENTERPRISE_COLUMNS; i++) {
        const registry_field_t *f = registry_check_enterprise_column (i);
        assert_non_null (registry_check_enterprise_field (&e, f));
        bool listed = false;
        for (int m = 0; registry_check_enterprise_fields [m]; m++)
            listed |= streq (registry_check_enterprise_fields [m], f->path);
        assert_true (listed);
        assert_true (*f->label_zh && *f->label_en && *f->column);
        const registry_csv_column_t *column = NULL;
        for (size_t c = 0; c < size; c++)
            if (streq (table [c].name, f->csv))
                column = &table [c];
        assert_non_null (column);
        assert_string_equal (column->zh, f->csv_zh);
        for (int j = 0; j < i; j++) {
            const registry_field_t *g = registry_check_enterprise_column (j);
            assert_string_not_equal (f->path, g->path);
            assert_string_not_equal (f->column, g->column);
            assert_string_not_equal (f->option, g->option);
        }
    }
    //  An enum of another type is not the field
    registry_field_t wrong = registry_check_enterprise_own [4];
    assert_int_equal (wrong.kind, REGISTRY_FIELD_ENUM);
    wrong.type = &kj__stage__descriptor;
    assert_null (registry_check_enterprise_field (&e, &wrong));
}

//  Every row has its CSV column, with the table's two headers, both ways
static void
test_rows_are_csv_columns (void **state)
{
    const registry_csv_column_t *table;
    size_t size;
    registry_csv_table_of (REGISTRY_CSV_ENTERPRISES, &table, &size);
    for (int i = 0; i < REGISTRY_ENTERPRISE_FIELDS; i++) {
        const registry_field_t *f = &registry_check_enterprise_table [i];
        registry_csv_col_t id = registry_csv_column_of_field (i);
        assert_true (id < S_COLUMNS);
        const registry_csv_column_t *column = NULL;
        for (size_t c = 0; c < size; c++)
            if (table [c].id == id)
                column = &table [c];
        assert_non_null (column);
        assert_string_equal (column->name, f->csv);
        assert_string_equal (column->zh, f->csv_zh);
        assert_false (column->required || column->computed);
        assert_ptr_equal (registry_csv_field_of (id), f);
    }
    //  Columns outside the table have no row
    assert_null (registry_csv_field_of (E_CODE));
    assert_null (registry_csv_field_of (E_TAX_GRADE));
}

//  The enterprise's and the figures' columns, built from the field tables
//  (Session 26), are the ones the files always had, in the same order:
//  headers in both spellings, which must be there, which are computed,
//  and each own row's named id is its row
static void
s_assert_columns (registry_csv_kind_t kind, const char *names, const char *zh,
                  const char *flags)
{
    const registry_csv_column_t *table;
    size_t size;
    registry_csv_table_of (kind, &table, &size);
    char got [1024] = "", got_zh [1024] = "", got_flags [64] = "";
    for (size_t c = 0; c < size; c++) {
        strcat (got, c ? "," : "");
        strcat (got, table [c].name);
        strcat (got_zh, c ? "," : "");
        strcat (got_zh, table [c].zh);
        strcat (got_flags, table [c].required   ? "r"
                           : table [c].computed ? "c"
                                                : "-");
        //  Ids are unique
        for (size_t d = 0; d < c; d++)
            assert_int_not_equal (table [c].id, table [d].id);
    }
    assert_string_equal (got, names);
    assert_string_equal (got_zh, zh);
    assert_string_equal (got_flags, flags);
}

static void
test_columns_as_they_were (void **state)
{
    s_assert_columns (
        REGISTRY_CSV_ENTERPRISES,
        "code,name,region,industry,founded_on,size_class,status,"
        "listing_tutoring,board_standard,chain_leader,dishonest,abnormal,"
        "tax_grade,invention_patents,class2_ip,pledged_ip,round,"
        "round_closed_on,round_amount_fen,qualifications,stage,"
        "techsme_total",
        "统一社会信用代码,企业名称,所属地区,行业,成立日期,企业规模,入库状态,"
        "上市辅导备案,符合上市标准,链主企业,严重违法失信,经营异常,纳税信用等级,"
        "发明专利,二类知识产权,已质押知识产权,融资轮次,融资日期,融资金额_分,"
        "资质,生命周期阶段,科技型中小企业评分",
        "rr--r"
        "---------------"
        "cc");
    s_assert_columns (REGISTRY_CSV_FIGURES,
                      "code,year,revenue_fen,rnd_fen,net_profit_fen,"
                      "total_assets_fen,operating_cash_flow_fen,"
                      "high_tech_revenue_fen,total_cost_fen,staff,tech_staff",
                      "统一社会信用代码,年度,营业收入_分,研发费用_分,净利润_分,"
                      "资产总额_分,经营活动现金流_分,高新技术产品收入_分,"
                      "成本费用支出总额_分,职工总数,科技人员",
                      "rr---------");
    const registry_csv_col_t own [] = {
        E_NAME, E_REGION, E_INDUSTRY, E_FOUNDED_ON, E_SIZE_CLASS, E_TAX_GRADE
    };
    const char *const csv [] = { "name",       "region",     "industry",
                                 "founded_on", "size_class", "tax_grade" };
    assert_int_equal (REGISTRY_ENTERPRISE_OWN, 6);
    for (int r = 0; r < REGISTRY_ENTERPRISE_OWN; r++) {
        assert_int_equal (own [r], E_OWN + r);
        assert_string_equal (registry_check_enterprise_own [r].csv, csv [r]);
    }
}

//  The values go out as CSV and come back the same; the JSON of the
//  enterprise holds each under its path
static void
s_on_row (const registry_csv_row_t *row, void *arg)
{
    Kj__Enterprise *back = (Kj__Enterprise *) arg;
    for (int i = 0; i < REGISTRY_ENTERPRISE_FIELDS; i++) {
        const registry_field_t *f = &registry_check_enterprise_table [i];
        const void *value = registry_check_enterprise_field (row->enterprise,
                                                             f);
        void *target = registry_check_enterprise_field (back, f);
        assert_true (value && target);
        if (f->kind == REGISTRY_FIELD_FLAG)
            *(protobuf_c_boolean *) target = *(
                const protobuf_c_boolean *) value;
        else
            *(int32_t *) target = *(const int32_t *) value;
    }
}

static void
s_on_error (const registry_csv_error_t *error, void *arg)
{
    fail_msg ("line %u %s: %s", error->line, error->field, error->reason);
}

static void
test_values_through_csv_and_json (void **state)
{
    Kj__Enterprise e;
    Kj__CreditFlags credit;
    Kj__IpAssets ip;
    s_enterprise (&e, &credit, &ip);
    e.code = "91210100MA0QEK7B6N";
    e.name = "字段表测试有限公司";
    e.founded_on = "2020-01-02";
    registry_csv_buf_t out = { 0 };
    registry_csv_header (REGISTRY_CSV_ENTERPRISES, &out);
    registry_csv_row_t row = { .kind = REGISTRY_CSV_ENTERPRISES,
                               .enterprise = &e };
    registry_csv_format (NULL, &row, &out);
    const char *newline = strchr (out.data, '\n');
    assert_non_null (newline);
    registry_csv_options_t options = { .today = { 2026, 1, 1 },
                                       .allow_outside = true };
    kj_status_t status;
    registry_csv_t *csv = registry_csv_new (REGISTRY_CSV_ENTERPRISES, out.data,
                                            (size_t) (newline - out.data),
                                            &options, &status);
    assert_non_null (csv);
    Kj__Enterprise back;
    Kj__CreditFlags back_credit;
    Kj__IpAssets back_ip;
    kj__enterprise__init (&back);
    kj__credit_flags__init (&back_credit);
    kj__ip_assets__init (&back_ip);
    back.credit = &back_credit;
    back.ip = &back_ip;
    assert_int_equal (registry_csv_parse (csv, newline + 1,
                                          strlen (newline + 1), 2, s_on_row,
                                          s_on_error, &back),
                      1);
    registry_csv_destroy (&csv);
    registry_csv_buf_free (&out);

    char *text = kj_json_string (&e.base, false);
    json_t *json = json_loads (text, 0, NULL);
    assert_non_null (json);
    for (int i = 0; i < REGISTRY_ENTERPRISE_FIELDS; i++) {
        const registry_field_t *f = &registry_check_enterprise_table [i];
        const void *sent = registry_check_enterprise_field (&e, f);
        const void *read = registry_check_enterprise_field (&back, f);
        //  The JSON key: the path, nested at its dot
        char path [64];
        snprintf (path, sizeof path, "%s", f->path);
        char *dot = strchr (path, '.');
        json_t *value = json;
        if (dot) {
            *dot = 0;
            value = json_object_get (value, path);
            value = json_object_get (value, dot + 1);
        }
        else
            value = json_object_get (value, path);
        if (f->kind == REGISTRY_FIELD_FLAG) {
            bool yes = *(const protobuf_c_boolean *) sent;
            assert_int_equal (*(const protobuf_c_boolean *) read, yes);
            //  kj_json leaves out a false flag, as proto3 JSON does
            assert_true (yes ? json_is_true (value)
                             : !value || json_is_false (value));
        }
        else {
            assert_int_equal (*(const int32_t *) read, *(const int32_t *) sent);
            assert_int_equal (json_integer_value (value),
                              *(const int32_t *) sent);
        }
    }
    json_decref (json);
    free (text);
}

//  The check goes through the table: a count over the most names its path
static void
test_check_counts (void **state)
{
    for (int i = 0; i < REGISTRY_ENTERPRISE_FIELDS; i++) {
        const registry_field_t *f = &registry_check_enterprise_table [i];
        if (f->kind != REGISTRY_FIELD_COUNT)
            continue;
        Kj__Enterprise e;
        Kj__CreditFlags credit;
        Kj__IpAssets ip;
        s_enterprise (&e, &credit, &ip);
        *(int32_t *)
            registry_check_enterprise_field (&e, f) = REGISTRY_CHECK_COUNT_MAX
                                                    + 1;
        char *mask [] = { (char *) f->path };
        kj_status_t status;
        assert_int_equal (registry_check_enterprise (&e, mask, 1, &status), -1);
        char field [80];
        snprintf (field, sizeof field, "enterprise.%s", f->path);
        assert_string_equal (status.field, field);
        *(int32_t *)
            registry_check_enterprise_field (&e, f) = REGISTRY_CHECK_COUNT_MAX;
        assert_int_equal (registry_check_enterprise (&e, mask, 1, &status), 0);
    }
}

//  An update's merge goes through the table: the masked field only, and a
//  part the request leaves out reads as false or 0
static void
test_merge_masked (void **state)
{
    for (int i = 0; i < REGISTRY_ENTERPRISE_FIELDS; i++) {
        const registry_field_t *f = &registry_check_enterprise_table [i];
        Kj__Enterprise e, asked;
        Kj__CreditFlags credit, asked_credit;
        Kj__IpAssets ip, asked_ip;
        s_enterprise (&e, &credit, &ip);
        s_enterprise (&asked, &asked_credit, &asked_ip);
        //  asked differs from e in every field
        for (int j = 0; j < REGISTRY_ENTERPRISE_FIELDS; j++) {
            const registry_field_t *g = &registry_check_enterprise_table [j];
            void *target = registry_check_enterprise_field (&asked, g);
            if (g->kind == REGISTRY_FIELD_FLAG)
                *(protobuf_c_boolean *) target = j % 2 != 0;
            else
                *(int32_t *) target = 3 + j;
        }
        char *mask [] = { (char *) f->path };
        registry_check_enterprise_merge (&e, &asked, mask, 1);
        for (int j = 0; j < REGISTRY_ENTERPRISE_FIELDS; j++) {
            const registry_field_t *g = &registry_check_enterprise_table [j];
            const void *value = registry_check_enterprise_field (&e, g);
            if (g->kind == REGISTRY_FIELD_FLAG)
                assert_int_equal (*(const protobuf_c_boolean *) value,
                                  j == i ? j % 2 != 0 : j % 2 == 0);
            else
                assert_int_equal (*(const int32_t *) value,
                                  j == i ? 3 + j : 10 + 7 * j);
        }
        //  The part left out of the request
        Kj__Enterprise bare = asked;
        bare.credit = NULL;
        bare.ip = NULL;
        registry_check_enterprise_merge (&e, &bare, mask, 1);
        const void *value = registry_check_enterprise_field (&e, f);
        if (strchr (f->path, '.'))
            assert_int_equal (f->kind == REGISTRY_FIELD_FLAG
                                  ? *(const protobuf_c_boolean *) value
                                  : *(const int32_t *) value,
                              0);
    }
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_rows_name_fields),
        cmocka_unit_test (test_columns_name_fields),
        cmocka_unit_test (test_rows_are_csv_columns),
        cmocka_unit_test (test_columns_as_they_were),
        cmocka_unit_test (test_values_through_csv_and_json),
        cmocka_unit_test (test_check_counts),
        cmocka_unit_test (test_merge_masked),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
