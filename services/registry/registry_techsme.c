/*  =========================================================================
    registry_techsme - the 科技型中小企业 evaluation (国科发政〔2017〕115号)

    Pure rules, no I/O. The grid is a published national rule, so it lives
    here as one table rather than in configuration; if MOST revises it, the
    table below is the only place to change.

    A ratio a/b reaches a band of threshold t basis points when
    a * 10000 >= b * t, computed in 128 bits so that no fen amount an
    int64 can hold overflows. Zero denominators score 0 (docs/rules/tech-sme.md §3).
    =========================================================================
*/

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kj_money.h"
#include "registry_techsme.h"

//  A band of a ratio grid: ratios from min_bp (inclusive) score points.
typedef struct {
    int64_t min_bp;
    int points;
} s_band_t;

//  Each grid from the highest band down; below the last band scores 0.
static const s_band_t s_tech_staff_bands [] = {
    { 3000, 20 }, { 2500, 16 }, { 2000, 12 }, { 1500, 8 }, { 1000, 4 }
};
static const s_band_t s_rnd_sales_bands [] = {
    { 600, 50 }, { 500, 40 }, { 400, 30 }, { 300, 20 }, { 200, 10 }
};
static const s_band_t s_rnd_cost_bands [] = {
    { 3000, 50 }, { 2500, 40 }, { 2000, 30 }, { 1500, 20 }, { 1000, 10 }
};
#define BANDS 5

//  科技成果: any Class-I IP scores 30; else by Class-II count, 4 or more
//  scoring 24.
#define IP_CLASS1_POINTS 30
static const int s_ip_class2_points [] = { 0, 6, 12, 18, 24 };

//  --------------------------------------------------------------------------
//  Points of numerator / denominator on a grid; 0 if the denominator is 0.

static int
s_band_points (int64_t numerator, int64_t denominator, const s_band_t *bands)
{
    if (denominator == 0)
        return 0;
    for (int i = 0; i < BANDS; i++)
        if ((__int128) numerator * 10000
            >= (__int128) denominator * bands [i].min_bp)
            return bands [i].points;
    return 0;
}

//  --------------------------------------------------------------------------
//  numerator / denominator in basis points rounded down, saturating at
//  INT64_MAX; -1 if the denominator is 0.

static int64_t
s_ratio_bp (int64_t numerator, int64_t denominator)
{
    if (denominator == 0)
        return -1;
    __int128 bp = (__int128) numerator * 10000 / denominator;
    return bp > INT64_MAX ? INT64_MAX : (int64_t) bp;
}

//  --------------------------------------------------------------------------
//  Append "; "-separated text to the result's reason.

static void
s_add_reason (registry_techsme_result_t *result, unsigned reason,
              const char *text)
{
    size_t length = strlen (result->reason);
    snprintf (result->reason + length, sizeof result->reason - length, "%s%s",
              length ? "; " : "", text);
    result->reasons |= reason;
}

//  --------------------------------------------------------------------------
//  Refuse a negative input value.

static int
s_check_count (int64_t value, const char *field, kj_status_t *status)
{
    if (value >= 0)
        return 0;
    return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                          "%s: must be 0 or more, found %" PRId64, field,
                          value);
}

//  --------------------------------------------------------------------------
//  The reason naming what was not judged and the figures to supply, as
//  "not reported: R&D expense, so not judged: the R&D part (研发投入);
//  supply them to decide" (docs/rules/tech-sme.md §3).

