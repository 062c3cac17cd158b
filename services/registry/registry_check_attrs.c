/*  =========================================================================
    registry_check_attrs - the field tables of institutions and products
    checked row by row, and the institution's table

    Each row says what kind of value its proto field holds (registry_check.h);
    one check per kind, found by the field's name in the message's
    descriptor, so that the check of a new field is its row. Pure rules, no
    I/O.
    =========================================================================
*/

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "registry_check.h"
#include "registry_product.h"
#include "registry_uscc.h"
#include "kj_i18n.h"
#include "kj_util.h"

// clang-format off
const registry_attr_t
    registry_check_institution_table [REGISTRY_INSTITUTION_ATTRS] = {
    { "name", "name", "机构名称", "name", "机构名称", "name",
      REGISTRY_ATTR_TEXT, .max = 200, .required = true },
    { "type", "type", "机构类型", "type", "类型", "type",
      REGISTRY_ATTR_ENUM, &kj__institution_type__descriptor, "INSTITUTION_",
      .required = true },
    { "uscc", "uscc", "统一社会信用代码", "uscc", "统一社会信用代码",
      "credit code", REGISTRY_ATTR_CODE },
    { "regions", "regions", "服务地区", "regions", "服务地区", "regions",
      REGISTRY_ATTR_REGIONS, .required = true },
    { "contact", "contact", "联系方式", "contact", "联系方式", "contact",
      REGISTRY_ATTR_TEXT, .max = 200 },
    { "sponsor_code", "sponsor_code", "发起单位代码", "sponsor", "推荐单位",
      "sponsor", REGISTRY_ATTR_CODE },
};
// clang-format on

const char *registry_check_institution_fields [REGISTRY_INSTITUTION_ATTRS + 1];

//  The mask names from the rows, before main (so before any thread)
__attribute__ ((constructor)) static void
s_institution_masks (void)
{
    registry_check_attr_masks (registry_check_institution_table,
                               REGISTRY_INSTITUTION_ATTRS,
                               registry_check_institution_fields);
}

void
registry_check_attr_masks (const registry_attr_t *table, size_t rows,
                           const char **masks)
{
    size_t n = 0;
    for (size_t r = 0; r < rows; r++)
        if (n == 0 || strcmp (masks [n - 1], table [r].mask) != 0)
            masks [n++] = table [r].mask;
    masks [n] = NULL;
}

//  --------------------------------------------------------------------------
//  Where a row's field is (header)

char *
registry_check_attr_at (const registry_attr_t *a,
                        const ProtobufCMessage *message, size_t **count)
{
    const ProtobufCFieldDescriptor *d =
        protobuf_c_message_descriptor_get_field_by_name (message->descriptor,
                                                         a->path);
    assert (d);  //  test_registry_attrs holds every row to the proto
    if (count)
        *count = d->label == PROTOBUF_C_LABEL_REPEATED
                   ? (size_t *) ((char *) message + d->quantifier_offset)
                   : NULL;
    return (char *) message + d->offset;
}

bool
registry_check_attr_text (const registry_attr_t *a)
{
    return a->kind == REGISTRY_ATTR_TEXT || a->kind == REGISTRY_ATTR_CODE
        || a->kind == REGISTRY_ATTR_DATE || a->kind == REGISTRY_ATTR_GRADE;
}

const char *
registry_check_attr_label (const registry_attr_t *a)
{
    return strncmp (kj_i18n_lang (), "zh", 2) == 0 ? a->label_zh : a->label_en;
}

//  --------------------------------------------------------------------------
//  A repeated enum field: every value known and not zero, at most 32.

static int
s_check_enums (const ProtobufCEnumDescriptor *descriptor, const int *values,
               size_t n, const char *field, const char *zero_hint,
               kj_status_t *status)
{
    if (n > 32)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                              "%s: %zu values, at most 32", field, n);
    for (size_t i = 0; i < n; i++)
        if (values [i] == 0
            || !protobuf_c_enum_descriptor_get_value (descriptor, values [i])) {
            char item [80];
            snprintf (item, sizeof item, "%s[%zu]", field, i);
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, item,
                                  "%s: %d is not a %s%s", item, values [i],
                                  descriptor->short_name,
                                  values [i] == 0 ? zero_hint : "");
        }
    return 0;
}

