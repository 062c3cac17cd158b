/*  =========================================================================
    test_registry_attrs - the institution's and the product's field tables
    (registry_check.h) agree with the proto descriptors, the update masks
    and the CSV columns: each row names a field of its message of the kind
    it says, its mask is one the update takes, its headers are the CSV's
    columns, in order, required as the row is; a value of each row goes through the check and out as JSON under
    its path, and a wrong one is refused naming that path; the SQL column
    lists built from the rows (registry_store_columns.c) are the rows in
    order, and the statements built at start hold them
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
#include "registry_product.h"
#include "registry_csv.h"
#include <csv.h>

#include "registry_csv_private.h"
#include "registry_store.h"

//  One entity: its table, message, mask names and CSV kind
typedef struct {
    const char *entity;
    const registry_attr_t *table;
    size_t rows;
    const ProtobufCMessageDescriptor *message;
    const char *const *masks;
    registry_csv_kind_t csv;
} s_entity_t;

static const s_entity_t s_entities [] = {
    { "institution", registry_check_institution_table,
      REGISTRY_INSTITUTION_ATTRS, &kj__institution__descriptor,
      registry_check_institution_fields, REGISTRY_CSV_INSTITUTIONS },
    { "product", registry_product_table, REGISTRY_PRODUCT_ATTRS,
      &kj__product__descriptor, registry_product_fields,
      REGISTRY_CSV_PRODUCTS },
};
#define S_ENTITIES (sizeof s_entities / sizeof s_entities [0])

static const ProtobufCFieldDescriptor *
s_field (const s_entity_t *e, const registry_attr_t *a)
{
    const ProtobufCFieldDescriptor *d =
        protobuf_c_message_descriptor_get_field_by_name (e->message, a->path);
    if (!d)
        fail_msg ("%s: no field %s", e->entity, a->path);
    return d;
}

//  Every row: a field of its kind; mask names of the update, each used;
//  paths, options and headers once; labels given
static void
test_rows_name_fields (void **state)
{
    for (size_t n = 0; n < S_ENTITIES; n++) {
        const s_entity_t *e = &s_entities [n];
        for (size_t r = 0; r < e->rows; r++) {
            const registry_attr_t *a = &e->table [r];
            const ProtobufCFieldDescriptor *d = s_field (e, a);
            bool repeated = d->label == PROTOBUF_C_LABEL_REPEATED;
            switch (a->kind) {
                case REGISTRY_ATTR_TEXT:
                case REGISTRY_ATTR_CODE:
                case REGISTRY_ATTR_DATE:
                case REGISTRY_ATTR_GRADE:
                    assert_int_equal (d->type, PROTOBUF_C_TYPE_STRING);
                    assert_false (repeated);
                    break;
                case REGISTRY_ATTR_REGIONS:
                    assert_int_equal (d->type, PROTOBUF_C_TYPE_STRING);
                    assert_true (repeated);
                    break;
                case REGISTRY_ATTR_ENUM:
                case REGISTRY_ATTR_ENUMS:
                    assert_int_equal (d->type, PROTOBUF_C_TYPE_ENUM);
                    assert_ptr_equal (d->descriptor, a->type);
                    assert_int_equal (repeated, a->kind == REGISTRY_ATTR_ENUMS);
                    //  The prefix the CLI takes off every value's name
                    for (unsigned v = 0; v < a->type->n_values; v++)
                        assert_memory_equal (a->type->values [v].name,
                                             a->prefix, strlen (a->prefix));
                    break;
                case REGISTRY_ATTR_MONEY:
                    assert_int_equal (d->type, PROTOBUF_C_TYPE_INT64);
                    break;
                case REGISTRY_ATTR_COUNT:
                case REGISTRY_ATTR_BP:
                    assert_int_equal (d->type, PROTOBUF_C_TYPE_INT32);
                    assert_true (a->max > 0);
                    break;
            }
            //  What people read of a count says what it counts; a list
            //  of an enum has its CSV names and aliases
            if (a->kind == REGISTRY_ATTR_COUNT)
                assert_non_null (a->unit);
            if (a->type)
                assert_non_null (registry_csv_enum_of (a->type));
            assert_true (!a->today || a->kind == REGISTRY_ATTR_DATE);
            bool listed = false;
            for (size_t m = 0; e->masks [m]; m++)
                listed |= streq (e->masks [m], a->mask);
            assert_true (listed);
            assert_true (*a->label_zh && *a->label_en && *a->csv_zh
                         && *a->option);
            for (size_t s = 0; s < r; s++) {
                assert_string_not_equal (a->path, e->table [s].path);
                assert_string_not_equal (a->option, e->table [s].option);
                assert_string_not_equal (a->csv_zh, e->table [s].csv_zh);
            }
        }
        //  Every name the update takes has its rows
        for (size_t m = 0; e->masks [m]; m++) {
            bool used = false;
            for (size_t r = 0; r < e->rows; r++)
                used |= streq (e->table [r].mask, e->masks [m]);
            if (!used)
                fail_msg ("%s: mask %s has no row", e->entity, e->masks [m]);
        }
    }
}

//  Every row is a CSV column of its entity, under its path and csv_zh
static void
test_rows_are_csv_columns (void **state)
{
    for (size_t n = 0; n < S_ENTITIES; n++) {
        const s_entity_t *e = &s_entities [n];
        const registry_csv_column_t *table;
        size_t size;
        registry_csv_table_of (e->csv, &table, &size);
        for (size_t r = 0; r < e->rows; r++) {
            const registry_csv_column_t *column = NULL;
            for (size_t c = 0; c < size; c++)
                if (streq (table [c].name, e->table [r].path))
                    column = &table [c];
            if (!column)
                fail_msg ("%s: no CSV column %s", e->entity, e->table [r].path);
            assert_string_equal (column->zh, e->table [r].csv_zh);
            assert_false (column->computed);
            //  A row that must be given is a column a file must have
            assert_int_equal (column->required, e->table [r].required);
        }
        //  The columns: the ids, the rows in order, the status
        size_t ids = size - e->rows - 1;
        for (size_t r = 0; r < e->rows; r++)
            assert_string_equal (table [ids + r].name, e->table [r].path);
        assert_string_equal (table [size - 1].name, "status");
        assert_true (table [size - 1].computed);
    }
}

//  --------------------------------------------------------------------------
//  A message with every row at a good value (good) or row bad at a wrong one

//  (each row's list of its own, good and bad apart)
static void
s_set (ProtobufCMessage *m, const ProtobufCFieldDescriptor *d,
       const registry_attr_t *a, bool good)
{
    static int lists [2][32];
    static char *region_lists [2][32];
    size_t row = (size_t) (a - registry_product_table) < REGISTRY_PRODUCT_ATTRS
                   ? (size_t) (a - registry_product_table)
                   : 16 + (size_t) (a - registry_check_institution_table);
    int *values = &lists [good][row];
    char **regions = &region_lists [good][row];
    char *at = (char *) m + d->offset;
    size_t *count = (size_t *) ((char *) m + d->quantifier_offset);
    switch (a->kind) {
        case REGISTRY_ATTR_TEXT:
            *(const char **) at = good ? "文本" : "控制\x01字符";
            break;
        case REGISTRY_ATTR_CODE:
            *(const char **) at = good ? "91210100MA0QEK7B6N" : "91210100";
            break;
        case REGISTRY_ATTR_DATE:
            *(const char **) at = good ? "2024-01-02" : "2024-13-01";
            break;
        case REGISTRY_ATTR_GRADE:
            *(const char **) at = good ? "AA" : "D";
            break;
        case REGISTRY_ATTR_ENUM:
            *(int *) at = good ? a->type->values [1].value : 999;
            break;
        case REGISTRY_ATTR_ENUMS:
            values [0] = good ? a->type->values [1].value : 0;
            *(int **) at = values;
            *count = 1;
            break;
        case REGISTRY_ATTR_REGIONS:
            regions [0] = good ? "210100" : "999999";
            *(char ***) at = regions;
            *count = 1;
            break;
        case REGISTRY_ATTR_MONEY:
            *(int64_t *) at = good ? 100000 : -1;
            break;
        case REGISTRY_ATTR_COUNT:
        case REGISTRY_ATTR_BP:
            *(int32_t *) at = good ? 12 : a->max + 1;
            break;
    }
}

static int
s_check (const s_entity_t *e, const ProtobufCMessage *m, char **mask,
         size_t n_mask, kj_status_t *status)
{
    if (streq (e->entity, "product"))
        return registry_product_check ((const Kj__Product *) m, mask, n_mask,
                                       status);
    return registry_check_institution ((const Kj__Institution *) m, mask,
                                       n_mask, status);
}

//  Good values pass the whole check and go out as JSON under each path; a
//  wrong one is refused naming its path, and only when its mask is asked
static void
test_values_checked_and_json (void **state)
{
    for (size_t n = 0; n < S_ENTITIES; n++) {
        const s_entity_t *e = &s_entities [n];
        Kj__Product product = KJ__PRODUCT__INIT;
        Kj__Institution institution = KJ__INSTITUTION__INIT;
        ProtobufCMessage *m = streq (e->entity, "product") ? &product.base
                                                           : &institution.base;
        product.institution_id = "I000001";
        for (size_t r = 0; r < e->rows; r++)
            s_set (m, s_field (e, &e->table [r]), &e->table [r], true);
        kj_status_t status;
        assert_int_equal (s_check (e, m, NULL, 0, &status), 0);

        char *text = kj_json_string (m, false);
        json_t *json = json_loads (text, 0, NULL);
        assert_non_null (json);
        for (size_t r = 0; r < e->rows; r++)
            if (!json_object_get (json, e->table [r].path))
                fail_msg ("%s: no JSON key %s in %s", e->entity,
                          e->table [r].path, text);
        json_decref (json);
        free (text);

        for (size_t r = 0; r < e->rows; r++) {
            const registry_attr_t *a = &e->table [r];
            const ProtobufCFieldDescriptor *d = s_field (e, a);
            s_set (m, d, a, false);
            char *mask [] = { (char *) a->mask };
            assert_int_equal (s_check (e, m, mask, 1, &status), -1);
            char field [96];
            snprintf (field, sizeof field, "%s.%s", e->entity, a->path);
            if (strncmp (status.field, field, strlen (field)))
                fail_msg ("%s refused as %s", field, status.field);
            //  Another field's mask leaves it alone
            const registry_attr_t *other = &e->table [r ? 0 : e->rows - 1];
            char *elsewhere [] = { (char *) other->mask };
            assert_int_equal (s_check (e, m, elsewhere, 1, &status), 0);
            s_set (m, d, a, true);
        }
    }
}

//  An update's merge goes through the table: the rows of the mask asked
//  take asked's values, the others keep theirs
static void
test_merge_masked (void **state)
{
    for (size_t n = 0; n < S_ENTITIES; n++) {
        const s_entity_t *e = &s_entities [n];
        for (size_t r = 0; r < e->rows; r++) {
            Kj__Product product = KJ__PRODUCT__INIT, p2 = KJ__PRODUCT__INIT;
            Kj__Institution institution = KJ__INSTITUTION__INIT,
                            i2 = KJ__INSTITUTION__INIT;
            bool is_product = streq (e->entity, "product");
            ProtobufCMessage *current = is_product ? &product.base
                                                   : &institution.base;
            ProtobufCMessage *asked = is_product ? &p2.base : &i2.base;
            for (size_t s = 0; s < e->rows; s++) {
                const ProtobufCFieldDescriptor *d = s_field (e, &e->table [s]);
                s_set (current, d, &e->table [s], false);
                s_set (asked, d, &e->table [s], true);
            }
            char *mask [] = { (char *) e->table [r].mask };
            registry_check_attrs_merge (e->table, e->rows, current, asked, mask,
                                        1);
            kj_status_t status;
            assert_int_equal (registry_check_attrs (e->table, e->rows, current,
                                                    e->entity, mask, 1,
                                                    &status),
                              0);
            for (size_t s = 0; s < e->rows; s++) {
                if (streq (e->table [s].mask, e->table [r].mask))
                    continue;
                char *other [] = { (char *) e->table [s].mask };
                assert_int_equal (registry_check_attrs (e->table, e->rows,
                                                        current, e->entity,
                                                        other, 1, &status),
                                  -1);
            }
        }
    }
}

//  --------------------------------------------------------------------------
//  The SQL column lists (registry_store_columns.c) are the rows, in order,
//  and the statements built from them at start hold those lists

//  Row r's item of a list form, alone
static void
s_item (const s_entity_t *e, size_t r, registry_store_list_t form, int first,
        char *item, size_t size)
{
    registry_store_attrs_sql (item, size, form, &e->table [r], 1, "x",
                              first + (int) r);
}

//  The enterprise's: its stored input columns are the rows of its two
//  tables, the own rows then the flags and counts, each once; every list
//  is their items in that order, and the statements hold the lists
static void
s_enterprise_lists_are_rows (void)
{
    assert_int_equal (REGISTRY_ENTERPRISE_COLUMNS,
                      REGISTRY_ENTERPRISE_OWN + REGISTRY_ENTERPRISE_FIELDS);
    for (int i = 0; i < REGISTRY_ENTERPRISE_COLUMNS; i++) {
        const registry_field_t *f = registry_check_enterprise_column (i);
        assert_ptr_equal (f, i < REGISTRY_ENTERPRISE_OWN
                                 ? &registry_check_enterprise_own [i]
                                 : &registry_check_enterprise_table
                                       [i - REGISTRY_ENTERPRISE_OWN]);
        assert_non_null (f->column);
        for (int j = 0; j < i; j++)
            assert_string_not_equal (f->column,
                                     registry_check_enterprise_column (j)
                                         ->column);
    }
    char list [2048], expected [2048], sought [2200];
    for (int form = REGISTRY_STORE_LIST_READ;
         form <= REGISTRY_STORE_LIST_STAGED; form++) {
        expected [0] = 0;
        for (int i = 0; i < REGISTRY_ENTERPRISE_COLUMNS; i++) {
            const registry_field_t *f = registry_check_enterprise_column (i);
            bool date = f->kind == REGISTRY_FIELD_DATE;
            char item [256];
            switch (form) {
                case REGISTRY_STORE_LIST_READ:
                    if (date)
                        snprintf (item, sizeof item,
                                  "coalesce (to_char (x.%s, 'YYYY-MM-DD'), "
                                  "'') AS %s",
                                  f->column, f->column);
                    else
                        snprintf (item, sizeof item, "x.%s", f->column);
                    break;
                case REGISTRY_STORE_LIST_NAMES:
                case REGISTRY_STORE_LIST_STAGED:
                    snprintf (item, sizeof item, "%s", f->column);
                    break;
                case REGISTRY_STORE_LIST_VALUES:
                    snprintf (item, sizeof item, "$%d%s", 2 + i,
                              date ? "::date" : "");
                    break;
                case REGISTRY_STORE_LIST_SETS:
                    snprintf (item, sizeof item, "%s = $%d%s", f->column, 2 + i,
                              date ? "::date" : "");
                    break;
            }
            snprintf (expected + strlen (expected),
                      sizeof expected - strlen (expected), "%s%s",
                      i ? ", " : "", item);
        }
        registry_store_enterprise_sql (list, sizeof list,
                                       (registry_store_list_t) form, "x", 2);
        assert_string_equal (list, expected);
    }
    //  The read of one: the code, the columns, then the outputs
    const registry_store_statements_t
        *sql = registry_store_enterprise_statements ();
    registry_store_enterprise_sql (list, sizeof list, REGISTRY_STORE_LIST_READ,
                                   "e", 0);
    snprintf (sought, sizeof sought, "SELECT e.code, %s, e.status, ", list);
    assert_non_null (strstr (sql->select, sought));
    //  The insert: the code, the columns, who; the update: the columns
    registry_store_enterprise_sql (list, sizeof list, REGISTRY_STORE_LIST_NAMES,
                                   NULL, 0);
    snprintf (sought, sizeof sought,
              "INSERT INTO enterprise (code, %s, created_by) VALUES ($1, ",
              list);
    assert_non_null (strstr (sql->insert, sought));
    registry_store_enterprise_sql (list, sizeof list,
                                   REGISTRY_STORE_LIST_VALUES, NULL, 2);
    snprintf (sought, sizeof sought, "VALUES ($1, %s, $%d) ON CONFLICT", list,
              2 + REGISTRY_ENTERPRISE_COLUMNS);
    assert_non_null (strstr (sql->insert, sought));
    registry_store_enterprise_sql (list, sizeof list, REGISTRY_STORE_LIST_SETS,
                                   NULL, 2);
    snprintf (sought, sizeof sought,
              "UPDATE enterprise SET %s, version = version + 1", list);
    assert_non_null (strstr (sql->update, sought));
    //  The bulk commit: the staged columns, of the same names
    registry_store_enterprise_sql (list, sizeof list, REGISTRY_STORE_LIST_NAMES,
                                   NULL, 0);
    snprintf (sought, sizeof sought,
              "INSERT INTO enterprise (code, %s, status, ", list);
    assert_non_null (strstr (sql->bulk, sought));
    registry_store_enterprise_sql (list, sizeof list,
                                   REGISTRY_STORE_LIST_STAGED, NULL, 0);
    snprintf (sought, sizeof sought, "SELECT code, %s, status, stage, stage, ",
              list);
    assert_non_null (strstr (sql->bulk, sought));
}

static void
test_sql_lists_are_rows (void **state)
{
    for (size_t n = 0; n < S_ENTITIES; n++) {
        const s_entity_t *e = &s_entities [n];
        bool is_product = streq (e->entity, "product");
        const registry_store_statements_t
            *sql = is_product ? registry_store_product_statements ()
                              : registry_store_institution_statements ();
        //  The statements' parameters: the ids, then the rows; the
        //  update's the id, then the rows
        int first = is_product ? 3 : 2, sets = 2;
        const char *ids = is_product ? "id, institution_id, " : "id, ";
        char list [2048], item [512], expected [2048], sought [2200];
        for (int form = REGISTRY_STORE_LIST_READ;
             form <= REGISTRY_STORE_LIST_STAGED; form++) {
            //  The list is its rows' items, in the table's order
            expected [0] = 0;
            for (size_t r = 0; r < e->rows; r++) {
                s_item (e, r, (registry_store_list_t) form,
                        form == REGISTRY_STORE_LIST_SETS ? sets : first, item,
                        sizeof item);
                //  Each item is its row's column
                const registry_attr_t *a = &e->table [r];
                char want [256];
                switch (form) {
                    case REGISTRY_STORE_LIST_NAMES:
                        assert_string_equal (item, a->path);
                        break;
                    case REGISTRY_STORE_LIST_READ:
                        snprintf (want, sizeof want, "x.%s", a->path);
                        assert_non_null (strstr (item, want));
                        break;
                    case REGISTRY_STORE_LIST_VALUES:
                        snprintf (want, sizeof want, "$%d", first + (int) r);
                        assert_int_equal (strncmp (item, want, strlen (want)),
                                          0);
                        break;
                    case REGISTRY_STORE_LIST_SETS:
                        snprintf (want, sizeof want, "%s = $%d", a->path,
                                  sets + (int) r);
                        assert_int_equal (strncmp (item, want, strlen (want)),
                                          0);
                        break;
                    case REGISTRY_STORE_LIST_STAGED:
                        assert_string_equal (item,
                                             a->staged ? a->staged : a->path);
                        break;
                }
                snprintf (expected + strlen (expected),
                          sizeof expected - strlen (expected), "%s%s",
                          r ? ", " : "", item);
            }
            registry_store_attrs_sql (list, sizeof list,
                                      (registry_store_list_t) form, e->table,
                                      e->rows, "x",
                                      form == REGISTRY_STORE_LIST_SETS ? sets
                                                                       : first);
            assert_string_equal (list, expected);
        }
        //  The statements hold the lists: read, insert, update, bulk
        const char *alias = is_product ? "p" : "i";
        registry_store_attrs_sql (list, sizeof list, REGISTRY_STORE_LIST_READ,
                                  e->table, e->rows, alias, 0);
        snprintf (sought, sizeof sought, "SELECT %s.id, %s%s, %s.status", alias,
                  is_product ? "p.institution_id, " : "", list, alias);
        assert_non_null (strstr (sql->select, sought));
        registry_store_attrs_sql (list, sizeof list, REGISTRY_STORE_LIST_NAMES,
                                  e->table, e->rows, NULL, 0);
        snprintf (sought, sizeof sought, "(%s%s) VALUES (", ids, list);
        assert_non_null (strstr (sql->insert, sought));
        snprintf (sought, sizeof sought, "(%s%s) SELECT ", ids, list);
        assert_non_null (strstr (sql->bulk, sought));
        registry_store_attrs_sql (list, sizeof list, REGISTRY_STORE_LIST_VALUES,
                                  e->table, e->rows, NULL, first);
        snprintf (sought, sizeof sought, "')), %s%s) ON CONFLICT",
                  is_product ? "$2, " : "", list);
        assert_non_null (strstr (sql->insert, sought));
        registry_store_attrs_sql (list, sizeof list, REGISTRY_STORE_LIST_SETS,
                                  e->table, e->rows, NULL, sets);
        snprintf (sought, sizeof sought, " SET %s, version = version + 1",
                  list);
        assert_non_null (strstr (sql->update, sought));
        registry_store_attrs_sql (list, sizeof list, REGISTRY_STORE_LIST_STAGED,
                                  e->table, e->rows, NULL, 0);
        snprintf (sought, sizeof sought, "SELECT %s%s FROM bulk_", ids, list);
        assert_non_null (strstr (sql->bulk, sought));
    }
    //  The product's stages: none staged means all four (its one staged
    //  SQL, kept as data in its row)
    assert_non_null (strstr (registry_store_product_statements ()->bulk,
                             "CASE WHEN cardinality (stages) = 0 THEN "
                             "ARRAY['incubation', 'startup', 'growth', "
                             "'mature'] ELSE stages END"));
    s_enterprise_lists_are_rows ();
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_rows_name_fields),
        cmocka_unit_test (test_rows_are_csv_columns),
        cmocka_unit_test (test_values_checked_and_json),
        cmocka_unit_test (test_merge_masked),
        cmocka_unit_test (test_sql_lists_are_rows),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
