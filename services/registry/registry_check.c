/*  =========================================================================
    registry_check - validation of the registry's input, field by field

    Pure rules, no I/O. The database has CHECK constraints for the same
    rules as a backstop; these checks come first so that a person gets the
    field and the reason instead of a constraint name.
    =========================================================================
*/

#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry_check.h"
#include "kj_money.h"
#include "registry_uscc.h"
#include "kj_util.h"

#define YEAR_MIN 1900
#define YEAR_MAX 2200

//  --------------------------------------------------------------------------
//  A known value of an enum; zero allowed only if zero_ok.

static int
s_check_enum (const ProtobufCEnumDescriptor *descriptor, int value,
              bool zero_ok, const char *field, kj_status_t *status)
{
    if ((value == 0 && !zero_ok)
        || !protobuf_c_enum_descriptor_get_value (descriptor, value))
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                              "%s: %d is not a %s%s", field, value,
                              descriptor->short_name,
                              value == 0 ? " (it must be set)" : "");
    return 0;
}

//  An optional date: "" or a valid date.

static int
s_check_optional_date (const char *text, const char *field, kj_date_t *date,
                       bool *given, kj_status_t *status)
{
    *given = text && *text;
    memset (date, 0, sizeof *date);
    return *given ? kj_check_date (text, field, date, status) : 0;
}

static int
s_check_year (int year, const char *field, kj_status_t *status)
{
    if (year < YEAR_MIN || year > YEAR_MAX)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                              "%s: %d is out of range (%d to %d)", field, year,
                              YEAR_MIN, YEAR_MAX);
    return 0;
}

//  --------------------------------------------------------------------------

