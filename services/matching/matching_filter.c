/*  =========================================================================
    matching_filter - the hard filters of loan matching

    Pure rules, no I/O. Each filter adds its reason and the next one still
    runs, so a why-not answer names every obstacle (docs/rules/matching.md
    §2). Reason texts go through _(): a daemon formats them in the
    caller's language.
    =========================================================================
*/

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kj_i18n.h"
#include "kj_money.h"
#include "matching_filter.h"
#include "registry.pb-c.h"

#define BIT(value) (1u << (value))

//  Measure 1's stage-specific supply: product types offered at each stage
//  (docs/rules/matching.md §2.2). Index: Kj__Stage.
static const unsigned s_stage_map [] = {
    0,  //  not classified: nothing
    //  incubation: angel funds, local financial organisations, 创业类
    //  first loans (backed by tech guarantors, measure 3)
    BIT (KJ__PRODUCT_TYPE__PRODUCT_EQUITY)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_CREDIT)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_FIRST_LOAN)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_GUARANTEED),
    //  start-up: VC, first loans and renewals, investment-loan linkage
    BIT (KJ__PRODUCT_TYPE__PRODUCT_EQUITY)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_CREDIT)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_FIRST_LOAN)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_RENEWAL)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_INVEST_LOAN_LINKAGE)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_GUARANTEED)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_IP_PLEDGE),
    //  growth: PE, banks, tech guarantees, tech insurance, leasing,
    //  factoring
    BIT (KJ__PRODUCT_TYPE__PRODUCT_EQUITY)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_CREDIT)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_FIRST_LOAN)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_RENEWAL)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_INVEST_LOAN_LINKAGE)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_GUARANTEED)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_IP_PLEDGE)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_TECH_INSURANCE)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_LEASING)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_FACTORING),
    //  mature: listing and M&A (equity), bonds, and bank lending
    BIT (KJ__PRODUCT_TYPE__PRODUCT_EQUITY)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_BOND)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_CREDIT)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_RENEWAL)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_GUARANTEED)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_IP_PLEDGE)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_TECH_INSURANCE)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_LEASING)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_FACTORING)
};
#define STAGES (sizeof s_stage_map / sizeof s_stage_map [0])

//  Product types each instrument covers. Index: matching_instrument_t.
static const unsigned s_instrument_map [] = {
    0,
    BIT (KJ__PRODUCT_TYPE__PRODUCT_CREDIT)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_IP_PLEDGE)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_GUARANTEED)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_FIRST_LOAN)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_RENEWAL)
        | BIT (KJ__PRODUCT_TYPE__PRODUCT_INVEST_LOAN_LINKAGE),
    BIT (KJ__PRODUCT_TYPE__PRODUCT_EQUITY),
    BIT (KJ__PRODUCT_TYPE__PRODUCT_LEASING),
    BIT (KJ__PRODUCT_TYPE__PRODUCT_FACTORING),
    BIT (KJ__PRODUCT_TYPE__PRODUCT_GUARANTEED),
    BIT (KJ__PRODUCT_TYPE__PRODUCT_TECH_INSURANCE),
    BIT (KJ__PRODUCT_TYPE__PRODUCT_BOND)
};

static const char *s_instruments [] = { "",          "loan",      "equity",
                                        "leasing",   "factoring", "guarantee",
                                        "insurance", "bond" };

static const char *s_codes [] = {
    "",          "inactive",      "not_valid", "instrument", "stage",
    "stage_map", "qualification", "grade",     "points",     "amount",
    "term",      "collateral",    "region",    "first_loan", "renewal",
    "ip_cap",    "negative_list"
};

static const char *s_grades [] = { "", "C", "B", "A", "AA", "AAA" };

//  --------------------------------------------------------------------------
//  Add a reason to the verdict (if any room); always false.

static bool
s_no (matching_verdict_t *verdict, matching_no_t code, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));

static bool
s_no (matching_verdict_t *verdict, matching_no_t code, const char *format, ...)
{
    if (verdict && verdict->count < MATCHING_MAX_REASONS) {
        matching_reason_t *reason = &verdict->reasons [verdict->count++];
        reason->code = code;
        va_list args;
        va_start (args, format);
        vsnprintf (reason->text, sizeof reason->text, format, args);
        va_end (args);
    }
    return false;
}

