/*  =========================================================================
    registry_demo_market - the demo's financial institutions (40 of every
    type, with the regions they serve) and products (100 of every type,
    on the templates of each kind of business)

    Part of registry_demo (registry_demo.h).
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
