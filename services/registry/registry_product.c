/*  =========================================================================
    registry_product - the product supermarket's rules

    Pure rules, no I/O. See the header for the region rule. The server's
    search statement (registry_store) takes the sets this class computes,
    and registry_product_eligible states the same filter in C.
    =========================================================================
*/

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "registry_check.h"
#include "registry_product.h"
#include "registry_uscc.h"
#include "kj_i18n.h"
#include "kj_money.h"
#include "kj_util.h"

const char *registry_product_fields [REGISTRY_PRODUCT_ATTRS + 1];

//  The mask names from the rows, before main (so before any thread)
__attribute__ ((constructor)) static void
s_product_masks (void)
{
    registry_check_attr_masks (registry_product_table, REGISTRY_PRODUCT_ATTRS,
                               registry_product_fields);
}

static const char *s_grades [] = { "", "C", "B", "A", "AA", "AAA" };
#define GRADES (sizeof s_grades / sizeof s_grades [0])

int
registry_product_grade (const char *text)
{
    if (!text)
        return REGISTRY_GRADE_NONE;
    for (size_t i = 0; i < GRADES; i++)
        if (strcmp (text, s_grades [i]) == 0)
            return (int) i;
    return -1;
}

const char *
registry_product_grade_name (registry_grade_t grade)
{
    assert (grade >= REGISTRY_GRADE_NONE && grade <= REGISTRY_GRADE_AAA);
    return s_grades [grade];
}

int
registry_product_check_regions (char **regions, size_t n, const char *field,
                                kj_status_t *status)
{
    if (n == 0)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                              "%s: name at least one region: a city code "
                              "(210100 .. 211400), SFDZ, SHENYANG_METRO or "
                              "PROVINCE",
                              field);
    if (n > REGISTRY_PRODUCT_MAX_REGIONS)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                              "%s: %zu regions, at most %d", field, n,
                              REGISTRY_PRODUCT_MAX_REGIONS);
    for (size_t i = 0; i < n; i++)
        if (!kj_region_token_valid (regions [i])) {
            char item [80];
            snprintf (item, sizeof item, "%s[%zu]", field, i);
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, item,
                                  "%s: '%.*s' is not a region: use a city "
                                  "code (210100 Shenyang .. 211400 Huludao), "
                                  "SFDZ, SHENYANG_METRO or PROVINCE",
                                  item,
                                  kj_utf8_cut (regions [i] ? regions [i] : "",
                                               24),
                                  regions [i] ? regions [i] : "");
        }
    return 0;
}