//  --------------------------------------------------------------------------
//  Region tokens as bits.

unsigned
matching_filter_region_bits (const char *const *tokens, size_t n)
{
    unsigned bits = 0;
    for (size_t i = 0; i < n; i++) {
        if (!tokens [i])
            continue;
        if (strcmp (tokens [i], KJ_REGION_METRO) == 0)
            bits |= BIT (KJ_REGION_COUNT);
        else if (strcmp (tokens [i], KJ_REGION_PROVINCE) == 0)
            bits |= BIT (KJ_REGION_COUNT + 1);
        else if (kj_region_city_valid (tokens [i]))
            bits |= BIT (kj_region_by_code (tokens [i]));
    }
    return bits;
}

//  --------------------------------------------------------------------------
//  Measure 1's map.

bool
matching_filter_stage_offers (int stage, int product_type)
{
    if (stage < 0 || (size_t) stage >= STAGES || product_type < 0
        || product_type > 31)
        return false;
    return (s_stage_map [stage] & BIT (product_type)) != 0;
}

bool
matching_filter_instrument_covers (matching_instrument_t instrument,
                                   int product_type)
{
    if (instrument <= MATCHING_INSTRUMENT_NONE
        || instrument >= MATCHING_INSTRUMENT_COUNT || product_type < 0
        || product_type > 31)
        return false;
    return (s_instrument_map [instrument] & BIT (product_type)) != 0;
}

//  --------------------------------------------------------------------------
//  §3.1's renewal predicate.

bool
matching_filter_renewal_eligible (int size, int maturity, int on, bool arrears,
                                  bool blacklisted)
{
    bool sized = size == KJ__SIZE_CLASS__SIZE_MICRO
              || size == KJ__SIZE_CLASS__SIZE_SMALL
              || (size == KJ__SIZE_CLASS__SIZE_MEDIUM && maturity > 0
                  && maturity <= MATCHING_RENEWAL_MEDIUM_CUTOFF);
    return sized && maturity > 0 && on < maturity && !arrears && !blacklisted;
}

int64_t
matching_filter_ip_cap (int size)
{
    if (size == KJ__SIZE_CLASS__SIZE_MICRO)
        return MATCHING_IP_MICRO_CAP_FEN;
    if (size == KJ__SIZE_CLASS__SIZE_SMALL
        || size == KJ__SIZE_CLASS__SIZE_MEDIUM)
        return MATCHING_IP_SME_CAP_FEN;
    return 0;
}

//  --------------------------------------------------------------------------
//  The renewal filter's reason, when the predicate fails: the first
//  condition that fails, in the order people check them.

static bool
s_renewal_no (const matching_enterprise_t *e, const matching_demand_t *d,
              matching_verdict_t *verdict)
{
    bool blacklisted = e->dishonest || e->abnormal;
    if (e->size != KJ__SIZE_CLASS__SIZE_MICRO
        && e->size != KJ__SIZE_CLASS__SIZE_SMALL
        && e->size != KJ__SIZE_CLASS__SIZE_MEDIUM)
        return s_no (verdict, MATCHING_NO_RENEWAL,
                     _ ("renewal without repaying principal serves micro, "
                        "small and medium enterprises only"));
    if (d->renew_maturity <= 0)
        return s_no (verdict, MATCHING_NO_RENEWAL,
                     _ ("renewal: give the maturity date of the loan renewed"));
    if (e->size == KJ__SIZE_CLASS__SIZE_MEDIUM
        && d->renew_maturity > MATCHING_RENEWAL_MEDIUM_CUTOFF)
        return s_no (verdict, MATCHING_NO_RENEWAL,
                     _ ("renewal: a medium enterprise's loan must mature on "
                        "or before 2027-09-30; it matures %d"),
                     d->renew_maturity);
    if (d->on >= d->renew_maturity)
        return s_no (verdict, MATCHING_NO_RENEWAL,
                     _ ("renewal: apply before the loan matures (%d)"),
                     d->renew_maturity);
    if (d->renew_arrears)
        return s_no (verdict, MATCHING_NO_RENEWAL,
                     _ ("renewal: the loan renewed is in arrears"));
    if (blacklisted)
        return s_no (verdict, MATCHING_NO_RENEWAL,
                     _ ("renewal: the enterprise is on a negative list"));
    return true;
}

