/*  =========================================================================
    registry_stage - life-cycle stage of an enterprise (孵化期 / 初创期 /
    成长期 / 成熟期) from a versioned, configurable rule set

    Pure rules, no I/O. The rules, top-down, first match wins:

    成熟期  board standard, or revenue >= ¥400m, or net profit >= ¥50m in
            both years, or the listing reserve pool at 辅导备案 or later
    成长期  age >= 3y and revenue >= ¥20m and (2-year revenue CAGR >= 20%,
            or HIGH_TECH / SRDI / LITTLE_GIANT, or a Series B or later)
    初创期  age <= 5y and (revenue > 0 or a seed round or later)
    孵化期  age <= 2y, or an incubator resident with revenue < ¥5m
    fallback, for whatever matched nothing: 成长期 if revenue grew on the
            year before, else 初创期; either way flagged for review

    docs/rules/stages.md words the fallback for "age > 5 yrs"; it also catches a
    firm of 2 to 5 years with no revenue, no round and no incubator, which
    no rule covers. Ages are exact to the day: "age >= 3y" holds from the
    third anniversary on, "age <= 5y" up to and including the fifth, and
    the fallback's "> 5y" is its exact complement. An anniversary that
    falls on a day the month lacks (Feb 29, Jan 31 + 1 month) is the last
    day of that month.

    The rule set as text (keys, defaults, the file read and written) is
    registry_stage_rules.c's.
    =========================================================================
*/

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "kj_money.h"
#include "kj_util.h"
#include "registry_stage.h"

static const char *s_stage_names [] = { "unknown", "incubation", "startup",
                                        "growth", "mature" };
static const char *s_stage_labels [] = { "未分类", "孵化期", "初创期", "成长期",
                                         "成熟期" };
static const char *s_round_names [] = { "none", "seed",   "angel",  "a",
                                        "b",    "c_plus", "pre_ipo" };
//  Round names in sentences for people.
static const char *s_round_words [] = { "none",     "seed",
                                        "angel",    "Series A",
                                        "Series B", "Series C or later",
                                        "pre-IPO" };
#define STAGES (sizeof s_stage_names / sizeof s_stage_names [0])
#define ROUNDS (sizeof s_round_names / sizeof s_round_names [0])

//  --------------------------------------------------------------------------
//  True for a leap year of the Gregorian calendar.

static bool
s_leap_year (int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

//  --------------------------------------------------------------------------
//  Days in a month of a year.

static int
s_month_days (int year, int month)
{
    static const int days [12] = { 31, 28, 31, 30, 31, 30,
                                   31, 31, 30, 31, 30, 31 };
    return month == 2 && s_leap_year (year) ? 29 : days [month - 1];
}

//  --------------------------------------------------------------------------
//  Refuse an invalid date named field.

static int
s_check_date (kj_date_t date, const char *field, kj_status_t *status)
{
    if (date.year >= 1 && date.year <= 9999 && date.month >= 1
        && date.month <= 12 && date.day >= 1
        && date.day <= s_month_days (date.year, date.month))
        return 0;
    return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                          "%s: %04d-%02d-%02d is not a date", field, date.year,
                          date.month, date.day);
}

//  --------------------------------------------------------------------------
//  Age from `from` to `to`; see the header.

int
registry_stage_age (kj_date_t from, kj_date_t to, int *months, int *days,
                    kj_status_t *status)
{
    assert (months);
    assert (days);
    assert (status);
    if (s_check_date (from, "founded_on", status)
        || s_check_date (to, "evaluated_on", status))
        return -1;
    if (to.year < from.year || (to.year == from.year && to.month < from.month)
        || (to.year == from.year && to.month == from.month
            && to.day < from.day))
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "founded_on",
                              "founded_on: %04d-%02d-%02d is "
                              "after the evaluation date %04d-%02d-%02d",
                              from.year, from.month, from.day, to.year,
                              to.month, to.day);
    int whole = (to.year - from.year) * 12 + (to.month - from.month);
    //  The month is not complete before its day number comes, unless `to`
    //  is the last day of a month too short to have that day.
    if (to.day < from.day && to.day < s_month_days (to.year, to.month))
        whole--;
    //  The anniversary of `whole` months, on the last day of its month if
    //  that is too short.
    int year = from.year + (from.month - 1 + whole) / 12;
    int month = (from.month - 1 + whole) % 12 + 1;
    int day = from.day < s_month_days (year, month)
                ? from.day
                : s_month_days (year, month);
    *months = whole;
    *days = (int) (kj_check_date_days (to)
                   - kj_check_date_days ((kj_date_t){ year, month, day }));
    assert (*days >= 0 && *days < 31);
    kj_status_ok (status);
    return 0;
}

