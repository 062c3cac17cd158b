/*  =========================================================================
    registry_csv_rows - the row of each kind (enterprise, figures,
    institution, product) into its message, checked with the registry's
    own rules

    Part of registry_csv (registry_csv.h).
    =========================================================================
*/

#include <assert.h>
#include <ctype.h>
#include <csv.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kj_util.h"
#include "kj_i18n.h"
#include "registry_check.h"
#include "registry_csv.h"
#include "registry_csv_private.h"
#include "registry_entry.h"
#include "registry_product.h"
#include "registry_uscc.h"

//  --------------------------------------------------------------------------
//  Rows of each kind

//  The enterprise's region: from its code, or the region column, which
//  may name SFDZ for a code of Shenyang or Fushun, or the city of a code
//  that names only the province.
static void
s_enterprise_region (registry_csv_t *self, bool code_ok)
{
    registry_csv_storage_t *r = &self->row;
    const char *text = registry_csv_cell (self, E_REGION);
    const char *region = NULL;
    if (text && *text) {
        region = registry_csv_region (text, false);
        if (!region) {
            registry_csv_error (
                self, "region", text,
                "'%s' is not a region: a city "
                "code (210100 .. 211400) or name (沈阳, 沈阳市, "
                "Shenyang), or SFDZ (沈抚示范区)",
                text);
            return;
        }
    }
    if (!code_ok)
        return;
    kj_region_t city;
    kj_status_t status;
    if (registry_uscc_check_enterprise (r->code,
                                        self->options.allow_authorities,
                                        &status)) {
        registry_csv_error_status (self, "code", r->code, &status);
        return;
    }
    registry_uscc_region_result_t where = registry_uscc_region (r->code, &city,
                                                                &status);
    if (where == REGISTRY_USCC_REGION_OUTSIDE && self->options.allow_outside
        && !region) {
        snprintf (r->region, sizeof r->region, "%.6s", r->code + 2);
        return;
    }
    if (where == REGISTRY_USCC_REGION_OUTSIDE
        || where == REGISTRY_USCC_REGION_INVALID) {
        registry_csv_error_status (self, "code", r->code, &status);
        return;
    }
    if (!region) {
        if (where == REGISTRY_USCC_REGION_PROVINCE) {
            registry_csv_error (
                self, "region", "",
                "required for this code: its region "
                "code %.6s names the province but no city; give the "
                "city (e.g. 210100 or 沈阳)",
                r->code + 2);
            return;
        }
        region = kj_region_info (city)->code;
    }
    else if (strcmp (region, KJ_REGION_SHENFU_CODE) == 0) {
        if (where == REGISTRY_USCC_REGION_CITY && city != KJ_REGION_SHENYANG
            && city != KJ_REGION_FUSHUN) {
            registry_csv_error (
                self, "region", text,
                "SFDZ (沈抚示范区) enterprises "
                "carry a code of Shenyang (2101xx) or Fushun (2104xx); "
                "this code's region is %.6s (%s)",
                r->code + 2, kj_region_info (city)->short_zh);
            return;
        }
    }
    else if (where == REGISTRY_USCC_REGION_CITY
             && strcmp (region, kj_region_info (city)->code) != 0) {
        registry_csv_error (
            self, "region", text,
            "%s does not match the code, whose "
            "region code %.6s is in %s (%s); only SFDZ may differ",
            text, r->code + 2, kj_region_info (city)->short_zh,
            kj_region_info (city)->code);
        return;
    }
    kj_strlcpy (r->region, region, sizeof r->region);
}