static void
s_not_judged (const registry_techsme_input_t *input, bool tech_known,
              bool rnd_part_known, bool option_a, bool option_b,
              registry_techsme_result_t *result)
{
    static const struct {
        unsigned bit;
        const char *name;
    } figures [] = { { REGISTRY_TECHSME_UNKNOWN_STAFF, "staff" },
                     { REGISTRY_TECHSME_UNKNOWN_TECH_STAFF, "tech staff" },
                     { REGISTRY_TECHSME_UNKNOWN_SALES, "sales" },
                     { REGISTRY_TECHSME_UNKNOWN_RND, "R&D expense" },
                     { REGISTRY_TECHSME_UNKNOWN_COST, "total cost" },
                     { REGISTRY_TECHSME_UNKNOWN_ASSETS, "total assets" } };
    //  The figures that matter: those of a part or limit not judged
    unsigned needed = input->unknown
                    & (REGISTRY_TECHSME_UNKNOWN_STAFF
                       | REGISTRY_TECHSME_UNKNOWN_SALES
                       | REGISTRY_TECHSME_UNKNOWN_ASSETS);
    if (!tech_known)
        needed |= input->unknown
                & (REGISTRY_TECHSME_UNKNOWN_STAFF
                   | REGISTRY_TECHSME_UNKNOWN_TECH_STAFF);
    if (!rnd_part_known) {
        if (!option_a)
            needed |= input->unknown
                    & (REGISTRY_TECHSME_UNKNOWN_RND
                       | REGISTRY_TECHSME_UNKNOWN_SALES);
        if (!option_b)
            needed |= input->unknown
                    & (REGISTRY_TECHSME_UNKNOWN_RND
                       | REGISTRY_TECHSME_UNKNOWN_COST);
    }
    if (!needed)
        return;
    const char *parts [5];
    size_t n_parts = 0;
    if (needed & REGISTRY_TECHSME_UNKNOWN_STAFF)
        parts [n_parts++] = "the staff limit";
    if (needed & REGISTRY_TECHSME_UNKNOWN_SALES)
        parts [n_parts++] = "the sales limit";
    if (needed & REGISTRY_TECHSME_UNKNOWN_ASSETS)
        parts [n_parts++] = "the assets limit";
    if (!tech_known)
        parts [n_parts++] = "the tech staff part (科技人员)";
    if (!rnd_part_known)
        parts [n_parts++] = "the R&D part (研发投入)";
    char text [384];
    size_t used = 0;
#define S_APPEND(...)                                                          \
    used += (size_t) snprintf (text + used,                                    \
                               used < sizeof text ? sizeof text - used : 0,    \
                               __VA_ARGS__)
    S_APPEND ("not reported: ");
    size_t named = 0;
    for (size_t i = 0; i < sizeof figures / sizeof figures [0]; i++)
        if (needed & figures [i].bit)
            S_APPEND ("%s%s", named++ ? ", " : "", figures [i].name);
    S_APPEND (", so not judged: ");
    for (size_t i = 0; i < n_parts; i++)
        S_APPEND ("%s%s", i ? ", " : "", parts [i]);
    S_APPEND ("; supply %s to decide", named > 1 ? "them" : "it");
#undef S_APPEND
    s_add_reason (result, REGISTRY_TECHSME_NOT_JUDGED, text);
}

//  --------------------------------------------------------------------------
//  Score and decide; see the header.