//  --------------------------------------------------------------------------
//  Format an age for people, leaving out parts that are 0: "4y", "1y6m",
//  "2y1d", "5m3d"; "0d" on the day of founding.

static void
s_format_age (int months, int days, char *buf, size_t size)
{
    size_t at = 0;
    buf [0] = 0;
    if (months >= 12)
        at += snprintf (buf + at, size - at, "%dy", months / 12);
    if (months % 12 && at < size)
        at += snprintf (buf + at, size - at, "%dm", months % 12);
    if ((days || at == 0) && at < size)
        snprintf (buf + at, size - at, "%dd", days);
}

//  --------------------------------------------------------------------------
//  True if an age is at most max_months: before, or on, that anniversary.

static bool
s_age_within (const registry_stage_result_t *result, int max_months)
{
    return result->age_months < max_months
        || (result->age_months == max_months && result->age_days == 0);
}

//  --------------------------------------------------------------------------
//  Format basis points as a percentage: "20%", "15.5%", "0.25%".

static void
s_format_bp (int bp, char *buf, size_t size)
{
    if (bp % 100 == 0)
        snprintf (buf, size, "%d%%", bp / 100);
    else if (bp % 10 == 0)
        snprintf (buf, size, "%d.%d%%", bp / 100, bp % 100 / 10);
    else
        snprintf (buf, size, "%d.%02d%%", bp / 100, bp % 100);
}

//  --------------------------------------------------------------------------
//  Rules that could not be judged because a year of figures is not
//  reported (registry_stage_result_t.unjudged), in rule order, and how
//  the reason names them (docs/rules/stages.md §2).

#define U_MATURE_REVENUE   1
#define U_MATURE_PROFIT    2
#define U_GROWTH_REVENUE   4
#define U_GROWTH_CAGR      8
#define U_STARTUP_REVENUE  16
#define U_RESIDENT_REVENUE 32

//  The stage each of those rules leads to: only a rule above the stage
//  decided could have changed it.
static const registry_stage_t s_unjudged_stage [] = {
    REGISTRY_STAGE_MATURE, REGISTRY_STAGE_MATURE,  REGISTRY_STAGE_GROWTH,
    REGISTRY_STAGE_GROWTH, REGISTRY_STAGE_STARTUP, REGISTRY_STAGE_INCUBATION,
};

static const char *s_unjudged_words [] = {
    "成熟期 by revenue", "成熟期 by net profit in two years",
    "成长期 by revenue", "成长期 by revenue growth over two years",
    "初创期 by revenue", "孵化期 by an incubator resident's revenue",
};

#define NR         REGISTRY_STAGE_NR
#define REVENUE    REGISTRY_STAGE_REVENUE
#define NET_PROFIT REGISTRY_STAGE_NET_PROFIT

//  The figures each of those rules reads.
static const unsigned s_unjudged_needs [] = {
    NR (REVENUE, 0), NR (NET_PROFIT, 0) | NR (NET_PROFIT, 1),
    NR (REVENUE, 0), NR (REVENUE, 0) | NR (REVENUE, 2),
    NR (REVENUE, 0), NR (REVENUE, 0),
};

//  The bit of registry_stage_input_t.missing for the year `back` before
//  the latest.
static const unsigned s_missing_year [] = { REGISTRY_STAGE_MISSING_LATEST,
                                            REGISTRY_STAGE_MISSING_PREV,
                                            REGISTRY_STAGE_MISSING_PREV2 };

//  True if the latest year of figures is reported.
static bool
s_has_latest (const registry_stage_input_t *input)
{
    return !(input->missing & REGISTRY_STAGE_MISSING_LATEST);
}

