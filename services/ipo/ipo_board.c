/*  =========================================================================
    ipo_board - which listing standards a firm's figures meet, and by how
    much it misses the nearest one it does not meet

    Pure rules, no I/O. The standards below are the built-in version of
    the table (docs/rules/ipo.md, "The standards": STAR as amended 2024-04-30, ChiNext and the
    main board as revised in 2024, the BSE with its NEEQ prerequisite, the
    NEEQ innovation tier of 2023, the regional 专精特新 board). A regulator's
    revision is a new table with its own version, never an edit of code
    that decides.

    A ratio a / b reaches t basis points when a * 10000 >= t * b, in 128
    bits; an average over two years reaches t when the two-year sum
    reaches 2t. Nothing is rounded before it is compared.
    =========================================================================
*/

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ipo_board.h"

//  ¥1m in fen
#define M INT64_C (100000000)

//  A criterion "figure >= min", "figure > 0", and a ratio in basis points
#define AT_LEAST(figure, min)                                                  \
    {                                                                          \
        IPO_FIG_##figure, (min), IPO_FIG_NONE                                  \
    }
#define POSITIVE(figure)                                                       \
    {                                                                          \
        IPO_FIG_##figure, 1, IPO_FIG_NONE                                      \
    }
#define RATIO(figure, per, bp)                                                 \
    {                                                                          \
        IPO_FIG_##figure, (bp), IPO_FIG_##per                                  \
    }