// clang-format off
#define S_MONEY(name, column, zh, negative) \
    { name, #column, zh, offsetof (Kj__YearFigures, column), false, negative }
#define S_COUNT(name, column, zh) \
    { name, #column, zh, offsetof (Kj__YearFigures, column), true, false }
// clang-format on
const registry_figure_t registry_check_figure_table [REGISTRY_FIGURES] = {
    S_MONEY ("revenue", revenue_fen, "营业收入_分", false),
    S_MONEY ("rnd", rnd_fen, "研发费用_分", false),
    S_MONEY ("net-profit", net_profit_fen, "净利润_分", true),
    S_MONEY ("assets", total_assets_fen, "资产总额_分", false),
    S_MONEY ("cash-flow", operating_cash_flow_fen, "经营活动现金流_分", true),
    S_MONEY ("high-tech-revenue", high_tech_revenue_fen, "高新技术产品收入_分",
             false),
    S_MONEY ("cost", total_cost_fen, "成本费用支出总额_分", false),
    S_COUNT ("staff", staff, "职工总数"),
    S_COUNT ("tech-staff", tech_staff, "科技人员"),
};
#undef S_MONEY
#undef S_COUNT

//  --------------------------------------------------------------------------
//  The enterprise's own flags and counts (see the header). The order is
//  the CSV columns' and the CLI usage's.

const registry_field_t
    registry_check_enterprise_table [REGISTRY_ENTERPRISE_FIELDS] = {
        { "listing_tutoring", "listing_tutoring", "上市辅导备案", "tutoring",
          "上市辅导", "listing tutoring", REGISTRY_FIELD_FLAG,
          "listing_tutoring" },
        { "board_standard", "board_standard", "符合上市标准", "board-standard",
          "符合板块标准", "board standard", REGISTRY_FIELD_FLAG,
          "board_standard" },
        { "chain_leader", "chain_leader", "链主企业", "chain-leader",
          "链主企业", "chain leader", REGISTRY_FIELD_FLAG, "chain_leader" },
        { "credit.dishonest", "dishonest", "严重违法失信", "dishonest",
          "严重失信", "严重失信", REGISTRY_FIELD_FLAG, "dishonest" },
        { "credit.abnormal", "abnormal", "经营异常", "abnormal", "经营异常",
          "经营异常", REGISTRY_FIELD_FLAG, "abnormal" },
        { "ip.invention_patents", "invention_patents", "发明专利",
          "invention-patents", "发明专利", "invention patents",
          REGISTRY_FIELD_COUNT, "invention_patents" },
        { "ip.class2_ip", "class2_ip", "二类知识产权", "class2-ip",
          "II 类知识产权", "class-II", REGISTRY_FIELD_COUNT, "class2_ip" },
        { "ip.pledged_ip", "pledged_ip", "已质押知识产权", "pledged-ip",
          "已质押", "pledged", REGISTRY_FIELD_COUNT, "pledged_ip" },
    };

//  The enterprise's other stored input columns (see the header), in the
//  order of the store's statements
const registry_field_t
    registry_check_enterprise_own [REGISTRY_ENTERPRISE_OWN] = {
        { "name", "name", "企业名称", "name", "企业名称", "name",
          REGISTRY_FIELD_TEXT, "name", .required = true, .metavar = "NAME" },
        { "region", "region", "所属地区", "region", "所属地区", "region",
          REGISTRY_FIELD_TEXT, "region", .metavar = "R" },
        { "industry", "industry", "行业", "industry", "行业", "industry",
          REGISTRY_FIELD_TEXT, "industry", .metavar = "I" },
        { "founded_on", "founded_on", "成立日期", "founded", "成立日期",
          "founded", REGISTRY_FIELD_DATE, "founded_on", .required = true },
        { "size_class", "size_class", "企业规模", "size", "企业规模", "size",
          REGISTRY_FIELD_ENUM, "size_class", &kj__size_class__descriptor,
          "SIZE_" },
        { "credit.tax_grade", "tax_grade", "纳税信用等级", "tax-grade",
          "纳税信用等级", "tax grade", REGISTRY_FIELD_TEXT, "tax_grade",
          .csv_after = "abnormal", .metavar = "A|B|M|C|D" },
    };

//  The update_mask names: every column's path, then the parts as wholes
//  (after the flags, so that a refusal lists the names in the order it
//  always did), made before main from the rows
static const char *const s_wholes [] = { "credit", "ip",    "awards",
                                         "rounds", "loans", "chain_links" };
#define WHOLES (int) (sizeof s_wholes / sizeof s_wholes [0])
const char *
    registry_check_enterprise_fields [REGISTRY_ENTERPRISE_COLUMNS + WHOLES + 1];

__attribute__ ((constructor)) static void
s_enterprise_masks (void)
{
    int n = 0;
    for (int i = 0; i < REGISTRY_ENTERPRISE_COLUMNS; i++)
        registry_check_enterprise_fields [n++] =
            registry_check_enterprise_column (i)->path;
    for (int i = 0; i < WHOLES; i++)
        registry_check_enterprise_fields [n++] = s_wholes [i];
    registry_check_enterprise_fields [n] = NULL;
}

const registry_field_t *
registry_check_enterprise_column (int i)
{
    assert (i >= 0 && i < REGISTRY_ENTERPRISE_COLUMNS);
    return i < REGISTRY_ENTERPRISE_OWN
             ? &registry_check_enterprise_own [i]
             : &registry_check_enterprise_table [i - REGISTRY_ENTERPRISE_OWN];
}

//  Where a row's field is: the offset in Kj__Enterprise of the part that
//  holds it (NO_PART: e itself) and the field's offset in that part, found
//  from the descriptors. A path names a field of e or of a part of e.
#define NO_PART SIZE_MAX
typedef struct {
    size_t part, field;
    bool found;
} s_place_t;

static s_place_t
s_place (const registry_field_t *f)
{
    s_place_t place = { NO_PART, 0, false };
    const ProtobufCMessageDescriptor *descriptor = &kj__enterprise__descriptor;
    const char *name = f->path;
    const char *dot = strchr (name, '.');
    if (dot) {
        //  The part: a message field of e holding the next one
        char part [64];
        snprintf (part, sizeof part, "%.*s", (int) (dot - name), name);
        const ProtobufCFieldDescriptor *field =
            protobuf_c_message_descriptor_get_field_by_name (descriptor, part);
        if (!field || field->type != PROTOBUF_C_TYPE_MESSAGE
            || field->label == PROTOBUF_C_LABEL_REPEATED
            || strchr (dot + 1, '.'))
            return place;
        place.part = field->offset;
        descriptor = (const ProtobufCMessageDescriptor *) field->descriptor;
        name = dot + 1;
    }
    const ProtobufCFieldDescriptor *field =
        protobuf_c_message_descriptor_get_field_by_name (descriptor, name);
    if (!field || field->label == PROTOBUF_C_LABEL_REPEATED)
        return place;
    switch (f->kind) {
        case REGISTRY_FIELD_FLAG:
            place.found = field->type == PROTOBUF_C_TYPE_BOOL;
            break;
        case REGISTRY_FIELD_COUNT:
            place.found = field->type == PROTOBUF_C_TYPE_INT32;
            break;
        case REGISTRY_FIELD_TEXT:
        case REGISTRY_FIELD_DATE:
            place.found = field->type == PROTOBUF_C_TYPE_STRING;
            break;
        case REGISTRY_FIELD_ENUM:
            place.found = field->type == PROTOBUF_C_TYPE_ENUM
                       && field->descriptor == f->type;
            break;
    }
    place.field = field->offset;
    return place;
}

//  The places of the tables' rows, found once before main (so before any
//  thread): the stores read and write every row of every enterprise
static s_place_t s_places [REGISTRY_ENTERPRISE_COLUMNS];

__attribute__ ((constructor)) static void
s_places_find (void)
{
    for (int i = 0; i < REGISTRY_ENTERPRISE_COLUMNS; i++)
        s_places [i] = s_place (registry_check_enterprise_column (i));
}

void *
registry_check_enterprise_field (const Kj__Enterprise *e,
                                 const registry_field_t *f)
{
    s_place_t place;
    if (f >= registry_check_enterprise_own
        && f < registry_check_enterprise_own + REGISTRY_ENTERPRISE_OWN)
        place = s_places [f - registry_check_enterprise_own];
    else if (f >= registry_check_enterprise_table
             && f < registry_check_enterprise_table
                        + REGISTRY_ENTERPRISE_FIELDS)
        place = s_places [REGISTRY_ENTERPRISE_OWN
                          + (f - registry_check_enterprise_table)];
    else
        place = s_place (f);  //  a row of no table (the unit tests')
    if (!place.found)
        return NULL;
    const char *message = (const char *) e;
    if (place.part != NO_PART)
        message = *(const char *const *) (message + place.part);
    return message ? (char *) message + place.field : NULL;
}

//  --------------------------------------------------------------------------
//  The masked rows of the table from asked into e (header)

void
registry_check_enterprise_merge (Kj__Enterprise *e, const Kj__Enterprise *asked,
                                 char **mask, size_t n_mask)
{
    for (int i = 0; i < REGISTRY_ENTERPRISE_FIELDS; i++) {
        const registry_field_t *f = &registry_check_enterprise_table [i];
        if (!kj_check_masked (mask, n_mask, f->path))
            continue;
        void *target = registry_check_enterprise_field (e, f);
        const void *value = registry_check_enterprise_field (asked, f);
        assert (target);
        if (f->kind == REGISTRY_FIELD_FLAG)
            *(protobuf_c_boolean *)
                target = value && *(const protobuf_c_boolean *) value;
        else
            *(int32_t *) target = value ? *(const int32_t *) value : 0;
    }
}

int64_t
registry_check_figure_value (const Kj__YearFigures *f, int i)
{
    const char *at = (const char *) f + registry_check_figure_table [i].offset;
    return registry_check_figure_table [i].count ? *(const int32_t *) at
                                                 : *(const int64_t *) at;
}

void
registry_check_figure_set (Kj__YearFigures *f, int i, int64_t value)
{
    char *at = (char *) f + registry_check_figure_table [i].offset;
    if (registry_check_figure_table [i].count)
        *(int32_t *) at = (int32_t) value;
    else
        *(int64_t *) at = value;
}

bool
registry_check_figure_reported (const Kj__YearFigures *f, int i)
{
    for (size_t n = 0; n < f->n_not_reported; n++)
        if (streq (f->not_reported [n], registry_check_figure_table [i].name))
            return false;
    return true;
}

int
registry_check_figure (const char *name)
{
    for (int i = 0; i < REGISTRY_FIGURES; i++)
        if (streq (registry_check_figure_table [i].name, name))
            return i;
    return -1;
}

//  --------------------------------------------------------------------------

unsigned
registry_check_stage_not_reported (const Kj__YearFigures *figures, int back)
{
    unsigned bits = 0;
    for (size_t i = 0; i < figures->n_not_reported; i++)
        if (streq (figures->not_reported [i], "revenue"))
            bits |= REGISTRY_STAGE_NR (REGISTRY_STAGE_REVENUE, back);
        else if (streq (figures->not_reported [i], "net-profit"))
            bits |= REGISTRY_STAGE_NR (REGISTRY_STAGE_NET_PROFIT, back);
    return bits;
}

int
registry_check_figures (const Kj__YearFigures *figures, const char *prefix,
                        kj_status_t *status)
{
    char field [96];
#define FIELD(name)                                                            \
    (snprintf (field, sizeof field, "%s.%s", prefix, name), field)
    if (s_check_year (figures->year, FIELD ("year"), status))
        return -1;
    int64_t values [REGISTRY_FIGURES];
    for (int i = 0; i < REGISTRY_FIGURES; i++) {
        const registry_figure_t *figure = &registry_check_figure_table [i];
        values [i] = registry_check_figure_value (figures, i);
        if (figure->count ? kj_check_count (values [i], FIELD (figure->column),
                                            10000000, status)
                          : kj_check_money (values [i], FIELD (figure->column),
                                            figure->may_be_negative, status))
            return -1;
    }
    //  Figures not reported: known names, once each, and no value given
    bool seen [REGISTRY_FIGURES] = { false };
    for (size_t i = 0; i < figures->n_not_reported; i++) {
        const char *name = figures->not_reported [i];
        int at = registry_check_figure (name);
        int size = (int) kj_utf8_cut (name, 40);
        if (at < 0)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                                  FIELD ("not_reported"),
                                  "%s: %d: '%.*s' is no figure: revenue, rnd, "
                                  "net-profit, assets, cash-flow, "
                                  "high-tech-revenue, cost, staff or "
                                  "tech-staff",
                                  field, figures->year, size, name);
        if (seen [at])
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                                  FIELD ("not_reported"),
                                  "%s: %d: '%.*s' is named twice", field,
                                  figures->year, size, name);
        if (values [at] != 0)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                                  FIELD ("not_reported"),
                                  "%s: %d: '%.*s' is given and not reported "
                                  "at once",
                                  field, figures->year, size, name);
        seen [at] = true;
    }
    //  The year as people know it, money in yuan (docs/registry.md). A
    //  bound not reported is unknown, not 0: nothing to hold a figure to
    if (figures->tech_staff > figures->staff
        && !seen [registry_check_figure ("staff")])
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                              FIELD ("tech_staff"),
                              "%s: %d: %d tech staff, more than the %d staff "
                              "in all",
                              field, figures->year, figures->tech_staff,
                              figures->staff);
    if (figures->high_tech_revenue_fen > figures->revenue_fen
        && !seen [registry_check_figure ("revenue")]) {
        char high [48], all [48];
        kj_money_yuan (figures->high_tech_revenue_fen, true, high, sizeof high);
        kj_money_yuan (figures->revenue_fen, true, all, sizeof all);
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                              FIELD ("high_tech_revenue_fen"),
                              "%s: %d: high-tech revenue %s, more than the "
                              "revenue of %s",
                              field, figures->year, high, all);
    }
