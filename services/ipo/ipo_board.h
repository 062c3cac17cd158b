/*  =========================================================================
    ipo_board - which listing standards a firm's figures meet, and by how
    much it misses the nearest one it does not meet

    Pure rules, no I/O. The standards of each board (docs/rules/ipo.md, "Board fit") are
    data: a versioned table of standards, each a list of criteria, every
    criterion "figure >= minimum" or "figure / figure >= basis points",
    compared exactly in integers. kejin-ipo and `kejin ipo fit` run the
    same code. The rules are written out in docs/rules/ipo.md.
    =========================================================================
*/

#ifndef IPO_BOARD_H_INCLUDED
#define IPO_BOARD_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kj_proto.h"

//  The boards, in the order standards are listed and reported.
typedef enum {
    IPO_BOARD_STAR = 0,  //  科创板
    IPO_BOARD_CHINEXT,   //  创业板
    IPO_BOARD_MAIN,      //  主板 (SSE/SZSE)
    IPO_BOARD_BSE,       //  北交所
    IPO_BOARD_NEEQ,      //  新三板 (innovation tier standards)
    IPO_BOARD_REGIONAL,  //  辽宁股权交易中心 专精特新板
    IPO_BOARD_COUNT
} ipo_board_id_t;

//  A set of boards, for what ipo_board_fit reads.
#define IPO_BOARD_BIT(board) (1u << (board))
#define IPO_BOARD_ALL        ((1u << IPO_BOARD_COUNT) - 1)
//  The four exchanges' boards, which `kejin ipo fit` reports.
#define IPO_BOARD_EXCHANGES                                                    \
    (IPO_BOARD_BIT (IPO_BOARD_STAR) | IPO_BOARD_BIT (IPO_BOARD_CHINEXT)        \
     | IPO_BOARD_BIT (IPO_BOARD_MAIN) | IPO_BOARD_BIT (IPO_BOARD_BSE))

//  NEEQ tiers, as neeq_tier holds them.
typedef enum {
    IPO_NEEQ_NONE = 0,
    IPO_NEEQ_BASIC = 1,
    IPO_NEEQ_INNOVATION = 2
} ipo_neeq_tier_t;

//  Largest amount of money a figure may hold, in fen (¥1,000 trillion):
//  sums of three years and their products by 10000 stay inside 128 bits,
//  and shortfalls inside 64.
#define IPO_MONEY_MAX INT64_C (100000000000000000)

//  A firm's figures. Index 0 of a yearly figure is t0, the latest fiscal
//  year, 1 the year before (t1), 2 the one before that (t2). Net profit
//  is already the lower of before and after non-recurring items.
typedef struct {
    int64_t market_cap_fen;      //  expected market capitalisation
    int64_t np_fen [3];          //  net profit
    int64_t rev_fen [3];         //  revenue
    int64_t rd_fen [3];          //  R&D expense
    int64_t ocf_fen [3];         //  net operating cash flow
    int64_t roe_bp [2];          //  weighted ROE, t0 and t1
    int64_t rev_growth_t0_bp;    //  revenue growth of t0 over t1
    int64_t neeq_tier;           //  ipo_neeq_tier_t
    int64_t neeq_listed_months;  //  months listed on the NEEQ in total
    int64_t share_capital_fen;   //  share capital; 0 if not known
    int64_t specialized;         //  1: holds the 专精特新 flag
    int64_t innovative_sme;      //  1: holds the 创新型中小企业 flag
    //  Yearly figures not reported (IPO_MISSING_* bits): unknown, never
    //  0. A criterion that reads one is not met, and its shortfall says
    //  the figure is missing. 0: every figure known (a CSV row).
    uint32_t missing;
} ipo_board_input_t;

//  Bits of ipo_board_input_t.missing, for year t (0: t0, 1: t1, 2: t2).
#define IPO_MISSING_NP(t)  (1u << (t))
#define IPO_MISSING_REV(t) (1u << (3 + (t)))
#define IPO_MISSING_RD(t)  (1u << (6 + (t)))
#define IPO_MISSING_OCF(t) (1u << (9 + (t)))

//  One field of the input: its name (the CSV column of `kejin ipo fit`
//  where there is one), where it lives, and the values it may take.
typedef struct {
    const char *name;          //  "np_t0_fen"
    size_t offset;             //  in ipo_board_input_t, of an int64_t
    int64_t min, max;          //  inclusive
    const char *const *names;  //  enum values by number, or NULL
    bool in_csv;               //  a column of `kejin ipo fit`
} ipo_board_field_t;

//  Every field of the input; the CSV columns in their header order first.
//  Ends with a NULL name.
extern const ipo_board_field_t ipo_board_fields [];

//  The figures that criteria read: input fields and sums over years.
typedef enum {
    IPO_FIG_NONE = 0,  //  ends a list of criteria
    IPO_FIG_MARKET_CAP,
    IPO_FIG_NP_T0,
    IPO_FIG_NP_T1,
    IPO_FIG_NP_T2,
    IPO_FIG_NP_T1_T0,
    IPO_FIG_NP_T2_T0,
    IPO_FIG_REV_T0,
    IPO_FIG_REV_T1_T0,
    IPO_FIG_REV_T2_T0,
    IPO_FIG_RD_T1_T0,
    IPO_FIG_RD_T2_T0,
    IPO_FIG_OCF_T0,
    IPO_FIG_OCF_T2_T0,
    IPO_FIG_ROE_T0,
    IPO_FIG_ROE_T1_T0,
    IPO_FIG_REV_GROWTH_T0,
    IPO_FIG_NEEQ_TIER,
    IPO_FIG_NEEQ_MONTHS,
    IPO_FIG_SHARE_CAPITAL,
    IPO_FIG_SPECIALIZED,
    IPO_FIG_INNOVATIVE_SME,
    IPO_FIG_COUNT
} ipo_figure_t;