//  True if a figure of the year `back` before the latest is known: that
//  year is reported and the figure was not left out of it.
static bool
s_known (const registry_stage_input_t *input, unsigned figure, int back)
{
    return s_has_latest (input) && !(input->missing & s_missing_year [back])
        && !(input->not_reported & NR (figure, back));
}

//  --------------------------------------------------------------------------
//  Append to the reason which of the `needed` figures are not known, by
//  figure and year: "; not reported: net profit of 2023 and figures of
//  2022", a whole year as "figures of"; "; no figures reported" without
//  any. Never a zero for a figure nobody gave.

static void
s_note_unknown (const registry_stage_input_t *input,
                registry_stage_result_t *result, unsigned needed)
{
    //  What is unknown, latest year first: a word and a year each; a word
    //  the item before had is not said again ("figures of 2022 and 2021")
    const char *words [6];
    int years [6];
    size_t count = 0;
    for (int back = 0; back < 3; back++) {
        bool revenue = needed & NR (REVENUE, back)
                    && !s_known (input, REVENUE, back);
        bool profit = needed & NR (NET_PROFIT, back)
                   && !s_known (input, NET_PROFIT, back);
        bool whole = (revenue || profit)
                  && input->missing & s_missing_year [back];
        if (whole || revenue) {
            words [count] = whole ? "figures of " : "revenue of ";
            years [count++] = input->year - back;
        }
        if (profit && !whole) {
            words [count] = "net profit of ";
            years [count++] = input->year - back;
        }
    }
    char *reason = result->reason;
    size_t size = sizeof result->reason;
    size_t at = strlen (reason);
    if (count && !s_has_latest (input))
        snprintf (reason + at, size - at, "; no figures reported");
    else
        for (size_t i = 0; i < count && at < size; i++)
            at += snprintf (reason + at, size - at, "%s%s%d",
                            i == 0           ? "; not reported: "
                            : i + 1 == count ? " and "
                                             : ", ",
                            i && words [i] == words [i - 1] ? "" : words [i],
                            years [i]);
    kj_utf8_trim (reason);
}

//  --------------------------------------------------------------------------
//  Append to the reason which rules could not be judged, and the figures
//  they needed that are not reported: "; not reported: figures of 2021, so
//  not judged: 成长期 by revenue growth over two years".

static void
s_note_missing (const registry_stage_input_t *input,
                registry_stage_result_t *result)
{
    unsigned needed = 0;
    for (size_t i = 0; i < sizeof s_unjudged_stage / sizeof (int); i++)
        if (s_unjudged_stage [i] <= result->stage)
            result->unjudged &= ~(1u << i);
        else if (result->unjudged & (1u << i))
            needed |= s_unjudged_needs [i];
    if (!result->unjudged)
        return;
    s_note_unknown (input, result, needed);
    char *reason = result->reason;
    size_t size = sizeof result->reason;
    size_t at = strlen (reason);
    const char *separator = ", so not judged: ";
    for (size_t i = 0; i < sizeof s_unjudged_words / sizeof (char *); i++)
        if (result->unjudged & (1u << i) && at < size) {
            at += snprintf (reason + at, size - at, "%s%s", separator,
                            s_unjudged_words [i]);
            separator = ", ";
        }
    kj_utf8_trim (reason);
}

//  --------------------------------------------------------------------------
//  True if revenue grew by at least cagr_bp a year over two years:
//  now >= before * (1 + g)^2, i.e. now * 10000^2 >= before * (10000 + g)^2,
//  in 128 bits. Growth from no revenue at all counts when there is revenue
//  now: the rate is unbounded, not undefined, for classifying purposes.

static bool
s_cagr_reached (int64_t now, int64_t before, int cagr_bp)
{
    if (before == 0)
        return now > 0;
    __int128 factor = (__int128) (10000 + cagr_bp) * (10000 + cagr_bp);
    return (__int128) now * 100000000 >= (__int128) before * factor;
}

//  --------------------------------------------------------------------------
//  Set the result's stage, rule and sentence (label prefixed).

