/*  =========================================================================
    registry_demo - realistic synthetic data for the registry

    Pure rules, no I/O. Randomness is splitmix64 seeded per enterprise from
    (seed, index): no rand (), no floating point, so a seed means the same
    rows everywhere.

    Credit codes are unique by construction, not by checking: the
    organisation code of enterprise i is an affine bijection of i, modulo
    31^6 for "MA" codes (firms founded after the 2015 reform) or 10^8 for
    older all-digit ones, with a multiplier and an offset taken from the
    seed. Both check characters are then computed, GB 11714 at 17 and
    ISO 7064 MOD 31-3 at 18.

    Stages are reached by aiming: each enterprise draws a target stage
    (20% incubation, 35% start-up, 35% growth, 10% mature), draws an age,
    figures, round and flags that fit it, earns the qualifications those
    figures earn, and is classified by registry_stage exactly as the
    registry would; a draw that lands elsewhere is drawn again (counted in
    the stats), and after eight misses the stage it landed on stands.
    =========================================================================
*/

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kj_util.h"
#include "registry_check.h"
#include "registry_demo.h"
#include "registry_techsme.h"
#include "registry_uscc.h"

//  Money in fen from yuan.
#define YUAN(y) ((int64_t) (y) *100)
#define WAN(w)  ((int64_t) (w) *1000000)      //  万元 in fen
#define YI(y)   ((int64_t) (y) *10000000000)  //  亿元 in fen

#define MAX_YEARS    3
#define MAX_ATTEMPTS 8

//  --------------------------------------------------------------------------
//  Randomness

typedef struct {
    uint64_t state;
} s_rng_t;

static uint64_t
s_next (s_rng_t *rng)
{
    uint64_t z = (rng->state += UINT64_C (0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C (0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C (0x94D049BB133111EB);
    return z ^ (z >> 31);
}

//  Uniform in [lo, hi].
static int64_t
s_range (s_rng_t *rng, int64_t lo, int64_t hi)
{
    assert (hi >= lo);
    uint64_t span = (uint64_t) (hi - lo) + 1;
    return lo + (int64_t) (((unsigned __int128) s_next (rng) * span) >> 64);
}

//  In [lo, hi], small values more likely (cube of a uniform draw), as
//  firm sizes are.
static int64_t
s_skewed (s_rng_t *rng, int64_t lo, int64_t hi)
{
    int64_t t = s_range (rng, 0, 1000);
    __int128 cube = (__int128) t * t * t;
    return lo + (int64_t) ((__int128) (hi - lo) * cube / 1000000000);
}

static bool
s_chance (s_rng_t *rng, int per_mille)
{
    return s_range (rng, 0, 999) < per_mille;
}

//  value * bp / 10000, rounded down.
static int64_t
s_bp (int64_t value, int64_t bp)
{
    return (int64_t) ((__int128) value * bp / 10000);
}

//  Dates as days since 1970-01-01
#define s_days kj_check_date_days
#define s_date kj_check_date_from_days

//  --------------------------------------------------------------------------
//  Regions: weights of the 15 units and district codes of each

typedef struct {
    kj_region_t region;
    int weight;                  //  per mille of enterprises
    const char *name;            //  first word of a company name
    const char *districts [14];  //  region codes used in credit codes
} s_region_t;

static const s_region_t s_regions [] = {
    { KJ_REGION_SHENYANG,
      250,
      "沈阳",
      { "210100", "210102", "210103", "210104", "210105", "210106", "210111",
        "210112", "210113", "210114", "210115", "210123", "210124",
        "210181" } },
    { KJ_REGION_DALIAN,
      260,
      "大连",
      { "210200", "210202", "210203", "210204", "210211", "210212", "210213",
        "210214", "210224", "210281", "210283" } },
    { KJ_REGION_ANSHAN,
      70,
      "鞍山",
      { "210300", "210302", "210303", "210304", "210311", "210321", "210323",
        "210381" } },
    { KJ_REGION_FUSHUN,
      35,
      "抚顺",
      { "210400", "210402", "210403", "210404", "210411", "210421", "210422",
        "210423" } },
    { KJ_REGION_BENXI,
      25,
      "本溪",
      { "210500", "210502", "210503", "210504", "210505", "210521",
        "210522" } },
    { KJ_REGION_DANDONG,
      35,
      "丹东",
      { "210600", "210602", "210603", "210604", "210624", "210681",
        "210682" } },
    { KJ_REGION_JINZHOU,
      40,
      "锦州",
      { "210700", "210702", "210703", "210711", "210726", "210727", "210781",
        "210782" } },
    { KJ_REGION_YINGKOU,
      50,
      "营口",
      { "210800", "210802", "210803", "210804", "210811", "210881",
        "210882" } },
    { KJ_REGION_FUXIN,
      20,
      "阜新",
      { "210900", "210902", "210903", "210904", "210905", "210911", "210921",
        "210922" } },
    { KJ_REGION_LIAOYANG,
      30,
      "辽阳",
      { "211000", "211002", "211003", "211004", "211005", "211011", "211021",
        "211081" } },
    { KJ_REGION_PANJIN,
      40,
      "盘锦",
      { "211100", "211102", "211103", "211104", "211122" } },
    { KJ_REGION_TIELING,
      30,
      "铁岭",
      { "211200", "211202", "211204", "211221", "211223", "211224", "211281",
        "211282" } },
    { KJ_REGION_CHAOYANG,
      20,
      "朝阳",
      { "211300", "211302", "211303", "211321", "211322", "211324", "211381",
        "211382" } },
    { KJ_REGION_HULUDAO,
      25,
      "葫芦岛",
      { "211400", "211402", "211403", "211404", "211421", "211422",
        "211481" } },
    //  The zone straddles 浑南 (Shenyang) and 东洲, 顺城 (Fushun)
    { KJ_REGION_SHENFU, 70, "沈抚", { "210112", "210403", "210411" } },
};
#define REGIONS (sizeof s_regions / sizeof s_regions [0])

static const char *s_charset = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const int s_weights [17] = { 1,  3,  9,  27, 19, 26, 16, 17, 20,
                                    29, 25, 13, 8,  24, 10, 30, 28 };
static const int s_org_weights [8] = { 3, 7, 9, 10, 5, 8, 4, 2 };

//  31^6: the number of "MA" + 6 character organisation codes
#define MA_CODES    UINT64_C (887503681)
#define DIGIT_CODES UINT64_C (100000000)

//  --------------------------------------------------------------------------
//  Names

//  Characters of 字号 (trade names): two make one
static const char *s_name_chars [] = {
    "华", "信", "达", "通", "泰", "安", "恒", "瑞", "鑫", "盛", "宏", "源",
    "新", "创", "博", "远", "科", "智", "汇", "联", "嘉", "德", "兴", "隆",
    "昌", "和", "丰", "汉", "晨", "光", "明", "东", "辰", "睿", "思", "维",
    "云", "星", "海", "天", "宇", "正", "诚", "鼎", "峰", "腾", "飞", "润",
    "泽", "卓", "越", "立", "方", "致", "精", "益", "美", "佳", "合", "众",
    "开", "元", "力", "凯", "旭", "阳", "沃", "锐", "拓", "航"
};
#define NAME_CHARS (sizeof s_name_chars / sizeof s_name_chars [0])

//  Trades: the word in the name and the industry it belongs to
static const struct {
    const char *word;
    const char *industry;
} s_trades [] = {
    { "科技", "新一代信息技术" },   { "信息技术", "新一代信息技术" },
    { "软件", "新一代信息技术" },   { "网络科技", "数字经济" },
    { "大数据", "数字经济" },       { "智能装备", "高端装备制造" },
    { "机器人", "高端装备制造" },   { "自动化", "高端装备制造" },
    { "数控机床", "高端装备制造" }, { "精密机械", "高端装备制造" },
    { "航空科技", "航空航天" },     { "新材料", "新材料" },
    { "化工新材料", "新材料" },     { "精细化工", "新材料" },
    { "生物医药", "生物医药" },     { "医疗器械", "生物医药" },
    { "制药", "生物医药" },         { "光电", "电子信息" },
    { "电子", "电子信息" },         { "半导体", "集成电路" },
    { "新能源", "新能源" },         { "储能科技", "新能源" },
    { "节能环保", "节能环保" },     { "环境工程", "节能环保" },
    { "汽车零部件", "新能源汽车" }, { "检测技术", "科技服务" },
    { "海洋科技", "海洋经济" },     { "农业科技", "现代农业" }
};
#define TRADES (sizeof s_trades / sizeof s_trades [0])

//  --------------------------------------------------------------------------
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
} s_enterprise_t;

struct _registry_demo_t {
    registry_demo_config_t config;
    int64_t today;            //  as days
    uint64_t ma_mul, ma_add;  //  bijections of the index
    uint64_t digit_mul, digit_add;
    registry_stage_rules_t rules;
    registry_demo_stats_t stats;
    s_enterprise_t e;
};

registry_demo_t *
registry_demo_new (const registry_demo_config_t *config, kj_status_t *status)
{
    assert (config && status);
    if (config->enterprises < REGISTRY_DEMO_MIN_ENTERPRISES
        || config->enterprises > REGISTRY_DEMO_MAX_ENTERPRISES) {
        kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "enterprises",
                       "enterprises: %" PRId64 " is out of range (%d to %d)",
                       config->enterprises, REGISTRY_DEMO_MIN_ENTERPRISES,
                       REGISTRY_DEMO_MAX_ENTERPRISES);
        return NULL;
    }
    char text [11];
    kj_date_t check;
    kj_check_date_format (config->today, text);
    if (kj_check_date (text, "today", &check, status)
        || config->today.year < 2000) {
        if (config->today.year < 2000)
            kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "today",
                           "today: %s is before 2000", text);
        return NULL;
    }
    registry_demo_t *self = (registry_demo_t *) calloc (1, sizeof *self);
    assert (self);
    self->config = *config;
    self->today = s_days (config->today);
    registry_stage_rules_default (&self->rules);
    s_rng_t rng = { config->seed ^ UINT64_C (0x5DEECE66D) };
    //  Multipliers coprime to their modulus: not a multiple of 31; odd and
    //  not a multiple of 5
    do
        self->ma_mul = s_next (&rng) % MA_CODES;
    while (self->ma_mul % 31 == 0);
    self->ma_add = s_next (&rng) % MA_CODES;
    do
        self->digit_mul = s_next (&rng) % DIGIT_CODES;
    while (self->digit_mul % 2 == 0 || self->digit_mul % 5 == 0);
    self->digit_add = s_next (&rng) % DIGIT_CODES;
    kj_status_ok (status);
    return self;
}

