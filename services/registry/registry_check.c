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
#include "registry_uscc.h"
#include "kj_util.h"

#define YEAR_MIN 1900
#define YEAR_MAX 2200

const char *const registry_check_enterprise_fields [] = {
    "name", "region", "industry", "founded_on", "size_class",
    "listing_tutoring", "board_standard", "chain_leader", "credit",
    "credit.dishonest", "credit.abnormal", "credit.tax_grade", "ip",
    "ip.invention_patents", "ip.class2_ip", "ip.pledged_ip", "awards",
    "rounds", "loans", "chain_links", NULL
};


//  --------------------------------------------------------------------------
//  Days in a month of a year (Gregorian).

static int
s_days_in_month (int year, int month)
{
    static const int days [] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
                                 31 };
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days [month - 1];
}

int
registry_check_date (const char *text, const char *field,
                     registry_date_t *date, kj_status_t *status)
{
    assert (field && date && status);
    if (!text)
        text = "";
    bool shape = strlen (text) == 10 && text [4] == '-' && text [7] == '-';
    for (int i = 0; i < 10 && shape; i++)
        if (i != 4 && i != 7)
            shape = isdigit ((unsigned char) text [i]);
    if (!shape)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                              "%s: '%.*s' is not a date; expected "
                              "YYYY-MM-DD, e.g. 2021-03-15", field,
                              kj_utf8_cut (text, 40), text);
    int year = atoi (text), month = atoi (text + 5), day = atoi (text + 8);
    if (year < YEAR_MIN || year > YEAR_MAX)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                              "%s: year %d is out of range (%d to %d)",
                              field, year, YEAR_MIN, YEAR_MAX);
    if (month < 1 || month > 12)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                              "%s: %s has no month %d (01 to 12)", field,
                              text, month);
    if (day < 1 || day > s_days_in_month (year, month))
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                              "%s: %s is not a date: %04d-%02d has %d days",
                              field, text, year, month,
                              s_days_in_month (year, month));
    date->year = year;
    date->month = month;
    date->day = day;
    return 0;
}

int
registry_check_date_compare (registry_date_t a, registry_date_t b)
{
    if (a.year != b.year)
        return a.year < b.year ? -1 : 1;
    if (a.month != b.month)
        return a.month < b.month ? -1 : 1;
    if (a.day != b.day)
        return a.day < b.day ? -1 : 1;
    return 0;
}

void
registry_check_date_format (registry_date_t date, char buf [11])
{
    snprintf (buf, 11, "%04u-%02u-%02u", (unsigned) date.year % 10000u,
              (unsigned) date.month % 100u, (unsigned) date.day % 100u);
}

const char *
registry_check_enum_name (const ProtobufCEnumDescriptor *descriptor,
                          const char *prefix, int value, char *buf,
                          size_t size)
{
    const ProtobufCEnumValue *found =
        protobuf_c_enum_descriptor_get_value (descriptor, value);
    size_t skip = strlen (prefix);
    if (!found || strncmp (found->name, prefix, skip) != 0)
        return NULL;
    size_t at = 0;
    for (const char *c = found->name + skip; *c && at + 1 < size; c++)
        buf [at++] = (char) tolower ((unsigned char) *c);
    buf [at] = 0;
    return buf;
}

int
registry_check_enum_value (const ProtobufCEnumDescriptor *descriptor,
                           const char *prefix, const char *name)
{
    char full [96];
    size_t at = (size_t) snprintf (full, sizeof full, "%s", prefix);
    for (const char *c = name ? name : ""; *c && at + 1 < sizeof full; c++)
        full [at++] = (char) toupper ((unsigned char) *c);
    full [at] = 0;
    if (!name || !*name || strlen (name) + strlen (prefix) >= sizeof full)
        return -1;
    const ProtobufCEnumValue *found =
        protobuf_c_enum_descriptor_get_value_by_name (descriptor, full);
    return found ? found->value : -1;
}

int
registry_check_text (const char *text, const char *field, size_t max_chars,
                     bool required, kj_status_t *status)
{
    assert (field && status);
    if (!text || !*text) {
        if (required)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                                  "%s: required, and empty", field);
        return 0;
    }
    size_t chars = 0;
    for (const unsigned char *s = (const unsigned char *) text; *s; chars++) {
        size_t length = kj_utf8_sequence ((const char *) s);
        if (length == 0)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                                  "%s: byte 0x%02X at offset %zu is not "
                                  "valid UTF-8", field, s [0],
                                  (size_t) (s - (const unsigned char *) text));
        if (length == 1 && (s [0] < 0x20 || s [0] == 0x7F))
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                                  "%s: control character 0x%02X at offset "
                                  "%zu is not allowed", field, s [0],
                                  (size_t) (s - (const unsigned char *) text));
        s += length;
    }
    if (chars > max_chars)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                              "%s: %zu characters, at most %zu allowed",
                              field, chars, max_chars);
    return 0;
}

