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

    Split: this file draws enterprises (randomness, regions, names, codes);
    registry_demo_figures.c their figures, qualifications, stage and
    tech-SME score; registry_demo_market.c institutions and products.
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
#include "registry_demo_private.h"
#include "registry_techsme.h"
#include "registry_uscc.h"

//  --------------------------------------------------------------------------
//  Randomness

static uint64_t
s_next (registry_demo_rng_t *rng)
{
    uint64_t z = (rng->state += UINT64_C (0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C (0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C (0x94D049BB133111EB);
    return z ^ (z >> 31);
}

//  Uniform in [lo, hi].
int64_t
registry_demo_range (registry_demo_rng_t *rng, int64_t lo, int64_t hi)
{
    assert (hi >= lo);
    uint64_t span = (uint64_t) (hi - lo) + 1;
    return lo + (int64_t) (((unsigned __int128) s_next (rng) * span) >> 64);
}

//  In [lo, hi], small values more likely (cube of a uniform draw), as
//  firm sizes are.
static int64_t
s_skewed (registry_demo_rng_t *rng, int64_t lo, int64_t hi)
{
    int64_t t = registry_demo_range (rng, 0, 1000);
    __int128 cube = (__int128) t * t * t;
    return lo + (int64_t) ((__int128) (hi - lo) * cube / 1000000000);
}

bool
registry_demo_chance (registry_demo_rng_t *rng, int per_mille)
{
    return registry_demo_range (rng, 0, 999) < per_mille;
}

//  value * bp / 10000, rounded down.
int64_t
registry_demo_bp (int64_t value, int64_t bp)
{
    return (int64_t) ((__int128) value * bp / 10000);
}

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
    registry_demo_rng_t rng = { config->seed ^ UINT64_C (0x5DEECE66D) };
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
s_make_code (registry_demo_t *self, registry_demo_rng_t *rng, int64_t index,
             const s_region_t *region, int64_t founded, char *code)
{
    //  The zone's districts all qualify; a city registers 40% of its firms
    //  at the city's own market regulation bureau (code xx00)
    int districts = 0;
    while (districts < 14 && region->districts [districts])
        districts++;
    const char *district =
        region->region == KJ_REGION_SHENFU
            ? region->districts [registry_demo_range (rng, 0, districts - 1)]
        : registry_demo_chance (rng, 400)
            ? region->districts [0]
            : region->districts [registry_demo_range (rng, 1, districts - 1)];
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
s_draw (registry_demo_t *self, registry_demo_rng_t *rng,
        registry_demo_enterprise_t *x)
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
            x->age_days = registry_demo_range (rng, 10 * 366, 25 * 365);
            if (registry_demo_chance (rng, 750)) {
                revenue = s_skewed (rng, YI (4), YI (30));
                margin_bp = (int) registry_demo_range (rng, 400, 1500);
            }
            else {
                //  Mature by profit: ¥50m or more in both years
                revenue = registry_demo_range (rng, YI (2), YI (4) - 1);
                profit = registry_demo_range (rng, WAN (5000), WAN (8000));
            }
            growth1 = (int) registry_demo_range (rng, -500, 2500);
            growth2 = (int) registry_demo_range (rng, -500, 2500);
            x->staff = registry_demo_range (rng, 500, 5000);
            x->tech_bp = (int) registry_demo_range (rng, 1500, 3500);
            x->rnd_bp = (int) registry_demo_range (rng, 300, 800);
            x->high_tech_bp = (int) registry_demo_range (rng, 5000, 9000);
            x->round.round = registry_demo_chance (rng, 350)
                               ? KJ__ROUND__ROUND_PRE_IPO
                           : registry_demo_chance (rng, 450)
                               ? KJ__ROUND__ROUND_C_PLUS
                               : KJ__ROUND__ROUND_NONE;
            e->board_standard = registry_demo_chance (rng, 400);
            e->chain_leader = registry_demo_chance (rng, 250);
            break;
        case REGISTRY_STAGE_GROWTH: {
            x->age_days = registry_demo_range (rng, 37 * 31, 15 * 365);
            revenue = s_skewed (rng, WAN (2000), YI (3) + WAN (9000));
            margin_bp = (int) registry_demo_range (rng, -500, 1000);
            int reason = (int) registry_demo_range (rng, 0, 2);
            if (reason == 0) {
                growth1 = (int) registry_demo_range (rng, 2000, 6000);
                growth2 = (int) registry_demo_range (rng, 2000, 6000);
            }
            else {
                growth1 = (int) registry_demo_range (rng, -1000, 1800);
                growth2 = (int) registry_demo_range (rng, -1000, 1800);
            }
            x->staff = registry_demo_range (rng, 50, 800);
            x->tech_bp = (int) registry_demo_range (rng, 1200, 4500);
            x->rnd_bp = (int) registry_demo_range (rng, 300, 900);
            x->high_tech_bp = (int) registry_demo_range (rng, 4000, 9500);
            if (reason == 1) {
                //  Figures that earn 高企, which the growth rule counts
                x->rnd_bp = (int) registry_demo_range (rng, 520, 1200);
                x->high_tech_bp = (int) registry_demo_range (rng, 6500, 9500);
            }
            if (reason == 2)
                x->round.round = registry_demo_chance (rng, 600)
                                   ? KJ__ROUND__ROUND_B
                                   : KJ__ROUND__ROUND_C_PLUS;
            else if (registry_demo_chance (rng, 300))
                x->round.round = KJ__ROUND__ROUND_A;
            break;
        }
        case REGISTRY_STAGE_STARTUP:
            x->age_days = registry_demo_range (rng, 13 * 31, 58 * 30);
            revenue = s_skewed (rng, WAN (30), WAN (1500));
            margin_bp = (int) registry_demo_range (rng, -3000, 800);
            growth1 = (int) registry_demo_range (rng, 2000, 10000);
            growth2 = (int) registry_demo_range (rng, 2000, 10000);
            x->staff = registry_demo_range (rng, 5, 120);
            x->tech_bp = (int) registry_demo_range (rng, 2500, 7000);
            x->rnd_bp = (int) registry_demo_range (rng, 500, 3000);
            x->high_tech_bp = (int) registry_demo_range (rng, 5000, 10000);
            x->round.round = registry_demo_chance (rng, 400)
                               ? KJ__ROUND__ROUND_NONE
                               : (Kj__Round)
                                     registry_demo_range (rng,
                                                          KJ__ROUND__ROUND_SEED,
                                                          KJ__ROUND__ROUND_A);
            x->resident = registry_demo_chance (rng, 250);
            break;
        default:  //  incubation
            x->age_days = registry_demo_range (rng, 2 * 31, 22 * 30);
            x->staff = registry_demo_range (rng, 2, 15);
            x->tech_bp = (int) registry_demo_range (rng, 4000, 9000);
            x->resident = registry_demo_chance (rng, 750);
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
        int64_t p = profit ? profit : registry_demo_bp (r, margin_bp);
        if (x->target == REGISTRY_STAGE_INCUBATION)
            p = -registry_demo_range (rng, WAN (20), WAN (200));
        x->net_profit [k] = p;
    }
    for (int k = x->years; k < MAX_YEARS; k++)
        x->revenue [k] = x->net_profit [k] = 0;

    if (x->round.round != KJ__ROUND__ROUND_NONE) {
        //  Closed between founding and today
        int64_t closed = founded
                       + registry_demo_range (rng, 30, x->age_days - 1);
        kj_check_date_format (s_date (closed), x->closed_on);
        static const int64_t amounts [] = { 0,           WAN (100),
                                            WAN (500),   WAN (3000),
                                            WAN (10000), WAN (30000),
                                            WAN (80000) };
        x->round.amount_fen = amounts [x->round.round]
                            * registry_demo_range (rng, 50, 200) / 100;
    }
}

//  --------------------------------------------------------------------------
//  Enterprise i.

static const s_region_t *
s_pick_region (registry_demo_rng_t *rng, int64_t index)
{
    //  The first fifteen cover every region, whatever the count
    if (index < (int64_t) REGIONS)
        return &s_regions [index];
    int64_t draw = registry_demo_range (rng, 0, 999);
    for (size_t r = 0; r < REGIONS; r++) {
        if (draw < s_regions [r].weight)
            return &s_regions [r];
        draw -= s_regions [r].weight;
    }
    return &s_regions [0];
}

static registry_stage_t
s_pick_stage (registry_demo_rng_t *rng)
{
    int64_t draw = registry_demo_range (rng, 0, 999);
    return draw < 200 ? REGISTRY_STAGE_INCUBATION
         : draw < 550 ? REGISTRY_STAGE_STARTUP
         : draw < 900 ? REGISTRY_STAGE_GROWTH
                      : REGISTRY_STAGE_MATURE;
}

const Kj__Enterprise *
registry_demo_enterprise (registry_demo_t *self, int64_t index)
{
    assert (index >= 0 && index < self->config.enterprises);
    registry_demo_enterprise_t *x = &self->e;
    memset (x, 0, sizeof *x);
    registry_demo_rng_t rng = {
        self->config.seed * UINT64_C (0x9E3779B97F4A7C15)
        ^ (uint64_t) index * UINT64_C (0xD1B54A32D192ED03)
    };
    s_next (&rng);
    const s_region_t *region = s_pick_region (&rng, index);
    x->target = s_pick_stage (&rng);
    size_t trade = (size_t) registry_demo_range (&rng, 0, TRADES - 1);

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
    x->credit.dishonest = registry_demo_chance (&rng, 3);
    x->credit.abnormal = registry_demo_chance (&rng, 10);
    int64_t grade = registry_demo_range (&rng, 0, 99);
    x->tax_grade [0] = grade < 40 ? 'A'
                     : grade < 75 ? 'B'
                     : grade < 90 ? 'M'
                     : grade < 95 ? 'C'
                     : grade < 96 ? 'D'
                                  : 0;
    x->credit.tax_grade = x->tax_grade;
    int64_t status = registry_demo_range (&rng, 0, 99);
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
                x->ip.invention_patents = (int32_t) registry_demo_range (&rng,
                                                                         20,
                                                                         300);
                x->ip.class2_ip = (int32_t) registry_demo_range (&rng, 50, 500);
                break;
            case REGISTRY_STAGE_GROWTH:
                x->ip.invention_patents = registry_demo_chance (&rng, 850)
                                            ? (int32_t)
                                                  registry_demo_range (&rng, 2,
                                                                       60)
                                            : 0;
                x->ip.class2_ip = (int32_t) registry_demo_range (&rng, 5, 100);
                break;
            case REGISTRY_STAGE_STARTUP:
                x->ip.invention_patents = registry_demo_chance (&rng, 500)
                                            ? (int32_t)
                                                  registry_demo_range (&rng, 1,
                                                                       8)
                                            : 0;
                x->ip.class2_ip = (int32_t) registry_demo_range (&rng, 0, 20);
                break;
            default:
                x->ip.invention_patents = registry_demo_chance (&rng, 300)
                                            ? (int32_t)
                                                  registry_demo_range (&rng, 1,
                                                                       2)
                                            : 0;
                x->ip.class2_ip = (int32_t) registry_demo_range (&rng, 0, 5);
                break;
        }
        if (x->target == REGISTRY_STAGE_GROWTH && x->rnd_bp >= 520
            && x->high_tech_bp >= 6500 && x->ip.invention_patents == 0)
            x->ip.invention_patents = (int32_t) registry_demo_range (&rng, 1,
                                                                     10);
        int32_t ip = x->ip.invention_patents + x->ip.class2_ip;
        x->ip.pledged_ip = ip && registry_demo_chance (&rng, 80)
                             ? (int32_t) registry_demo_range (&rng, 1,
                                                              ip < 5 ? ip : 5)
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
        registry_demo_make_figures (&rng, self, x);
        bool force = x->target == REGISTRY_STAGE_GROWTH && x->rnd_bp >= 520
                  && x->high_tech_bp >= 6500;
        registry_demo_earn (self, &rng, x, force);
        stage = registry_demo_classify (self, x);
        if (stage == x->target)
            break;
        self->stats.retries++;
    }
    registry_demo_techsme (x);

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
                              && registry_demo_chance (&rng, 600)
                           ? "股份有限公司"
                       : registry_demo_chance (&rng, 150) ? "有限责任公司"
                                                          : "有限公司";
    snprintf (x->name, sizeof x->name, "%s%s%s%s%s", region->name,
              s_name_chars [registry_demo_range (&rng, 0, NAME_CHARS - 1)],
              s_name_chars [registry_demo_range (&rng, 0, NAME_CHARS - 1)],
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