static const ipo_standard_t s_standards_2024 [] = {
    //  STAR (科创板), rules as amended 2024-04-30. Standard 5 rests on
    //  approvals and trial phases, not figures, and is not listed.
    { IPO_BOARD_STAR,
      1,
      { AT_LEAST (MARKET_CAP, 1000 * M) },
      { { POSITIVE (NP_T1), POSITIVE (NP_T0), AT_LEAST (NP_T1_T0, 50 * M) },
        { POSITIVE (NP_T0), AT_LEAST (REV_T0, 100 * M) } } },
    { IPO_BOARD_STAR,
      2,
      { AT_LEAST (MARKET_CAP, 1500 * M), AT_LEAST (REV_T0, 200 * M),
        RATIO (RD_T2_T0, REV_T2_T0, 1500) } },
    { IPO_BOARD_STAR,
      3,
      { AT_LEAST (MARKET_CAP, 2000 * M), AT_LEAST (REV_T0, 300 * M),
        AT_LEAST (OCF_T2_T0, 100 * M) } },
    { IPO_BOARD_STAR,
      4,
      { AT_LEAST (MARKET_CAP, 3000 * M), AT_LEAST (REV_T0, 300 * M) } },
    //  ChiNext (创业板), after the 2024-04-12 revision. Net profit of t0 at
    //  least ¥60m implies it is positive.
    { IPO_BOARD_CHINEXT,
      1,
      { POSITIVE (NP_T1), AT_LEAST (NP_T1_T0, 100 * M),
        AT_LEAST (NP_T0, 60 * M) } },
    { IPO_BOARD_CHINEXT,
      2,
      { AT_LEAST (MARKET_CAP, 1500 * M), POSITIVE (NP_T0),
        AT_LEAST (REV_T0, 400 * M) } },
    { IPO_BOARD_CHINEXT,
      3,
      { AT_LEAST (MARKET_CAP, 5000 * M), AT_LEAST (REV_T0, 300 * M) } },
    //  Main board (SSE/SZSE), after the 2024 revision
    { IPO_BOARD_MAIN,
      1,
      { POSITIVE (NP_T2), POSITIVE (NP_T1), AT_LEAST (NP_T0, 100 * M),
        AT_LEAST (NP_T2_T0, 200 * M) },
      { { AT_LEAST (OCF_T2_T0, 200 * M) },
        { AT_LEAST (REV_T2_T0, 1500 * M) } } },
    { IPO_BOARD_MAIN,
      2,
      { AT_LEAST (MARKET_CAP, 5000 * M), POSITIVE (NP_T0),
        AT_LEAST (REV_T0, 600 * M), AT_LEAST (OCF_T2_T0, 250 * M) } },
    { IPO_BOARD_MAIN,
      3,
      { AT_LEAST (MARKET_CAP, 10000 * M), POSITIVE (NP_T0),
        AT_LEAST (REV_T0, 1000 * M) } },
    //  Beijing Stock Exchange (北交所), after the NEEQ prerequisite
    { IPO_BOARD_BSE,
      1,
      { AT_LEAST (MARKET_CAP, 200 * M) },
      { { AT_LEAST (NP_T1, 15 * M), AT_LEAST (NP_T0, 15 * M),
          AT_LEAST (ROE_T1_T0, 2 * 800) },
        { AT_LEAST (NP_T0, 25 * M), AT_LEAST (ROE_T0, 800) } } },
    { IPO_BOARD_BSE,
      2,
      { AT_LEAST (MARKET_CAP, 400 * M), AT_LEAST (REV_T1_T0, 2 * 100 * M),
        AT_LEAST (REV_GROWTH_T0, 3000), POSITIVE (OCF_T0) } },
    { IPO_BOARD_BSE,
      3,
      { AT_LEAST (MARKET_CAP, 800 * M), AT_LEAST (REV_T0, 200 * M),
        RATIO (RD_T1_T0, REV_T1_T0, 800) } },
    { IPO_BOARD_BSE,
      4,
      { AT_LEAST (MARKET_CAP, 1500 * M), AT_LEAST (RD_T1_T0, 50 * M) } },
    //  NEEQ innovation tier (分层管理办法, 2023 revision, from memory).
    //  Standards 3 and 4 read placements, a 60-day average market value
    //  and market makers, which the firm's figures do not hold.
    { IPO_BOARD_NEEQ,
      1,
      { AT_LEAST (NP_T1, 10 * M), AT_LEAST (NP_T0, 10 * M),
        AT_LEAST (ROE_T1_T0, 2 * 600), AT_LEAST (SHARE_CAPITAL, 20 * M) } },
    { IPO_BOARD_NEEQ,
      2,
      { AT_LEAST (REV_T1_T0, 2 * 80 * M), AT_LEAST (REV_GROWTH_T0, 3000),
        AT_LEAST (SHARE_CAPITAL, 20 * M) } },
    //  Regional 专精特新 board of the Liaoning Equity Exchange: no rules
    //  published; admission by either flag
    { IPO_BOARD_REGIONAL, 1, { AT_LEAST (SPECIALIZED, 1) } },
    { IPO_BOARD_REGIONAL, 2, { AT_LEAST (INNOVATIVE_SME, 1) } },
};

static const ipo_board_rules_t s_rules [] = {
    { "2024",
      "2024-04-30",
      { [IPO_BOARD_BSE] = { AT_LEAST (NEEQ_TIER, IPO_NEEQ_INNOVATION),
                            AT_LEAST (NEEQ_MONTHS, 12) } },
      sizeof s_standards_2024 / sizeof s_standards_2024 [0],
      s_standards_2024 },
};
#define RULES (sizeof s_rules / sizeof s_rules [0])

static const char *const s_tier_names [] = { "NONE", "BASIC", "INNOVATION",
                                             NULL };

#define FIELD(name, member, min, max, names, csv)                              \
    {                                                                          \
        name, offsetof (ipo_board_input_t, member), min, max, names, csv       \
    }