//  A reason; without a verdict the first failure decides, and nothing is
//  formatted (nor translated): the loop over a whole catalogue
#define NO(...)                                                                \
    do {                                                                       \
        if (!verdict)                                                          \
            return false;                                                      \
        ok = s_no (verdict, __VA_ARGS__);                                      \
    } while (0)

//  --------------------------------------------------------------------------
//  Every filter of §3.2, in its order. Always inlined: in
//  matching_filter_all's loop verdict is NULL, and the compiler drops
//  every reason's text and the call per product.

static inline __attribute__ ((always_inline)) bool
s_check (const matching_product_t *p, const matching_enterprise_t *e,
         const matching_demand_t *d, matching_verdict_t *verdict)
{
    assert (p && e && d);
    if (verdict)
        verdict->count = 0;
    bool ok = true;
    char min [32], max [32];

    if (!p->listed)
        NO (MATCHING_NO_INACTIVE,
            _ ("the product or its institution is withdrawn"));
    if ((p->valid_from && d->on < p->valid_from)
        || (p->valid_to && d->on > p->valid_to))
        NO (MATCHING_NO_NOT_VALID, _ ("valid from %d to %d, not on %d"),
            p->valid_from, p->valid_to, d->on);
    if (!matching_filter_instrument_covers (d->instrument, p->type))
        NO (MATCHING_NO_INSTRUMENT, _ ("not a %s product"),
            matching_filter_instrument_name (d->instrument));
    if (e->stage <= 0)
        NO (MATCHING_NO_STAGE,
            _ ("the enterprise's stage is not classified yet"));
    else {
        if (p->stages && !(p->stages & BIT (e->stage)))
            NO (MATCHING_NO_STAGE,
                _ ("not offered to enterprises at this stage"));
        if (!matching_filter_stage_offers (e->stage, p->type))
            NO (MATCHING_NO_STAGE_MAP,
                _ ("measure 1 does not supply this kind of product "
                   "at this stage"));
    }
    if ((p->qualifications & ~e->qualifications)
        || (p->any_qualifications
            && !(p->any_qualifications & e->qualifications)))
        NO (MATCHING_NO_QUALIFICATION,
            _ ("a qualification the product requires is not held"));
    if (p->min_grade > 0 && e->grade < p->min_grade)
        NO (MATCHING_NO_GRADE,
            _ ("asks for grade %s or better; the enterprise has %s"),
            s_grades [p->min_grade > 5 ? 5 : p->min_grade],
            e->grade > 0 && e->grade <= 5 ? s_grades [e->grade] : _ ("none"));
    if (p->min_points > 0 && e->points < p->min_points)
        NO (MATCHING_NO_POINTS,
            _ ("asks for %d innovation points; the enterprise has %d"),
            p->min_points, e->points);
    if (d->amount_fen < p->min_amount_fen
        || d->amount_fen > p->max_amount_fen) {
        if (!verdict)
            return false;
        kj_money_yuan (p->min_amount_fen, false, min, sizeof min);
        kj_money_yuan (p->max_amount_fen, false, max, sizeof max);
        NO (MATCHING_NO_AMOUNT, _ ("lends %s to %s"), min, max);
    }
    if (d->term_months < p->min_term_months
        || d->term_months > p->max_term_months)
        NO (MATCHING_NO_TERM, _ ("terms of %d to %d months"),
            p->min_term_months, p->max_term_months);
    if (p->collateral & ~d->collateral)
        NO (MATCHING_NO_COLLATERAL,
            _ ("asks for collateral the demand does not offer"));
    bool served = false;
    if (p->region_bits && e->serving_bits)
        served = (p->region_bits & e->serving_bits) != 0;
    else if (e->n_serving)
        for (size_t i = 0; i < p->n_regions && !served; i++)
            for (size_t j = 0; j < e->n_serving && !served; j++)
                served = strcmp (p->regions [i], e->serving [j]) == 0;
    else
        served = kj_region_serves (p->regions, p->n_regions, e->region, true);
    if (!served)
        NO (MATCHING_NO_REGION,
            _ ("does not serve %s: products outside the Shenyang "
               "metro area serve their own city or the whole "
               "province"),
            e->region ? e->region : "");
    if (p->type == KJ__PRODUCT_TYPE__PRODUCT_FIRST_LOAN && !e->first_loan)
        NO (MATCHING_NO_FIRST_LOAN,
            _ ("a first loan, and the enterprise has a bank loan on "
               "record"));
    if (p->type == KJ__PRODUCT_TYPE__PRODUCT_RENEWAL && !d->renewal)
        NO (MATCHING_NO_RENEWAL,
            _ ("a renewal product, and the demand renews no loan"));
    else if (p->type != KJ__PRODUCT_TYPE__PRODUCT_RENEWAL && d->renewal)
        NO (MATCHING_NO_RENEWAL,
            _ ("the demand renews a loan; this is not a renewal "
               "product"));
    else if (p->type == KJ__PRODUCT_TYPE__PRODUCT_RENEWAL
             && !matching_filter_renewal_eligible (e->size, d->renew_maturity,
                                                   d->on, d->renew_arrears,
                                                   e->dishonest || e->abnormal))
        ok = verdict ? s_renewal_no (e, d, verdict) : false;
    if (p->type == KJ__PRODUCT_TYPE__PRODUCT_IP_PLEDGE) {
        int64_t cap = matching_filter_ip_cap (e->size);
        if (cap == 0)
            NO (MATCHING_NO_IP_CAP,
                _ ("IP pledge loans serve micro, small and medium "
                   "enterprises only"));
        else if (d->amount_fen > cap) {
            if (!verdict)
                return false;
            kj_money_yuan (cap, false, max, sizeof max);
            NO (MATCHING_NO_IP_CAP,
                _ ("an IP pledge loan to an enterprise of this size "
                   "is at most %s"),
                max);
        }
        else if (e->ip_pledged_year_fen
                 > MATCHING_IP_YEAR_CAP_FEN - d->amount_fen) {
            if (!verdict)
                return false;
            kj_money_yuan (MATCHING_IP_YEAR_CAP_FEN - e->ip_pledged_year_fen > 0
                               ? MATCHING_IP_YEAR_CAP_FEN
                                     - e->ip_pledged_year_fen
                               : 0,
                           false, max, sizeof max);
            NO (MATCHING_NO_IP_CAP,
                _ ("IP pledge loans are at most ¥8,000,000 per "
                   "enterprise a year; %s left this year"),
                max);
        }
        if (d->term_months > MATCHING_IP_MAX_TERM)
            NO (MATCHING_NO_IP_CAP,
                _ ("an IP pledge loan runs at most 12 months"));
    }
    if (e->dishonest || e->abnormal || e->tax_grade_d)
        NO (MATCHING_NO_NEGATIVE_LIST,
            _ ("the enterprise is on a negative list (%s)"),
            e->dishonest  ? _ ("seriously dishonest")
            : e->abnormal ? _ ("abnormal operations")
                          : _ ("tax grade D"));
    return ok;
}