#undef FIELD
    return 0;
}

int
registry_check_figures_list (Kj__YearFigures *const *figures, size_t n,
                             const char *prefix, kj_status_t *status)
{
    if (n > REGISTRY_CHECK_MAX_ITEMS)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, prefix,
                              "%s: %zu years, at most %d at once", prefix, n,
                              REGISTRY_CHECK_MAX_ITEMS);
    for (size_t i = 0; i < n; i++) {
        char item [80];
        snprintf (item, sizeof item, "%s[%zu]", prefix, i);
        if (registry_check_figures (figures [i], item, status))
            return -1;
        for (size_t j = 0; j < i; j++)
            if (figures [j]->year == figures [i]->year) {
                char field [96];
                snprintf (field, sizeof field, "%s.year", item);
                return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                                      "%s: %d is given twice (also "
                                      "%s[%zu])",
                                      field, figures [i]->year, prefix, j);
            }
    }
    return 0;
}

//  A qualification, its expiry date read into *expires.
static int
s_check_qualification (const Kj__Qualification *qualification,
                       const char *prefix, kj_date_t *expires_on,
                       kj_status_t *status)
{
    char field [96];
#define FIELD(name)                                                            \
    (snprintf (field, sizeof field, "%s.%s", prefix, name), field)
    kj_date_t granted, expires;
    bool has_granted, has_expires;
    if (s_check_enum (&kj__qualification_kind__descriptor, qualification->kind,
                      false, FIELD ("kind"), status)
        || s_check_enum (&kj__level__descriptor, qualification->level, true,
                         FIELD ("level"), status)
        || kj_check_text (qualification->certificate, FIELD ("certificate"),
                          100, false, status)
        || s_check_optional_date (qualification->granted_on,
                                  FIELD ("granted_on"), &granted, &has_granted,
                                  status)
        || s_check_optional_date (qualification->expires_on,
                                  FIELD ("expires_on"), &expires, &has_expires,
                                  status))
        return -1;
    if (!has_expires)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                              FIELD ("expires_on"),
                              "%s: required: every "
                              "qualification has an expiry date",
                              field);
    if (has_granted && kj_check_date_compare (granted, expires) > 0)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                              FIELD ("granted_on"),
                              "%s: %s is after the "
                              "expiry date %s",
                              field, qualification->granted_on,
                              qualification->expires_on);
