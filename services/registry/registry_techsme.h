/*  =========================================================================
    registry_techsme - the 科技型中小企业 evaluation (国科发政〔2017〕115号)

    Pure rules, no I/O. Scores an enterprise on the national tech-SME grid
    (科技人员 20, 研发投入 50, 科技成果 30) and decides eligibility from the
    score and the size and credit conditions (docs/rules/tech-sme.md). Ratios are
    compared exactly in integers; lower bounds are inclusive.
    =========================================================================
*/

#ifndef REGISTRY_TECHSME_H_INCLUDED
#define REGISTRY_TECHSME_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#include "kj_proto.h"
#include "registry.pb-c.h"

//  Figures of the grid's input that were not reported: unknown, not 0
//  (their value in the input is ignored).
typedef enum {
    REGISTRY_TECHSME_UNKNOWN_STAFF = 1 << 0,
    REGISTRY_TECHSME_UNKNOWN_TECH_STAFF = 1 << 1,
    REGISTRY_TECHSME_UNKNOWN_SALES = 1 << 2,
    REGISTRY_TECHSME_UNKNOWN_RND = 1 << 3,
    REGISTRY_TECHSME_UNKNOWN_COST = 1 << 4,
    REGISTRY_TECHSME_UNKNOWN_ASSETS = 1 << 5
} registry_techsme_unknown_t;

//  What the grid reads. Counts and money are >= 0; money is in fen.
typedef struct {
    int64_t staff;       //  职工总数, total staff
    int64_t tech_staff;  //  科技人员数, at most staff
    int64_t sales_fen;   //  销售收入, annual sales
    int64_t rnd_fen;     //  研发费用总额, R&D expense
    int64_t cost_fen;    //  成本费用支出总额, total cost and expense
    int64_t total_assets_fen;  //  资产总额
    int64_t ip_class1;         //  valid Class-I IP (invention patents...)
    int64_t ip_class2;         //  valid Class-II IP
    bool abnormal;             //  on the 经营异常名录
    bool dishonest;            //  on the 严重违法失信 list
    unsigned unknown;          //  registry_techsme_unknown_t bits
} registry_techsme_input_t;

//  Why an enterprise is not eligible; a result may carry several.
typedef enum {
    REGISTRY_TECHSME_STAFF_OVER_LIMIT = 1 << 0,     //  staff > 500
    REGISTRY_TECHSME_SALES_OVER_LIMIT = 1 << 1,     //  sales > ¥200m
    REGISTRY_TECHSME_ASSETS_OVER_LIMIT = 1 << 2,    //  total assets > ¥200m
    REGISTRY_TECHSME_ABNORMAL = 1 << 3,             //  经营异常
    REGISTRY_TECHSME_DISHONEST = 1 << 4,            //  严重违法失信
    REGISTRY_TECHSME_NO_TECH_STAFF_SCORE = 1 << 5,  //  科技人员 part is 0
    REGISTRY_TECHSME_SCORE_TOO_LOW = 1 << 6,        //  total < 60
    //  Not a failure: a figure a condition or a part needs was not
    //  reported, so that part is not judged (scored 0 in the parts but
    //  neither met nor failed). Alone, the result is undecided.
    REGISTRY_TECHSME_NOT_JUDGED = 1 << 7
} registry_techsme_reason_t;

//  True if reasons (registry_techsme_reason_t bits) say "not judged" and
//  nothing failed: neither eligible nor not eligible until the figures
//  named in the reason are supplied.
#define REGISTRY_TECHSME_UNDECIDED(reasons)                                    \
    ((reasons) == REGISTRY_TECHSME_NOT_JUDGED)

//  Limits and pass mark of the grid (国科发政〔2017〕115号).
#define REGISTRY_TECHSME_MAX_STAFF      500
#define REGISTRY_TECHSME_MAX_SALES_FEN  INT64_C (20000000000)  //  ¥200m
#define REGISTRY_TECHSME_MAX_ASSETS_FEN INT64_C (20000000000)  //  ¥200m
#define REGISTRY_TECHSME_PASS_SCORE     60

//  What the grid decided. Ratios are in basis points rounded down.
typedef struct {
    int64_t tech_staff_bp;  //  tech staff / staff, bp; -1: no staff
    int64_t rnd_sales_bp;   //  R&D / sales, bp; -1: no sales
    int64_t rnd_cost_bp;    //  R&D / cost, bp; -1: no cost
    int tech_staff_score;   //  科技人员, 0..20
    int rnd_sales_score;    //  研发投入 option (a), R&D / sales, 0..50
    int rnd_cost_score;     //  研发投入 option (b), R&D / cost, 0..50
    int rnd_score;          //  研发投入, the better option
    int ip_score;           //  科技成果, 0..30
    int total;              //  0..100
    bool eligible;          //  every condition holds
    bool undecided;         //  nothing failed, but not all could be judged
    unsigned reasons;       //  registry_techsme_reason_t bits
    char reason [512];      //  the reasons for people, "; "-joined
} registry_techsme_result_t;

//  --------------------------------------------------------------------------
//  Score input and decide eligibility into result. Returns 0, or -1 with
//  status set (INVALID_ARGUMENT naming the field) for a negative value or
//  more tech staff than staff.

int
    registry_techsme_evaluate (const registry_techsme_input_t *input,
                               registry_techsme_result_t *result,
                               kj_status_t *status);

//  --------------------------------------------------------------------------
//  What the grid reads of an enterprise: its figures f of one year (those
//  f names in not_reported unknown), its IP and its credit flags (0 and
//  false where e has none).

registry_techsme_input_t
    registry_techsme_input (const Kj__Enterprise *e, const Kj__YearFigures *f);

//  The registry_techsme_unknown_t bits of the figures f names in
//  not_reported (by their docs/cli.md names).
unsigned
    registry_techsme_unknown (const Kj__YearFigures *f);

//  A result as the score of year in a message; t->reason is set to reason,
//  the caller's copy of result->reason.
void
    registry_techsme_message (const registry_techsme_result_t *result,
                              int32_t year, char *reason, Kj__TechSmeScore *t);

#endif
