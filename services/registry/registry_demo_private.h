/*  =========================================================================
    registry_demo_private - what the registry_demo_* files share

    The generator is split (registry_demo.c: randomness, regions, names,
    codes and the enterprise draw; _figures: figures, the qualifications
    they earn, the stage and the tech-SME score; _market: institutions
    and products). These are the storage and the helpers they share.
    Private to those files.
    =========================================================================
*/

#ifndef REGISTRY_DEMO_PRIVATE_H_INCLUDED
#define REGISTRY_DEMO_PRIVATE_H_INCLUDED

#include "registry_demo.h"
#include "registry_uscc.h"

//  Money in fen from yuan.
#define YUAN(y) ((int64_t) (y) *100)
#define WAN(w)  ((int64_t) (w) *1000000)      //  万元 in fen
#define YI(y)   ((int64_t) (y) *10000000000)  //  亿元 in fen

#define MAX_YEARS    3
#define MAX_ATTEMPTS 8

typedef struct {
    uint64_t state;
} registry_demo_rng_t;

//  Dates as days since 1970-01-01
#define s_days kj_check_date_days
#define s_date kj_check_date_from_days

//  Storage of one enterprise

typedef struct {
    //  What the draw decided
    registry_stage_t target;
    int64_t age_days;
    int64_t revenue [MAX_YEARS];  //  latest year first
    int64_t net_profit [MAX_YEARS];
    int years;                          //  years with figures
    int tech_bp, rnd_bp, high_tech_bp;  //  ratios
    int64_t staff;
    bool resident;
    //  The message and what it points to
    Kj__Enterprise enterprise;
    Kj__CreditFlags credit;
    Kj__IpAssets ip;
    Kj__StageInfo stage;
    Kj__TechSmeScore techsme;
    Kj__YearFigures figures [MAX_YEARS];
    Kj__YearFigures *figure_ptrs [MAX_YEARS];
    Kj__Qualification quals [11];
    Kj__Qualification *qual_ptrs [11];
    Kj__EquityRound round;
    Kj__EquityRound *round_ptr;
    char code [REGISTRY_USCC_SIZE + 1];
    char name [128];
    char founded_on [11];
    char closed_on [11];
    char tax_grade [2];
    char expires [11][11];
    char granted [11][11];
    char rule [64];
    char reason [384];
    char version [32];
    char techsme_reason [512];
} registry_demo_enterprise_t;

struct _registry_demo_t {
    registry_demo_config_t config;
    int64_t today;            //  as days
    uint64_t ma_mul, ma_add;  //  bijections of the index
    uint64_t digit_mul, digit_add;
    registry_stage_rules_t rules;
    registry_demo_stats_t stats;
    registry_demo_enterprise_t e;
};

//  value * bp / 10000, rounded down.
int64_t
    registry_demo_bp (int64_t value, int64_t bp);

bool
    registry_demo_chance (registry_demo_rng_t *rng, int per_mille);

//  Uniform in [lo, hi].
int64_t
    registry_demo_range (registry_demo_rng_t *rng, int64_t lo, int64_t hi);

registry_stage_t
    registry_demo_classify (registry_demo_t *self,
                            registry_demo_enterprise_t *x);

void
    registry_demo_earn (registry_demo_t *self, registry_demo_rng_t *rng,
                        registry_demo_enterprise_t *x, bool force_high_tech);

void
    registry_demo_make_figures (registry_demo_rng_t *rng, registry_demo_t *self,
                                registry_demo_enterprise_t *x);

//  The tech-SME grid on the latest year, into the message.
void
    registry_demo_techsme (registry_demo_enterprise_t *x);

#endif