#undef FIELD
    *expires_on = expires;
    return 0;
}

int
registry_check_qualification (const Kj__Qualification *qualification,
                              const char *prefix, kj_status_t *status)
{
    kj_date_t expires;
    return s_check_qualification (qualification, prefix, &expires, status);
}

//  --------------------------------------------------------------------------
//  The lists of an enterprise

static int
s_check_count_of (size_t n, const char *field, kj_status_t *status)
{
    if (n > REGISTRY_CHECK_MAX_ITEMS)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                              "%s: %zu items, at most %d", field, n,
                              REGISTRY_CHECK_MAX_ITEMS);
    return 0;
}

static int
s_check_awards (const Kj__Enterprise *e, kj_status_t *status)
{
    if (s_check_count_of (e->n_awards, "enterprise.awards", status))
        return -1;
    for (size_t i = 0; i < e->n_awards; i++) {
        const Kj__Award *award = e->awards [i];
        char field [80];
#define FIELD(name)                                                            \
    (snprintf (field, sizeof field, "enterprise.awards[%zu].%s", i, name),     \
     field)
        if (kj_check_text (award->name, FIELD ("name"), 200, true, status)
            || s_check_enum (&kj__level__descriptor, award->level, false,
                             FIELD ("level"), status)
            || s_check_year (award->year, FIELD ("year"), status)
            || kj_check_text (award->rank, FIELD ("rank"), 100, false, status))
            return -1;
#undef FIELD
    }
    return 0;
}