//  The qualifications column: "kind:YYYY-MM-DD" items (the expiry date).
static void
s_enterprise_qualifications (registry_csv_t *self)
{
    registry_csv_storage_t *r = &self->row;
    Kj__Enterprise *e = &r->enterprise;
    char *items [REGISTRY_PRODUCT_MAX_REGIONS];
    int count = registry_csv_list (self, E_QUALIFICATIONS, items,
                                   REGISTRY_CSV_MAX_QUALS);
    for (int i = 0; i < count; i++) {
        char *colon = strchr (items [i], ':');
        const char *date = NULL;
        if (colon) {
            *colon = 0;
            date = colon + 1;
        }
        else if ((colon = strstr (items [i], "：")) != NULL) {
            *colon = 0;
            date = colon + 3;
        }
        while (date && (*date == ' ' || *date == '\t'))
            date++;
        int kind = registry_csv_enum_value (&registry_csv_enum_qual, items [i]);
        char choices [400];
        if (kind < 0) {
            registry_csv_enum_choices (&registry_csv_enum_qual, choices,
                                       sizeof choices);
            registry_csv_error (
                self, "qualifications", items [i],
                "'%s' is not a "
                "qualification; one of %s, each as kind:expiry date, "
                "e.g. high_tech:2026-12-31",
                items [i], choices);
            return;
        }
        kj_date_t expires;
        kj_status_t status;
        if (!date || kj_check_date (date, "expires_on", &expires, &status)) {
            registry_csv_error (
                self, "qualifications", items [i],
                "%s: the expiry date "
                "is missing or not a date; write kind:YYYY-MM-DD, e.g. "
                "%s:2026-12-31",
                items [i], items [i]);
            return;
        }
        for (int j = 0; j < i; j++)
            if ((int) r->quals [j].kind == kind) {
                registry_csv_error (self, "qualifications", items [i],
                                    "%s is listed "
                                    "twice",
                                    items [i]);
                return;
            }
        kj__qualification__init (&r->quals [i]);
        r->quals [i].kind = (Kj__QualificationKind) kind;
        kj_strlcpy (r->expires [i], date, sizeof r->expires [i]);
        r->quals [i].expires_on = r->expires [i];
        r->qual_ptrs [i] = &r->quals [i];
        e->n_qualifications = (size_t) i + 1;
    }
    e->qualifications = r->qual_ptrs;
}

//  The enterprise's own flags or counts, each from its column as the
//  field table names it (registry_check.h)
static void
s_fields (registry_csv_t *self, Kj__Enterprise *e, registry_field_kind_t kind)
{
    for (int i = 0; i < REGISTRY_ENTERPRISE_FIELDS; i++) {
        const registry_field_t *f = &registry_check_enterprise_table [i];
        registry_csv_col_t id = registry_csv_column_of_field (i);
        void *target = registry_check_enterprise_field (e, f);
        assert (target && id < S_COLUMNS);  //  the unit tests hold it
        if (f->kind != kind)
            continue;
        if (kind == REGISTRY_FIELD_FLAG)
            *(protobuf_c_boolean *) target = registry_csv_bool (self, id);
        else {
            int64_t value;
            registry_csv_int (self, id, 0, REGISTRY_CHECK_COUNT_MAX, 0, &value);
            *(int32_t *) target = (int32_t) value;
        }
    }
}