void
registry_demo_destroy (registry_demo_t **self_p)
{
    if (*self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

const registry_demo_stats_t *
registry_demo_stats (registry_demo_t *self)
{
    return &self->stats;
}

//  --------------------------------------------------------------------------
//  The credit code of enterprise i, founded on `founded` in `region`.

static void
s_make_code (registry_demo_t *self, s_rng_t *rng, int64_t index,
             const s_region_t *region, int64_t founded, char *code)
{
    //  The zone's districts all qualify; a city registers 40% of its firms
    //  at the city's own market regulation bureau (code xx00)
    int districts = 0;
    while (districts < 14 && region->districts [districts])
        districts++;
    const char
        *district = region->region == KJ_REGION_SHENFU
                      ? region->districts [s_range (rng, 0, districts - 1)]
                  : s_chance (rng, 400)
                      ? region->districts [0]
                      : region->districts [s_range (rng, 1, districts - 1)];
    memcpy (code, "91", 2);
    memcpy (code + 2, district, 6);
    if (founded >= s_days ((kj_date_t){ 2015, 10, 1 })) {
        uint64_t x = (self->ma_mul * (uint64_t) index + self->ma_add)
                   % MA_CODES;
        code [8] = 'M';
        code [9] = 'A';
        for (int k = 15; k >= 10; k--) {
            code [k] = s_charset [x % 31];
            x /= 31;
        }
    }
    else {
        uint64_t x = (self->digit_mul * (uint64_t) index + self->digit_add)
                   % DIGIT_CODES;
        for (int k = 15; k >= 8; k--) {
            code [k] = (char) ('0' + x % 10);
            x /= 10;
        }
    }
    int sum = 0;
    for (int i = 0; i < 8; i++) {
        char c = code [8 + i];
        sum += (c >= '0' && c <= '9' ? c - '0' : c - 'A' + 10)
             * s_org_weights [i];
    }
    int check = 11 - sum % 11;
    code [16] = check == 10 ? 'X' : check == 11 ? '0' : (char) ('0' + check);
    sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (int) (strchr (s_charset, code [i]) - s_charset) * s_weights [i];
    code [17] = s_charset [(31 - sum % 31) % 31];
    code [18] = 0;
}

//  --------------------------------------------------------------------------
//  A draw of age, figures, round and flags aimed at a stage.

static void
s_draw (registry_demo_t *self, s_rng_t *rng, s_enterprise_t *x)
{
    Kj__Enterprise *e = &x->enterprise;
    int64_t revenue = 0, profit = 0;
    int growth1 = 0, growth2 = 0;  //  bp a year, latest first
    int margin_bp = 0;
    e->listing_tutoring = false;
    e->board_standard = false;
    e->chain_leader = false;
    x->round.round = KJ__ROUND__ROUND_NONE;
    x->resident = false;
    switch (x->target) {
        case REGISTRY_STAGE_MATURE:
            x->age_days = s_range (rng, 10 * 366, 25 * 365);
            if (s_chance (rng, 750)) {
                revenue = s_skewed (rng, YI (4), YI (30));
                margin_bp = (int) s_range (rng, 400, 1500);
            }
            else {
                //  Mature by profit: ¥50m or more in both years
                revenue = s_range (rng, YI (2), YI (4) - 1);
                profit = s_range (rng, WAN (5000), WAN (8000));
            }
            growth1 = (int) s_range (rng, -500, 2500);
            growth2 = (int) s_range (rng, -500, 2500);
            x->staff = s_range (rng, 500, 5000);
            x->tech_bp = (int) s_range (rng, 1500, 3500);
            x->rnd_bp = (int) s_range (rng, 300, 800);
            x->high_tech_bp = (int) s_range (rng, 5000, 9000);
            x->round.round = s_chance (rng, 350) ? KJ__ROUND__ROUND_PRE_IPO
                           : s_chance (rng, 450) ? KJ__ROUND__ROUND_C_PLUS
                                                 : KJ__ROUND__ROUND_NONE;
            e->board_standard = s_chance (rng, 400);
            e->chain_leader = s_chance (rng, 250);
            break;
        case REGISTRY_STAGE_GROWTH: {
            x->age_days = s_range (rng, 37 * 31, 15 * 365);
            revenue = s_skewed (rng, WAN (2000), YI (3) + WAN (9000));
            margin_bp = (int) s_range (rng, -500, 1000);
            int reason = (int) s_range (rng, 0, 2);
            if (reason == 0) {
                growth1 = (int) s_range (rng, 2000, 6000);
                growth2 = (int) s_range (rng, 2000, 6000);
            }
            else {
                growth1 = (int) s_range (rng, -1000, 1800);
                growth2 = (int) s_range (rng, -1000, 1800);
            }
            x->staff = s_range (rng, 50, 800);
            x->tech_bp = (int) s_range (rng, 1200, 4500);
            x->rnd_bp = (int) s_range (rng, 300, 900);
            x->high_tech_bp = (int) s_range (rng, 4000, 9500);
            if (reason == 1) {
                //  Figures that earn 高企, which the growth rule counts
                x->rnd_bp = (int) s_range (rng, 520, 1200);
                x->high_tech_bp = (int) s_range (rng, 6500, 9500);
            }
            if (reason == 2)
                x->round.round = s_chance (rng, 600) ? KJ__ROUND__ROUND_B
                                                     : KJ__ROUND__ROUND_C_PLUS;
            else if (s_chance (rng, 300))
                x->round.round = KJ__ROUND__ROUND_A;
            break;
        }
        case REGISTRY_STAGE_STARTUP:
            x->age_days = s_range (rng, 13 * 31, 58 * 30);
            revenue = s_skewed (rng, WAN (30), WAN (1500));
            margin_bp = (int) s_range (rng, -3000, 800);
            growth1 = (int) s_range (rng, 2000, 10000);
            growth2 = (int) s_range (rng, 2000, 10000);
            x->staff = s_range (rng, 5, 120);
            x->tech_bp = (int) s_range (rng, 2500, 7000);
            x->rnd_bp = (int) s_range (rng, 500, 3000);
            x->high_tech_bp = (int) s_range (rng, 5000, 10000);
            x->round.round = s_chance (rng, 400)
                               ? KJ__ROUND__ROUND_NONE
                               : (Kj__Round) s_range (rng,
                                                      KJ__ROUND__ROUND_SEED,
                                                      KJ__ROUND__ROUND_A);
            x->resident = s_chance (rng, 250);
            break;
        default:  //  incubation
            x->age_days = s_range (rng, 2 * 31, 22 * 30);
            x->staff = s_range (rng, 2, 15);
            x->tech_bp = (int) s_range (rng, 4000, 9000);
            x->resident = s_chance (rng, 750);
            break;
    }
    int64_t founded = self->today - x->age_days;
    kj_date_t founded_on = s_date (founded);
    kj_check_date_format (founded_on, x->founded_on);
    e->founded_on = x->founded_on;

    //  Revenue and profit of the years the firm has existed: the latest
    //  full year is last year
    int latest = self->config.today.year - 1;
    x->years = 0;
    for (int k = 0; k < MAX_YEARS && latest - k >= founded_on.year; k++)
        x->years++;
    for (int k = 0; k < x->years; k++) {
        int64_t r = revenue;
        if (k >= 1)
            r = (int64_t) ((__int128) x->revenue [k - 1] * 10000
                           / (10000 + (k == 1 ? growth1 : growth2)));
        //  The founding year counts part of a year
        if (latest - k == founded_on.year)
            r = r * (13 - founded_on.month) / 12;
        x->revenue [k] = r;
        int64_t p = profit ? profit : s_bp (r, margin_bp);
        if (x->target == REGISTRY_STAGE_INCUBATION)
            p = -s_range (rng, WAN (20), WAN (200));
        x->net_profit [k] = p;
    }
    for (int k = x->years; k < MAX_YEARS; k++)
        x->revenue [k] = x->net_profit [k] = 0;

    if (x->round.round != KJ__ROUND__ROUND_NONE) {
        //  Closed between founding and today
        int64_t closed = founded + s_range (rng, 30, x->age_days - 1);
        kj_check_date_format (s_date (closed), x->closed_on);
        static const int64_t amounts [] = { 0,           WAN (100),
                                            WAN (500),   WAN (3000),
                                            WAN (10000), WAN (30000),
                                            WAN (80000) };
        x->round.amount_fen = amounts [x->round.round] * s_range (rng, 50, 200)
                            / 100;
    }
}

//  --------------------------------------------------------------------------
//  Figures rows of the years drawn.

static void
s_make_figures (s_rng_t *rng, registry_demo_t *self, s_enterprise_t *x)
{
    Kj__Enterprise *e = &x->enterprise;
    int latest = self->config.today.year - 1;
    for (int k = 0; k < x->years; k++) {
        Kj__YearFigures *f = &x->figures [k];
        kj__year_figures__init (f);
        f->year = latest - k;
        f->revenue_fen = x->revenue [k];
        f->net_profit_fen = x->net_profit [k];
        int64_t staff = x->staff * (100 - 5 * k) / 100;
        f->staff = (int32_t) (staff < 1 ? 1 : staff);
        f->tech_staff = (int32_t) s_bp (f->staff, x->tech_bp);
        if (x->target == REGISTRY_STAGE_INCUBATION)
            f->rnd_fen = s_range (rng, WAN (10), WAN (200));
        else
            f->rnd_fen = s_bp (f->revenue_fen, x->rnd_bp);
        int64_t cost = f->revenue_fen - f->net_profit_fen;
        f->total_cost_fen = cost < f->rnd_fen ? f->rnd_fen : cost;
        f->high_tech_revenue_fen = s_bp (f->revenue_fen, x->high_tech_bp);
        f->total_assets_fen = f->revenue_fen
                                ? s_bp (f->revenue_fen,
                                        s_range (rng, 6000, 20000))
                                : s_range (rng, WAN (50), WAN (500));
        f->operating_cash_flow_fen = f->net_profit_fen
                                   + s_bp (f->revenue_fen,
                                           s_range (rng, -500, 1000));
    }
    //  The message lists years in order, as the registry returns them
    for (int k = 0; k < x->years; k++)
        x->figure_ptrs [k] = &x->figures [x->years - 1 - k];
    e->figures = x->figure_ptrs;
    e->n_figures = (size_t) x->years;
}

//  --------------------------------------------------------------------------
//  Qualifications that the figures earn (with the share of eligible firms
//  that hold one), each expiring after today.

static void
s_qualify (s_enterprise_t *x, int kind, const char *expires)
{
    Kj__Enterprise *e = &x->enterprise;
    size_t n = e->n_qualifications;
    Kj__Qualification *q = &x->quals [n];
    kj__qualification__init (q);
    q->kind = (Kj__QualificationKind) kind;
    kj_strlcpy (x->expires [n], expires, sizeof x->expires [n]);
    q->expires_on = x->expires [n];
    x->qual_ptrs [n] = q;
    e->n_qualifications = n + 1;
}

static void
s_year_end (int year, char buf [11])
{
    kj_check_date_format ((kj_date_t){ year, 12, 31 }, buf);
}

static void
s_earn (registry_demo_t *self, s_rng_t *rng, s_enterprise_t *x,
        bool force_high_tech)
{
    Kj__Enterprise *e = &x->enterprise;
    e->qualifications = x->qual_ptrs;
    e->n_qualifications = 0;
    int year = self->config.today.year;
    char date [11];
    const Kj__YearFigures *f = x->years ? &x->figures [0] : NULL;
    int64_t revenue = f ? f->revenue_fen : 0;
    int64_t rnd_sum = 0, revenue_sum = 0;
    for (int k = 0; k < x->years; k++) {
        rnd_sum += x->figures [k].rnd_fen;
        revenue_sum += x->figures [k].revenue_fen;
    }
    bool rnd_3 = revenue > 0 && f->rnd_fen * 100 >= revenue * 3;
    bool grew_10 = x->years >= 2 && revenue * 10 >= x->revenue [1] * 11;

    //  高新技术企业 (Art. 11): a year old, core IP, tech staff >= 10%,
    //  R&D by revenue band, high-tech revenue >= 60%
    int threshold = revenue <= WAN (5000) ? 5 : revenue <= YI (2) ? 4 : 3;
    bool high_tech = x->age_days >= 366 && e->ip->invention_patents >= 1 && f
                  && f->staff && f->tech_staff * 10 >= f->staff
                  && revenue_sum > 0 && rnd_sum * 100 >= revenue_sum * threshold
                  && f->high_tech_revenue_fen * 10 >= revenue * 6;
    if (high_tech && (force_high_tech || s_chance (rng, 700))) {
        //  Granted in the last three years, valid three
        int64_t granted = self->today - s_range (rng, 30, 1000);
        kj_date_t g = s_date (granted);
        kj_check_date_format ((kj_date_t){ g.year + 3, g.month,
                                           g.month == 2 && g.day == 29
                                               ? 28
                                               : g.day },
                              date);
        s_qualify (x, KJ__QUALIFICATION_KIND__QUAL_HIGH_TECH, date);
    }
    //  科技型中小企业: the national grid on the latest year
    if (f) {
        registry_techsme_input_t input = registry_techsme_input (e, f);
        registry_techsme_result_t result;
        kj_status_t status;
        if (registry_techsme_evaluate (&input, &result, &status) == 0
            && result.eligible && s_chance (rng, 850)) {
            s_year_end (year, date);
            s_qualify (x, KJ__QUALIFICATION_KIND__QUAL_TECH_SME, date);
        }
    }
    bool innovative = rnd_3 && grew_10 && e->ip->invention_patents >= 1;
    if (innovative && s_chance (rng, 450)) {
        s_year_end (year + 2, date);
        s_qualify (x, KJ__QUALIFICATION_KIND__QUAL_INNOVATIVE_SME, date);
    }
    bool srdi = rnd_3 && revenue >= WAN (1000) && e->ip->invention_patents >= 1
             && x->age_days >= 2 * 365 && s_chance (rng, 300);
    if (srdi) {
        s_year_end (year + 2, date);
        s_qualify (x, KJ__QUALIFICATION_KIND__QUAL_SRDI, date);
    }
    bool rnd_3_both = rnd_3 && x->years >= 2 && x->figures [1].revenue_fen
                   && x->figures [1].rnd_fen * 100
                          >= x->figures [1].revenue_fen * 3;
    if (srdi && revenue >= YI (1) && rnd_3_both && e->ip->invention_patents >= 2
        && s_chance (rng, 350)) {
        s_year_end (year + 2, date);
        s_qualify (x, KJ__QUALIFICATION_KIND__QUAL_LITTLE_GIANT, date);
    }
    if (x->target == REGISTRY_STAGE_STARTUP && f && f->staff
        && f->tech_staff * 10 >= f->staff * 3 && f->rnd_fen * 10 >= revenue
        && s_chance (rng, 200)) {
        s_year_end (year + 1, date);
        s_qualify (x, KJ__QUALIFICATION_KIND__QUAL_EAGLET, date);
    }
    if (x->years == MAX_YEARS && revenue >= WAN (5000)
        && revenue * 100 >= x->revenue [2] * 144 && s_chance (rng, 400)) {
        s_year_end (year + 1, date);
        s_qualify (x, KJ__QUALIFICATION_KIND__QUAL_GAZELLE, date);
    }
    if (x->round.round >= KJ__ROUND__ROUND_C_PLUS && revenue >= YI (1)
        && s_chance (rng, 50)) {
        s_year_end (year + 1, date);
        s_qualify (x, KJ__QUALIFICATION_KIND__QUAL_UNICORN, date);
    }
    if (x->resident) {
        //  An incubation period of three to four years from founding
        int64_t until = self->today - x->age_days
                      + s_range (rng, 3 * 365, 4 * 365);
        if (until <= self->today)
            until = self->today + s_range (rng, 30, 365);
        kj_check_date_format (s_date (until), date);
        s_qualify (x, KJ__QUALIFICATION_KIND__QUAL_INCUBATOR_RESIDENT, date);
    }
    bool reserve = (x->target == REGISTRY_STAGE_MATURE && s_chance (rng, 600))
                || (x->target == REGISTRY_STAGE_GROWTH && revenue >= YI (1)
                    && s_chance (rng, 200));
    if (reserve) {
        s_year_end (year + 1, date);
        s_qualify (x, KJ__QUALIFICATION_KIND__QUAL_LISTING_RESERVE, date);
        e->listing_tutoring = x->target == REGISTRY_STAGE_MATURE
                           && s_chance (rng, 350);
    }
    (void) self;
}

//  --------------------------------------------------------------------------
//  The stage, as the registry computes it from the message.

static registry_stage_t
s_classify (registry_demo_t *self, s_enterprise_t *x)
{
    Kj__Enterprise *e = &x->enterprise;
    registry_stage_input_t input = {
        .evaluated_on = self->config.today,
        .revenue_fen = x->revenue [0],
        .revenue_prev_fen = x->revenue [1],
        .revenue_prev2_fen = x->revenue [2],
        .net_profit_fen = x->net_profit [0],
        .net_profit_prev_fen = x->net_profit [1],
        .listing_tutoring = e->listing_tutoring,
        .board_standard = e->board_standard,
        .round = (registry_round_t) (e->n_rounds ? e->rounds [0]->round : 0),
    };
    input.founded_on = s_date (self->today - x->age_days);
    for (size_t q = 0; q < e->n_qualifications; q++)
        switch (e->qualifications [q]->kind) {
            case KJ__QUALIFICATION_KIND__QUAL_HIGH_TECH:
                input.high_tech = true;
                break;
            case KJ__QUALIFICATION_KIND__QUAL_SRDI:
                input.srdi = true;
                break;
            case KJ__QUALIFICATION_KIND__QUAL_LITTLE_GIANT:
                input.little_giant = true;
                break;
            case KJ__QUALIFICATION_KIND__QUAL_INCUBATOR_RESIDENT:
                input.incubator_resident = true;
                break;
            default:
                break;
        }
    registry_stage_result_t result;
    kj_status_t status;
    if (registry_stage_classify (&self->rules, &input, &result, &status))
        return REGISTRY_STAGE_UNKNOWN;
    kj__stage_info__init (&x->stage);
    x->stage.stage = (Kj__Stage) result.stage;
    x->stage.computed = (Kj__Stage) result.stage;
    kj_strlcpy (x->rule, result.rule, sizeof x->rule);
    kj_strlcpy (x->reason, result.reason, sizeof x->reason);
    kj_strlcpy (x->version, result.version, sizeof x->version);
    x->stage.rule = x->rule;
    x->stage.reason = x->reason;
    x->stage.version = x->version;
    x->stage.needs_review = result.needs_review;
    e->stage = &x->stage;
    return result.stage;
}

//  The tech-SME grid on the latest year, into the message.
static void
s_techsme (s_enterprise_t *x)
{
    Kj__Enterprise *e = &x->enterprise;
    e->techsme = NULL;
    if (!x->years)
        return;
    const Kj__YearFigures *f = &x->figures [0];
    registry_techsme_input_t input = registry_techsme_input (e, f);
    registry_techsme_result_t result;
    kj_status_t status;
    if (registry_techsme_evaluate (&input, &result, &status))
        return;
    kj_strlcpy (x->techsme_reason, result.reason, sizeof x->techsme_reason);
    registry_techsme_message (&result, f->year, x->techsme_reason, &x->techsme);
    e->techsme = &x->techsme;
}

//  --------------------------------------------------------------------------
//  Enterprise i.

static const s_region_t *
s_pick_region (s_rng_t *rng, int64_t index)
{
    //  The first fifteen cover every region, whatever the count
    if (index < (int64_t) REGIONS)
        return &s_regions [index];
    int64_t draw = s_range (rng, 0, 999);
    for (size_t r = 0; r < REGIONS; r++) {
        if (draw < s_regions [r].weight)
            return &s_regions [r];
        draw -= s_regions [r].weight;
    }
    return &s_regions [0];
}

static registry_stage_t
s_pick_stage (s_rng_t *rng)
{
    int64_t draw = s_range (rng, 0, 999);
    return draw < 200 ? REGISTRY_STAGE_INCUBATION
         : draw < 550 ? REGISTRY_STAGE_STARTUP
         : draw < 900 ? REGISTRY_STAGE_GROWTH
                      : REGISTRY_STAGE_MATURE;
}

const Kj__Enterprise *
registry_demo_enterprise (registry_demo_t *self, int64_t index)
{
    assert (index >= 0 && index < self->config.enterprises);
    s_enterprise_t *x = &self->e;
    memset (x, 0, sizeof *x);
    s_rng_t rng = { self->config.seed * UINT64_C (0x9E3779B97F4A7C15)
                    ^ (uint64_t) index * UINT64_C (0xD1B54A32D192ED03) };
    s_next (&rng);
    const s_region_t *region = s_pick_region (&rng, index);
    x->target = s_pick_stage (&rng);
    size_t trade = (size_t) s_range (&rng, 0, TRADES - 1);

    Kj__Enterprise *e = &x->enterprise;
    kj__enterprise__init (e);
    kj__credit_flags__init (&x->credit);
    kj__ip_assets__init (&x->ip);
    kj__equity_round__init (&x->round);
    e->credit = &x->credit;
    e->ip = &x->ip;
    e->code = x->code;
    e->name = x->name;
    e->region = (char *) kj_region_info (region->region)->code;
    e->industry = (char *) s_trades [trade].industry;

    //  Credit standing, the same whatever the draw
    x->credit.dishonest = s_chance (&rng, 3);
    x->credit.abnormal = s_chance (&rng, 10);
    int64_t grade = s_range (&rng, 0, 99);
    x->tax_grade [0] = grade < 40 ? 'A'
                     : grade < 75 ? 'B'
                     : grade < 90 ? 'M'
                     : grade < 95 ? 'C'
                     : grade < 96 ? 'D'
                                  : 0;
    x->credit.tax_grade = x->tax_grade;
    int64_t status = s_range (&rng, 0, 99);
    e->status = status < 92 ? KJ__ENTRY_STATUS__ENTRY_ACTIVE
              : status < 95 ? KJ__ENTRY_STATUS__ENTRY_SUBMITTED
              : status < 97 ? KJ__ENTRY_STATUS__ENTRY_DRAFT
              : status < 98 ? KJ__ENTRY_STATUS__ENTRY_CITY_APPROVED
              : status < 99 ? KJ__ENTRY_STATUS__ENTRY_PUBLICIZED
                            : KJ__ENTRY_STATUS__ENTRY_SUSPENDED;

    registry_stage_t stage = REGISTRY_STAGE_UNKNOWN;
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        s_draw (self, &rng, x);
        //  IP by stage
        switch (x->target) {
            case REGISTRY_STAGE_MATURE:
                x->ip.invention_patents = (int32_t) s_range (&rng, 20, 300);
                x->ip.class2_ip = (int32_t) s_range (&rng, 50, 500);
                break;
            case REGISTRY_STAGE_GROWTH:
                x->ip.invention_patents = s_chance (&rng, 850)
                                            ? (int32_t) s_range (&rng, 2, 60)
                                            : 0;
                x->ip.class2_ip = (int32_t) s_range (&rng, 5, 100);
                break;
            case REGISTRY_STAGE_STARTUP:
                x->ip.invention_patents = s_chance (&rng, 500)
                                            ? (int32_t) s_range (&rng, 1, 8)
                                            : 0;
                x->ip.class2_ip = (int32_t) s_range (&rng, 0, 20);
                break;
            default:
                x->ip.invention_patents = s_chance (&rng, 300)
                                            ? (int32_t) s_range (&rng, 1, 2)
                                            : 0;
                x->ip.class2_ip = (int32_t) s_range (&rng, 0, 5);
                break;
        }
        if (x->target == REGISTRY_STAGE_GROWTH && x->rnd_bp >= 520
            && x->high_tech_bp >= 6500 && x->ip.invention_patents == 0)
            x->ip.invention_patents = (int32_t) s_range (&rng, 1, 10);
        int32_t ip = x->ip.invention_patents + x->ip.class2_ip;
        x->ip.pledged_ip = ip && s_chance (&rng, 80)
                             ? (int32_t) s_range (&rng, 1, ip < 5 ? ip : 5)
                             : 0;
        if (x->round.round != KJ__ROUND__ROUND_NONE) {
            x->round.closed_on = x->closed_on;
            x->round_ptr = &x->round;
            e->rounds = &x->round_ptr;
            e->n_rounds = 1;
        }
        else {
            e->rounds = NULL;
            e->n_rounds = 0;
        }
        s_make_figures (&rng, self, x);
        bool force = x->target == REGISTRY_STAGE_GROWTH && x->rnd_bp >= 520
                  && x->high_tech_bp >= 6500;
        s_earn (self, &rng, x, force);
        stage = s_classify (self, x);
        if (stage == x->target)
            break;
        self->stats.retries++;
    }
    s_techsme (x);

    //  Size class (工信部 thresholds for industry): staff and revenue
    int64_t staff = x->years ? x->figures [0].staff : x->staff;
    int64_t revenue = x->revenue [0];
    e->size_class = staff >= 1000 && revenue >= YI (4)
                      ? KJ__SIZE_CLASS__SIZE_LARGE
                  : staff >= 300 && revenue >= WAN (2000)
                      ? KJ__SIZE_CLASS__SIZE_MEDIUM
                  : staff >= 20 && revenue >= WAN (300)
                      ? KJ__SIZE_CLASS__SIZE_SMALL
                      : KJ__SIZE_CLASS__SIZE_MICRO;

    s_make_code (self, &rng, index, region, self->today - x->age_days, x->code);
    //  沈阳 + 华信 + 智能装备 + 有限公司
    const char *suffix = x->target == REGISTRY_STAGE_MATURE
                              && s_chance (&rng, 600)
                           ? "股份有限公司"
                       : s_chance (&rng, 150) ? "有限责任公司"
                                              : "有限公司";
    snprintf (x->name, sizeof x->name, "%s%s%s%s%s", region->name,
              s_name_chars [s_range (&rng, 0, NAME_CHARS - 1)],
              s_name_chars [s_range (&rng, 0, NAME_CHARS - 1)],
              s_trades [trade].word, suffix);
    return e;
}

void
registry_demo_enterprises (registry_demo_t *self, registry_csv_row_fn *fn,
                           void *arg)
{
    for (int64_t index = 0; index < self->config.enterprises; index++) {
        const Kj__Enterprise *e = registry_demo_enterprise (self, index);
        registry_csv_row_t row = { .kind = REGISTRY_CSV_ENTERPRISES,
                                   .enterprise = e };
        fn (&row, arg);
        for (size_t k = 0; k < e->n_figures; k++) {
            registry_csv_row_t figures = { .kind = REGISTRY_CSV_FIGURES,
                                           .code = e->code,
                                           .figures = e->figures [k] };
            fn (&figures, arg);
        }
        self->stats.enterprises++;
        self->stats.figures += (int64_t) e->n_figures;
        self->stats.by_stage [e->stage ? e->stage->stage : 0]++;
        kj_region_t region = kj_region_by_code (e->region);
        if (strcmp (e->region, KJ_REGION_SHENFU_CODE) == 0)
            region = KJ_REGION_SHENFU;
        self->stats.by_region [region]++;
        for (size_t q = 0; q < e->n_qualifications; q++)
            self->stats.qualifications [e->qualifications [q]->kind]++;
    }
}

//  --------------------------------------------------------------------------
//  Institutions: 40 of every type, with the regions they serve

typedef struct {
    const char *id;
    const char *name;
    Kj__InstitutionType type;
    const char *regions [4];
    const char *contact;
} s_institution_t;

#define T(x) KJ__INSTITUTION_TYPE__INSTITUTION_##x
static const s_institution_t s_institutions [] = {
    { "DEMO-BANK-01",
      "辽宁科创银行",
      T (BANK),
      { "PROVINCE" },
      "024-2251-0001" },
    { "DEMO-BANK-02",
      "沈阳盛融银行",
      T (BANK),
      { "SHENYANG_METRO" },
      "024-2251-0002" },
    { "DEMO-BANK-03",
      "大连滨海银行",
      T (BANK),
      { "210200" },
      "0411-8250-0003" },
    { "DEMO-BANK-04",
      "鞍山钢城银行",
      T (BANK),
      { "210300", "211000" },
      "0412-250-0004" },
    { "DEMO-BANK-05",
      "营口港城银行",
      T (BANK),
      { "210800", "211100" },
      "0417-250-0005" },
    { "DEMO-BANK-06",
      "锦州渤海农村商业银行",
      T (BANK),
      { "210700", "211400" },
      "0416-250-0006" },
    { "DEMO-BANK-07",
      "丹东鸭绿江银行",
      T (BANK),
      { "210600" },
      "0415-250-0007" },
    { "DEMO-BANK-08", "盘锦辽河银行", T (BANK), { "211100" }, "0427-250-0008" },
    { "DEMO-BANK-09",
      "辽北农村商业银行",
      T (BANK),
      { "211200", "210900" },
      "024-7250-0009" },
    { "DEMO-BANK-10",
      "辽西农村商业银行",
      T (BANK),
      { "211300", "211400" },
      "0421-250-0010" },
    { "DEMO-BANK-11",
      "抚顺沈抚村镇银行",
      T (BANK),
      { "210400", "SFDZ" },
      "024-5250-0011" },
    { "DEMO-BANK-12",
      "本溪辽阳联合银行",
      T (BANK),
      { "210500", "211000" },
      "024-4250-0012" },
    { "DEMO-GUAR-01",
      "辽宁省科技融资担保集团",
      T (GUARANTEE),
      { "PROVINCE" },
      "024-2252-0001" },
    { "DEMO-GUAR-02",
      "沈阳科技融资担保有限公司",
      T (GUARANTEE),
      { "210100", "SFDZ" },
      "024-2252-0002" },
    { "DEMO-GUAR-03",
      "大连科技融资担保有限公司",
      T (GUARANTEE),
      { "210200" },
      "0411-8252-0003" },
    { "DEMO-GUAR-04",
      "沈抚示范区融资担保有限公司",
      T (GUARANTEE),
      { "SFDZ", "210400" },
      "024-5252-0004" },
    { "DEMO-GUAR-05",
      "辽西融资再担保有限公司",
      T (GUARANTEE),
      { "211300", "211400", "210700" },
      "0421-252-0005" },
    { "DEMO-ANGEL-01",
      "辽宁天使投资引导基金",
      T (ANGEL_FUND),
      { "PROVINCE" },
      "024-2253-0001" },
    { "DEMO-ANGEL-02",
      "沈阳创新天使投资基金",
      T (ANGEL_FUND),
      { "SHENYANG_METRO" },
      "024-2253-0002" },
    { "DEMO-ANGEL-03",
      "大连星海天使投资基金",
      T (ANGEL_FUND),
      { "210200" },
      "0411-8253-0003" },
    { "DEMO-VC-01",
      "辽宁科技创业投资有限公司",
      T (VC),
      { "PROVINCE" },
      "024-2254-0001" },
    { "DEMO-VC-02",
      "沈阳浑南创业投资有限公司",
      T (VC),
      { "210100", "SFDZ" },
      "024-2254-0002" },
    { "DEMO-VC-03",
      "大连高新创业投资有限公司",
      T (VC),
      { "210200" },
      "0411-8254-0003" },
    { "DEMO-VC-04",
      "鞍钢产业创业投资有限公司",
      T (VC),
      { "210300", "211000" },
      "0412-254-0004" },
    { "DEMO-PE-01",
      "辽宁产业转型升级股权投资基金",
      T (PE),
      { "PROVINCE" },
      "024-2255-0001" },
    { "DEMO-PE-02",
      "东北振兴私募股权投资基金",
      T (PE),
      { "PROVINCE" },
      "024-2255-0002" },
    { "DEMO-PE-03",
      "沈阳都市圈协同发展基金",
      T (PE),
      { "SHENYANG_METRO" },
      "024-2255-0003" },
    { "DEMO-INS-01",
      "北方科技保险股份有限公司辽宁分公司",
      T (INSURER),
      { "PROVINCE" },
      "024-2256-0001" },
    { "DEMO-INS-02",
      "渤海财产保险大连分公司",
      T (INSURER),
      { "210200" },
      "0411-8256-0002" },
    { "DEMO-INS-03",
      "盛京财产保险股份有限公司",
      T (INSURER),
      { "SHENYANG_METRO" },
      "024-2256-0003" },
    { "DEMO-LEASE-01",
      "沈阳装备融资租赁有限公司",
      T (LEASING),
      { "SHENYANG_METRO" },
      "024-2257-0001" },
    { "DEMO-LEASE-02",
      "大连船舶融资租赁有限公司",
      T (LEASING),
      { "210200", "210800" },
      "0411-8257-0002" },
    { "DEMO-LEASE-03",
      "辽宁科技融资租赁有限公司",
      T (LEASING),
      { "PROVINCE" },
      "024-2257-0003" },
    { "DEMO-FACT-01",
      "沈阳供应链商业保理有限公司",
      T (FACTORING),
      { "210100", "SFDZ" },
      "024-2258-0001" },
    { "DEMO-FACT-02",
      "大连港航商业保理有限公司",
      T (FACTORING),
      { "210200" },
      "0411-8258-0002" },
    { "DEMO-LOAN-01",
      "沈阳浑南科技小额贷款有限公司",
      T (SMALL_LOAN),
      { "210100" },
      "024-2259-0001" },
    { "DEMO-LOAN-02",
      "大连高新区科技小额贷款有限公司",
      T (SMALL_LOAN),
      { "210200" },
      "0411-8259-0002" },
    { "DEMO-LOAN-03",
      "营口自贸区小额贷款有限公司",
      T (SMALL_LOAN),
      { "210800" },
      "0417-259-0003" },
    { "DEMO-SEC-01",
      "辽宁北方证券股份有限公司",
      T (SECURITIES),
      { "PROVINCE" },
      "024-2260-0001" },
    { "DEMO-EQEX-01",
      "辽宁股权交易中心",
      T (EQUITY_EXCHANGE),
      { "PROVINCE" },
      "024-2261-0001" },
};
#undef T
#define INSTITUTIONS (sizeof s_institutions / sizeof s_institutions [0])

static size_t
s_region_count (const char *const *regions)
{
    size_t n = 0;
    while (n < 4 && regions [n])
        n++;
    return n;
}

void
registry_demo_institutions (registry_demo_t *self, registry_csv_row_fn *fn,
                            void *arg)
{
    for (size_t i = 0; i < INSTITUTIONS; i++) {
        const s_institution_t *s = &s_institutions [i];
        Kj__Institution institution;
        kj__institution__init (&institution);
        institution.id = (char *) s->id;
        institution.name = (char *) s->name;
        institution.type = s->type;
        institution.regions = (char **) s->regions;
        institution.n_regions = s_region_count (s->regions);
        institution.contact = (char *) s->contact;
        registry_csv_row_t row = { .kind = REGISTRY_CSV_INSTITUTIONS,
                                   .institution = &institution };
        fn (&row, arg);
    }
    (void) self;
}

//  --------------------------------------------------------------------------
//  Products: 100 of every type. Each institution offers the products of
//  its kind of business, on the templates below, in the regions it
//  serves; the policy's named products go to the banks.

typedef struct {
    Kj__ProductType type;
    const char *name;                //  printf: %s is the institution
    int64_t min_amount, max_amount;  //  fen
    int min_term, max_term;          //  months
    int rate_bp;
    Kj__Collateral collateral [2];
    Kj__Stage stages [4];
    Kj__QualificationKind quals [2];
    Kj__QualificationKind any_quals [4];
    const char *min_grade;
    const char *description;
} s_template_t;

#define P(x) KJ__PRODUCT_TYPE__PRODUCT_##x
#define C(x) KJ__COLLATERAL__COLLATERAL_##x
#define S(x) KJ__STAGE__STAGE_##x
#define Q(x) KJ__QUALIFICATION_KIND__QUAL_##x

static const s_template_t s_liankedai = {
    P (GUARANTEED),
    "辽科贷（%s）",
    WAN (50),
    WAN (1000),
    6,
    36,
    385,
    { C (GUARANTEE) },
    { S (STARTUP), S (GROWTH) },
    { 0 },
    { Q (TECH_SME), Q (HIGH_TECH), Q (SRDI) },
    "",
    "省级科技信贷产品：科技型企业凭资质申请，科技担保增信，银担分险，"
    "省级风险补偿资金兜底"
};
static const s_template_t s_lianzhidai = {
    P (IP_PLEDGE),
    "辽知贷（%s）",
    WAN (30),
    WAN (600),
    3,
    12,
    365,
    { C (IP) },
    { S (STARTUP), S (GROWTH), S (MATURE) },
    { 0 },
    { Q (TECH_SME), Q (HIGH_TECH) },
    "",
    "知识产权质押融资：中小企业单笔不超过600万元、微型企业不超过200万元，"
    "期限不超过一年，质押专利部分纳入风险补偿"
};
static const s_template_t s_jinxindai = {
    P (CREDIT),
    "金信贷（%s）",
    WAN (10),
    WAN (300),
    1,
    12,
    395,
    { 0 },
    { S (STARTUP), S (GROWTH), S (MATURE) },
    { 0 },
    { 0 },
    "A",
    "金信贷专区：依据企业创新积分和信用画像批量预授信，纯信用、免抵押、"
    "线上申请"
};
static const s_template_t s_bank_templates [] = {
    { P (FIRST_LOAN),
      "%s科创首贷",
      WAN (10),
      WAN (300),
      6,
      12,
      345,
      { 0 },
      { S (INCUBATION), S (STARTUP), S (GROWTH) },
      { 0 },
      { 0 },
      "",
      "首次贷款企业专享：首贷中心贴息，创业类首贷快速审批" },
    { P (RENEWAL),
      "%s无还本续贷",
      WAN (50),
      WAN (2000),
      12,
      36,
      370,
      { 0 },
      { S (STARTUP), S (GROWTH), S (MATURE) },
      { 0 },
      { 0 },
      "",
      "到期前申请，符合条件的小微企业无需先还本即可续贷" },
    { P (IP_PLEDGE),
      "%s知识产权质押贷",
      WAN (50),
      WAN (3000),
      6,
      36,
      390,
      { C (IP) },
      { S (STARTUP), S (GROWTH), S (MATURE) },
      { 0 },
      { 0 },
      "",
      "以专利权、商标权质押，银行内部评估与第三方评估结合" },
    { P (CREDIT),
      "%s科技信用贷",
      WAN (20),
      WAN (500),
      3,
      12,
      410,
      { 0 },
      { S (STARTUP), S (GROWTH) },
      { 0 },
      { Q (HIGH_TECH), Q (TECH_SME), Q (SRDI), Q (LITTLE_GIANT) },
      "B",
      "纯信用贷款，凭高企、科技型中小企业或专精特新资质申请" },
    { P (INVEST_LOAN_LINKAGE),
      "%s投贷联动",
      WAN (500),
      WAN (5000),
      12,
      60,
      380,
      { 0 },
      { S (STARTUP), S (GROWTH) },
      { 0 },
      { 0 },
      "",
      "与合作创投机构联动，股权投资到位后按比例配套贷款" },
};

static const s_template_t s_guarantee_templates [] = {
    { P (GUARANTEED),
      "%s创业担保贷",
      WAN (30),
      WAN (1000),
      6,
      36,
      420,
      { C (GUARANTEE) },
      { S (INCUBATION), S (STARTUP), S (GROWTH) },
      { 0 },
      { 0 },
      "",
      "创业类贷款担保，担保费率不高于1%，银担分险" },
    { P (BOND),
      "%s科创票据增信",
      WAN (5000),
      YI (5),
      36,
      60,
      300,
      { C (GUARANTEE) },
      { S (GROWTH), S (MATURE) },
      { Q (HIGH_TECH) },
      { 0 },
      "AA",
      "为科创票据、科技创新债券提供担保增信" },
};
static const s_template_t s_angel_templates [] = {
    { P (EQUITY),
      "%s天使投资",
      WAN (50),
      WAN (500),
      36,
      96,
      0,
      { 0 },
      { S (INCUBATION), S (STARTUP) },
      { 0 },
      { 0 },
      "",
      "投早、投小、投硬科技，种子轮与天使轮股权投资" },
    { P (EQUITY),
      "%s大赛优胜企业专项投资",
      WAN (100),
      WAN (1000),
      36,
      96,
      0,
      { 0 },
      { S (INCUBATION), S (STARTUP) },
      { 0 },
      { 0 },
      "",
      "面向国家和省级创新创业大赛获奖企业的定制股权投资" },
};
static const s_template_t s_vc_templates [] = {
    { P (EQUITY),
      "%s成长基金",
      WAN (500),
      WAN (5000),
      48,
      96,
      0,
      { 0 },
      { S (STARTUP), S (GROWTH) },
      { 0 },
      { 0 },
      "",
      "A轮至C轮股权投资，配套投后增值服务" },
    { P (INVEST_LOAN_LINKAGE),
      "%s投贷联动计划",
      WAN (300),
      WAN (3000),
      12,
      48,
      400,
      { 0 },
      { S (STARTUP), S (GROWTH) },
      { 0 },
      { 0 },
      "",
      "股权投资与合作银行贷款联动，外部直投加贷款" },
};
static const s_template_t s_pe_templates [] = {
    { P (EQUITY),
      "%s产业并购投资",
      WAN (5000),
      YI (5),
      36,
      84,
      0,
      { 0 },
      { S (GROWTH), S (MATURE) },
      { 0 },
      { 0 },
      "",
      "链主企业并购重组、技术改造与产业升级股权投资" },
    { P (EQUITY),
      "%s上市前投资",
      WAN (3000),
      YI (3),
      24,
      60,
      0,
      { 0 },
      { S (MATURE) },
      { 0 },
      { Q (LISTING_RESERVE) },
      "",
      "面向上市后备企业的Pre-IPO投资" },
};
static const s_template_t s_insurer_templates [] = {
    { P (TECH_INSURANCE),
      "%s首台套保险",
      WAN (500),
      YI (1),
      12,
      12,
      0,
      { 0 },
      { S (GROWTH), S (MATURE) },
      { 0 },
      { 0 },
      "",
      "首台（套）重大技术装备、首批次新材料质量与责任保险" },
    { P (TECH_INSURANCE),
      "%s研发费用损失保险",
      WAN (100),
      WAN (2000),
      12,
      12,
      0,
      { 0 },
      { S (STARTUP), S (GROWTH) },
      { 0 },
      { 0 },
      "",
      "科技型企业研发中断、失败费用损失保险" },
};
static const s_template_t s_leasing_templates [] = {
    { P (LEASING),
      "%s设备融资租赁",
      WAN (100),
      WAN (5000),
      12,
      60,
      520,
      { 0 },
      { S (GROWTH), S (MATURE) },
      { 0 },
      { 0 },
      "",
      "高端装备直租与售后回租" },
    { P (LEASING),
      "%s知识产权融资租赁",
      WAN (100),
      WAN (2000),
      12,
      36,
      560,
      { C (IP) },
      { S (STARTUP), S (GROWTH) },
      { 0 },
      { 0 },
      "",
      "以专利等无形资产售后回租" },
};
static const s_template_t s_factoring_templates [] = {
    { P (FACTORING),
      "%s应收账款保理",
      WAN (50),
      WAN (2000),
      3,
      12,
      600,
      { C (RECEIVABLES) },
      { S (STARTUP), S (GROWTH), S (MATURE) },
      { 0 },
      { 0 },
      "",
      "链主企业上游供应商应收账款保理" },
    { P (FACTORING),
      "%s订单融资",
      WAN (30),
      WAN (1000),
      3,
      6,
      650,
      { C (RECEIVABLES) },
      { S (STARTUP), S (GROWTH) },
      { 0 },
      { 0 },
      "",
      "凭核心企业订单融资" },
};
static const s_template_t s_loan_templates [] = {
    { P (FIRST_LOAN),
      "%s创业首贷",
      WAN (5),
      WAN (100),
      3,
      12,
      600,
      { 0 },
      { S (INCUBATION), S (STARTUP) },
      { 0 },
      { Q (INCUBATOR_RESIDENT), Q (EAGLET), Q (TECH_SME) },
      "",
      "孵化器在孵企业、雏鹰企业创业首贷" },
};
static const s_template_t s_securities_templates [] = {
    { P (BOND),
      "%s科技创新债券承销",
      YI (1),
      YI (10),
      36,
      60,
      0,
      { 0 },
      { S (GROWTH), S (MATURE) },
      { Q (HIGH_TECH) },
      { 0 },
      "AA",
      "科技创新债、科创票据承销" },
};
static const s_template_t s_exchange_templates [] = {
    { P (EQUITY),
      "%s专精特新板挂牌融资",
      WAN (100),
      WAN (3000),
      12,
      60,
      0,
      { 0 },
      { S (STARTUP), S (GROWTH) },
      { 0 },
      { Q (SRDI), Q (INNOVATIVE_SME), Q (LITTLE_GIANT) },
      "",
      "专精特新板挂牌、股权登记托管与定向融资" },
};
#undef P
#undef C
#undef S
#undef Q

//  Short name of an institution for product names: up to its first
//  word of kind ("辽宁科创银行" -> "辽宁科创银行", "沈阳科技融资担保有限公司"
//  -> "沈阳科技融资担保").
static void
s_short_name (const char *name, char *buf, size_t size)
{
    kj_strlcpy (buf, name, size);
    static const char *cut [] = { "有限公司", "股份有限公司", "集团" };
    for (size_t i = 0; i < 3; i++) {
        char *at = strstr (buf, cut [i]);
        if (at && at != buf)
            *at = 0;
    }
}

static size_t
s_enum_count (const int *values, size_t max)
{
    size_t n = 0;
    while (n < max && values [n])
        n++;
    return n;
}

static void
s_emit_product (const s_institution_t *institution, const s_template_t *t,
                int number, registry_csv_row_fn *fn, void *arg)
{
    char id [24], name [200], short_name [128], valid_to [11] = "";
    snprintf (id, sizeof id, "DEMO-P%03d", number);
    s_short_name (institution->name, short_name, sizeof short_name);
    snprintf (name, sizeof name, t->name, short_name);
    //  Every third product runs to the end of 2027; the others are open
    if (number % 3 == 0)
        kj_strlcpy (valid_to, "2027-12-31", sizeof valid_to);
    Kj__Product product;
    kj__product__init (&product);
    product.id = id;
    product.institution_id = (char *) institution->id;
    product.name = name;
    product.type = t->type;
    product.min_amount_fen = t->min_amount;
    product.max_amount_fen = t->max_amount;
    product.min_term_months = t->min_term;
    product.max_term_months = t->max_term;
    product.rate_bp = t->rate_bp;
    product.collateral = (Kj__Collateral *) t->collateral;
    product.n_collateral = s_enum_count ((const int *) t->collateral, 2);
    product.stages = (Kj__Stage *) t->stages;
    product.n_stages = s_enum_count ((const int *) t->stages, 4);
    product.qualifications = (Kj__QualificationKind *) t->quals;
    product.n_qualifications = s_enum_count ((const int *) t->quals, 2);
    product.any_qualifications = (Kj__QualificationKind *) t->any_quals;
    product.n_any_qualifications = s_enum_count ((const int *) t->any_quals, 4);
    product.min_grade = (char *) t->min_grade;
    product.regions = (char **) institution->regions;
    product.n_regions = s_region_count (institution->regions);
    product.valid_from = "2024-01-01";
    product.valid_to = valid_to;
    product.description = (char *) t->description;
    registry_csv_row_t row = { .kind = REGISTRY_CSV_PRODUCTS,
                               .product = &product };
    fn (&row, arg);
}

void
registry_demo_products (registry_demo_t *self, registry_csv_row_fn *fn,
                        void *arg)
{
    //  100 in all: a bank has a first loan, a renewal and an IP pledge
    //  loan, one of the named provincial products, and some a credit loan
    //  or investment-loan linkage; other institutions one or two products
    //  of their business
    int number = 0;
    for (size_t i = 0; i < INSTITUTIONS; i++) {
        const s_institution_t *s = &s_institutions [i];
        const s_template_t *templates = NULL;
        size_t first = 0, count = 0;
        switch (s->type) {
            case KJ__INSTITUTION_TYPE__INSTITUTION_BANK:
                templates = s_bank_templates;
                count = 3;
                if (i % 3 == 0)
                    s_emit_product (s, &s_bank_templates [3], ++number, fn,
                                    arg);
                if (i % 4 == 0)
                    s_emit_product (s, &s_bank_templates [4], ++number, fn,
                                    arg);
                s_emit_product (s,
                                i % 3 == 0   ? &s_liankedai
                                : i % 3 == 1 ? &s_lianzhidai
                                             : &s_jinxindai,
                                ++number, fn, arg);
                break;
            case KJ__INSTITUTION_TYPE__INSTITUTION_GUARANTEE:
                templates = s_guarantee_templates;
                //  The re-guarantor does not issue bond enhancement
                count = strcmp (s->id, "DEMO-GUAR-05") == 0 ? 1 : 2;
                break;
            case KJ__INSTITUTION_TYPE__INSTITUTION_ANGEL_FUND:
                templates = s_angel_templates;
                count = 2;
                break;
            case KJ__INSTITUTION_TYPE__INSTITUTION_VC:
                templates = s_vc_templates;
                count = 2;
                break;
            case KJ__INSTITUTION_TYPE__INSTITUTION_PE:
                templates = s_pe_templates;
                count = 2;
                break;
            case KJ__INSTITUTION_TYPE__INSTITUTION_INSURER:
                templates = s_insurer_templates;
                count = 2;
                break;
            case KJ__INSTITUTION_TYPE__INSTITUTION_LEASING:
                templates = s_leasing_templates;
                first = i % 2;
                count = 1;
                break;
            case KJ__INSTITUTION_TYPE__INSTITUTION_FACTORING:
                templates = s_factoring_templates;
                first = i % 2;
                count = 1;
                break;
            case KJ__INSTITUTION_TYPE__INSTITUTION_SMALL_LOAN:
                templates = s_loan_templates;
                count = 1;
                break;
            case KJ__INSTITUTION_TYPE__INSTITUTION_SECURITIES:
                templates = s_securities_templates;
                count = 1;
                break;
            case KJ__INSTITUTION_TYPE__INSTITUTION_EQUITY_EXCHANGE:
                templates = s_exchange_templates;
                count = 1;
                break;
            default:
                break;
        }
        for (size_t t = first; t < first + count; t++)
            s_emit_product (s, &templates [t], ++number, fn, arg);
    }
    assert (number == 100);
    (void) self;
}