const ipo_board_field_t ipo_board_fields [] = {
    FIELD ("market_cap_fen", market_cap_fen, 0, IPO_MONEY_MAX, NULL, true),
    FIELD ("np_t2_fen", np_fen [2], -IPO_MONEY_MAX, IPO_MONEY_MAX, NULL, true),
    FIELD ("np_t1_fen", np_fen [1], -IPO_MONEY_MAX, IPO_MONEY_MAX, NULL, true),
    FIELD ("np_t0_fen", np_fen [0], -IPO_MONEY_MAX, IPO_MONEY_MAX, NULL, true),
    FIELD ("rev_t2_fen", rev_fen [2], 0, IPO_MONEY_MAX, NULL, true),
    FIELD ("rev_t1_fen", rev_fen [1], 0, IPO_MONEY_MAX, NULL, true),
    FIELD ("rev_t0_fen", rev_fen [0], 0, IPO_MONEY_MAX, NULL, true),
    FIELD ("rd_t2_fen", rd_fen [2], 0, IPO_MONEY_MAX, NULL, true),
    FIELD ("rd_t1_fen", rd_fen [1], 0, IPO_MONEY_MAX, NULL, true),
    FIELD ("rd_t0_fen", rd_fen [0], 0, IPO_MONEY_MAX, NULL, true),
    FIELD ("ocf_t2_fen", ocf_fen [2], -IPO_MONEY_MAX, IPO_MONEY_MAX, NULL,
           true),
    FIELD ("ocf_t1_fen", ocf_fen [1], -IPO_MONEY_MAX, IPO_MONEY_MAX, NULL,
           true),
    FIELD ("ocf_t0_fen", ocf_fen [0], -IPO_MONEY_MAX, IPO_MONEY_MAX, NULL,
           true),
    //  ROE can be far above 100% on a thin equity; ±100,000% is plenty
    FIELD ("roe_t1_bp", roe_bp [1], -10000000, 10000000, NULL, true),
    FIELD ("roe_t0_bp", roe_bp [0], -10000000, 10000000, NULL, true),
    //  Revenue cannot fall by more than all of it
    FIELD ("rev_growth_t0_bp", rev_growth_t0_bp, -10000, 10000000, NULL, true),
    FIELD ("neeq_tier", neeq_tier, 0, 2, s_tier_names, true),
    FIELD ("neeq_listed_months", neeq_listed_months, 0, 1200, NULL, true),
    FIELD ("share_capital_fen", share_capital_fen, 0, IPO_MONEY_MAX, NULL,
           false),
    FIELD ("specialized", specialized, 0, 1, NULL, false),
    FIELD ("innovative_sme", innovative_sme, 0, 1, NULL, false),
    { NULL }
};

static const char *const s_figure_names [IPO_FIG_COUNT] = {
    [IPO_FIG_NONE] = "",
    [IPO_FIG_MARKET_CAP] = "market_cap_fen",
    [IPO_FIG_NP_T0] = "np_t0_fen",
    [IPO_FIG_NP_T1] = "np_t1_fen",
    [IPO_FIG_NP_T2] = "np_t2_fen",
    [IPO_FIG_NP_T1_T0] = "np_t1_t0_fen",
    [IPO_FIG_NP_T2_T0] = "np_t2_t0_fen",
    [IPO_FIG_REV_T0] = "rev_t0_fen",
    [IPO_FIG_REV_T1_T0] = "rev_t1_t0_fen",
    [IPO_FIG_REV_T2_T0] = "rev_t2_t0_fen",
    [IPO_FIG_RD_T1_T0] = "rd_t1_t0_fen",
    [IPO_FIG_RD_T2_T0] = "rd_t2_t0_fen",
    [IPO_FIG_OCF_T0] = "ocf_t0_fen",
    [IPO_FIG_OCF_T2_T0] = "ocf_t2_t0_fen",
    [IPO_FIG_ROE_T0] = "roe_t0_bp",
    [IPO_FIG_ROE_T1_T0] = "roe_t1_t0_bp",
    [IPO_FIG_REV_GROWTH_T0] = "rev_growth_t0_bp",
    [IPO_FIG_NEEQ_TIER] = "neeq_tier",
    [IPO_FIG_NEEQ_MONTHS] = "neeq_listed_months",
    [IPO_FIG_SHARE_CAPITAL] = "share_capital_fen",
    [IPO_FIG_SPECIALIZED] = "specialized",
    [IPO_FIG_INNOVATIVE_SME] = "innovative_sme",
};