static void
s_decide (registry_stage_result_t *result, registry_stage_t stage,
          const char *rule, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

static void
s_decide (registry_stage_result_t *result, registry_stage_t stage,
          const char *rule, const char *format, ...)
{
    result->stage = stage;
    result->rule = rule;
    int length = snprintf (result->reason, sizeof result->reason,
                           "%s: ", s_stage_labels [stage]);
    va_list args;
    va_start (args, format);
    //  Not translated: the reason is stored and goes out in events
    vsnprintf (result->reason + length, sizeof result->reason - length, format,
               args);
    va_end (args);
}

//  --------------------------------------------------------------------------
//  Refuse a negative revenue.

static int
s_check_revenue (int64_t fen, const char *field, kj_status_t *status)
{
    if (fen >= 0)
        return 0;
    return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                          "%s: must be 0 or more, found %" PRId64, field, fen);
}

//  --------------------------------------------------------------------------
//  The mature rules; true if one fired.

static bool
s_try_mature (const registry_stage_rules_t *rules,
              const registry_stage_input_t *input,
              registry_stage_result_t *result)
{
    char a [48], b [48], c [48];
    if (rules->mature_board_standard && input->board_standard) {
        s_decide (result, REGISTRY_STAGE_MATURE, "mature.board_standard",
                  "meets a board's listing standard");
        return true;
    }
    if (!s_known (input, REVENUE, 0))
        result->unjudged |= U_MATURE_REVENUE;
    else if (input->revenue_fen >= rules->mature_revenue_fen) {
        kj_money_yuan (input->revenue_fen, false, a, sizeof a);
        kj_money_yuan (rules->mature_revenue_fen, false, b, sizeof b);
        s_decide (result, REGISTRY_STAGE_MATURE, "mature.revenue",
                  "revenue %s >= %s", a, b);
        return true;
    }
    //  Both years at least the floor: a known year below it decides no,
    //  else a year not known leaves the rule unjudged
    bool known = s_known (input, NET_PROFIT, 0);
    bool known_prev = s_known (input, NET_PROFIT, 1);
    bool below = (known && input->net_profit_fen < rules->mature_net_profit_fen)
              || (known_prev
                  && input->net_profit_prev_fen < rules->mature_net_profit_fen);
    if (!below && !(known && known_prev))
        result->unjudged |= U_MATURE_PROFIT;
    else if (!below) {
        kj_money_yuan (input->net_profit_prev_fen, false, a, sizeof a);
        kj_money_yuan (input->net_profit_fen, false, b, sizeof b);
        kj_money_yuan (rules->mature_net_profit_fen, false, c, sizeof c);
        s_decide (result, REGISTRY_STAGE_MATURE, "mature.net_profit",
                  "net profit %s and %s >= %s in each of the last 2 years", a,
                  b, c);
        return true;
    }
    if (rules->mature_listing_tutoring && input->listing_tutoring) {
        s_decide (result, REGISTRY_STAGE_MATURE, "mature.listing_tutoring",
                  "in the listing reserve pool at tutoring filed (辅导备案) "
                  "or later");
        return true;
    }
    return false;
}

//  --------------------------------------------------------------------------
//  The growth rules; true if one fired.