static int
s_check_rounds (const Kj__Enterprise *e, kj_status_t *status)
{
    if (s_check_count_of (e->n_rounds, "enterprise.rounds", status))
        return -1;
    for (size_t i = 0; i < e->n_rounds; i++) {
        const Kj__EquityRound *round = e->rounds [i];
        char field [80];
        kj_date_t closed;
#define FIELD(name)                                                            \
    (snprintf (field, sizeof field, "enterprise.rounds[%zu].%s", i, name),     \
     field)
        if (s_check_enum (&kj__round__descriptor, round->round, false,
                          FIELD ("round"), status)
            || kj_check_money (round->amount_fen, FIELD ("amount_fen"), false,
                               status)
            || kj_check_date (round->closed_on, FIELD ("closed_on"), &closed,
                              status)
            || kj_check_text (round->investors, FIELD ("investors"), 500, false,
                              status))
            return -1;
#undef FIELD
    }
    return 0;
}

static int
s_check_loans (const Kj__Enterprise *e, kj_status_t *status)
{
    if (s_check_count_of (e->n_loans, "enterprise.loans", status))
        return -1;
    for (size_t i = 0; i < e->n_loans; i++) {
        const Kj__BankLoan *loan = e->loans [i];
        char field [80];
        kj_date_t drawn, matures;
        bool has_matures;
#define FIELD(name)                                                            \
    (snprintf (field, sizeof field, "enterprise.loans[%zu].%s", i, name), field)
        if (kj_check_text (loan->lender, FIELD ("lender"), 200, true, status)
            || kj_check_money (loan->amount_fen, FIELD ("amount_fen"), false,
                               status)
            || kj_check_date (loan->drawn_on, FIELD ("drawn_on"), &drawn,
                              status)
            || s_check_optional_date (loan->matures_on, FIELD ("matures_on"),
                                      &matures, &has_matures, status))
            return -1;
        if (loan->amount_fen == 0)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                                  FIELD ("amount_fen"),
                                  "%s: a loan of ¥0; the amount must be "
                                  "more than ¥0",
                                  field);
        if (has_matures && kj_check_date_compare (matures, drawn) < 0)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                                  FIELD ("matures_on"),
                                  "%s: %s is before "
                                  "the loan was drawn (%s)",
                                  field, loan->matures_on, loan->drawn_on);