static const char *const s_board_codes [IPO_BOARD_COUNT] = {
    "STAR", "CHINEXT", "MAIN", "BSE", "NEEQ", "REGIONAL"
};

static const char *const s_board_prefixes [IPO_BOARD_COUNT] = {
    "STAR", "ChiNext", "Main", "BSE", "NEEQ", "Regional"
};

//  --------------------------------------------------------------------------
//  The standards of a version; see the header.

const ipo_board_rules_t *
ipo_board_rules (const char *version)
{
    if (!version)
        return &s_rules [RULES - 1];
    for (size_t i = 0; i < RULES; i++)
        if (strcmp (s_rules [i].version, version) == 0)
            return &s_rules [i];
    return NULL;
}

//  --------------------------------------------------------------------------
//  Check one value of a field against its range; see the header.

int
ipo_board_field_check (const ipo_board_field_t *field, int64_t value,
                       kj_status_t *status)
{
    if (value >= field->min && value <= field->max)
        return 0;
    if (field->names)
        return kj_status_set (status, KJ__CODE__OUT_OF_RANGE, field->name,
                              "%s: %" PRId64 " is not a known value",
                              field->name, value);
    return kj_status_set (status, KJ__CODE__OUT_OF_RANGE, field->name,
                          "%s: %" PRId64 " is out of range; expected %" PRId64
                          " to %" PRId64,
                          field->name, value, field->min, field->max);
}

//  --------------------------------------------------------------------------
//  Check every field against its range; see the header.

int
ipo_board_input_check (const ipo_board_input_t *input, kj_status_t *status)
{
    assert (input);
    assert (status);
    for (const ipo_board_field_t *field = ipo_board_fields; field->name;
         field++)
        if (ipo_board_field_check (field,
                                   *(const int64_t *) ((const char *) input
                                                       + field->offset),
                                   status))
            return -1;
    kj_status_ok (status);
    return 0;
}

//  --------------------------------------------------------------------------
//  Every figure of a firm, worked out once: the sums over years that
//  several standards read are added once per firm, not once per criterion.
//  Sums of checked inputs fit in int64.

typedef int64_t s_figures_t [IPO_FIG_COUNT];

//  The figures that read a yearly figure not reported, a bit each
//  (1 << ipo_figure_t): every sum that holds one is unknown too
static uint32_t
s_unknown (uint32_t missing)
{
    if (!missing)
        return 0;
    uint32_t np = missing, rev = missing >> 3, rd = missing >> 6,
             ocf = missing >> 9;
    uint32_t unknown = 0;
#define S_IF(cond, figure)                                                     \
    if (cond)                                                                  \
    unknown |= 1u << (figure)
    S_IF (np & 1, IPO_FIG_NP_T0);
    S_IF (np & 2, IPO_FIG_NP_T1);
    S_IF (np & 4, IPO_FIG_NP_T2);
    S_IF (np & 3, IPO_FIG_NP_T1_T0);
    S_IF (np & 7, IPO_FIG_NP_T2_T0);
    S_IF (rev & 1, IPO_FIG_REV_T0);
    S_IF (rev & 3, IPO_FIG_REV_T1_T0);
    S_IF (rev & 7, IPO_FIG_REV_T2_T0);
    //  Growth of t0 over t1 reads both revenues
    S_IF (rev & 3, IPO_FIG_REV_GROWTH_T0);
    S_IF (rd & 3, IPO_FIG_RD_T1_T0);
    S_IF (rd & 7, IPO_FIG_RD_T2_T0);
    S_IF (ocf & 1, IPO_FIG_OCF_T0);
    S_IF (ocf & 7, IPO_FIG_OCF_T2_T0);
#undef S_IF
    return unknown;
}