int
registry_check_id (const char *id, const char *field, kj_status_t *status)
{
    size_t length = id ? strlen (id) : 0;
    bool ok = length >= 1 && length <= 40 && isalnum ((unsigned char) id [0]);
    for (size_t i = 1; i < length && ok; i++)
        ok = isalnum ((unsigned char) id [i]) || strchr ("_.-", id [i]);
    if (!ok)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                              "%s: '%.*s' is not an id: 1 to 40 ASCII "
                              "letters, digits, '_', '.' or '-', starting "
                              "with a letter or digit", field,
                              kj_utf8_cut (id ? id : "", 48), id ? id : "");
    return 0;
}

int
registry_check_money (int64_t fen, const char *field, bool may_be_negative,
                      kj_status_t *status)
{
    if (fen < 0 && !may_be_negative)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                              "%s: %" PRId64 " fen is negative; an amount "
                              "here is 0 or more", field, fen);
    return 0;
}

int
registry_check_count (int64_t count, const char *field, int64_t max,
                      kj_status_t *status)
{
    if (count < 0 || count > max)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                              "%s: %" PRId64 " is out of range (0 to %"
                              PRId64 ")", field, count, max);
    return 0;
}

char *
registry_check_trim (const char *text)
{
    if (!text)
        text = "";
    while (*text && isspace ((unsigned char) *text))
        text++;
    size_t length = strlen (text);
    while (length && isspace ((unsigned char) text [length - 1]))
        length--;
    char *copy = (char *) malloc (length + 1);
    assert (copy);
    memcpy (copy, text, length);
    copy [length] = 0;
    return copy;
}

int
registry_check_mask (char **mask, size_t n_mask, const char *const *names,
                     kj_status_t *status)
{
    if (n_mask == 0)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                              "update_mask", "update_mask: empty; name the "
                              "fields to change");
    for (size_t i = 0; i < n_mask; i++) {
        bool known = false;
        for (const char *const *name = names; *name && !known; name++)
            known = strcmp (mask [i], *name) == 0;
        if (!known) {
            char field [48], allowed [400] = "";
            snprintf (field, sizeof field, "update_mask[%zu]", i);
            size_t at = 0;
            for (const char *const *name = names; *name; name++)
                if (!strchr (*name, '.') && at < sizeof allowed)
                    at += snprintf (allowed + at, sizeof allowed - at, "%s%s",
                                    at ? ", " : "", *name);
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                                  "%s: '%.*s' is not a field that can be "
                                  "updated; one of: %s", field,
                                  kj_utf8_cut (mask [i], 40), mask [i],
                                  allowed);
        }
    }
    return 0;
}

bool
registry_check_masked (char **mask, size_t n_mask, const char *name)
{
    const char *dot = strchr (name, '.');
    for (size_t i = 0; i < n_mask; i++) {
        if (strcmp (mask [i], name) == 0)
            return true;
        if (dot && strlen (mask [i]) == (size_t) (dot - name)
        &&  strncmp (mask [i], name, (size_t) (dot - name)) == 0)
            return true;
    }
    return false;
}

//  --------------------------------------------------------------------------
//  A known value of an enum; zero allowed only if zero_ok.

static int
s_check_enum (const ProtobufCEnumDescriptor *descriptor, int value,
              bool zero_ok, const char *field, kj_status_t *status)
{
    if ((value == 0 && !zero_ok)
    ||  !protobuf_c_enum_descriptor_get_value (descriptor, value))
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                              "%s: %d is not a %s%s", field, value,
                              descriptor->short_name,
                              value == 0 ? " (it must be set)" : "");
    return 0;
}

//  An optional date: "" or a valid date.

static int
s_check_optional_date (const char *text, const char *field,
                       registry_date_t *date, bool *given,
                       kj_status_t *status)
{
    *given = text && *text;
    memset (date, 0, sizeof *date);
    return *given ? registry_check_date (text, field, date, status) : 0;
}

static int
s_check_year (int year, const char *field, kj_status_t *status)
{
    if (year < YEAR_MIN || year > YEAR_MAX)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                              "%s: %d is out of range (%d to %d)", field,
                              year, YEAR_MIN, YEAR_MAX);
    return 0;
}

//  --------------------------------------------------------------------------