int
registry_techsme_evaluate (const registry_techsme_input_t *input,
                           registry_techsme_result_t *result,
                           kj_status_t *status)
{
    assert (input);
    assert (result);
    assert (status);
    memset (result, 0, sizeof *result);
    if (s_check_count (input->staff, "staff", status)
        || s_check_count (input->tech_staff, "tech_staff", status)
        || s_check_count (input->sales_fen, "sales_fen", status)
        || s_check_count (input->rnd_fen, "rnd_fen", status)
        || s_check_count (input->cost_fen, "cost_fen", status)
        || s_check_count (input->total_assets_fen, "total_assets_fen", status)
        || s_check_count (input->ip_class1, "ip_class1", status)
        || s_check_count (input->ip_class2, "ip_class2", status))
        return -1;
    unsigned unknown = input->unknown;
    bool staff_known = !(unknown & REGISTRY_TECHSME_UNKNOWN_STAFF);
    bool sales_known = !(unknown & REGISTRY_TECHSME_UNKNOWN_SALES);
    bool assets_known = !(unknown & REGISTRY_TECHSME_UNKNOWN_ASSETS);
    bool tech_known = staff_known
                   && !(unknown & REGISTRY_TECHSME_UNKNOWN_TECH_STAFF);
    bool rnd_known = !(unknown & REGISTRY_TECHSME_UNKNOWN_RND);
    bool option_a = rnd_known && sales_known;
    bool option_b = rnd_known && !(unknown & REGISTRY_TECHSME_UNKNOWN_COST);
    if (tech_known && input->tech_staff > input->staff)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "tech_staff",
                              "tech_staff: %" PRId64 " tech staff is more "
                              "than the total staff of %" PRId64,
                              input->tech_staff, input->staff);

    //  A part whose figures were not reported scores 0 here but is not
    //  judged: the pass mark is then judged on the best it could score
    result->tech_staff_bp = tech_known
                              ? s_ratio_bp (input->tech_staff, input->staff)
                              : -1;
    result->rnd_sales_bp = option_a
                             ? s_ratio_bp (input->rnd_fen, input->sales_fen)
                             : -1;
    result->rnd_cost_bp = option_b
                            ? s_ratio_bp (input->rnd_fen, input->cost_fen)
                            : -1;
    result->tech_staff_score = tech_known ? s_band_points (input->tech_staff,
                                                           input->staff,
                                                           s_tech_staff_bands)
                                          : 0;
    result->rnd_sales_score = option_a ? s_band_points (input->rnd_fen,
                                                        input->sales_fen,
                                                        s_rnd_sales_bands)
                                       : 0;
    result->rnd_cost_score = option_b
                               ? s_band_points (input->rnd_fen, input->cost_fen,
                                                s_rnd_cost_bands)
                               : 0;
    result->rnd_score = result->rnd_sales_score > result->rnd_cost_score
                          ? result->rnd_sales_score
                          : result->rnd_cost_score;
    int rnd_max = s_rnd_sales_bands [0].points;
    bool rnd_part_known = (option_a && option_b)
                       || result->rnd_score == rnd_max;
    result->ip_score =
        input->ip_class1 > 0
            ? IP_CLASS1_POINTS
            : s_ip_class2_points [input->ip_class2 < 4 ? input->ip_class2 : 4];
    result->total = result->tech_staff_score + result->rnd_score
                  + result->ip_score;
    int best = result->total + (tech_known ? 0 : s_tech_staff_bands [0].points)
             + (rnd_part_known ? 0 : rnd_max - result->rnd_score);

    char text [192], limit [48], found [48];
    if (staff_known && input->staff > REGISTRY_TECHSME_MAX_STAFF) {
        snprintf (text, sizeof text,
                  "staff %" PRId64 " is over the limit "
                  "of %d",
                  input->staff, REGISTRY_TECHSME_MAX_STAFF);
        s_add_reason (result, REGISTRY_TECHSME_STAFF_OVER_LIMIT, text);
    }
    if (sales_known && input->sales_fen > REGISTRY_TECHSME_MAX_SALES_FEN) {
        kj_money_yuan (input->sales_fen, false, found, sizeof found);
        kj_money_yuan (REGISTRY_TECHSME_MAX_SALES_FEN, false, limit,
                       sizeof limit);
        snprintf (text, sizeof text, "sales %s are over the limit of %s", found,
                  limit);
        s_add_reason (result, REGISTRY_TECHSME_SALES_OVER_LIMIT, text);
    }
    if (assets_known
        && input->total_assets_fen > REGISTRY_TECHSME_MAX_ASSETS_FEN) {
        kj_money_yuan (input->total_assets_fen, false, found, sizeof found);
        kj_money_yuan (REGISTRY_TECHSME_MAX_ASSETS_FEN, false, limit,
                       sizeof limit);
        snprintf (text, sizeof text,
                  "total assets %s are over the limit of "
                  "%s",
                  found, limit);
        s_add_reason (result, REGISTRY_TECHSME_ASSETS_OVER_LIMIT, text);
    }
    if (input->abnormal)
        s_add_reason (result, REGISTRY_TECHSME_ABNORMAL,
                      "on the list of abnormal operations (经营异常名录)");
    if (input->dishonest)
        s_add_reason (result, REGISTRY_TECHSME_DISHONEST,
                      "on the list of serious violations and dishonesty "
                      "(严重违法失信名单)");
    if (tech_known && result->tech_staff_score == 0) {
        if (input->staff == 0)
            snprintf (text, sizeof text, "tech staff part scores 0 (no staff)");
        else
            snprintf (text, sizeof text,
                      "tech staff part scores 0 (tech "
                      "staff %" PRId64 " of %" PRId64 " is below %" PRId64
                      "%%)",
                      input->tech_staff, input->staff,
                      s_tech_staff_bands [BANDS - 1].min_bp / 100);
        s_add_reason (result, REGISTRY_TECHSME_NO_TECH_STAFF_SCORE, text);
    }
    if (best < REGISTRY_TECHSME_PASS_SCORE) {
        snprintf (text, sizeof text,
                  "score %s%d is below %d (tech staff %d, "
                  "R&D %d, IP %d)",
                  best > result->total ? "at most " : "", best,
                  REGISTRY_TECHSME_PASS_SCORE, result->tech_staff_score,
                  result->rnd_score, result->ip_score);
        s_add_reason (result, REGISTRY_TECHSME_SCORE_TOO_LOW, text);
    }
    s_not_judged (input, tech_known, rnd_part_known, option_a, option_b,
                  result);
    result->eligible = result->reasons == 0;
    result->undecided = REGISTRY_TECHSME_UNDECIDED (result->reasons);
    kj_status_ok (status);
    return 0;
}