// clang-format off
#define S_ATTR(path, mask, zh, option, en, kind, ...) \
    { path, mask, zh, option, zh, en, REGISTRY_ATTR_##kind, __VA_ARGS__ }
const registry_attr_t registry_product_table [REGISTRY_PRODUCT_ATTRS] = {
    S_ATTR ("name", "name", "产品名称", "name", "name", TEXT, .max = 200,
            .required = true),
    S_ATTR ("type", "type", "产品类型", "type", "type", ENUM,
            &kj__product_type__descriptor, "PRODUCT_", .required = true),
    { "min_amount_fen", "amount", "最低额度_分", "min-amount", "额度",
      "amount", REGISTRY_ATTR_MONEY },
    { "max_amount_fen", "amount", "最高额度_分", "max-amount", "最高额度",
      "largest amount", REGISTRY_ATTR_MONEY, .required = true },
    { "min_term_months", "term", "最短期限_月", "min-term", "期限", "term",
      REGISTRY_ATTR_COUNT, .max = 600, .unit = N_ ("months") },
    { "max_term_months", "term", "最长期限_月", "max-term", "最长期限",
      "longest term", REGISTRY_ATTR_COUNT, .max = 600, .required = true,
      .unit = N_ ("months") },
    { "rate_bp", "rate_bp", "参考利率_基点", "rate", "参考利率", "rate",
      REGISTRY_ATTR_BP, .max = 10000, .none = "-" },
    S_ATTR ("collateral", "collateral", "担保方式", "collateral", "collateral",
            ENUMS, &kj__collateral__descriptor, "COLLATERAL_",
            .hint = " (COLLATERAL_NONE is not a collateral: leave the list "
                    "empty for none)",
            .none = N_ ("none (unsecured)")),
    S_ATTR ("stages", "stages", "适用阶段", "stages", "stages", ENUMS,
            &kj__stage__descriptor, "STAGE_",
            .hint = " (STAGE_UNKNOWN is not a stage)",
            //  None given means all four, as for AddProduct
            .staged = "CASE WHEN cardinality (stages) = 0 THEN "
                      "ARRAY['incubation', 'startup', 'growth', 'mature'] "
                      "ELSE stages END"),
    S_ATTR ("qualifications", "qualifications", "必备资质", "requires",
            "requires", ENUMS, &kj__qualification_kind__descriptor, "QUAL_",
            .none = N_ ("no qualification")),
    S_ATTR ("any_qualifications", "any_qualifications", "任一资质",
            "requires-any", "requires one of", ENUMS,
            &kj__qualification_kind__descriptor, "QUAL_"),
    { "min_grade", "min_grade", "最低信用等级", "min-grade", "最低信用等级",
      "min grade", REGISTRY_ATTR_GRADE, .none = "-" },
    S_ATTR ("regions", "regions", "服务地区", "regions", "regions", REGIONS,
            .required = true),
    S_ATTR ("valid_from", "valid_from", "生效日期", "valid-from", "valid from",
            DATE, .today = true),
    S_ATTR ("valid_to", "valid_to", "截止日期", "valid-to", "valid to", DATE,
            .none = N_ ("(open)")),
    S_ATTR ("description", "description", "产品说明", "description",
            "description", TEXT, .max = 2000),
};
#undef S_ATTR
// clang-format on

int
registry_product_check (const Kj__Product *p, char **mask, size_t n_mask,
                        kj_status_t *status)
{
    assert (p && status);
    if (!mask
        && kj_check_id (p->institution_id, "product.institution_id", status))
        return -1;
    return registry_check_attrs (registry_product_table, REGISTRY_PRODUCT_ATTRS,
                                 &p->base, "product", mask, n_mask, status);
}

unsigned
registry_product_bits (const int *values, size_t n)
{
    unsigned bits = 0;
    for (size_t i = 0; i < n; i++)
        if (values [i] > 0 && values [i] < 32)
            bits |= 1u << values [i];
    return bits;
}

void
registry_product_terms (const Kj__Product *p, registry_product_terms_t *terms)
{
    memset (terms, 0, sizeof *terms);
    kj_status_t ignored;
    terms->type = p->type;
    terms->min_amount_fen = p->min_amount_fen;
    terms->max_amount_fen = p->max_amount_fen;
    terms->min_term_months = p->min_term_months;
    terms->max_term_months = p->max_term_months;
    terms->stages = registry_product_bits ((const int *) p->stages,
                                           p->n_stages);
    terms->qualifications = registry_product_bits ((const int *)
                                                       p->qualifications,
                                                   p->n_qualifications);
    terms->any_qualifications = registry_product_bits ((const int *) p
                                                           ->any_qualifications,
                                                       p->n_any_qualifications);
    terms->collateral = registry_product_bits ((const int *) p->collateral,
                                               p->n_collateral);
    int grade = registry_product_grade (p->min_grade);
    terms->min_grade = grade > 0 ? (registry_grade_t) grade
                                 : REGISTRY_GRADE_NONE;
    for (size_t i = 0; i < p->n_regions && i < REGISTRY_PRODUCT_MAX_REGIONS;
         i++)
        terms->regions [terms->n_regions++] = p->regions [i];
    if (p->valid_from && *p->valid_from
        && kj_check_date (p->valid_from, "valid_from", &terms->valid_from,
                          &ignored))
        memset (&terms->valid_from, 0, sizeof terms->valid_from);
    if (p->valid_to && *p->valid_to
        && kj_check_date (p->valid_to, "valid_to", &terms->valid_to, &ignored))
        memset (&terms->valid_to, 0, sizeof terms->valid_to);
    terms->listed = p->state == KJ__LISTING_STATE__LISTING_LISTED;
}

int
registry_product_check_terms (const registry_product_terms_t *terms,
                              kj_status_t *status)
{
    if (terms->max_amount_fen <= 0)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                              "product.max_amount_fen",
                              "product.max_amount_"
                              "fen: the largest amount must be more than 0");
    //  In yuan, as the CLI's --max-amount takes them (a CSV file's cells
    //  are fen, and the problem's value column shows them as written)
    char max [32], min [32];
    if (terms->max_amount_fen < terms->min_amount_fen)
        return kj_status_set (
            status, KJ__CODE__INVALID_ARGUMENT, "product.max_amount_fen",
            "product.max_amount_fen: %s is below the minimum amount, %s",
            kj_money_yuan (terms->max_amount_fen, true, max, sizeof max),
            kj_money_yuan (terms->min_amount_fen, true, min, sizeof min));
    if (terms->max_term_months <= 0)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                              "product.max_term_months",
                              "product.max_term_"
                              "months: the longest term must be 1 month or "
                              "more");
    if (terms->max_term_months < terms->min_term_months)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                              "product.max_term_months",
                              "product.max_term_"
                              "months: %d is below min_term_months %d",
                              terms->max_term_months, terms->min_term_months);
    if (terms->valid_to.year
        && kj_check_date_compare (terms->valid_to, terms->valid_from) < 0) {
        char from [11], to [11];
        kj_check_date_format (terms->valid_from, from);
        kj_check_date_format (terms->valid_to, to);
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                              "product.valid_to",
                              "product.valid_to: %s is "
                              "before valid_from %s",
                              to, from);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Eligibility, in the order a person would check it

