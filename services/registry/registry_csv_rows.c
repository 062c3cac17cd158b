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

    if (!self->failed) {
        kj_status_t status;
        registry_csv_check_status (self,
                                   registry_check_enterprise (e, NULL, 0,
                                                              &status),
                                   &status);
    }
    if (!self->failed && self->row_fn) {
        registry_csv_row_t row = { .kind = REGISTRY_CSV_ENTERPRISES,
                                   .line = self->row_line,
                                   .enterprise = e };
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

void
registry_csv_institution_row (registry_csv_t *self)
{
    registry_csv_storage_t *r = &self->row;
    Kj__Institution *i = &r->institution;
    kj__institution__init (i);
    i->id = (char *) registry_csv_id (self, I_ID);
    i->name = (char *) registry_csv_text (self, I_NAME, 200, true);
    int type = registry_csv_enum (self, I_TYPE, &registry_csv_enum_institution,
                                  true, 0);
    i->type = type < 0 ? 0 : (Kj__InstitutionType) type;
    registry_csv_code (self, I_USCC, false, r->uscc);
    i->uscc = r->uscc;
    int count = registry_csv_region_list (self, I_REGIONS, true);
    i->regions = r->regions;
    i->n_regions = count < 0 ? 0 : (size_t) count;
    i->contact = (char *) registry_csv_text (self, I_CONTACT, 200, false);
    registry_csv_code (self, I_SPONSOR, false, r->sponsor);
    i->sponsor_code = r->sponsor;
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
    registry_csv_storage_t *r = &self->row;
    Kj__Product *p = &r->product;
    kj__product__init (p);
    p->id = (char *) registry_csv_id (self, P_ID);
    p->institution_id = (char *) registry_csv_id (self, P_INSTITUTION);
    p->name = (char *) registry_csv_text (self, P_NAME, 200, true);
    int type = registry_csv_enum (self, P_TYPE, &registry_csv_enum_product,
                                  true, 0);
    p->type = type < 0 ? 0 : (Kj__ProductType) type;
    int64_t value;
    registry_csv_int (self, P_MIN_AMOUNT, 0, INT64_MAX, 0, &p->min_amount_fen);
    if (!registry_csv_given (self, P_MAX_AMOUNT))
        registry_csv_error (self, "max_amount_fen", "",
                            "required, and empty: the "
                            "largest amount, in fen");
    else
        registry_csv_int (self, P_MAX_AMOUNT, 1, INT64_MAX, 0,
                          &p->max_amount_fen);
    registry_csv_int (self, P_MIN_TERM, 0, 600, 0, &value);
    p->min_term_months = (int32_t) value;
    if (!registry_csv_given (self, P_MAX_TERM))
        registry_csv_error (self, "max_term_months", "",
                            "required, and empty: the "
                            "longest term, in months");
    else if (registry_csv_int (self, P_MAX_TERM, 1, 600, 0, &value))
        p->max_term_months = (int32_t) value;
    registry_csv_int (self, P_RATE, 0, 10000, 0, &value);
    p->rate_bp = (int32_t) value;
    int count = registry_csv_enum_list (self, P_COLLATERAL,
                                        &registry_csv_enum_collateral,
                                        (int *) r->collateral, 8);
    p->collateral = r->collateral;
    p->n_collateral = count < 0 ? 0 : (size_t) count;
    count = registry_csv_enum_list (self, P_STAGES, &registry_csv_enum_stage,
                                    (int *) r->stages, 4);
    p->stages = r->stages;
    p->n_stages = count < 0 ? 0 : (size_t) count;
    count = registry_csv_enum_list (self, P_QUALS, &registry_csv_enum_qual,
                                    (int *) r->all_quals,
                                    REGISTRY_CSV_MAX_QUALS);
    p->qualifications = r->all_quals;
    p->n_qualifications = count < 0 ? 0 : (size_t) count;
    count = registry_csv_enum_list (self, P_ANY_QUALS, &registry_csv_enum_qual,
                                    (int *) r->any_quals,
                                    REGISTRY_CSV_MAX_QUALS);
    p->any_qualifications = r->any_quals;
    p->n_any_qualifications = count < 0 ? 0 : (size_t) count;
    const char *grade = registry_csv_cell (self, P_MIN_GRADE);
    p->min_grade = "";
    if (grade && *grade) {
        for (char *c = (char *) grade; *c; c++)
            *c = (char) toupper ((unsigned char) *c);
        if (registry_product_grade (grade) < 0)
            registry_csv_error (self, "min_grade", grade,
                                "'%s' is not a grade; one of "
                                "AAA, AA, A, B, C, or empty for none",
                                grade);
        else
            p->min_grade = (char *) grade;
    }
    count = registry_csv_region_list (self, P_REGIONS, true);
    p->regions = r->regions;
    p->n_regions = count < 0 ? 0 : (size_t) count;
    kj_date_t from, to;
    registry_csv_date (self, P_VALID_FROM, false, r->valid_from, &from);
    if (!r->valid_from [0] && !registry_csv_given (self, P_VALID_FROM))
        kj_check_date_format (self->options.today, r->valid_from);
    p->valid_from = r->valid_from;
    registry_csv_date (self, P_VALID_TO, false, r->valid_to, &to);
    p->valid_to = r->valid_to;
    p->description = (char *) registry_csv_text (self, P_DESCRIPTION, 2000,
                                                 false);
    if (!self->failed) {
        kj_status_t status;
        registry_product_terms_t terms;
        int rc = registry_product_check (p, NULL, 0, &status);
        if (rc == 0) {
            registry_product_terms (p, &terms);
            rc = registry_product_check_terms (&terms, &status);
        }
        registry_csv_check_status (self, rc, &status);
    }
    if (!self->failed && self->row_fn) {
        registry_csv_row_t row = { .kind = REGISTRY_CSV_PRODUCTS,
                                   .line = self->row_line,
                                   .product = p };
        self->row_fn (&row, self->arg);
    }
}