//  --------------------------------------------------------------------------
//  One row's field of message, by its kind; field is "product.rate_bp".

static int
s_check_attr (const registry_attr_t *a, const ProtobufCMessage *message,
              const char *field, kj_status_t *status)
{
    size_t *count;
    const char *at = registry_check_attr_at (a, message, &count);
    size_t n = count ? *count : 0;
    const char *text = registry_check_attr_text (a) ? *(char *const *) at
                                                    : NULL;
    kj_date_t date;
    char code [19];
    kj_status_t why;
    switch (a->kind) {
        case REGISTRY_ATTR_TEXT:
            return kj_check_text (text, field, (size_t) a->max, a->required,
                                  status);
        case REGISTRY_ATTR_ENUM: {
            int value = *(const int *) at;
            if (value == 0
                || !protobuf_c_enum_descriptor_get_value (a->type, value))
                return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                                      "%s: %d is not a%s %s%s", field, value,
                                      strchr ("AEIOU", a->type->short_name [0])
                                          ? "n"
                                          : "",
                                      a->type->short_name,
                                      value == 0 ? " (it must be set)" : "");
            return 0;
        }
        case REGISTRY_ATTR_ENUMS:
            return s_check_enums (a->type, *(int *const *) at, n, field,
                                  a->hint ? a->hint : "", status);
        case REGISTRY_ATTR_REGIONS:
            return registry_product_check_regions (*(char **const *) at, n,
                                                   field, status);
        case REGISTRY_ATTR_CODE:
            if (text && *text && registry_uscc_normalize (text, code, &why))
                return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                                      "%s: %s", field, why.message);
            return 0;
        case REGISTRY_ATTR_MONEY:
            return kj_check_money (*(const int64_t *) at, field, false, status);
        case REGISTRY_ATTR_COUNT:
        case REGISTRY_ATTR_BP:
            return kj_check_count (*(const int32_t *) at, field, a->max,
                                   status);
        case REGISTRY_ATTR_DATE:
            return text && *text ? kj_check_date (text, field, &date, status)
                                 : 0;
        case REGISTRY_ATTR_GRADE:
            if (registry_product_grade (text) < 0)
                return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                                      "%s: '%.*s' is not a grade; one of AAA, "
                                      "AA, A, B, C, or empty for none",
                                      field, kj_utf8_cut (text, 20), text);
            return 0;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  The rows of table that mask names (all when NULL), in order (header).

int
registry_check_attrs (const registry_attr_t *table, size_t rows,
                      const ProtobufCMessage *message, const char *entity,
                      char **mask, size_t n_mask, kj_status_t *status)
{
    for (size_t r = 0; r < rows; r++) {
        const registry_attr_t *a = &table [r];
        if (mask && !kj_check_masked (mask, n_mask, a->mask))
            continue;
        char field [96];
        snprintf (field, sizeof field, "%s.%s", entity, a->path);
        if (s_check_attr (a, message, field, status))
            return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  An institution's fields (header).

int
registry_check_institution (const Kj__Institution *institution, char **mask,
                            size_t n_mask, kj_status_t *status)
{
    return registry_check_attrs (registry_check_institution_table,
                                 REGISTRY_INSTITUTION_ATTRS, &institution->base,
                                 "institution", mask, n_mask, status);
}

//  --------------------------------------------------------------------------
//  The masked rows of table from asked into current (header)

void
registry_check_attrs_merge (const registry_attr_t *table, size_t rows,
                            ProtobufCMessage *current,
                            const ProtobufCMessage *asked, char **mask,
                            size_t n_mask)
{
    assert (current->descriptor == asked->descriptor);
    for (size_t r = 0; r < rows; r++) {
        if (!kj_check_masked (mask, n_mask, table [r].mask))
            continue;
        const registry_attr_t *a = &table [r];
        size_t *to_count, *from_count;
        char *to = registry_check_attr_at (a, current, &to_count);
        const char *from = registry_check_attr_at (a, asked, &from_count);
        size_t size = to_count || registry_check_attr_text (a) ? sizeof (void *)
                    : a->kind == REGISTRY_ATTR_MONEY ? sizeof (int64_t)
                                                     : sizeof (int32_t);
        if (to_count)
            *to_count = *from_count;
        memcpy (to, from, size);
    }
}