static bool
s_no (char *why, size_t size, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static bool
s_no (char *why, size_t size, const char *format, ...)
{
    if (why && size) {
        va_list args;
        va_start (args, format);
        vsnprintf (why, size, format, args);  //  for the log: English
        va_end (args);
    }
    return false;
}

bool
registry_product_eligible (const registry_product_terms_t *terms,
                           const registry_product_profile_t *profile, char *why,
                           size_t size)
{
    assert (terms && profile);
    if (!terms->listed)
        return s_no (why, size, "withdrawn");
    if (profile->on.year) {
        char on [11];
        kj_check_date_format (profile->on, on);
        if (kj_check_date_compare (terms->valid_from, profile->on) > 0)
            return s_no (why, size, "not valid yet on %s", on);
        if (terms->valid_to.year
            && kj_check_date_compare (terms->valid_to, profile->on) < 0)
            return s_no (why, size, "expired before %s", on);
    }
    if (profile->region) {
        if (!kj_region_serves (terms->regions, terms->n_regions,
                               profile->region, profile->intercity))
            return s_no (why, size, "does not serve region %s",
                         profile->region);
    }
    if (profile->stage && !(terms->stages & (1u << profile->stage)))
        return s_no (why, size, "not for stage %d", profile->stage);
    if (profile->amount_fen
        && (profile->amount_fen < terms->min_amount_fen
            || profile->amount_fen > terms->max_amount_fen))
        return s_no (why, size, "amount outside %lld..%lld fen",
                     (long long) terms->min_amount_fen,
                     (long long) terms->max_amount_fen);
    if (profile->term_months
        && (profile->term_months < terms->min_term_months
            || profile->term_months > terms->max_term_months))
        return s_no (why, size, "term outside %d..%d months",
                     terms->min_term_months, terms->max_term_months);
    if (profile->has_held) {
        if (terms->qualifications & ~profile->held)
            return s_no (why, size, "a required qualification is missing");
        if (terms->any_qualifications
            && !(terms->any_qualifications & profile->held))
            return s_no (why, size,
                         "none of the qualifications it asks "
                         "for is held");
    }
    if (profile->has_offered && (terms->collateral & ~profile->offered))
        return s_no (why, size, "asks for collateral not offered");
    if (profile->has_grade && terms->min_grade > profile->grade)
        return s_no (why, size, "asks for grade %s or better",
                     registry_product_grade_name (terms->min_grade));
    if (profile->has_first_loan && !profile->first_loan
        && terms->type == KJ__PRODUCT_TYPE__PRODUCT_FIRST_LOAN)
        return s_no (why, size, "a first loan, and a bank loan is on record");
    return true;
}