int
registry_check_figures (const Kj__YearFigures *figures, const char *prefix,
                        kj_status_t *status)
{
    char field [96];
#define FIELD(name) (snprintf (field, sizeof field, "%s.%s", prefix, name), \
                     field)
    if (s_check_year (figures->year, FIELD ("year"), status))
        return -1;
    struct {
        const char *name;
        int64_t value;
        bool may_be_negative;
    } money [] = {
        { "revenue_fen", figures->revenue_fen, false },
        { "rnd_fen", figures->rnd_fen, false },
        { "net_profit_fen", figures->net_profit_fen, true },
        { "total_assets_fen", figures->total_assets_fen, false },
        { "operating_cash_flow_fen", figures->operating_cash_flow_fen, true },
        { "high_tech_revenue_fen", figures->high_tech_revenue_fen, false },
        { "total_cost_fen", figures->total_cost_fen, false },
    };
    for (size_t i = 0; i < sizeof money / sizeof money [0]; i++)
        if (registry_check_money (money [i].value, FIELD (money [i].name),
                                  money [i].may_be_negative, status))
            return -1;
    if (registry_check_count (figures->staff, FIELD ("staff"), 10000000,
                              status)
    ||  registry_check_count (figures->tech_staff, FIELD ("tech_staff"),
                              10000000, status))
        return -1;
    if (figures->tech_staff > figures->staff)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                              FIELD ("tech_staff"), "%s: %d tech staff, more "
                              "than the %d staff in all", field,
                              figures->tech_staff, figures->staff);
    if (figures->high_tech_revenue_fen > figures->revenue_fen)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                              FIELD ("high_tech_revenue_fen"), "%s: %" PRId64
                              " fen, more than the revenue of %" PRId64
                              " fen", field, figures->high_tech_revenue_fen,
                              figures->revenue_fen);
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
                return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                                      field, "%s: %d is given twice (also "
                                      "%s[%zu])", field, figures [i]->year,
                                      prefix, j);
            }
    }
    return 0;
}

int
registry_check_qualification (const Kj__Qualification *qualification,
                              const char *prefix, kj_status_t *status)
{
    char field [96];
#define FIELD(name) (snprintf (field, sizeof field, "%s.%s", prefix, name), \
                     field)
    registry_date_t granted, expires;
    bool has_granted, has_expires;
    if (s_check_enum (&kj__qualification_kind__descriptor,
                      qualification->kind, false, FIELD ("kind"), status)
    ||  s_check_enum (&kj__level__descriptor, qualification->level, true,
                      FIELD ("level"), status)
    ||  registry_check_text (qualification->certificate,
                             FIELD ("certificate"), 100, false, status)
    ||  s_check_optional_date (qualification->granted_on,
                               FIELD ("granted_on"), &granted, &has_granted,
                               status)
    ||  s_check_optional_date (qualification->expires_on,
                               FIELD ("expires_on"), &expires, &has_expires,
                               status))
        return -1;
    if (!has_expires)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                              FIELD ("expires_on"), "%s: required: every "
                              "qualification has an expiry date", field);
    if (has_granted && registry_check_date_compare (granted, expires) > 0)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                              FIELD ("granted_on"), "%s: %s is after the "
                              "expiry date %s", field,
                              qualification->granted_on,
                              qualification->expires_on);
#undef FIELD
    return 0;
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
#define FIELD(name) (snprintf (field, sizeof field, \
                     "enterprise.awards[%zu].%s", i, name), field)
        if (registry_check_text (award->name, FIELD ("name"), 200, true,
                                 status)
        ||  s_check_enum (&kj__level__descriptor, award->level, false,
                          FIELD ("level"), status)
        ||  s_check_year (award->year, FIELD ("year"), status)
        ||  registry_check_text (award->rank, FIELD ("rank"), 100, false,
                                 status))
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
        registry_date_t closed;
#define FIELD(name) (snprintf (field, sizeof field, \
                     "enterprise.rounds[%zu].%s", i, name), field)
        if (s_check_enum (&kj__round__descriptor, round->round, false,
                          FIELD ("round"), status)
        ||  registry_check_money (round->amount_fen, FIELD ("amount_fen"),
                                  false, status)
        ||  registry_check_date (round->closed_on, FIELD ("closed_on"),
                                 &closed, status)
        ||  registry_check_text (round->investors, FIELD ("investors"), 500,
                                 false, status))
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
        registry_date_t drawn, matures;
        bool has_matures;
#define FIELD(name) (snprintf (field, sizeof field, \
                     "enterprise.loans[%zu].%s", i, name), field)
        if (registry_check_text (loan->lender, FIELD ("lender"), 200, true,
                                 status)
        ||  registry_check_money (loan->amount_fen, FIELD ("amount_fen"),
                                  false, status)
        ||  registry_check_date (loan->drawn_on, FIELD ("drawn_on"), &drawn,
                                 status)
        ||  s_check_optional_date (loan->matures_on, FIELD ("matures_on"),
                                   &matures, &has_matures, status))
            return -1;
        if (loan->amount_fen == 0)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                                  FIELD ("amount_fen"), "%s: a loan of 0 "
                                  "fen; the amount must be more than 0",
                                  field);
        if (has_matures && registry_check_date_compare (matures, drawn) < 0)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                                  FIELD ("matures_on"), "%s: %s is before "
                                  "the loan was drawn (%s)", field,
                                  loan->matures_on, loan->drawn_on);
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
        if (registry_uscc_normalize (link->leader_code ? link->leader_code
                                                       : "", code, &why))
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                                  "%s: %s", field, why.message);
        snprintf (field, sizeof field, "enterprise.chain_links[%zu].chain", i);
        if (registry_check_text (link->chain, field, 100, false, status))
            return -1;
    }
    return 0;
}

