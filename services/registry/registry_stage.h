/*  =========================================================================
    registry_stage - life-cycle stage of an enterprise (孵化期 / 初创期 /
    成长期 / 成熟期) from a versioned, configurable rule set

    Pure rules, no I/O. No published numeric criteria exist, so the rules
    are a design choice (docs/rules/stages.md): evaluated top-down, mature first,
    the first stage that matches wins; an enterprise that matches none is
    placed by the fallback and flagged for manual review. Every threshold
    is in registry_stage_rules_t, which parses from key = value text so it
    can come from the node's config or the database.
    =========================================================================
*/

#ifndef REGISTRY_STAGE_H_INCLUDED
#define REGISTRY_STAGE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kj_proto.h"
#include "kj_check.h"

typedef enum {
    REGISTRY_STAGE_UNKNOWN = 0,  //  not classified yet
    REGISTRY_STAGE_INCUBATION,   //  孵化期
    REGISTRY_STAGE_STARTUP,      //  初创期
    REGISTRY_STAGE_GROWTH,       //  成长期
    REGISTRY_STAGE_MATURE        //  成熟期
} registry_stage_t;

//  Latest equity round, in order: a later round compares greater.
typedef enum {
    REGISTRY_ROUND_NONE = 0,  //  none raised
    REGISTRY_ROUND_SEED,      //  种子轮
    REGISTRY_ROUND_ANGEL,     //  天使轮
    REGISTRY_ROUND_A,         //  A轮
    REGISTRY_ROUND_B,         //  B轮
    REGISTRY_ROUND_C_PLUS,    //  C轮及以后
    REGISTRY_ROUND_PRE_IPO    //  Pre-IPO
} registry_round_t;

//  What the rules read. Money is in fen; "latest" is the last full year
//  of figures.
typedef struct {
    kj_date_t founded_on;         //  成立日期
    kj_date_t evaluated_on;       //  evaluation date, not before founded_on
    int64_t revenue_fen;          //  revenue, latest year, >= 0
    int64_t revenue_prev_fen;     //  revenue, the year before, >= 0
    int64_t revenue_prev2_fen;    //  revenue, two years before, >= 0
    int64_t net_profit_fen;       //  net profit, latest year (may be < 0)
    int64_t net_profit_prev_fen;  //  net profit, the year before
    bool high_tech;               //  holds HIGH_TECH (高企)
    bool srdi;                    //  holds SRDI (省级专精特新)
    bool little_giant;            //  holds LITTLE_GIANT (专精特新小巨人)
    bool incubator_resident;      //  resident of an incubator or 众创空间
    bool listing_tutoring;   //  listing reserve pool at 辅导备案 or later
    bool board_standard;     //  meets a board's listing standard
    registry_round_t round;  //  latest equity round
    //  Years of figures not reported (REGISTRY_STAGE_MISSING_*): a year
    //  not reported is unknown, never zero; its revenue and net profit
    //  above are ignored. year names them: the latest year of figures.
    unsigned missing;
    int year;
    //  Figures of a reported year that were not reported in it
    //  (REGISTRY_STAGE_NR): unknown too, never zero; the value is ignored.
    unsigned not_reported;
} registry_stage_input_t;

//  Bits of registry_stage_input_t.missing
#define REGISTRY_STAGE_MISSING_LATEST 1  //  no figures at all
#define REGISTRY_STAGE_MISSING_PREV   2  //  the year before the latest
#define REGISTRY_STAGE_MISSING_PREV2  4  //  two years before the latest

//  Bits of registry_stage_input_t.not_reported: a figure the rules read,
//  `back` years before the latest (0, 1 or 2).
#define REGISTRY_STAGE_REVENUE          1
#define REGISTRY_STAGE_NET_PROFIT       2
#define REGISTRY_STAGE_NR(figure, back) ((unsigned) (figure) << (2 * (back)))