void
registry_csv_enterprise_row (registry_csv_t *self)
{
    registry_csv_storage_t *r = &self->row;
    Kj__Enterprise *e = &r->enterprise;
    kj__enterprise__init (e);
    kj__credit_flags__init (&r->credit);
    kj__ip_assets__init (&r->ip);
    e->credit = &r->credit;
    e->ip = &r->ip;
    r->region [0] = 0;
    e->code = r->code;
    e->region = r->region;

    bool code_ok = registry_csv_code (self, E_CODE, true, r->code);
    s_enterprise_region (self, code_ok);
    e->name = (char *) registry_csv_text (self, E_NAME, 200, true);
    e->industry = (char *) registry_csv_text (self, E_INDUSTRY, 100, false);
    kj_date_t founded;
    registry_csv_past_date (self, E_FOUNDED_ON, true, r->founded_on, &founded);
    e->founded_on = r->founded_on;
    int size = registry_csv_enum (self, E_SIZE_CLASS, &registry_csv_enum_size,
                                  false, 0);
    e->size_class = size < 0 ? 0 : (Kj__SizeClass) size;

    //  The entry status: stored name or Chinese label; a bulk import loads
    //  entries reviewed elsewhere, so the default is active (已入库)
    const char *status_text = registry_csv_cell (self, E_STATUS);
    e->status = KJ__ENTRY_STATUS__ENTRY_ACTIVE;
    if (status_text && *status_text) {
        int state = registry_entry_state_from_name (status_text);
        for (int s = 0; state < 0 && s < REGISTRY_ENTRY_STATES; s++)
            if (strcmp (status_text,
                        registry_entry_state_label ((registry_entry_state_t) s))
                == 0)
                state = s;
        if (state < 0)
            registry_csv_error (
                self, "status", status_text,
                "'%s' is not an entry "
                "status; one of draft, submitted, city_approved, "
                "publicized, active, returned, rejected, suspended or "
                "removed",
                status_text);
        else
            e->status = (Kj__EntryStatus) state;
    }
    //  Flags, then the tax grade, then counts: the field table's rows
    s_fields (self, e, REGISTRY_FIELD_FLAG);
    const char *grade = registry_csv_cell (self, E_TAX_GRADE);
    r->tax_grade [0] = 0;
    if (grade && *grade) {
        char upper = (char) toupper ((unsigned char) grade [0]);
        if (grade [1] || !strchr ("ABMCD", upper))
            registry_csv_error (self, "tax_grade", grade,
                                "'%s' is not a tax credit "
                                "grade; one of A, B, M, C, D, or empty",
                                grade);
        else {
            r->tax_grade [0] = upper;
            r->tax_grade [1] = 0;
        }
    }
    r->credit.tax_grade = r->tax_grade;
    s_fields (self, e, REGISTRY_FIELD_COUNT);

    //  The latest equity round, if any
    int round = registry_csv_enum (self, E_ROUND, &registry_csv_enum_round,
                                   false, 0);
    kj_date_t closed;
    bool closed_ok = registry_csv_past_date (self, E_ROUND_CLOSED_ON, false,
                                             r->closed_on, &closed);
    int64_t amount;
    bool amount_ok = registry_csv_int (self, E_ROUND_AMOUNT, 0, INT64_MAX, 0,
                                       &amount);
    if (round > 0) {
        if (closed_ok && !r->closed_on [0])
            registry_csv_error (self, "round_closed_on", "",
                                "required with a round: "
                                "the date the round closed, YYYY-MM-DD");
        else if (closed_ok && e->founded_on [0]
                 && kj_check_date_compare (closed, founded) < 0)
            registry_csv_error (self, "round_closed_on", r->closed_on,
                                "%s is before "
                                "the enterprise was founded (%s)",
                                r->closed_on, e->founded_on);
        kj__equity_round__init (&r->round);
        r->round.round = (Kj__Round) round;
        r->round.amount_fen = amount;
        r->round.closed_on = r->closed_on;
        r->round_ptr = &r->round;
        e->rounds = &r->round_ptr;
        e->n_rounds = 1;
    }
    else if (round == 0
             && ((closed_ok && r->closed_on [0])
                 || (amount_ok && registry_csv_given (self, E_ROUND_AMOUNT))))
        registry_csv_error (self,
                            registry_csv_given (self, E_ROUND_AMOUNT)
                                ? "round_amount_fen"
                                : "round_closed_on",
                            "",
                            "given without a round: name the round too (seed, "
                            "angel, a, b, c_plus, pre_ipo)");
    s_enterprise_qualifications (self);

    //  The dates as the check read them: the stage is classified on its
    //  founding date without reading the text again (registry_bulk)
    registry_check_dates_t dates = { .founded_on = { 0 } };
    if (!self->failed) {
        kj_status_t status;
        registry_csv_check_status (self,
                                   registry_check_enterprise_dated (e, NULL, 0,
                                                                    &dates,
                                                                    &status),
                                   &status);
    }
    if (!self->failed && self->row_fn) {
        registry_csv_row_t row = { .kind = REGISTRY_CSV_ENTERPRISES,
                                   .line = self->row_line,
                                   .enterprise = e,
                                   .founded_on = dates.founded_on };
        self->row_fn (&row, self->arg);
    }
}