bool
matching_filter_check (const matching_product_t *p,
                       const matching_enterprise_t *e,
                       const matching_demand_t *d, matching_verdict_t *verdict)
{
    return s_check (p, e, d, verdict);
}

size_t
matching_filter_all (const matching_product_t *products, size_t count,
                     const matching_enterprise_t *e, const matching_demand_t *d,
                     uint32_t *passing, size_t *listed)
{
    assert (products || count == 0);
    size_t passed = 0, on_list = 0;
    for (size_t i = 0; i < count; i++) {
        on_list += products [i].listed;
        if (s_check (&products [i], e, d, NULL))
            passing [passed++] = (uint32_t) i;
    }
    if (listed)
        *listed = on_list;
    return passed;
}

//  --------------------------------------------------------------------------
//  Names.

const char *
matching_filter_code_name (matching_no_t code)
{
    if ((int) code <= 0 || (size_t) code >= sizeof s_codes / sizeof s_codes [0])
        return "";
    return s_codes [code];
}

matching_instrument_t
matching_filter_instrument (const char *name)
{
    for (int i = 1; name && i < MATCHING_INSTRUMENT_COUNT; i++)
        if (strcmp (name, s_instruments [i]) == 0)
            return (matching_instrument_t) i;
    return MATCHING_INSTRUMENT_NONE;
}

const char *
matching_filter_instrument_name (matching_instrument_t instrument)
{
    if (instrument <= MATCHING_INSTRUMENT_NONE
        || instrument >= MATCHING_INSTRUMENT_COUNT)
        return "";
    return s_instruments [instrument];
}