#undef FIELD
    }
    return 0;
}

static int
s_check_links (const Kj__Enterprise *e, kj_status_t *status)
{
    if (s_check_count_of (e->n_chain_links, "enterprise.chain_links", status))
        return -1;
    for (size_t i = 0; i < e->n_chain_links; i++) {
        const Kj__ChainLink *link = e->chain_links [i];
        char field [80], code [REGISTRY_USCC_SIZE + 1];
        snprintf (field, sizeof field,
                  "enterprise.chain_links[%zu].leader_code", i);
        kj_status_t why;
        if (registry_uscc_normalize (link->leader_code ? link->leader_code : "",
                                     code, &why))
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                                  "%s: %s", field, why.message);
        snprintf (field, sizeof field, "enterprise.chain_links[%zu].chain", i);
        if (kj_check_text (link->chain, field, 100, false, status))
            return -1;
    }
    return 0;
}

static int
s_check_qualifications (const Kj__Enterprise *e, kj_date_t *expires,
                        kj_status_t *status)
{
    if (s_check_count_of (e->n_qualifications, "enterprise.qualifications",
                          status))
        return -1;
    for (size_t i = 0; i < e->n_qualifications; i++) {
        char prefix [64];
        snprintf (prefix, sizeof prefix, "enterprise.qualifications[%zu]", i);
        if (s_check_qualification (e->qualifications [i], prefix, &expires [i],
                                   status))
            return -1;
        for (size_t j = 0; j < i; j++)
            if (e->qualifications [j]->kind == e->qualifications [i]->kind) {
                char field [80];
                snprintf (field, sizeof field, "%s.kind", prefix);
                return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                                      "%s: given twice (also "
                                      "enterprise.qualifications[%zu])",
                                      field, j);
            }
    }
    return 0;
}