void
registry_csv_figures_row (registry_csv_t *self)
{
    registry_csv_storage_t *r = &self->row;
    Kj__YearFigures *f = &r->figures;
    kj__year_figures__init (f);
    registry_csv_code (self, F_CODE, true, r->code);
    int64_t value;
    if (!registry_csv_given (self, F_YEAR))
        registry_csv_error (self, "year", "",
                            "required, and empty: the year of the "
                            "figures, e.g. %d",
                            self->options.today.year - 1);
    else if (registry_csv_int (self, F_YEAR, 1900, self->options.today.year, 0,
                               &value))
        f->year = (int32_t) value;
    //  An empty or missing cell is a figure not reported: unknown, stored
    //  as 0 and named in not_reported (docs/rules/stages.md), never zero.
    //  The columns F_REVENUE .. F_TECH_STAFF are in the order of
    //  registry_check_figure_table.
    f->not_reported = r->not_reported;
    for (int i = 0; i < REGISTRY_FIGURES; i++) {
        const registry_figure_t *figure = &registry_check_figure_table [i];
        registry_csv_col_t id = (registry_csv_col_t) (F_REVENUE + i);
        if (!registry_csv_given (self, id))
            f->not_reported [f->n_not_reported++] = (char *) figure->name;
        registry_csv_int (self, id,
                          figure->count             ? 0
                          : figure->may_be_negative ? INT64_MIN
                                                    : 0,
                          figure->count ? 10000000 : INT64_MAX, 0, &value);
        registry_check_figure_set (f, i, value);
    }
    if (!self->failed) {
        kj_status_t status;
        registry_csv_check_status (self,
                                   registry_check_figures (f, "figures",
                                                           &status),
                                   &status);
    }
    if (!self->failed && self->row_fn) {
        registry_csv_row_t row = { .kind = REGISTRY_CSV_FIGURES,
                                   .line = self->row_line,
                                   .code = r->code,
                                   .figures = f };
        self->row_fn (&row, self->arg);
    }
}

//  --------------------------------------------------------------------------
//  Institutions and products: a cell per row of the entity's field table
//  (registry_check.h), read by the row's kind

//  A number of a row: MONEY in fen, COUNT and BP up to the row's max; a
//  required one above 0
static int64_t
s_attr_number (registry_csv_t *self, const registry_attr_t *a,
               registry_csv_col_t id)
{
    int64_t value = 0;
    if (a->required && !registry_csv_given (self, id))
        registry_csv_error (self, a->path, "",
                            "required, and empty: the %s, in %s",
                            registry_check_attr_label (a),
                            a->kind == REGISTRY_ATTR_MONEY ? _ ("fen")
                            : a->unit                      ? _ (a->unit)
                                                           : "");
    else
        registry_csv_int (self, id, a->required ? 1 : 0,
                          a->kind == REGISTRY_ATTR_MONEY ? INT64_MAX : a->max,
                          0, &value);
    return value;
}

//  A credit grade, in capitals; "" when none. Its cell is made capitals.
static const char *
s_attr_grade (registry_csv_t *self, const registry_attr_t *a,
              registry_csv_col_t id)
{
    char *grade = (char *) registry_csv_cell (self, id);
    if (!grade || !*grade)
        return "";
    for (char *c = grade; *c; c++)
        *c = (char) toupper ((unsigned char) *c);
    if (registry_product_grade (grade) >= 0)
        return grade;
    registry_csv_error (self, a->path, grade,
                        "'%s' is not a grade; one of "
                        "AAA, AA, A, B, C, or empty for none",
                        grade);
    return "";
}