static void
s_figures (const ipo_board_input_t *in, s_figures_t fig)
{
    fig [IPO_FIG_NONE] = 0;
    fig [IPO_FIG_MARKET_CAP] = in->market_cap_fen;
    fig [IPO_FIG_NP_T0] = in->np_fen [0];
    fig [IPO_FIG_NP_T1] = in->np_fen [1];
    fig [IPO_FIG_NP_T2] = in->np_fen [2];
    fig [IPO_FIG_NP_T1_T0] = in->np_fen [1] + in->np_fen [0];
    fig [IPO_FIG_NP_T2_T0] = fig [IPO_FIG_NP_T1_T0] + in->np_fen [2];
    fig [IPO_FIG_REV_T0] = in->rev_fen [0];
    fig [IPO_FIG_REV_T1_T0] = in->rev_fen [1] + in->rev_fen [0];
    fig [IPO_FIG_REV_T2_T0] = fig [IPO_FIG_REV_T1_T0] + in->rev_fen [2];
    fig [IPO_FIG_RD_T1_T0] = in->rd_fen [1] + in->rd_fen [0];
    fig [IPO_FIG_RD_T2_T0] = fig [IPO_FIG_RD_T1_T0] + in->rd_fen [2];
    fig [IPO_FIG_OCF_T0] = in->ocf_fen [0];
    fig [IPO_FIG_OCF_T2_T0] = in->ocf_fen [2] + in->ocf_fen [1]
                            + in->ocf_fen [0];
    fig [IPO_FIG_ROE_T0] = in->roe_bp [0];
    fig [IPO_FIG_ROE_T1_T0] = in->roe_bp [1] + in->roe_bp [0];
    fig [IPO_FIG_REV_GROWTH_T0] = in->rev_growth_t0_bp;
    fig [IPO_FIG_NEEQ_TIER] = in->neeq_tier;
    fig [IPO_FIG_NEEQ_MONTHS] = in->neeq_listed_months;
    fig [IPO_FIG_SHARE_CAPITAL] = in->share_capital_fen;
    fig [IPO_FIG_SPECIALIZED] = in->specialized;
    fig [IPO_FIG_INNOVATIVE_SME] = in->innovative_sme;
}

//  --------------------------------------------------------------------------
//  Tally the criteria of one list against a firm into outcome (unmet,
//  gap, shorts). A ratio needs the least whole numerator that reaches it,
//  ceil (min * per / 10000); it is met exactly when numerator * 10000 >=
//  min * per. A missed criterion's relative shortfall is (need - have) /
//  need in basis points rounded up, at most 10000; a category, or a need
//  of at most 0, counts the whole 10000.

static void
s_tally (const s_figures_t fig, uint32_t unknown, const ipo_criterion_t *list,
         ipo_board_outcome_t *outcome)
{
    for (const ipo_criterion_t *c = list;
         c < list + IPO_BOARD_MAX_CRITERIA && c->figure != IPO_FIG_NONE; c++) {
        int64_t have = fig [c->figure];
        int64_t need = c->min;
        bool met;
        //  A figure not reported: unknown, so not met, the whole 10000
        bool missing = unknown & ((1u << c->figure) | (1u << c->per));
        if (missing) {
            outcome->unmet++;
            outcome->gap_bp += 10000;
            assert (outcome->shorts < IPO_BOARD_MAX_SHORTS);
            ipo_board_short_t *s = &outcome->short_of [outcome->shorts++];
            s->figure = c->figure;
            s->have = 0;
            s->need = c->min > 0 ? c->min : 1;
            s->missing = true;
            continue;
        }
        if (c->per != IPO_FIG_NONE) {
            __int128 product = (__int128) c->min * fig [c->per];
            met = (__int128) have * 10000 >= product;
            __int128 least = product > 0 ? (product + 9999) / 10000 : 0;
            need = (int64_t) least;
        }
        else
            met = have >= need;
        if (met)
            continue;
        outcome->unmet++;
        int64_t gap = 10000;
        if (!ipo_board_figure_categorical (c->figure) && need > 0) {
            __int128 relative = ((__int128) (need - have) * 10000 + need - 1)
                              / need;
            if (relative < gap)
                gap = (int64_t) relative;
        }
        outcome->gap_bp += gap;
        assert (outcome->shorts < IPO_BOARD_MAX_SHORTS);
        ipo_board_short_t *s = &outcome->short_of [outcome->shorts++];
        s->figure = c->figure;
        s->have = have;
        s->need = need;
        s->missing = false;
    }
}