//  --------------------------------------------------------------------------
//  The grid's input from an enterprise's figures; see the header.

registry_techsme_input_t
registry_techsme_input (const Kj__Enterprise *e, const Kj__YearFigures *f)
{
    registry_techsme_input_t input = {
        .staff = f->staff,
        .tech_staff = f->tech_staff,
        .sales_fen = f->revenue_fen,
        .rnd_fen = f->rnd_fen,
        .cost_fen = f->total_cost_fen,
        .total_assets_fen = f->total_assets_fen,
        .ip_class1 = e->ip ? e->ip->invention_patents : 0,
        .ip_class2 = e->ip ? e->ip->class2_ip : 0,
        .abnormal = e->credit && e->credit->abnormal,
        .dishonest = e->credit && e->credit->dishonest
    };
    input.unknown = registry_techsme_unknown (f);
    return input;
}

//  --------------------------------------------------------------------------
//  The grid's figures f names in not_reported; see the header.

unsigned
registry_techsme_unknown (const Kj__YearFigures *f)
{
    static const struct {
        const char *name;
        unsigned bit;
    } unknown [] = { { "staff", REGISTRY_TECHSME_UNKNOWN_STAFF },
                     { "tech-staff", REGISTRY_TECHSME_UNKNOWN_TECH_STAFF },
                     { "revenue", REGISTRY_TECHSME_UNKNOWN_SALES },
                     { "rnd", REGISTRY_TECHSME_UNKNOWN_RND },
                     { "cost", REGISTRY_TECHSME_UNKNOWN_COST },
                     { "assets", REGISTRY_TECHSME_UNKNOWN_ASSETS } };
    unsigned bits = 0;
    for (size_t i = 0; i < f->n_not_reported; i++)
        for (size_t u = 0; u < sizeof unknown / sizeof unknown [0]; u++)
            if (strcmp (f->not_reported [i], unknown [u].name) == 0)
                bits |= unknown [u].bit;
    return bits;
}

//  --------------------------------------------------------------------------
//  A result as a message; see the header.

void
registry_techsme_message (const registry_techsme_result_t *result, int32_t year,
                          char *reason, Kj__TechSmeScore *t)
{
    kj__tech_sme_score__init (t);
    t->year = year;
    t->tech_staff_bp = result->tech_staff_bp;
    t->rnd_sales_bp = result->rnd_sales_bp;
    t->rnd_cost_bp = result->rnd_cost_bp;
    t->tech_staff_score = result->tech_staff_score;
    t->rnd_sales_score = result->rnd_sales_score;
    t->rnd_cost_score = result->rnd_cost_score;
    t->rnd_score = result->rnd_score;
    t->ip_score = result->ip_score;
    t->total = result->total;
    t->eligible = result->eligible;
    t->undecided = result->undecided;
    t->reason = reason;
}