//  Row r of the table, from its column id, into its field of message.
static void
s_attr (registry_csv_t *self, const registry_attr_t *a, size_t r,
        registry_csv_col_t id, ProtobufCMessage *message)
{
    registry_csv_storage_t *s = &self->row;
    size_t *count;
    char *at = registry_check_attr_at (a, message, &count);
    const registry_csv_enum_t *e = a->type ? registry_csv_enum_of (a->type)
                                           : NULL;
    kj_date_t date;
    int n;
    switch (a->kind) {
        case REGISTRY_ATTR_TEXT:
            *(const char **) at = registry_csv_text (self, id, (size_t) a->max,
                                                     a->required);
            break;
        case REGISTRY_ATTR_CODE:
            registry_csv_code (self, id, false, s->text [r]);
            *(char **) at = s->text [r];
            break;
        case REGISTRY_ATTR_ENUM:
            assert (e);  //  test_registry_attrs holds every row to one
            n = registry_csv_enum (self, id, e, a->required, 0);
            *(int *) at = n < 0 ? 0 : n;
            break;
        case REGISTRY_ATTR_ENUMS:
            assert (e);
            n = registry_csv_enum_list (self, id, e, s->values [r],
                                        REGISTRY_CSV_MAX_LIST);
            *(int **) at = s->values [r];
            *count = n < 0 ? 0 : (size_t) n;
            break;
        case REGISTRY_ATTR_REGIONS:
            n = registry_csv_region_list (self, id, a->required, s->items [r]);
            *(char ***) at = s->items [r];
            *count = n < 0 ? 0 : (size_t) n;
            break;
        case REGISTRY_ATTR_MONEY:
            *(int64_t *) at = s_attr_number (self, a, id);
            break;
        case REGISTRY_ATTR_COUNT:
        case REGISTRY_ATTR_BP:
            *(int32_t *) at = (int32_t) s_attr_number (self, a, id);
            break;
        case REGISTRY_ATTR_DATE:
            registry_csv_date (self, id, false, s->text [r], &date);
            if (a->today && !registry_csv_given (self, id))
                kj_check_date_format (self->options.today, s->text [r]);
            *(char **) at = s->text [r];
            break;
        case REGISTRY_ATTR_GRADE:
            *(const char **) at = s_attr_grade (self, a, id);
            break;
    }
}

//  An institution's or a product's row: its ids, its table's cells, then
//  the registry's check of the whole message (for a product, its terms)
static void
s_attrs_row (registry_csv_t *self, ProtobufCMessage *message, char **ids,
             size_t n_ids)
{
    size_t rows;
    registry_csv_col_t first;
    const registry_attr_t *table = registry_csv_attrs_of (self->kind, &rows,
                                                          &first);
    assert (table);
    for (size_t i = 0; i < n_ids; i++)
        ids [i] = (char *)
            registry_csv_id (self, (registry_csv_col_t) (first - n_ids + i));
    for (size_t r = 0; r < rows; r++)
        s_attr (self, &table [r], r, (registry_csv_col_t) (first + r), message);
    if (self->failed)
        return;
    kj_status_t status;
    const char *entity = self->kind == REGISTRY_CSV_PRODUCTS ? "product"
                                                             : "institution";
    int rc = registry_check_attrs (table, rows, message, entity, NULL, 0,
                                   &status);
    if (rc == 0 && self->kind == REGISTRY_CSV_PRODUCTS) {
        registry_product_terms_t terms;
        registry_product_terms ((const Kj__Product *) message, &terms);
        rc = registry_product_check_terms (&terms, &status);
    }
    registry_csv_check_status (self, rc, &status);
}

void
registry_csv_institution_row (registry_csv_t *self)
{
    Kj__Institution *i = &self->row.institution;
    kj__institution__init (i);
    s_attrs_row (self, &i->base, &i->id, 1);
    if (!self->failed && self->row_fn) {
        registry_csv_row_t row = { .kind = REGISTRY_CSV_INSTITUTIONS,
                                   .line = self->row_line,
                                   .institution = i };
        self->row_fn (&row, self->arg);
    }
}

void
registry_csv_product_row (registry_csv_t *self)
{
    Kj__Product *p = &self->row.product;
    kj__product__init (p);
    char *ids [2];
    s_attrs_row (self, &p->base, ids, 2);
    p->id = ids [0];
    p->institution_id = ids [1];
    if (!self->failed && self->row_fn) {
        registry_csv_row_t row = { .kind = REGISTRY_CSV_PRODUCTS,
                                   .line = self->row_line,
                                   .product = p };
        self->row_fn (&row, self->arg);
    }
}