//  A rule set. Ages are in months, compared to the day: "age <= 24" holds
//  up to and including the second anniversary. Money in fen. A round of
//  NONE turns that round condition off.
typedef struct {
    char version [32];                   //  "2023.1"
    bool mature_board_standard;          //  board standard: mature
    int64_t mature_revenue_fen;          //  or revenue >= this
    int64_t mature_net_profit_fen;       //  or net profit >= this, 2 years
    bool mature_listing_tutoring;        //  or tutoring filed or later
    int growth_min_age_months;           //  growth needs age >= this
    int64_t growth_revenue_fen;          //  and revenue >= this
    int growth_cagr_bp;                  //  and 2-year revenue CAGR >= this,
    bool growth_qualification;           //  or HIGH_TECH/SRDI/LITTLE_GIANT,
    registry_round_t growth_min_round;   //  or a round >= this
    int startup_max_age_months;          //  start-up needs age <= this
    registry_round_t startup_min_round;  //  and revenue or a round >= this
    int incubation_max_age_months;       //  incubation: age <= this,
    int64_t
        incubation_resident_revenue_fen;  //  or resident with revenue < this
} registry_stage_rules_t;

//  The stage and why.
typedef struct {
    registry_stage_t stage;
    const char *rule;   //  id of the rule that fired: "growth.cagr"
    char reason [512];  //  sentence for people
    bool needs_review;  //  set by the fallback only
    int age_months;     //  whole months from founding to evaluation
    int age_days;       //  and days past the last whole month
    char version [32];  //  version of the rule set used
    unsigned unjudged;  //  rules not judged for figures not reported
} registry_stage_result_t;

//  --------------------------------------------------------------------------
//  Fill rules with the default rule set, version "2023.1" (docs/rules/stages.md):
//  mature at ¥400m revenue, ¥50m net profit in both years, a board standard
//  or tutoring filed; growth from 3 years and ¥20m with 20% CAGR, a
//  qualification or Series B; start-up to 5 years; incubation to 2 years or
//  resident under ¥5m.

void
    registry_stage_rules_default (registry_stage_rules_t *rules);

//  --------------------------------------------------------------------------
//  Parse key = value lines ('#' starts a comment) over the defaults into
//  rules. The text must set `version`. Returns 0, or -1 with status set
//  (INVALID_ARGUMENT, field = the key at fault) and rules unchanged.

int
    registry_stage_rules_parse (registry_stage_rules_t *rules, const char *text,
                                kj_status_t *status);

//  --------------------------------------------------------------------------
//  Write rules as key = value lines that registry_stage_rules_parse reads
//  back. Returns the length, as snprintf does.

int
    registry_stage_rules_format (const registry_stage_rules_t *rules, char *buf,
                                 size_t size);

//  --------------------------------------------------------------------------
//  Classify input under rules (NULL: the default). Returns 0, or -1 with
//  status set (INVALID_ARGUMENT naming the field) for a bad date, an
//  evaluation before founding or a negative revenue.

int
    registry_stage_classify (const registry_stage_rules_t *rules,
                             const registry_stage_input_t *input,
                             registry_stage_result_t *result,
                             kj_status_t *status);

//  --------------------------------------------------------------------------
//  Age at `to` of something founded on `from`: whole months, and days past
//  the last whole month. A month is complete on the same day number, or on
//  the last day of a month too short for it (Jan 31 + 1 month is Feb 28).
//  Returns 0, or -1 with status set (field founded_on or evaluated_on) if
//  a date is invalid or to is before from.

int
    registry_stage_age (kj_date_t from, kj_date_t to, int *months, int *days,
                        kj_status_t *status);

//  --------------------------------------------------------------------------
//  "incubation", "startup", "growth", "mature" ("unknown" for UNKNOWN).

const char *
    registry_stage_name (registry_stage_t stage);

//  --------------------------------------------------------------------------
//  "孵化期", "初创期", "成长期", "成熟期" ("未分类" for UNKNOWN).

const char *
    registry_stage_label (registry_stage_t stage);

//  --------------------------------------------------------------------------
//  Stage from its name; -1 if none has that name.

int
    registry_stage_from_name (const char *name);

//  --------------------------------------------------------------------------
//  "none", "seed", "angel", "a", "b", "c_plus", "pre_ipo".

const char *
    registry_stage_round_name (registry_round_t round);

//  --------------------------------------------------------------------------
//  Round from its name; -1 if none has that name.

int
    registry_stage_round_from_name (const char *name);

#endif