static int
s_check_qualifications (const Kj__Enterprise *e, kj_status_t *status)
{
    if (s_check_count_of (e->n_qualifications, "enterprise.qualifications",
                          status))
        return -1;
    for (size_t i = 0; i < e->n_qualifications; i++) {
        char prefix [64];
        snprintf (prefix, sizeof prefix, "enterprise.qualifications[%zu]", i);
        if (registry_check_qualification (e->qualifications [i], prefix,
                                          status))
            return -1;
        for (size_t j = 0; j < i; j++)
            if (e->qualifications [j]->kind == e->qualifications [i]->kind) {
                char field [80];
                snprintf (field, sizeof field, "%s.kind", prefix);
                return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                                      field, "%s: given twice (also "
                                      "enterprise.qualifications[%zu])",
                                      field, j);
            }
    }
    return 0;
}

int
registry_check_enterprise (const Kj__Enterprise *e, char **mask,
                           size_t n_mask, kj_status_t *status)
{
    assert (e && status);
    bool all = mask == NULL;
#define WANTS(name) (all || registry_check_masked (mask, n_mask, name))
    registry_date_t founded;
    bool has_founded;
    if (WANTS ("name")
    &&  registry_check_text (e->name, "enterprise.name", 200, true, status))
        return -1;
    if (WANTS ("industry")
    &&  registry_check_text (e->industry, "enterprise.industry", 100, false,
                             status))
        return -1;
    if (WANTS ("founded_on")
    &&  s_check_optional_date (e->founded_on, "enterprise.founded_on",
                               &founded, &has_founded, status))
        return -1;
    if (WANTS ("size_class")
    &&  s_check_enum (&kj__size_class__descriptor, e->size_class, true,
                      "enterprise.size_class", status))
        return -1;
    if (WANTS ("credit.tax_grade") && e->credit) {
        const char *grade = e->credit->tax_grade ? e->credit->tax_grade : "";
        if (strlen (grade) > 1 || (*grade && !strchr ("ABMCD", *grade)))
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                                  "enterprise.credit.tax_grade",
                                  "enterprise.credit.tax_grade: '%.*s' is "
                                  "not a tax credit grade; one of A, B, M, "
                                  "C, D, or empty", kj_utf8_cut (grade, 20),
                                  grade);
    }
    if (e->ip) {
        if ((WANTS ("ip.invention_patents")
             && registry_check_count (e->ip->invention_patents,
                                      "enterprise.ip.invention_patents",
                                      1000000, status))
        ||  (WANTS ("ip.class2_ip")
             && registry_check_count (e->ip->class2_ip,
                                      "enterprise.ip.class2_ip", 1000000,
                                      status))
        ||  (WANTS ("ip.pledged_ip")
             && registry_check_count (e->ip->pledged_ip,
                                      "enterprise.ip.pledged_ip", 1000000,
                                      status)))
            return -1;
    }
    if (all
    &&  (registry_check_figures_list (e->figures, e->n_figures,
                                      "enterprise.figures", status)
         || s_check_qualifications (e, status)))
        return -1;
    if ((WANTS ("awards") && s_check_awards (e, status))
    ||  (WANTS ("rounds") && s_check_rounds (e, status))
    ||  (WANTS ("loans") && s_check_loans (e, status))
    ||  (WANTS ("chain_links") && s_check_links (e, status)))
        return -1;
#undef WANTS
    return 0;
}

//  --------------------------------------------------------------------------

void
registry_check_stage (const registry_stage_rules_t *rules,
                      const char *founded_on, registry_date_t today,
                      registry_stage_input_t *input,
                      registry_stage_result_t *result)
{
    memset (result, 0, sizeof *result);
    snprintf (result->version, sizeof result->version, "%s", rules->version);
    kj_status_t status;
    if (!founded_on || !*founded_on
    ||  registry_check_date (founded_on, "founded_on", &input->founded_on,
                             &status)) {
        result->stage = REGISTRY_STAGE_UNKNOWN;
        result->rule = "unknown.no_founding_date";
        snprintf (result->reason, sizeof result->reason,
                  "未分类: the founding date is not known");
        return;
    }
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