int
registry_check_enterprise (const Kj__Enterprise *e, char **mask, size_t n_mask,
                           kj_status_t *status)
{
    registry_check_dates_t dates;
    return registry_check_enterprise_dated (e, mask, n_mask, &dates, status);
}

int
registry_check_enterprise_dated (const Kj__Enterprise *e, char **mask,
                                 size_t n_mask, registry_check_dates_t *dates,
                                 kj_status_t *status)
{
    assert (e && dates && status);
    bool all = mask == NULL;
#define WANTS(name) (all || kj_check_masked (mask, n_mask, name))
    memset (&dates->founded_on, 0, sizeof dates->founded_on);
    bool has_founded;
    if (WANTS ("name")
        && kj_check_text (e->name, "enterprise.name", 200, true, status))
        return -1;
    if (WANTS ("industry")
        && kj_check_text (e->industry, "enterprise.industry", 100, false,
                          status))
        return -1;
    if (WANTS ("founded_on")
        && s_check_optional_date (e->founded_on, "enterprise.founded_on",
                                  &dates->founded_on, &has_founded, status))
        return -1;
    if (WANTS ("size_class")
        && s_check_enum (&kj__size_class__descriptor, e->size_class, true,
                         "enterprise.size_class", status))
        return -1;
    if (WANTS ("credit.tax_grade") && e->credit) {
        const char *grade = e->credit->tax_grade ? e->credit->tax_grade : "";
        if (strlen (grade) > 1 || (*grade && !strchr ("ABMCD", *grade)))
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                                  "enterprise.credit.tax_grade",
                                  "enterprise.credit.tax_grade: '%.*s' is "
                                  "not a tax credit grade; one of A, B, M, "
                                  "C, D, or empty",
                                  kj_utf8_cut (grade, 20), grade);
    }
    for (int i = 0; i < REGISTRY_ENTERPRISE_FIELDS; i++) {
        const registry_field_t *f = &registry_check_enterprise_table [i];
        const int32_t *count = f->kind == REGISTRY_FIELD_COUNT
                                 ? registry_check_enterprise_field (e, f)
                                 : NULL;
        char field [80];
        snprintf (field, sizeof field, "enterprise.%s", f->path);
        if (count && WANTS (f->path)
            && kj_check_count (*count, field, REGISTRY_CHECK_COUNT_MAX, status))
            return -1;
    }
    if (all
        && (registry_check_figures_list (e->figures, e->n_figures,
                                         "enterprise.figures", status)
            || s_check_qualifications (e, dates->expires_on, status)))
        return -1;
    if ((WANTS ("awards") && s_check_awards (e, status))
        || (WANTS ("rounds") && s_check_rounds (e, status))
        || (WANTS ("loans") && s_check_loans (e, status))
        || (WANTS ("chain_links") && s_check_links (e, status)))
        return -1;
#undef WANTS
    return 0;
}

//  --------------------------------------------------------------------------

void
registry_check_stage (const registry_stage_rules_t *rules, kj_date_t founded_on,
                      kj_date_t today, registry_stage_input_t *input,
                      registry_stage_result_t *result)
{
    memset (result, 0, sizeof *result);
    snprintf (result->version, sizeof result->version, "%s", rules->version);
    kj_status_t status;
    if (founded_on.year == 0) {
        result->stage = REGISTRY_STAGE_UNKNOWN;
        result->rule = "unknown.no_founding_date";
        snprintf (result->reason, sizeof result->reason,
                  "未分类: the founding date is not known");
        return;
    }
    input->founded_on = founded_on;
    input->evaluated_on = today;
    if (registry_stage_classify (rules, input, result, &status)) {
        //  Bad data that came in another way (an import, an old row)
        result->stage = REGISTRY_STAGE_UNKNOWN;
        result->rule = "unknown.invalid_input";
        snprintf (result->reason, sizeof result->reason, "未分类: %.*s",
                  kj_utf8_cut (status.message, 300), status.message);
        kj_utf8_trim (result->reason);
        snprintf (result->version, sizeof result->version, "%s",
                  rules->version);
    }
}