//  --------------------------------------------------------------------------
//  True if a is nearer than b: fewer criteria missed, then a smaller sum
//  of relative shortfalls.

static bool
s_nearer (const ipo_board_outcome_t *a, const ipo_board_outcome_t *b)
{
    if (a->unmet != b->unmet)
        return a->unmet < b->unmet;
    return a->gap_bp < b->gap_bp;
}

//  --------------------------------------------------------------------------
//  How a firm stands against one standard: prerequisite of its board,
//  its own criteria, and the nearest of its branches (the first on a tie).

static void
s_evaluate (const ipo_board_rules_t *rules, const ipo_standard_t *standard,
            const s_figures_t fig, uint32_t unknown,
            ipo_board_outcome_t *outcome)
{
    outcome->standard = standard;
    outcome->met = false;
    outcome->unmet = 0;
    outcome->gap_bp = 0;
    outcome->shorts = 0;
    s_tally (fig, unknown, rules->prerequisite [standard->board], outcome);
    s_tally (fig, unknown, standard->all, outcome);
    ipo_board_outcome_t best;
    bool branches = false;
    for (int b = 0; b < IPO_BOARD_MAX_BRANCHES; b++) {
        if (standard->any [b][0].figure == IPO_FIG_NONE)
            continue;
        ipo_board_outcome_t branch;
        branch.unmet = 0;
        branch.gap_bp = 0;
        branch.shorts = 0;
        s_tally (fig, unknown, standard->any [b], &branch);
        if (!branches || s_nearer (&branch, &best)) {
            best.unmet = branch.unmet;
            best.gap_bp = branch.gap_bp;
            best.shorts = branch.shorts;
            memcpy (best.short_of, branch.short_of,
                    branch.shorts * sizeof branch.short_of [0]);
        }
        branches = true;
    }
    if (branches) {
        outcome->unmet += best.unmet;
        outcome->gap_bp += best.gap_bp;
        for (size_t i = 0; i < best.shorts; i++) {
            assert (outcome->shorts < IPO_BOARD_MAX_SHORTS);
            outcome->short_of [outcome->shorts++] = best.short_of [i];
        }
    }
    outcome->met = outcome->unmet == 0;
}

//  --------------------------------------------------------------------------
//  How a firm stands against every standard of some boards; see the
//  header.