static bool
s_try_growth (const registry_stage_rules_t *rules,
              const registry_stage_input_t *input,
              registry_stage_result_t *result)
{
    if (result->age_months < rules->growth_min_age_months)
        return false;
    if (!s_known (input, REVENUE, 0)) {
        result->unjudged |= U_GROWTH_REVENUE;
        return false;
    }
    if (input->revenue_fen < rules->growth_revenue_fen)
        return false;

    char age [24], min_age [24], revenue [48], min_revenue [48], base [48];
    s_format_age (result->age_months, result->age_days, age, sizeof age);
    s_format_age (rules->growth_min_age_months, 0, min_age, sizeof min_age);
    kj_money_yuan (input->revenue_fen, false, revenue, sizeof revenue);
    kj_money_yuan (rules->growth_revenue_fen, false, min_revenue,
                   sizeof min_revenue);

    if (!s_known (input, REVENUE, 2))
        result->unjudged |= U_GROWTH_CAGR;
    else if (s_cagr_reached (input->revenue_fen, input->revenue_prev2_fen,
                             rules->growth_cagr_bp)) {
        char rate [16];
        s_format_bp (rules->growth_cagr_bp, rate, sizeof rate);
        kj_money_yuan (input->revenue_prev2_fen, false, base, sizeof base);
        s_decide (result, REGISTRY_STAGE_GROWTH, "growth.cagr",
                  "age %s >= %s, revenue %s >= %s, grown from %s two years "
                  "before (>= %s a year)",
                  age, min_age, revenue, min_revenue, base, rate);
        return true;
    }
    const char *held = !rules->growth_qualification ? NULL
                     : input->high_tech             ? "HIGH_TECH"
                     : input->srdi                  ? "SRDI"
                     : input->little_giant          ? "LITTLE_GIANT"
                                                    : NULL;
    if (held) {
        s_decide (result, REGISTRY_STAGE_GROWTH, "growth.qualification",
                  "age %s >= %s, revenue %s >= %s, holds %s", age, min_age,
                  revenue, min_revenue, held);
        return true;
    }
    if (rules->growth_min_round != REGISTRY_ROUND_NONE
        && input->round >= rules->growth_min_round) {
        s_decide (result, REGISTRY_STAGE_GROWTH, "growth.round",
                  "age %s >= %s, revenue %s >= %s, latest round %s >= %s", age,
                  min_age, revenue, min_revenue, s_round_words [input->round],
                  s_round_words [rules->growth_min_round]);
        return true;
    }
    return false;
}

//  --------------------------------------------------------------------------
//  The start-up rules; true if one fired.

static bool
s_try_startup (const registry_stage_rules_t *rules,
               const registry_stage_input_t *input,
               registry_stage_result_t *result)
{
    if (!s_age_within (result, rules->startup_max_age_months))
        return false;
    char age [24], max_age [24], revenue [48];
    s_format_age (result->age_months, result->age_days, age, sizeof age);
    s_format_age (rules->startup_max_age_months, 0, max_age, sizeof max_age);
    if (!s_known (input, REVENUE, 0))
        result->unjudged |= U_STARTUP_REVENUE;
    else if (input->revenue_fen > 0) {
        kj_money_yuan (input->revenue_fen, false, revenue, sizeof revenue);
        s_decide (result, REGISTRY_STAGE_STARTUP, "startup.revenue",
                  "age %s <= %s, revenue %s > ¥0", age, max_age, revenue);
        return true;
    }
    if (rules->startup_min_round != REGISTRY_ROUND_NONE
        && input->round >= rules->startup_min_round) {
        s_decide (result, REGISTRY_STAGE_STARTUP, "startup.round",
                  "age %s <= %s, latest round %s >= %s", age, max_age,
                  s_round_words [input->round],
                  s_round_words [rules->startup_min_round]);
        return true;
    }
    return false;
}

//  --------------------------------------------------------------------------
//  The incubation rules; true if one fired.

static bool
s_try_incubation (const registry_stage_rules_t *rules,
                  const registry_stage_input_t *input,
                  registry_stage_result_t *result)
{
    char a [48], b [48];
    if (s_age_within (result, rules->incubation_max_age_months)) {
        s_format_age (result->age_months, result->age_days, a, sizeof a);
        s_format_age (rules->incubation_max_age_months, 0, b, sizeof b);
        s_decide (result, REGISTRY_STAGE_INCUBATION, "incubation.age",
                  "age %s <= %s", a, b);
        return true;
    }
    if (input->incubator_resident && !s_known (input, REVENUE, 0))
        result->unjudged |= U_RESIDENT_REVENUE;
    else if (input->incubator_resident
             && input->revenue_fen < rules->incubation_resident_revenue_fen) {
        kj_money_yuan (input->revenue_fen, false, a, sizeof a);
        kj_money_yuan (rules->incubation_resident_revenue_fen, false, b,
                       sizeof b);
        s_decide (result, REGISTRY_STAGE_INCUBATION, "incubation.resident",
                  "incubator resident, revenue %s < %s", a, b);
        return true;
    }
    return false;
}

//  --------------------------------------------------------------------------
//  Classify; see the header.