//  One criterion: figure >= min, or, with a denominator `per`,
//  figure * 10000 >= min * per (min in basis points). "> 0" is ">= 1".
typedef struct {
    ipo_figure_t figure;
    int64_t min;
    ipo_figure_t per;  //  IPO_FIG_NONE: not a ratio
} ipo_criterion_t;

#define IPO_BOARD_MAX_CRITERIA  6  //  per list, with its IPO_FIG_NONE end
#define IPO_BOARD_MAX_BRANCHES  2
#define IPO_BOARD_MAX_STANDARDS 24
//  Most criteria one outcome can miss: prerequisite, common and a branch.
#define IPO_BOARD_MAX_SHORTS (3 * IPO_BOARD_MAX_CRITERIA)

//  A standard: every criterion of `all`, and, when there are branches,
//  every criterion of at least one of them.
typedef struct {
    ipo_board_id_t board;
    int number;  //  1.. within its board
    ipo_criterion_t all [IPO_BOARD_MAX_CRITERIA];
    ipo_criterion_t any [IPO_BOARD_MAX_BRANCHES][IPO_BOARD_MAX_CRITERIA];
} ipo_standard_t;

//  A version of the standards of every board.
typedef struct {
    const char *version;    //  "2024"
    const char *effective;  //  "2024-04-30": from when it applies
    //  Criteria every standard of a board needs first (the BSE's NEEQ
    //  prerequisite), by board
    ipo_criterion_t prerequisite [IPO_BOARD_COUNT][IPO_BOARD_MAX_CRITERIA];
    size_t count;
    const ipo_standard_t *standards;  //  in board order, then number
} ipo_board_rules_t;

//  What a firm lacks on one criterion: it has `have`, needs `need`; or,
//  when missing, the figure (or its denominator) reads a year's figure
//  that was not reported (have 0).
typedef struct {
    ipo_figure_t figure;
    int64_t have, need;
    bool missing;
} ipo_board_short_t;

//  How a firm stands against one standard. For a missed standard with
//  branches, the shorts are those of its nearest branch.
typedef struct {
    const ipo_standard_t *standard;
    bool met;
    int unmet;       //  criteria missed
    int64_t gap_bp;  //  sum of their relative shortfalls
    size_t shorts;
    ipo_board_short_t short_of [IPO_BOARD_MAX_SHORTS];
} ipo_board_outcome_t;

//  Every standard of the boards asked for, in table order, and which of
//  the missed ones is nearest (-1: none missed).
typedef struct {
    size_t count;
    ipo_board_outcome_t outcome [IPO_BOARD_MAX_STANDARDS];
    int nearest;
} ipo_board_fit_t;

//  --------------------------------------------------------------------------
//  The standards of a version ("2024"), or the newest for NULL; NULL if
//  there is no such version.

const ipo_board_rules_t *
    ipo_board_rules (const char *version);

//  --------------------------------------------------------------------------
//  Check one value of a field against its range. Returns 0, or -1 with
//  status OUT_OF_RANGE naming the field.

int
    ipo_board_field_check (const ipo_board_field_t *field, int64_t value,
                           kj_status_t *status);

//  --------------------------------------------------------------------------
//  Check every field of input against its range. Returns 0, or -1 with
//  status OUT_OF_RANGE naming the field.

int
    ipo_board_input_check (const ipo_board_input_t *input, kj_status_t *status);

//  --------------------------------------------------------------------------
//  How input stands against every standard of the boards in the set
//  `boards` (IPO_BOARD_BIT ...). Returns 0, or -1 with status set when the
//  input is out of range.

int
    ipo_board_fit (const ipo_board_rules_t *rules,
                   const ipo_board_input_t *input, unsigned boards,
                   ipo_board_fit_t *fit, kj_status_t *status);

//  --------------------------------------------------------------------------
//  The batch fit's question alone: which standards of the boards in
//  `boards` input meets, bit i for rules->standards [i] (table order, not
//  the order of ipo_board_fit's outcomes when boards leaves some out).
//  The same comparisons as ipo_board_fit, without working out shortfalls.
//  Returns 0, or -1 with status set when the input is out of range.

int
    ipo_board_meets (const ipo_board_rules_t *rules,
                     const ipo_board_input_t *input, unsigned boards,
                     uint32_t *meets, kj_status_t *status);

//  --------------------------------------------------------------------------
//  Names for people and files.

//  "STAR-1", "ChiNext-2", "Main-3", "BSE-4", "NEEQ-1", "Regional-1".
const char *
    ipo_board_standard_name (const ipo_standard_t *standard, char *buf,
                             size_t size);

//  A board's code as files and configuration write it: "STAR", "CHINEXT",
//  "MAIN", "BSE", "NEEQ", "REGIONAL".
const char *
    ipo_board_code (ipo_board_id_t board);

//  The board of a code; -1 if none.
int
    ipo_board_from_code (const char *code);

//  A figure's name, as a key of nearest_missed: "np_t1_t0_fen".
const char *
    ipo_board_figure_name (ipo_figure_t figure);

//  True for a figure that is a category (NEEQ tier, a flag) rather than
//  an amount: its shortfall is the value needed, not a difference.
bool
    ipo_board_figure_categorical (ipo_figure_t figure);

//  The name of a NEEQ tier: "NONE", "BASIC", "INNOVATION"; "?" if none.
const char *
    ipo_board_neeq_tier_name (int64_t tier);

#endif