int
ipo_board_fit (const ipo_board_rules_t *rules, const ipo_board_input_t *input,
               unsigned boards, ipo_board_fit_t *fit, kj_status_t *status)
{
    assert (rules);
    assert (input);
    assert (fit);
    //  Only the outcomes counted are written: the table is 11 KB
    fit->count = 0;
    fit->nearest = -1;
    if (ipo_board_input_check (input, status))
        return -1;
    s_figures_t fig;
    s_figures (input, fig);
    uint32_t unknown = s_unknown (input->missing);
    for (size_t i = 0; i < rules->count; i++) {
        const ipo_standard_t *standard = &rules->standards [i];
        if (!(boards & IPO_BOARD_BIT (standard->board)))
            continue;
        assert (fit->count < IPO_BOARD_MAX_STANDARDS);
        ipo_board_outcome_t *outcome = &fit->outcome [fit->count];
        s_evaluate (rules, standard, fig, unknown, outcome);
        if (!outcome->met
            && (fit->nearest < 0
                || s_nearer (outcome, &fit->outcome [fit->nearest])))
            fit->nearest = (int) fit->count;
        fit->count++;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  True if the firm meets every criterion of a list: the comparisons of
//  s_tally, without the shortfalls.

static inline bool
s_list_met (const s_figures_t fig, uint32_t unknown,
            const ipo_criterion_t *list)
{
    for (const ipo_criterion_t *c = list;
         c < list + IPO_BOARD_MAX_CRITERIA && c->figure != IPO_FIG_NONE; c++)
        if ((unknown & ((1u << c->figure) | (1u << c->per)))
            || (c->per == IPO_FIG_NONE
                    ? fig [c->figure] < c->min
                    : (__int128) fig [c->figure] * 10000
                          < (__int128) c->min * fig [c->per]))
            return false;
    return true;
}

//  --------------------------------------------------------------------------
//  The standards a firm meets, a bit each; see the header.

int
ipo_board_meets (const ipo_board_rules_t *rules, const ipo_board_input_t *input,
                 unsigned boards, uint32_t *meets, kj_status_t *status)
{
    assert (rules);
    assert (input);
    assert (meets);
    assert (rules->count <= 32);
    *meets = 0;
    if (ipo_board_input_check (input, status))
        return -1;
    s_figures_t fig;
    s_figures (input, fig);
    uint32_t unknown = s_unknown (input->missing);
    //  A board's prerequisite once, not once per standard
    unsigned open = 0;
    for (int board = 0; board < IPO_BOARD_COUNT; board++)
        if ((boards & IPO_BOARD_BIT (board))
            && s_list_met (fig, unknown, rules->prerequisite [board]))
            open |= IPO_BOARD_BIT (board);
    uint32_t bits = 0;
    for (size_t i = 0; i < rules->count; i++) {
        const ipo_standard_t *standard = &rules->standards [i];
        if (!(open & IPO_BOARD_BIT (standard->board))
            || !s_list_met (fig, unknown, standard->all))
            continue;
        bool met = standard->any [0][0].figure == IPO_FIG_NONE
                && standard->any [1][0].figure == IPO_FIG_NONE;
        for (int b = 0; !met && b < IPO_BOARD_MAX_BRANCHES; b++)
            met = standard->any [b][0].figure != IPO_FIG_NONE
               && s_list_met (fig, unknown, standard->any [b]);
        if (met)
            bits |= UINT32_C (1) << i;
    }
    *meets = bits;
    return 0;
}

//  --------------------------------------------------------------------------
//  Names; see the header.

const char *
ipo_board_standard_name (const ipo_standard_t *standard, char *buf, size_t size)
{
    snprintf (buf, size, "%s-%d", s_board_prefixes [standard->board],
              standard->number);
    return buf;
}

//  --------------------------------------------------------------------------
//  A board's code; see the header.
const char *
ipo_board_code (ipo_board_id_t board)
{
    return board >= 0 && board < IPO_BOARD_COUNT ? s_board_codes [board] : "?";
}

//  --------------------------------------------------------------------------
//  The board of a code; see the header.
int
ipo_board_from_code (const char *code)
{
    for (int board = 0; board < IPO_BOARD_COUNT; board++)
        if (strcmp (s_board_codes [board], code) == 0)
            return board;
    return -1;
}

//  --------------------------------------------------------------------------
//  A figure's name; see the header.
const char *
ipo_board_figure_name (ipo_figure_t figure)
{
    return figure > IPO_FIG_NONE && figure < IPO_FIG_COUNT
             ? s_figure_names [figure]
             : "?";
}

//  --------------------------------------------------------------------------
//  True for a category; see the header.
bool
ipo_board_figure_categorical (ipo_figure_t figure)
{
    return figure == IPO_FIG_NEEQ_TIER || figure == IPO_FIG_SPECIALIZED
        || figure == IPO_FIG_INNOVATIVE_SME;
}

//  --------------------------------------------------------------------------
//  The name of a NEEQ tier; see the header.
const char *
ipo_board_neeq_tier_name (int64_t tier)
{
    return tier >= 0 && tier <= IPO_NEEQ_INNOVATION ? s_tier_names [tier] : "?";
}