int
registry_stage_classify (const registry_stage_rules_t *rules,
                         const registry_stage_input_t *input,
                         registry_stage_result_t *result, kj_status_t *status)
{
    assert (input);
    assert (result);
    assert (status);
    registry_stage_rules_t defaults;
    if (!rules) {
        registry_stage_rules_default (&defaults);
        rules = &defaults;
    }
    memset (result, 0, sizeof *result);
    result->rule = "";
    if (input->round < REGISTRY_ROUND_NONE || input->round >= (int) ROUNDS)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "round",
                              "round: %d is not a round", (int) input->round);
    if (s_check_revenue (input->revenue_fen, "revenue_fen", status)
        || s_check_revenue (input->revenue_prev_fen, "revenue_prev_fen", status)
        || s_check_revenue (input->revenue_prev2_fen, "revenue_prev2_fen",
                            status))
        return -1;
    if (registry_stage_age (input->founded_on, input->evaluated_on,
                            &result->age_months, &result->age_days, status))
        return -1;
    snprintf (result->version, sizeof result->version, "%s", rules->version);

    if (s_try_mature (rules, input, result)
        || s_try_growth (rules, input, result)
        || s_try_startup (rules, input, result)
        || s_try_incubation (rules, input, result)) {
        s_note_missing (input, result);
        kj_status_ok (status);
        return 0;
    }
    char age [24], now [48], before [48];
    s_format_age (result->age_months, result->age_days, age, sizeof age);
    if (!s_known (input, REVENUE, 0) || !s_known (input, REVENUE, 1)) {
        //  The fallback compares two years: without them the figures
        //  given support no stage
        s_decide (result, REGISTRY_STAGE_UNKNOWN, "unknown.missing_figures",
                  "age %s matched no rule on the figures given, and the "
                  "fallback needs two years of revenue; review by hand",
                  age);
        s_note_unknown (input, result, NR (REVENUE, 0) | NR (REVENUE, 1));
        result->unjudged = 0;
        result->needs_review = true;
        kj_status_ok (status);
        return 0;
    }
    kj_money_yuan (input->revenue_fen, false, now, sizeof now);
    kj_money_yuan (input->revenue_prev_fen, false, before, sizeof before);
    if (input->revenue_fen > input->revenue_prev_fen)
        s_decide (result, REGISTRY_STAGE_GROWTH, "fallback.growing",
                  "fallback, needs review: age %s matched no rule, revenue "
                  "%s > %s the year before",
                  age, now, before);
    else
        s_decide (result, REGISTRY_STAGE_STARTUP, "fallback.flat",
                  "fallback, needs review: age %s matched no rule, revenue "
                  "%s <= %s the year before",
                  age, now, before);
    s_note_missing (input, result);
    result->needs_review = true;
    kj_status_ok (status);
    return 0;
}

//  --------------------------------------------------------------------------
//  Name of a stage.

const char *
registry_stage_name (registry_stage_t stage)
{
    assert (stage >= REGISTRY_STAGE_UNKNOWN && stage < (int) STAGES);
    return s_stage_names [stage];
}

//  --------------------------------------------------------------------------
//  Chinese label of a stage.

const char *
registry_stage_label (registry_stage_t stage)
{
    assert (stage >= REGISTRY_STAGE_UNKNOWN && stage < (int) STAGES);
    return s_stage_labels [stage];
}

//  --------------------------------------------------------------------------
//  Stage from its name, or -1.

int
registry_stage_from_name (const char *name)
{
    assert (name);
    for (size_t i = 0; i < STAGES; i++)
        if (strcmp (name, s_stage_names [i]) == 0)
            return (int) i;
    return -1;
}

//  --------------------------------------------------------------------------
//  Name of a round.

const char *
registry_stage_round_name (registry_round_t round)
{
    assert (round >= REGISTRY_ROUND_NONE && round < (int) ROUNDS);
    return s_round_names [round];
}

//  --------------------------------------------------------------------------
//  Round from its name, or -1.

int
registry_stage_round_from_name (const char *name)
{
    assert (name);
    for (size_t i = 0; i < ROUNDS; i++)
        if (strcmp (name, s_round_names [i]) == 0)
            return (int) i;
    return -1;
}
