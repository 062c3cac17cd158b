/*  =========================================================================
    registry_csv - the CSV files of the registry's bulk import and export

    Pure rules, no I/O. libcsv splits the bytes into fields; this class
    knows the columns of each kind, turns a row's fields into the message
    of its kind, and checks it with the registry's own rules.

    libcsv does not count lines, and a quoted field may hold newlines, so
    rows are fed to it one line at a time: a row starts on the line being
    fed when the parser was between rows before it (its state is
    ROW_NOT_BEGUN, which is 0 in libcsv's public struct). Blank lines never
    start a row, so they cost nothing and move no numbers.

    A row's fields are copied into one arena (each NUL-terminated) as
    libcsv hands them over; the row's message points into that arena and
    into fixed arrays of this object, so a valid row costs no malloc.
    =========================================================================
*/

#include <assert.h>
#include <ctype.h>
#include <csv.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kj_util.h"
#include "kj_i18n.h"
#include "registry_check.h"
#include "registry_csv.h"
#include "registry_entry.h"
#include "registry_product.h"
#include "registry_uscc.h"

//  Columns of every kind, one id each.
typedef enum {
    //  enterprises
    E_CODE,
    E_NAME,
    E_REGION,
    E_INDUSTRY,
    E_FOUNDED_ON,
    E_SIZE_CLASS,
    E_STATUS,
    E_LISTING_TUTORING,
    E_BOARD_STANDARD,
    E_CHAIN_LEADER,
    E_DISHONEST,
    E_ABNORMAL,
    E_TAX_GRADE,
    E_INVENTION_PATENTS,
    E_CLASS2_IP,
    E_PLEDGED_IP,
    E_ROUND,
    E_ROUND_CLOSED_ON,
    E_ROUND_AMOUNT,
    E_QUALIFICATIONS,
    E_STAGE,
    E_TECHSME,
    //  figures
    F_CODE,
    F_YEAR,
    F_REVENUE,
    F_RND,
    F_NET_PROFIT,
    F_ASSETS,
    F_CASH_FLOW,
    F_HIGH_TECH_REVENUE,
    F_COST,
    F_STAFF,
    F_TECH_STAFF,
    //  institutions
    I_ID,
    I_NAME,
    I_TYPE,
    I_USCC,
    I_REGIONS,
    I_CONTACT,
    I_SPONSOR,
    I_STATUS,
    //  products
    P_ID,
    P_INSTITUTION,
    P_NAME,
    P_TYPE,
    P_MIN_AMOUNT,
    P_MAX_AMOUNT,
    P_MIN_TERM,
    P_MAX_TERM,
    P_RATE,
    P_COLLATERAL,
    P_STAGES,
    P_QUALS,
    P_ANY_QUALS,
    P_MIN_GRADE,
    P_REGIONS,
    P_VALID_FROM,
    P_VALID_TO,
    P_DESCRIPTION,
    P_STATUS,
    S_COLUMNS  //  number of column ids
} s_col_t;

typedef struct {
    s_col_t id;
    const char *name;  //  canonical header name
    const char *zh;    //  Chinese header name, accepted too
    bool required;     //  must be in the header
    bool computed;     //  written by export, ignored on import
} s_column_t;

static const s_column_t s_enterprise_columns [] = {
    { E_CODE, "code", "统一社会信用代码", true, false },
    { E_NAME, "name", "企业名称", true, false },
    { E_REGION, "region", "所属地区", false, false },
    { E_INDUSTRY, "industry", "行业", false, false },
    { E_FOUNDED_ON, "founded_on", "成立日期", true, false },
    { E_SIZE_CLASS, "size_class", "企业规模", false, false },
    { E_STATUS, "status", "入库状态", false, false },
    { E_LISTING_TUTORING, "listing_tutoring", "上市辅导备案", false, false },
    { E_BOARD_STANDARD, "board_standard", "符合上市标准", false, false },
    { E_CHAIN_LEADER, "chain_leader", "链主企业", false, false },
    { E_DISHONEST, "dishonest", "严重违法失信", false, false },
    { E_ABNORMAL, "abnormal", "经营异常", false, false },
    { E_TAX_GRADE, "tax_grade", "纳税信用等级", false, false },
    { E_INVENTION_PATENTS, "invention_patents", "发明专利", false, false },
    { E_CLASS2_IP, "class2_ip", "二类知识产权", false, false },
    { E_PLEDGED_IP, "pledged_ip", "已质押知识产权", false, false },
    { E_ROUND, "round", "融资轮次", false, false },
    { E_ROUND_CLOSED_ON, "round_closed_on", "融资日期", false, false },
    { E_ROUND_AMOUNT, "round_amount_fen", "融资金额_分", false, false },
    { E_QUALIFICATIONS, "qualifications", "资质", false, false },
    { E_STAGE, "stage", "生命周期阶段", false, true },
    { E_TECHSME, "techsme_total", "科技型中小企业评分", false, true },
};

static const s_column_t s_figures_columns [] = {
    { F_CODE, "code", "统一社会信用代码", true, false },
    { F_YEAR, "year", "年度", true, false },
    { F_REVENUE, "revenue_fen", "营业收入_分", false, false },
    { F_RND, "rnd_fen", "研发费用_分", false, false },
    { F_NET_PROFIT, "net_profit_fen", "净利润_分", false, false },
    { F_ASSETS, "total_assets_fen", "资产总额_分", false, false },
    { F_CASH_FLOW, "operating_cash_flow_fen", "经营活动现金流_分", false,
      false },
    { F_HIGH_TECH_REVENUE, "high_tech_revenue_fen", "高新技术产品收入_分",
      false, false },
    { F_COST, "total_cost_fen", "成本费用支出总额_分", false, false },
    { F_STAFF, "staff", "职工总数", false, false },
    { F_TECH_STAFF, "tech_staff", "科技人员", false, false },
};

static const s_column_t s_institution_columns [] = {
    { I_ID, "id", "机构编号", true, false },
    { I_NAME, "name", "机构名称", true, false },
    { I_TYPE, "type", "机构类型", true, false },
    { I_USCC, "uscc", "统一社会信用代码", false, false },
    { I_REGIONS, "regions", "服务地区", true, false },
    { I_CONTACT, "contact", "联系方式", false, false },
    { I_SPONSOR, "sponsor_code", "发起单位代码", false, false },
    { I_STATUS, "status", "状态", false, true },
};

static const s_column_t s_product_columns [] = {
    { P_ID, "id", "产品编号", true, false },
    { P_INSTITUTION, "institution_id", "机构编号", true, false },
    { P_NAME, "name", "产品名称", true, false },
    { P_TYPE, "type", "产品类型", true, false },
    { P_MIN_AMOUNT, "min_amount_fen", "最低额度_分", false, false },
    { P_MAX_AMOUNT, "max_amount_fen", "最高额度_分", true, false },
    { P_MIN_TERM, "min_term_months", "最短期限_月", false, false },
    { P_MAX_TERM, "max_term_months", "最长期限_月", true, false },
    { P_RATE, "rate_bp", "参考利率_基点", false, false },
    { P_COLLATERAL, "collateral", "担保方式", false, false },
    { P_STAGES, "stages", "适用阶段", false, false },
    { P_QUALS, "qualifications", "必备资质", false, false },
    { P_ANY_QUALS, "any_qualifications", "任一资质", false, false },
    { P_MIN_GRADE, "min_grade", "最低信用等级", false, false },
    { P_REGIONS, "regions", "服务地区", true, false },
    { P_VALID_FROM, "valid_from", "生效日期", false, false },
    { P_VALID_TO, "valid_to", "截止日期", false, false },
    { P_DESCRIPTION, "description", "产品说明", false, false },
    { P_STATUS, "status", "状态", false, true },
};

#define COUNT(table) (sizeof table / sizeof table [0])

//  Most columns a header may have, and fields a row may have.
#define MAX_COLUMNS 64

//  Names people write for enum values, beside the stored names.
typedef struct {
    const char *alias;
    int value;
} s_alias_t;

static const s_alias_t s_stage_aliases [] = {
    { "孵化期", KJ__STAGE__STAGE_INCUBATION },
    { "孵化", KJ__STAGE__STAGE_INCUBATION },
    { "初创期", KJ__STAGE__STAGE_STARTUP },
    { "初创", KJ__STAGE__STAGE_STARTUP },
    { "成长期", KJ__STAGE__STAGE_GROWTH },
    { "成长", KJ__STAGE__STAGE_GROWTH },
    { "成熟期", KJ__STAGE__STAGE_MATURE },
    { "成熟", KJ__STAGE__STAGE_MATURE },
    { NULL, 0 }
};

static const s_alias_t s_size_aliases [] = {
    { "微型", KJ__SIZE_CLASS__SIZE_MICRO },
    { "小型", KJ__SIZE_CLASS__SIZE_SMALL },
    { "中型", KJ__SIZE_CLASS__SIZE_MEDIUM },
    { "大型", KJ__SIZE_CLASS__SIZE_LARGE },
    { "未知", KJ__SIZE_CLASS__SIZE_UNKNOWN },
    { NULL, 0 }
};

static const s_alias_t s_round_aliases [] = {
    { "无", KJ__ROUND__ROUND_NONE },
    { "种子轮", KJ__ROUND__ROUND_SEED },
    { "天使轮", KJ__ROUND__ROUND_ANGEL },
    { "A轮", KJ__ROUND__ROUND_A },
    { "B轮", KJ__ROUND__ROUND_B },
    { "C轮", KJ__ROUND__ROUND_C_PLUS },
    { "C轮及以后", KJ__ROUND__ROUND_C_PLUS },
    { "Pre-IPO", KJ__ROUND__ROUND_PRE_IPO },
    { NULL, 0 }
};

static const s_alias_t s_qual_aliases [] = {
    { "高新技术企业", KJ__QUALIFICATION_KIND__QUAL_HIGH_TECH },
    { "高企", KJ__QUALIFICATION_KIND__QUAL_HIGH_TECH },
    { "科技型中小企业", KJ__QUALIFICATION_KIND__QUAL_TECH_SME },
    { "创新型中小企业", KJ__QUALIFICATION_KIND__QUAL_INNOVATIVE_SME },
    { "专精特新", KJ__QUALIFICATION_KIND__QUAL_SRDI },
    { "省级专精特新", KJ__QUALIFICATION_KIND__QUAL_SRDI },
    { "小巨人", KJ__QUALIFICATION_KIND__QUAL_LITTLE_GIANT },
    { "专精特新小巨人", KJ__QUALIFICATION_KIND__QUAL_LITTLE_GIANT },
    { "雏鹰", KJ__QUALIFICATION_KIND__QUAL_EAGLET },
    { "雏鹰企业", KJ__QUALIFICATION_KIND__QUAL_EAGLET },
    { "瞪羚", KJ__QUALIFICATION_KIND__QUAL_GAZELLE },
    { "瞪羚企业", KJ__QUALIFICATION_KIND__QUAL_GAZELLE },
    { "独角兽", KJ__QUALIFICATION_KIND__QUAL_UNICORN },
    { "独角兽企业", KJ__QUALIFICATION_KIND__QUAL_UNICORN },
    { "孵化载体入驻", KJ__QUALIFICATION_KIND__QUAL_INCUBATOR_RESIDENT },
    { "在孵企业", KJ__QUALIFICATION_KIND__QUAL_INCUBATOR_RESIDENT },
    { "上市后备", KJ__QUALIFICATION_KIND__QUAL_LISTING_RESERVE },
    { "上市后备企业", KJ__QUALIFICATION_KIND__QUAL_LISTING_RESERVE },
    { NULL, 0 }
};

static const s_alias_t s_institution_aliases [] = {
    { "银行", KJ__INSTITUTION_TYPE__INSTITUTION_BANK },
    { "融资担保", KJ__INSTITUTION_TYPE__INSTITUTION_GUARANTEE },
    { "担保", KJ__INSTITUTION_TYPE__INSTITUTION_GUARANTEE },
    { "天使投资", KJ__INSTITUTION_TYPE__INSTITUTION_ANGEL_FUND },
    { "天使基金", KJ__INSTITUTION_TYPE__INSTITUTION_ANGEL_FUND },
    { "创业投资", KJ__INSTITUTION_TYPE__INSTITUTION_VC },
    { "创投", KJ__INSTITUTION_TYPE__INSTITUTION_VC },
    { "私募股权", KJ__INSTITUTION_TYPE__INSTITUTION_PE },
    { "保险", KJ__INSTITUTION_TYPE__INSTITUTION_INSURER },
    { "融资租赁", KJ__INSTITUTION_TYPE__INSTITUTION_LEASING },
    { "商业保理", KJ__INSTITUTION_TYPE__INSTITUTION_FACTORING },
    { "保理", KJ__INSTITUTION_TYPE__INSTITUTION_FACTORING },
    { "小额贷款", KJ__INSTITUTION_TYPE__INSTITUTION_SMALL_LOAN },
    { "小贷", KJ__INSTITUTION_TYPE__INSTITUTION_SMALL_LOAN },
    { "证券", KJ__INSTITUTION_TYPE__INSTITUTION_SECURITIES },
    { "区域性股权市场", KJ__INSTITUTION_TYPE__INSTITUTION_EQUITY_EXCHANGE },
    { NULL, 0 }
};

static const s_alias_t s_product_aliases [] = {
    { "信用贷", KJ__PRODUCT_TYPE__PRODUCT_CREDIT },
    { "知识产权质押", KJ__PRODUCT_TYPE__PRODUCT_IP_PLEDGE },
    { "担保贷", KJ__PRODUCT_TYPE__PRODUCT_GUARANTEED },
    { "首贷", KJ__PRODUCT_TYPE__PRODUCT_FIRST_LOAN },
    { "无还本续贷", KJ__PRODUCT_TYPE__PRODUCT_RENEWAL },
    { "续贷", KJ__PRODUCT_TYPE__PRODUCT_RENEWAL },
    { "投贷联动", KJ__PRODUCT_TYPE__PRODUCT_INVEST_LOAN_LINKAGE },
    { "融资租赁", KJ__PRODUCT_TYPE__PRODUCT_LEASING },
    { "保理", KJ__PRODUCT_TYPE__PRODUCT_FACTORING },
    { "科技保险", KJ__PRODUCT_TYPE__PRODUCT_TECH_INSURANCE },
    { "债券", KJ__PRODUCT_TYPE__PRODUCT_BOND },
    { "股权投资", KJ__PRODUCT_TYPE__PRODUCT_EQUITY },
    { NULL, 0 }
};

static const s_alias_t s_collateral_aliases [] = {
    { "知识产权", KJ__COLLATERAL__COLLATERAL_IP },
    { "应收账款", KJ__COLLATERAL__COLLATERAL_RECEIVABLES },
    { "第三方担保", KJ__COLLATERAL__COLLATERAL_GUARANTEE },
    { "担保", KJ__COLLATERAL__COLLATERAL_GUARANTEE },
    { "不动产", KJ__COLLATERAL__COLLATERAL_REAL_ESTATE },
    { NULL, 0 }
};

//  An enum as the columns read it: its descriptor, the prefix of its value
//  names, the aliases, and the names for people in messages.
typedef struct {
    const ProtobufCEnumDescriptor *descriptor;
    const char *prefix;
    const s_alias_t *aliases;
    bool zero_ok;  //  the 0 value is a valid choice
} s_enum_t;

static const s_enum_t s_enum_stage = { &kj__stage__descriptor, "STAGE_",
                                       s_stage_aliases, false };
static const s_enum_t s_enum_size = { &kj__size_class__descriptor, "SIZE_",
                                      s_size_aliases, true };
static const s_enum_t s_enum_round = { &kj__round__descriptor, "ROUND_",
                                       s_round_aliases, true };
static const s_enum_t s_enum_qual = { &kj__qualification_kind__descriptor,
                                      "QUAL_", s_qual_aliases, false };
static const s_enum_t s_enum_institution = { &kj__institution_type__descriptor,
                                             "INSTITUTION_",
                                             s_institution_aliases, false };
static const s_enum_t s_enum_product = { &kj__product_type__descriptor,
                                         "PRODUCT_", s_product_aliases, false };
static const s_enum_t s_enum_collateral = { &kj__collateral__descriptor,
                                            "COLLATERAL_", s_collateral_aliases,
                                            false };

//  Storage for the message of one row.
typedef struct {
    char code [REGISTRY_USCC_SIZE + 1];
    char region [8];
    char founded_on [11];
    char closed_on [11];
    char sponsor [REGISTRY_USCC_SIZE + 1];
    char uscc [REGISTRY_USCC_SIZE + 1];
    char tax_grade [2];
    char valid_from [11];
    char valid_to [11];
    char expires [REGISTRY_CSV_MAX_QUALS][11];
    Kj__Enterprise enterprise;
    Kj__CreditFlags credit;
    Kj__IpAssets ip;
    Kj__Qualification quals [REGISTRY_CSV_MAX_QUALS];
    Kj__Qualification *qual_ptrs [REGISTRY_CSV_MAX_QUALS];
    Kj__EquityRound round;
    Kj__EquityRound *round_ptr;
    Kj__YearFigures figures;
    char *not_reported [REGISTRY_FIGURES];  //  figures' empty cells
    Kj__Institution institution;
    Kj__Product product;
    char *regions [REGISTRY_PRODUCT_MAX_REGIONS];
    Kj__Collateral collateral [REGISTRY_PRODUCT_MAX_REGIONS];
    Kj__Stage stages [REGISTRY_PRODUCT_MAX_REGIONS];
    Kj__QualificationKind all_quals [REGISTRY_PRODUCT_MAX_REGIONS];
    Kj__QualificationKind any_quals [REGISTRY_PRODUCT_MAX_REGIONS];
} s_row_t;

struct _registry_csv_t {
    registry_csv_kind_t kind;
    registry_csv_options_t options;
    const s_column_t *table;  //  columns of the kind
    size_t table_size;
    int file_column [S_COLUMNS];  //  column id -> field index, or -1
    const s_column_t *columns [MAX_COLUMNS];  //  field index -> column
    size_t n_columns;
    struct csv_parser parser;
    //  The row being read
    char *arena;  //  its fields, each NUL-terminated
    size_t arena_used, arena_size;
    size_t field_at [MAX_COLUMNS];  //  offset of each field in arena
    size_t n_fields;                //  fields seen, maybe > MAX_COLUMNS
    uint32_t row_line;              //  line where it started
    uint32_t line;                  //  line being fed
    bool broken;                    //  already reported as malformed
    bool failed;                    //  a problem was reported
    const char *bad_code;           //  the credit code being reported
    s_row_t row;
    //  Callbacks of the parse in progress
    registry_csv_row_fn *row_fn;
    registry_csv_error_fn *error_fn;
    void *arg;
    uint32_t rows;
};

//  --------------------------------------------------------------------------
//  Buffers

void
registry_csv_buf_append (registry_csv_buf_t *buf, const char *data, size_t size)
{
    if (buf->size + size + 1 > buf->capacity) {
        size_t capacity = buf->capacity ? buf->capacity * 2 : 4096;
        while (capacity < buf->size + size + 1)
            capacity *= 2;
        buf->data = (char *) realloc (buf->data, capacity);
        assert (buf->data);
        buf->capacity = capacity;
    }
    memcpy (buf->data + buf->size, data, size);
    buf->size += size;
    buf->data [buf->size] = 0;
}

void
registry_csv_buf_reset (registry_csv_buf_t *buf)
{
    buf->size = 0;
    if (buf->data)
        buf->data [0] = 0;
}

void
registry_csv_buf_free (registry_csv_buf_t *buf)
{
    free (buf->data);
    memset (buf, 0, sizeof *buf);
}

//  --------------------------------------------------------------------------
//  Names of kinds, regions and enum values

static const char *s_kind_names [] = { "", "enterprises", "figures",
                                       "institutions", "products" };

const char *
registry_csv_kind_name (registry_csv_kind_t kind)
{
    return kind >= REGISTRY_CSV_ENTERPRISES && kind <= REGISTRY_CSV_PRODUCTS
             ? s_kind_names [kind]
             : "";
}

int
registry_csv_kind_from_name (const char *name)
{
    static const char *singular [] = { "", "enterprise", "figure",
                                       "institution", "product" };
    for (int kind = REGISTRY_CSV_ENTERPRISES;
         name && kind <= REGISTRY_CSV_PRODUCTS; kind++)
        if (strcasecmp (name, s_kind_names [kind]) == 0
            || strcasecmp (name, singular [kind]) == 0)
            return kind;
    return -1;
}

const char *
registry_csv_region (const char *text, bool tokens)
{
    if (!text)
        return NULL;
    while (*text == ' ' || *text == '\t')
        text++;
    char trimmed [64];
    kj_strlcpy (trimmed, text, sizeof trimmed);
    size_t length = strlen (trimmed);
    while (length
           && (trimmed [length - 1] == ' ' || trimmed [length - 1] == '\t'))
        trimmed [--length] = 0;
    if (!length)
        return NULL;
    if (tokens) {
        if (strcasecmp (trimmed, KJ_REGION_METRO) == 0
            || strcmp (trimmed, "沈阳都市圈") == 0)
            return KJ_REGION_METRO;
        if (strcasecmp (trimmed, KJ_REGION_PROVINCE) == 0
            || strcmp (trimmed, "全省") == 0 || strcmp (trimmed, "辽宁省") == 0
            || strcmp (trimmed, "辽宁") == 0)
            return KJ_REGION_PROVINCE;
    }
    kj_region_t region = kj_region_by_code (trimmed);
    //  A district code names its city where one region is meant, never in
    //  a list of tokens (registry_product takes table codes only)
    const kj_region_info_t *info = kj_region_info (region);
    if (info && tokens && strcasecmp (info->code, trimmed) != 0)
        info = NULL;
    if (!info)
        info = kj_region_info (kj_region_by_name (trimmed));
    return info ? info->code : NULL;
}

//  Value of an enum cell: a stored name (any case) or an alias; -1 if
//  neither.
static int
s_enum_value (const s_enum_t *e, const char *text)
{
    int value = kj_check_enum_value (e->descriptor, e->prefix, text);
    if (value < 0)
        for (const s_alias_t *alias = e->aliases; alias->alias; alias++)
            if (strcasecmp (alias->alias, text) == 0) {
                value = alias->value;
                break;
            }
    if (value == 0 && !e->zero_ok)
        return -1;
    return value;
}

//  "a, b or c": the stored names of an enum, for messages.
static void
s_enum_choices (const s_enum_t *e, char *buf, size_t size)
{
    const ProtobufCEnumDescriptor *d = e->descriptor;
    size_t at = 0;
    buf [0] = 0;
    unsigned shown = 0, total = 0;
    for (unsigned i = 0; i < d->n_values; i++)
        if (d->values [i].value || e->zero_ok)
            total++;
    for (unsigned i = 0; i < d->n_values && at < size; i++) {
        if (d->values [i].value == 0 && !e->zero_ok)
            continue;
        char name [48];
        kj_check_enum_name (d, e->prefix, d->values [i].value, name,
                            sizeof name);
        shown++;
        at += snprintf (buf + at, size - at, "%s%s",
                        shown == 1       ? ""
                        : shown == total ? " or "
                                         : ", ",
                        name);
    }
}

static const char *
s_enum_name (const s_enum_t *e, int value, char *buf, size_t size)
{
    const char *name = kj_check_enum_name (e->descriptor, e->prefix, value, buf,
                                           size);
    return name ? name : "";
}

//  --------------------------------------------------------------------------
//  Problems

//  Report a problem with the current row. value may be NULL.
static void
s_error (registry_csv_t *self, const char *field, const char *value,
         const char *format, ...) __attribute__ ((format (printf, 4, 5)));

static void
s_error (registry_csv_t *self, const char *field, const char *value,
         const char *format, ...)
{
    char reason [512];
    va_list args;
    va_start (args, format);
    vsnprintf (reason, sizeof reason, _ (format), args);
    va_end (args);
    //  Cut the value short on a character boundary
    char shown [REGISTRY_CSV_VALUE_MAX + 4] = "";
    if (value) {
        size_t length = strlen (value);
        if (length > REGISTRY_CSV_VALUE_MAX) {
            length = REGISTRY_CSV_VALUE_MAX;
            while (length && ((unsigned char) value [length] & 0xC0) == 0x80)
                length--;
            memcpy (shown, value, length);
            memcpy (shown + length, "...", 4);
        }
        else
            memcpy (shown, value, length + 1);
    }
    registry_csv_error_t error = { .line = self->row_line,
                                   .field = field,
                                   .reason = reason,
                                   .value = shown,
                                   .bad_code = self->bad_code };
    self->failed = true;
    if (self->error_fn)
        self->error_fn (&error, self->arg);
}

//  Report a status from the registry's rules. Its message starts with the
//  request field ("product.max_amount_fen: ..."); the column says that
//  already, so the reason is the rest.
static void
s_error_status (registry_csv_t *self, const char *column, const char *value,
                const kj_status_t *status)
{
    const char *reason = status->message;
    size_t length = strlen (status->field);
    if (length && strncmp (reason, status->field, length) == 0
        && reason [length] == ':' && reason [length + 1] == ' ')
        reason += length + 2;
    s_error (self, column, value, "%s", reason);
}

//  The column of a field a registry check names: "product.regions[2]" is
//  regions, "enterprise.credit.tax_grade" is tax_grade,
//  "enterprise.qualifications[1].kind" is qualifications.
static const char *
s_column_of (const char *field, char *buf, size_t size)
{
    const char *at = strchr (field, '.');
    at = at ? at + 1 : field;
    if (strncmp (at, "credit.", 7) == 0 || strncmp (at, "ip.", 3) == 0)
        at = strchr (at, '.') + 1;
    if (strncmp (at, "rounds", 6) == 0) {
        const char *last = strrchr (at, '.');
        snprintf (buf, size, "%s",
                  last && strcmp (last, ".closed_on") == 0 ? "round_closed_on"
                  : last && strcmp (last, ".amount_fen") == 0
                      ? "round_amount_fen"
                      : "round");
        return buf;
    }
    size_t length = strcspn (at, ".[");
    snprintf (buf, size, "%.*s", (int) length, at);
    return buf;
}

//  --------------------------------------------------------------------------
//  Cells of the current row

//  The cell of a column, trimmed; NULL if the header lacks the column.
static const char *
s_cell (registry_csv_t *self, s_col_t id)
{
    int index = self->file_column [id];
    return index < 0 ? NULL : self->arena + self->field_at [index];
}

//  True if the cell of a column is there and not empty.
static bool
s_given (registry_csv_t *self, s_col_t id)
{
    const char *cell = s_cell (self, id);
    return cell && *cell;
}

//  The canonical name of a column, for messages.
static const char *
s_name (registry_csv_t *self, s_col_t id)
{
    for (size_t i = 0; i < self->table_size; i++)
        if (self->table [i].id == id)
            return self->table [i].name;
    return "";
}

//  A whole number in [min, max]; an empty or missing cell is dflt. False
//  (reported) if the cell is not one.
static bool
s_int (registry_csv_t *self, s_col_t id, int64_t min, int64_t max, int64_t dflt,
       int64_t *value)
{
    const char *cell = s_cell (self, id);
    *value = dflt;
    if (!cell || !*cell)
        return true;
    const char *name = s_name (self, id);
    bool money = strstr (name, "_fen") != NULL;
    if (kj_parse_int64 (cell, value)) {
        *value = dflt;
        if (money)
            s_error (self, name, cell,
                     "'%s' is not a whole number of fen "
                     "(分): write 1234567 for ¥12,345.67, no separators or "
                     "decimals",
                     cell);
        else
            s_error (self, name, cell, "'%s' is not a whole number", cell);
        return false;
    }
    if (*value < min || *value > max) {
        if (money && min == 0 && *value < 0)
            s_error (self, name, cell,
                     "%" PRId64 " fen is negative; an "
                     "amount here is 0 or more",
                     *value);
        else if (money && min == 1 && *value < 1)
            s_error (self, name, cell,
                     "%" PRId64 " fen; the amount must be "
                     "more than 0",
                     *value);
        else
            s_error (self, name, cell,
                     "%" PRId64 " is out of range (%" PRId64 " to %" PRId64 ")",
                     *value, min, max);
        *value = dflt;
        return false;
    }
    return true;
}

//  A yes/no cell; empty or missing is false.
static bool
s_bool (registry_csv_t *self, s_col_t id)
{
    static const char *yes [] = { "true", "t", "yes", "y", "1", "是", NULL };
    static const char *no [] = { "false", "f", "no", "n", "0", "否", NULL };
    const char *cell = s_cell (self, id);
    if (!cell || !*cell)
        return false;
    for (int i = 0; yes [i]; i++)
        if (strcasecmp (cell, yes [i]) == 0)
            return true;
    for (int i = 0; no [i]; i++)
        if (strcasecmp (cell, no [i]) == 0)
            return false;
    s_error (self, s_name (self, id), cell,
             "'%s' is not yes or no: write "
             "true or false (also 1/0, yes/no, 是/否)",
             cell);
    return false;
}

//  A date "YYYY-MM-DD" into buf, not after today. Empty or missing is ""
//  (reported if required). False if reported.
static bool
s_date (registry_csv_t *self, s_col_t id, bool required, char buf [11],
        kj_date_t *date)
{
    const char *cell = s_cell (self, id);
    const char *name = s_name (self, id);
    buf [0] = 0;
    memset (date, 0, sizeof *date);
    if (!cell || !*cell) {
        if (required)
            s_error (self, name, "",
                     "required, and empty: a date "
                     "YYYY-MM-DD, e.g. 2021-03-15");
        return !required;
    }
    kj_status_t status;
    if (kj_check_date (cell, name, date, &status)) {
        s_error_status (self, name, cell, &status);
        return false;
    }
    memcpy (buf, cell, 11);
    return true;
}

//  A date that may not be after today.
static bool
s_past_date (registry_csv_t *self, s_col_t id, bool required, char buf [11],
             kj_date_t *date)
{
    if (!s_date (self, id, required, buf, date))
        return false;
    if (*buf && kj_check_date_compare (*date, self->options.today) > 0) {
        char today [11];
        kj_check_date_format (self->options.today, today);
        s_error (self, s_name (self, id), buf, "%s is after today (%s)", buf,
                 today);
        return false;
    }
    return true;
}

//  Text: valid UTF-8, no control characters, at most max characters.
static const char *
s_text (registry_csv_t *self, s_col_t id, size_t max, bool required)
{
    const char *cell = s_cell (self, id);
    kj_status_t status;
    const char *name = s_name (self, id);
    if (kj_check_text (cell ? cell : "", name, max, required, &status)) {
        s_error_status (self, name, cell ? cell : "", &status);
        return "";
    }
    return cell ? cell : "";
}

//  An enum value; an empty or missing cell is dflt (reported when
//  required). -1 if reported.
static int
s_enum (registry_csv_t *self, s_col_t id, const s_enum_t *e, bool required,
        int dflt)
{
    const char *cell = s_cell (self, id);
    const char *name = s_name (self, id);
    char choices [400];
    if (!cell || !*cell) {
        if (!required)
            return dflt;
        s_enum_choices (e, choices, sizeof choices);
        s_error (self, name, "", "required, and empty: one of %s", choices);
        return -1;
    }
    int value = s_enum_value (e, cell);
    if (value < 0) {
        s_enum_choices (e, choices, sizeof choices);
        s_error (self, name, cell, "'%s' is not one of %s", cell, choices);
    }
    return value;
}

//  Split a list cell in place at '|', ';', ',' and their full-width
//  forms and '、', into at most max trimmed, non-empty items. Returns the
//  count, or -1 (reported) if there are more than max.
static int
s_list (registry_csv_t *self, s_col_t id, char **items, int max)
{
    const char *cell = s_cell (self, id);
    if (!cell || !*cell)
        return 0;
    char *at = (char *) cell;
    int count = 0;
    while (*at) {
        //  One item: up to the next separator
        char *start = at;
        char *end = at;
        size_t skip = 0;
        while (*end) {
            unsigned char c = (unsigned char) *end;
            if (c == '|' || c == ';' || c == ',') {
                skip = 1;
                break;
            }
            if (c == 0xE3 && (unsigned char) end [1] == 0x80
                && (unsigned char) end [2] == 0x81) {  //  、
                skip = 3;
                break;
            }
            if (c == 0xEF && (unsigned char) end [1] == 0xBC
                && ((unsigned char) end [2] == 0x8C         //  ，
                    || (unsigned char) end [2] == 0x9B)) {  //  ；
                skip = 3;
                break;
            }
            end++;
        }
        at = *end ? end + skip : end;
        *end = 0;
        while (*start == ' ' || *start == '\t')
            start++;
        char *last = end;
        while (last > start && (last [-1] == ' ' || last [-1] == '\t'))
            *--last = 0;
        if (!*start)
            continue;
        if (count == max) {
            s_error (self, s_name (self, id), cell, "more than %d items", max);
            return -1;
        }
        items [count++] = start;
    }
    return count;
}

//  A list of enum values into values; -1 if reported.
static int
s_enum_list (registry_csv_t *self, s_col_t id, const s_enum_t *e, int *values,
             int max)
{
    char *items [REGISTRY_PRODUCT_MAX_REGIONS];
    int count = s_list (self, id, items, max);
    char choices [400];
    for (int i = 0; i < count; i++) {
        values [i] = s_enum_value (e, items [i]);
        if (values [i] < 0) {
            s_enum_choices (e, choices, sizeof choices);
            s_error (self, s_name (self, id), items [i],
                     "'%s' is not one of "
                     "%s",
                     items [i], choices);
            count = -1;
            break;
        }
        for (int j = 0; j < i; j++)
            if (values [j] == values [i]) {
                s_error (self, s_name (self, id), items [i],
                         "'%s' is listed "
                         "twice",
                         items [i]);
                return -1;
            }
    }
    return count;
}

//  A list of region tokens; -1 if reported. Empty is reported when
//  required.
static int
s_region_list (registry_csv_t *self, s_col_t id, bool required)
{
    char *items [REGISTRY_PRODUCT_MAX_REGIONS];
    int count = s_list (self, id, items, REGISTRY_PRODUCT_MAX_REGIONS);
    const char *name = s_name (self, id);
    if (count == 0 && required) {
        s_error (self, name, "",
                 "required, and empty: name at least one "
                 "region: a city code (210100 .. 211400) or name (沈阳), "
                 "SFDZ, SHENYANG_METRO (沈阳都市圈) or PROVINCE (全省)");
        return -1;
    }
    for (int i = 0; i < count; i++) {
        const char *token = registry_csv_region (items [i], true);
        if (!token) {
            s_error (self, name, items [i],
                     "'%s' is not a region: use a "
                     "city code (210100 Shenyang .. 211400 Huludao) or name "
                     "(沈阳), SFDZ, SHENYANG_METRO (沈阳都市圈) or PROVINCE "
                     "(全省)",
                     items [i]);
            return -1;
        }
        for (int j = 0; j < i; j++)
            if (strcmp (self->row.regions [j], token) == 0) {
                s_error (self, name, items [i], "'%s' is listed twice",
                         items [i]);
                return -1;
            }
        self->row.regions [i] = (char *) token;
    }
    return count;
}

//  A credit code, normalised into buf; an empty cell is "" unless
//  required. False if reported.
static bool
s_code (registry_csv_t *self, s_col_t id, bool required,
        char buf [REGISTRY_USCC_SIZE + 1])
{
    const char *cell = s_cell (self, id);
    buf [0] = 0;
    if (!required && (!cell || !*cell))
        return true;
    kj_status_t status;
    if (registry_uscc_normalize (cell ? cell : "", buf, &status)) {
        self->bad_code = cell ? cell : "";
        s_error_status (self, s_name (self, id), cell ? cell : "", &status);
        self->bad_code = NULL;
        return false;
    }
    return true;
}

//  An id of an institution or product.
static const char *
s_id (registry_csv_t *self, s_col_t id)
{
    const char *cell = s_cell (self, id);
    kj_status_t status;
    if (kj_check_id (cell ? cell : "", s_name (self, id), &status)) {
        s_error_status (self, s_name (self, id), cell ? cell : "", &status);
        return "";
    }
    return cell;
}

//  Report what a registry check of the whole message found, unless the
//  row was refused already (the first problem would be the same one).
static void
s_check_status (registry_csv_t *self, int rc, const kj_status_t *status)
{
    if (rc == 0 || self->failed)
        return;
    char column [64];
    s_column_of (status->field, column, sizeof column);
    s_error_status (self, column, NULL, status);
}

//  --------------------------------------------------------------------------
//  Rows of each kind

//  The enterprise's region: from its code, or the region column, which
//  may name SFDZ for a code of Shenyang or Fushun, or the city of a code
//  that names only the province.
static void
s_enterprise_region (registry_csv_t *self, bool code_ok)
{
    s_row_t *r = &self->row;
    const char *text = s_cell (self, E_REGION);
    const char *region = NULL;
    if (text && *text) {
        region = registry_csv_region (text, false);
        if (!region) {
            s_error (self, "region", text,
                     "'%s' is not a region: a city "
                     "code (210100 .. 211400) or name (沈阳, 沈阳市, "
                     "Shenyang), or SFDZ (沈抚示范区)",
                     text);
            return;
        }
    }
    if (!code_ok)
        return;
    kj_region_t city;
    kj_status_t status;
    if (registry_uscc_check_enterprise (r->code,
                                        self->options.allow_authorities,
                                        &status)) {
        s_error_status (self, "code", r->code, &status);
        return;
    }
    registry_uscc_region_result_t where = registry_uscc_region (r->code, &city,
                                                                &status);
    if (where == REGISTRY_USCC_REGION_OUTSIDE && self->options.allow_outside
        && !region) {
        snprintf (r->region, sizeof r->region, "%.6s", r->code + 2);
        return;
    }
    if (where == REGISTRY_USCC_REGION_OUTSIDE
        || where == REGISTRY_USCC_REGION_INVALID) {
        s_error_status (self, "code", r->code, &status);
        return;
    }
    if (!region) {
        if (where == REGISTRY_USCC_REGION_PROVINCE) {
            s_error (self, "region", "",
                     "required for this code: its region "
                     "code %.6s names the province but no city; give the "
                     "city (e.g. 210100 or 沈阳)",
                     r->code + 2);
            return;
        }
        region = kj_region_info (city)->code;
    }
    else if (strcmp (region, KJ_REGION_SHENFU_CODE) == 0) {
        if (where == REGISTRY_USCC_REGION_CITY && city != KJ_REGION_SHENYANG
            && city != KJ_REGION_FUSHUN) {
            s_error (self, "region", text,
                     "SFDZ (沈抚示范区) enterprises "
                     "carry a code of Shenyang (2101xx) or Fushun (2104xx); "
                     "this code's region is %.6s (%s)",
                     r->code + 2, kj_region_info (city)->short_zh);
            return;
        }
    }
    else if (where == REGISTRY_USCC_REGION_CITY
             && strcmp (region, kj_region_info (city)->code) != 0) {
        s_error (self, "region", text,
                 "%s does not match the code, whose "
                 "region code %.6s is in %s (%s); only SFDZ may differ",
                 text, r->code + 2, kj_region_info (city)->short_zh,
                 kj_region_info (city)->code);
        return;
    }
    kj_strlcpy (r->region, region, sizeof r->region);
}

//  The qualifications column: "kind:YYYY-MM-DD" items (the expiry date).
static void
s_enterprise_qualifications (registry_csv_t *self)
{
    s_row_t *r = &self->row;
    Kj__Enterprise *e = &r->enterprise;
    char *items [REGISTRY_PRODUCT_MAX_REGIONS];
    int count = s_list (self, E_QUALIFICATIONS, items, REGISTRY_CSV_MAX_QUALS);
    for (int i = 0; i < count; i++) {
        char *colon = strchr (items [i], ':');
        const char *date = NULL;
        if (colon) {
            *colon = 0;
            date = colon + 1;
        }
        else if ((colon = strstr (items [i], "：")) != NULL) {
            *colon = 0;
            date = colon + 3;
        }
        while (date && (*date == ' ' || *date == '\t'))
            date++;
        int kind = s_enum_value (&s_enum_qual, items [i]);
        char choices [400];
        if (kind < 0) {
            s_enum_choices (&s_enum_qual, choices, sizeof choices);
            s_error (self, "qualifications", items [i],
                     "'%s' is not a "
                     "qualification; one of %s, each as kind:expiry date, "
                     "e.g. high_tech:2026-12-31",
                     items [i], choices);
            return;
        }
        kj_date_t expires;
        kj_status_t status;
        if (!date || kj_check_date (date, "expires_on", &expires, &status)) {
            s_error (self, "qualifications", items [i],
                     "%s: the expiry date "
                     "is missing or not a date; write kind:YYYY-MM-DD, e.g. "
                     "%s:2026-12-31",
                     items [i], items [i]);
            return;
        }
        for (int j = 0; j < i; j++)
            if ((int) r->quals [j].kind == kind) {
                s_error (self, "qualifications", items [i],
                         "%s is listed "
                         "twice",
                         items [i]);
                return;
            }
        kj__qualification__init (&r->quals [i]);
        r->quals [i].kind = (Kj__QualificationKind) kind;
        kj_strlcpy (r->expires [i], date, sizeof r->expires [i]);
        r->quals [i].expires_on = r->expires [i];
        r->qual_ptrs [i] = &r->quals [i];
        e->n_qualifications = (size_t) i + 1;
    }
    e->qualifications = r->qual_ptrs;
}

static void
s_enterprise_row (registry_csv_t *self)
{
    s_row_t *r = &self->row;
    Kj__Enterprise *e = &r->enterprise;
    kj__enterprise__init (e);
    kj__credit_flags__init (&r->credit);
    kj__ip_assets__init (&r->ip);
    e->credit = &r->credit;
    e->ip = &r->ip;
    r->region [0] = 0;
    e->code = r->code;
    e->region = r->region;

    bool code_ok = s_code (self, E_CODE, true, r->code);
    s_enterprise_region (self, code_ok);
    e->name = (char *) s_text (self, E_NAME, 200, true);
    e->industry = (char *) s_text (self, E_INDUSTRY, 100, false);
    kj_date_t founded;
    s_past_date (self, E_FOUNDED_ON, true, r->founded_on, &founded);
    e->founded_on = r->founded_on;
    int size = s_enum (self, E_SIZE_CLASS, &s_enum_size, false, 0);
    e->size_class = size < 0 ? 0 : (Kj__SizeClass) size;

    //  The entry status: stored name or Chinese label; a bulk import loads
    //  entries reviewed elsewhere, so the default is active (已入库)
    const char *status_text = s_cell (self, E_STATUS);
    e->status = KJ__ENTRY_STATUS__ENTRY_ACTIVE;
    if (status_text && *status_text) {
        int state = registry_entry_state_from_name (status_text);
        for (int s = 0; state < 0 && s < REGISTRY_ENTRY_STATES; s++)
            if (strcmp (status_text,
                        registry_entry_state_label ((registry_entry_state_t) s))
                == 0)
                state = s;
        if (state < 0)
            s_error (self, "status", status_text,
                     "'%s' is not an entry "
                     "status; one of draft, submitted, city_approved, "
                     "publicized, active, returned, rejected, suspended or "
                     "removed",
                     status_text);
        else
            e->status = (Kj__EntryStatus) state;
    }
    e->listing_tutoring = s_bool (self, E_LISTING_TUTORING);
    e->board_standard = s_bool (self, E_BOARD_STANDARD);
    e->chain_leader = s_bool (self, E_CHAIN_LEADER);
    r->credit.dishonest = s_bool (self, E_DISHONEST);
    r->credit.abnormal = s_bool (self, E_ABNORMAL);
    const char *grade = s_cell (self, E_TAX_GRADE);
    r->tax_grade [0] = 0;
    if (grade && *grade) {
        char upper = (char) toupper ((unsigned char) grade [0]);
        if (grade [1] || !strchr ("ABMCD", upper))
            s_error (self, "tax_grade", grade,
                     "'%s' is not a tax credit "
                     "grade; one of A, B, M, C, D, or empty",
                     grade);
        else {
            r->tax_grade [0] = upper;
            r->tax_grade [1] = 0;
        }
    }
    r->credit.tax_grade = r->tax_grade;
    int64_t value;
    s_int (self, E_INVENTION_PATENTS, 0, 1000000, 0, &value);
    r->ip.invention_patents = (int32_t) value;
    s_int (self, E_CLASS2_IP, 0, 1000000, 0, &value);
    r->ip.class2_ip = (int32_t) value;
    s_int (self, E_PLEDGED_IP, 0, 1000000, 0, &value);
    r->ip.pledged_ip = (int32_t) value;

    //  The latest equity round, if any
    int round = s_enum (self, E_ROUND, &s_enum_round, false, 0);
    kj_date_t closed;
    bool closed_ok = s_past_date (self, E_ROUND_CLOSED_ON, false, r->closed_on,
                                  &closed);
    int64_t amount;
    bool amount_ok = s_int (self, E_ROUND_AMOUNT, 0, INT64_MAX, 0, &amount);
    if (round > 0) {
        if (closed_ok && !r->closed_on [0])
            s_error (self, "round_closed_on", "",
                     "required with a round: "
                     "the date the round closed, YYYY-MM-DD");
        else if (closed_ok && e->founded_on [0]
                 && kj_check_date_compare (closed, founded) < 0)
            s_error (self, "round_closed_on", r->closed_on,
                     "%s is before "
                     "the enterprise was founded (%s)",
                     r->closed_on, e->founded_on);
        kj__equity_round__init (&r->round);
        r->round.round = (Kj__Round) round;
        r->round.amount_fen = amount;
        r->round.closed_on = r->closed_on;
        r->round_ptr = &r->round;
        e->rounds = &r->round_ptr;
        e->n_rounds = 1;
    }
    else if (round == 0
             && ((closed_ok && r->closed_on [0])
                 || (amount_ok && s_given (self, E_ROUND_AMOUNT))))
        s_error (self,
                 s_given (self, E_ROUND_AMOUNT) ? "round_amount_fen"
                                                : "round_closed_on",
                 "",
                 "given without a round: name the round too (seed, "
                 "angel, a, b, c_plus, pre_ipo)");
    s_enterprise_qualifications (self);

    if (!self->failed) {
        kj_status_t status;
        s_check_status (self, registry_check_enterprise (e, NULL, 0, &status),
                        &status);
    }
    if (!self->failed && self->row_fn) {
        registry_csv_row_t row = { .kind = REGISTRY_CSV_ENTERPRISES,
                                   .line = self->row_line,
                                   .enterprise = e };
        self->row_fn (&row, self->arg);
    }
}

static void
s_figures_row (registry_csv_t *self)
{
    s_row_t *r = &self->row;
    Kj__YearFigures *f = &r->figures;
    kj__year_figures__init (f);
    s_code (self, F_CODE, true, r->code);
    int64_t value;
    if (!s_given (self, F_YEAR))
        s_error (self, "year", "",
                 "required, and empty: the year of the "
                 "figures, e.g. %d",
                 self->options.today.year - 1);
    else if (s_int (self, F_YEAR, 1900, self->options.today.year, 0, &value))
        f->year = (int32_t) value;
    struct {
        s_col_t id;
        int64_t *field;
        bool may_be_negative;
    } money [] = {
        { F_REVENUE, &f->revenue_fen, false },
        { F_RND, &f->rnd_fen, false },
        { F_NET_PROFIT, &f->net_profit_fen, true },
        { F_ASSETS, &f->total_assets_fen, false },
        { F_CASH_FLOW, &f->operating_cash_flow_fen, true },
        { F_HIGH_TECH_REVENUE, &f->high_tech_revenue_fen, false },
        { F_COST, &f->total_cost_fen, false },
    };
    //  An empty or missing cell is a figure not reported: unknown, stored
    //  as 0 and named in not_reported (docs/rules/stages.md), never zero.
    //  money [] and the two counts after it are in the order of
    //  registry_check_figure_names.
    f->not_reported = r->not_reported;
    for (size_t i = 0; i < COUNT (money); i++) {
        if (!s_given (self, money [i].id))
            f->not_reported [f->n_not_reported++] =
                (char *) registry_check_figure_names [i];
        s_int (self, money [i].id, money [i].may_be_negative ? INT64_MIN : 0,
               INT64_MAX, 0, money [i].field);
    }
    s_col_t counts [] = { F_STAFF, F_TECH_STAFF };
    int32_t *count_fields [] = { &f->staff, &f->tech_staff };
    for (size_t i = 0; i < COUNT (counts); i++) {
        if (!s_given (self, counts [i]))
            f->not_reported [f->n_not_reported++] =
                (char *) registry_check_figure_names [COUNT (money) + i];
        s_int (self, counts [i], 0, 10000000, 0, &value);
        *count_fields [i] = (int32_t) value;
    }
    if (!self->failed) {
        kj_status_t status;
        s_check_status (self, registry_check_figures (f, "figures", &status),
                        &status);
    }
    if (!self->failed && self->row_fn) {
        registry_csv_row_t row = { .kind = REGISTRY_CSV_FIGURES,
                                   .line = self->row_line,
                                   .code = r->code,
                                   .figures = f };
        self->row_fn (&row, self->arg);
    }
}

static void
s_institution_row (registry_csv_t *self)
{
    s_row_t *r = &self->row;
    Kj__Institution *i = &r->institution;
    kj__institution__init (i);
    i->id = (char *) s_id (self, I_ID);
    i->name = (char *) s_text (self, I_NAME, 200, true);
    int type = s_enum (self, I_TYPE, &s_enum_institution, true, 0);
    i->type = type < 0 ? 0 : (Kj__InstitutionType) type;
    s_code (self, I_USCC, false, r->uscc);
    i->uscc = r->uscc;
    int count = s_region_list (self, I_REGIONS, true);
    i->regions = r->regions;
    i->n_regions = count < 0 ? 0 : (size_t) count;
    i->contact = (char *) s_text (self, I_CONTACT, 200, false);
    s_code (self, I_SPONSOR, false, r->sponsor);
    i->sponsor_code = r->sponsor;
    if (!self->failed && self->row_fn) {
        registry_csv_row_t row = { .kind = REGISTRY_CSV_INSTITUTIONS,
                                   .line = self->row_line,
                                   .institution = i };
        self->row_fn (&row, self->arg);
    }
}

static void
s_product_row (registry_csv_t *self)
{
    s_row_t *r = &self->row;
    Kj__Product *p = &r->product;
    kj__product__init (p);
    p->id = (char *) s_id (self, P_ID);
    p->institution_id = (char *) s_id (self, P_INSTITUTION);
    p->name = (char *) s_text (self, P_NAME, 200, true);
    int type = s_enum (self, P_TYPE, &s_enum_product, true, 0);
    p->type = type < 0 ? 0 : (Kj__ProductType) type;
    int64_t value;
    s_int (self, P_MIN_AMOUNT, 0, INT64_MAX, 0, &p->min_amount_fen);
    if (!s_given (self, P_MAX_AMOUNT))
        s_error (self, "max_amount_fen", "",
                 "required, and empty: the "
                 "largest amount, in fen");
    else
        s_int (self, P_MAX_AMOUNT, 1, INT64_MAX, 0, &p->max_amount_fen);
    s_int (self, P_MIN_TERM, 0, 600, 0, &value);
    p->min_term_months = (int32_t) value;
    if (!s_given (self, P_MAX_TERM))
        s_error (self, "max_term_months", "",
                 "required, and empty: the "
                 "longest term, in months");
    else if (s_int (self, P_MAX_TERM, 1, 600, 0, &value))
        p->max_term_months = (int32_t) value;
    s_int (self, P_RATE, 0, 10000, 0, &value);
    p->rate_bp = (int32_t) value;
    int count = s_enum_list (self, P_COLLATERAL, &s_enum_collateral,
                             (int *) r->collateral, 8);
    p->collateral = r->collateral;
    p->n_collateral = count < 0 ? 0 : (size_t) count;
    count = s_enum_list (self, P_STAGES, &s_enum_stage, (int *) r->stages, 4);
    p->stages = r->stages;
    p->n_stages = count < 0 ? 0 : (size_t) count;
    count = s_enum_list (self, P_QUALS, &s_enum_qual, (int *) r->all_quals,
                         REGISTRY_CSV_MAX_QUALS);
    p->qualifications = r->all_quals;
    p->n_qualifications = count < 0 ? 0 : (size_t) count;
    count = s_enum_list (self, P_ANY_QUALS, &s_enum_qual, (int *) r->any_quals,
                         REGISTRY_CSV_MAX_QUALS);
    p->any_qualifications = r->any_quals;
    p->n_any_qualifications = count < 0 ? 0 : (size_t) count;
    const char *grade = s_cell (self, P_MIN_GRADE);
    p->min_grade = "";
    if (grade && *grade) {
        for (char *c = (char *) grade; *c; c++)
            *c = (char) toupper ((unsigned char) *c);
        if (registry_product_grade (grade) < 0)
            s_error (self, "min_grade", grade,
                     "'%s' is not a grade; one of "
                     "AAA, AA, A, B, C, or empty for none",
                     grade);
        else
            p->min_grade = (char *) grade;
    }
    count = s_region_list (self, P_REGIONS, true);
    p->regions = r->regions;
    p->n_regions = count < 0 ? 0 : (size_t) count;
    kj_date_t from, to;
    s_date (self, P_VALID_FROM, false, r->valid_from, &from);
    if (!r->valid_from [0] && !s_given (self, P_VALID_FROM))
        kj_check_date_format (self->options.today, r->valid_from);
    p->valid_from = r->valid_from;
    s_date (self, P_VALID_TO, false, r->valid_to, &to);
    p->valid_to = r->valid_to;
    p->description = (char *) s_text (self, P_DESCRIPTION, 2000, false);
    if (!self->failed) {
        kj_status_t status;
        registry_product_terms_t terms;
        int rc = registry_product_check (p, NULL, 0, &status);
        if (rc == 0) {
            registry_product_terms (p, &terms);
            rc = registry_product_check_terms (&terms, &status);
        }
        s_check_status (self, rc, &status);
    }
    if (!self->failed && self->row_fn) {
        registry_csv_row_t row = { .kind = REGISTRY_CSV_PRODUCTS,
                                   .line = self->row_line,
                                   .product = p };
        self->row_fn (&row, self->arg);
    }
}

//  --------------------------------------------------------------------------
//  libcsv's callbacks: a field, then the end of a row

static void
s_on_field (void *data, size_t size, void *arg)
{
    registry_csv_t *self = (registry_csv_t *) arg;
    if (self->n_fields < MAX_COLUMNS) {
        if (self->arena_used + size + 1 > self->arena_size) {
            while (self->arena_used + size + 1 > self->arena_size)
                self->arena_size *= 2;
            self->arena = (char *) realloc (self->arena, self->arena_size);
            assert (self->arena);
        }
        self->field_at [self->n_fields] = self->arena_used;
        if (size)
            memcpy (self->arena + self->arena_used, data, size);
        self->arena [self->arena_used + size] = 0;
        self->arena_used += size + 1;
    }
    self->n_fields++;
}

//  Trim ASCII white space off both ends of every field, in place (libcsv
//  trims unquoted fields only).
static void
s_trim_fields (registry_csv_t *self)
{
    size_t fields = self->n_fields < MAX_COLUMNS ? self->n_fields : MAX_COLUMNS;
    for (size_t i = 0; i < fields; i++) {
        char *cell = self->arena + self->field_at [i];
        size_t skip = 0;
        while (cell [skip] == ' ' || cell [skip] == '\t' || cell [skip] == '\r')
            skip++;
        size_t length = strlen (cell + skip);
        while (length
               && (cell [skip + length - 1] == ' '
                   || cell [skip + length - 1] == '\t'
                   || cell [skip + length - 1] == '\r'))
            length--;
        cell [skip + length] = 0;
        self->field_at [i] += skip;
    }
}

static void
s_on_row (int terminator, void *arg)
{
    registry_csv_t *self = (registry_csv_t *) arg;
    s_trim_fields (self);
    self->rows++;
    self->failed = false;
    if (self->n_fields != self->n_columns) {
        char value [32];
        snprintf (value, sizeof value, "%zu fields", self->n_fields);
        s_error (self, "", value,
                 "%zu field%s, but the header has %zu "
                 "columns",
                 self->n_fields, self->n_fields == 1 ? "" : "s",
                 self->n_columns);
    }
    else
        switch (self->kind) {
            case REGISTRY_CSV_ENTERPRISES:
                s_enterprise_row (self);
                break;
            case REGISTRY_CSV_FIGURES:
                s_figures_row (self);
                break;
            case REGISTRY_CSV_INSTITUTIONS:
                s_institution_row (self);
                break;
            case REGISTRY_CSV_PRODUCTS:
                s_product_row (self);
                break;
        }
    self->n_fields = 0;
    self->arena_used = 0;
}

//  The parser met bad CSV (a stray quote): report the row, start afresh.
static void
s_malformed (registry_csv_t *self, const char *why)
{
    if (!self->broken) {
        self->rows++;
        s_error (self, "", NULL, "%s", why);
    }
    self->broken = true;
    csv_free (&self->parser);
    csv_init (&self->parser, CSV_STRICT | CSV_STRICT_FINI);
    self->n_fields = 0;
    self->arena_used = 0;
}

uint32_t
registry_csv_parse (registry_csv_t *self, const char *data, size_t size,
                    uint32_t first_line, registry_csv_row_fn *row_fn,
                    registry_csv_error_fn *error_fn, void *arg)
{
    assert (self);
    assert (data || size == 0);
    self->row_fn = row_fn;
    self->error_fn = error_fn;
    self->arg = arg;
    self->rows = 0;
    self->line = first_line;
    size_t at = 0;
    while (at < size) {
        const char *newline = (const char *) memchr (data + at, '\n',
                                                     size - at);
        size_t end = newline ? (size_t) (newline - data) + 1 : size;
        //  Between rows (libcsv's ROW_NOT_BEGUN is 0): one may start here
        if (self->parser.pstate == 0) {
            self->row_line = self->line;
            self->broken = false;
        }
        if (csv_parse (&self->parser, data + at, end - at, s_on_field, s_on_row,
                       self)
            != end - at)
            s_malformed (self, "malformed CSV: a quote inside an unquoted "
                               "field, or text after a closing quote; a field "
                               "with quotes, commas or newlines is written "
                               "\"like \"\"this\"\"\"");
        at = end;
        if (newline)
            self->line++;
    }
    //  The last row may lack its newline; a quote still open ends here
    if (csv_fini (&self->parser, s_on_field, s_on_row, self) != 0)
        s_malformed (self, "malformed CSV: a quoted field is never closed");
    self->row_fn = NULL;
    self->error_fn = NULL;
    return self->rows;
}

uint32_t
registry_csv_next_line (registry_csv_t *self)
{
    return self->line;
}

//  --------------------------------------------------------------------------
//  Header

//  Append one problem to a "; "-separated list.
static void
s_problem (char *buf, size_t size, size_t *at, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

static void
s_problem (char *buf, size_t size, size_t *at, const char *format, ...)
{
    if (*at + 3 >= size)
        return;
    if (*at)
        *at += snprintf (buf + *at, size - *at, "; ");
    va_list args;
    va_start (args, format);
    *at += vsnprintf (buf + *at, size - *at, _ (format), args);
    va_end (args);
    if (*at >= size) {
        kj_utf8_trim (buf);  //  never half a character at the cut
        *at = strlen (buf);
    }
}

//  Take the header row's fields as the columns of the file; problems go
//  into the status, all of them.
static int
s_take_header (registry_csv_t *self, kj_status_t *status)
{
    char problems [sizeof status->message] = "";
    size_t at = 0;
#define PROBLEM(...) s_problem (problems, sizeof problems, &at, __VA_ARGS__)
    s_trim_fields (self);
    if (self->n_fields > MAX_COLUMNS) {
        PROBLEM ("%zu columns, at most %d", self->n_fields, MAX_COLUMNS);
        self->n_fields = MAX_COLUMNS;
    }
    for (size_t i = 0; i < self->n_fields; i++) {
        const char *name = self->arena + self->field_at [i];
        const s_column_t *found = NULL;
        for (size_t c = 0; c < self->table_size && !found; c++)
            if (strcasecmp (name, self->table [c].name) == 0
                || strcmp (name, self->table [c].zh) == 0)
                found = &self->table [c];
        if (!found
            && (strcasecmp (name, "uscc") == 0
                || strcasecmp (name, "credit_code") == 0)
            && (self->kind == REGISTRY_CSV_ENTERPRISES
                || self->kind == REGISTRY_CSV_FIGURES))
            found = &self->table [0];
        if (!found) {
            PROBLEM ("column %zu: '%.*s' is not a column of %s files", i + 1,
                     kj_utf8_cut (name, 40), name,
                     registry_csv_kind_name (self->kind));
            continue;
        }
        if (self->file_column [found->id] >= 0) {
            PROBLEM ("column %zu: '%s' is there twice (also column %d)", i + 1,
                     found->name, self->file_column [found->id] + 1);
            continue;
        }
        self->file_column [found->id] = (int) i;
        self->columns [i] = found;
    }
    self->n_columns = self->n_fields;
    for (size_t c = 0; c < self->table_size; c++)
        if (self->table [c].required
            && self->file_column [self->table [c].id] < 0)
            PROBLEM ("column '%s' (%s) is required and missing",
                     self->table [c].name, self->table [c].zh);
#undef PROBLEM
    if (!*problems)
        return 0;
    char columns [300];
    size_t used = 0;
    for (size_t c = 0; c < self->table_size && used < sizeof columns; c++)
        used += snprintf (columns + used, sizeof columns - used, "%s%s",
                          c ? ", " : "", self->table [c].name);
    return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "header",
                          "header (line 1): %s. Columns of %s files: %s",
                          problems, registry_csv_kind_name (self->kind),
                          columns);
}

registry_csv_t *
registry_csv_new (registry_csv_kind_t kind, const char *header, size_t size,
                  const registry_csv_options_t *options, kj_status_t *status)
{
    assert (header || size == 0);
    assert (options && status);
    const s_column_t *table;
    size_t table_size;
    switch (kind) {
        case REGISTRY_CSV_ENTERPRISES:
            table = s_enterprise_columns;
            table_size = COUNT (s_enterprise_columns);
            break;
        case REGISTRY_CSV_FIGURES:
            table = s_figures_columns;
            table_size = COUNT (s_figures_columns);
            break;
        case REGISTRY_CSV_INSTITUTIONS:
            table = s_institution_columns;
            table_size = COUNT (s_institution_columns);
            break;
        case REGISTRY_CSV_PRODUCTS:
            table = s_product_columns;
            table_size = COUNT (s_product_columns);
            break;
        default:
            kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "kind",
                           "kind: %d is not a kind of file (enterprises, "
                           "figures, institutions, products)",
                           (int) kind);
            return NULL;
    }
    if (size >= 3 && memcmp (header, "\xEF\xBB\xBF", 3) == 0) {
        header += 3;
        size -= 3;
    }
    while (size && (header [size - 1] == '\n' || header [size - 1] == '\r'))
        size--;
    if (memchr (header, '\n', size)) {
        kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "header",
                       "header: one line expected, without newlines");
        return NULL;
    }

    registry_csv_t *self = (registry_csv_t *) calloc (1, sizeof *self);
    assert (self);
    self->kind = kind;
    self->options = *options;
    self->table = table;
    self->table_size = table_size;
    for (int i = 0; i < S_COLUMNS; i++)
        self->file_column [i] = -1;
    self->arena_size = 4096;
    self->arena = (char *) malloc (self->arena_size);
    assert (self->arena);
    csv_init (&self->parser, CSV_STRICT | CSV_STRICT_FINI);

    //  The header is one row for libcsv; its fields stay in the arena
    bool ok = csv_parse (&self->parser, header, size, s_on_field, NULL, self)
               == size
           && csv_fini (&self->parser, s_on_field, NULL, self) == 0;
    int rc = -1;
    if (!ok)
        kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "header",
                       "header (line 1): malformed CSV");
    else if (self->n_fields == 0)
        kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "header",
                       "header (line 1): empty; the first line names the "
                       "columns");
    else
        rc = s_take_header (self, status);
    csv_free (&self->parser);
    csv_init (&self->parser, CSV_STRICT | CSV_STRICT_FINI);
    self->n_fields = 0;
    self->arena_used = 0;
    if (rc) {
        registry_csv_destroy (&self);
        return NULL;
    }
    kj_status_ok (status);
    return self;
}

void
registry_csv_destroy (registry_csv_t **self_p)
{
    if (*self_p) {
        registry_csv_t *self = *self_p;
        csv_free (&self->parser);
        free (self->arena);
        free (self);
        *self_p = NULL;
    }
}

size_t
registry_csv_columns (registry_csv_t *self, const char **names, size_t max)
{
    size_t count = 0;
    for (size_t i = 0; i < self->n_columns && count < max; i++)
        if (self->columns [i])
            names [count++] = self->columns [i]->name;
    return count;
}

size_t
registry_csv_ignored (registry_csv_t *self, const char **names, size_t max)
{
    size_t count = 0;
    for (size_t i = 0; i < self->n_columns && count < max; i++)
        if (self->columns [i] && self->columns [i]->computed)
            names [count++] = self->columns [i]->name;
    return count;
}

//  --------------------------------------------------------------------------
//  Formatting

//  One field: quoted when it holds a comma, quote, newline or white space
//  at either end, or is empty (so that PostgreSQL's COPY ... CSV reads an
//  empty string, not NULL).
static void
s_put (registry_csv_buf_t *out, const char *text, bool first)
{
    if (!first)
        registry_csv_buf_append (out, ",", 1);
    size_t length = strlen (text);
    bool quote = length == 0 || strpbrk (text, ",\"\r\n") || text [0] == ' '
              || text [0] == '\t' || text [length - 1] == ' '
              || text [length - 1] == '\t';
    if (!quote) {
        registry_csv_buf_append (out, text, length);
        return;
    }
    registry_csv_buf_append (out, "\"", 1);
    for (const char *c = text; *c;) {
        const char *q = strchr (c, '"');
        size_t run = q ? (size_t) (q - c) : strlen (c);
        registry_csv_buf_append (out, c, run);
        if (!q)
            break;
        registry_csv_buf_append (out, "\"\"", 2);
        c = q + 1;
    }
    registry_csv_buf_append (out, "\"", 1);
}

static void
s_put_int (registry_csv_buf_t *out, int64_t value, bool first)
{
    char text [24];
    snprintf (text, sizeof text, "%" PRId64, value);
    s_put (out, text, first);
}

//  A figure of a year: an empty cell when it was not reported, so that the
//  file imports back as it was (unknown, not 0)
static void
s_put_figure (registry_csv_buf_t *out, const Kj__YearFigures *f,
              const char *name, int64_t value, bool first)
{
    for (size_t i = 0; i < f->n_not_reported; i++)
        if (streq (f->not_reported [i], name)) {
            if (!first)
                registry_csv_buf_append (out, ",", 1);
            return;
        }
    s_put_int (out, value, first);
}

static void
s_put_bool (registry_csv_buf_t *out, bool value, bool first)
{
    s_put (out, value ? "true" : "false", first);
}

static void
s_put_enum (registry_csv_buf_t *out, const s_enum_t *e, int value, bool first)
{
    char name [48];
    s_put (out,
           value == 0 && !e->zero_ok
               ? ""
               : s_enum_name (e, value, name, sizeof name),
           first);
}

//  A list of enum values joined by '|'.
static void
s_put_enums (registry_csv_buf_t *out, const s_enum_t *e, const int *values,
             size_t n, bool first)
{
    char text [400] = "", name [48];
    size_t at = 0;
    for (size_t i = 0; i < n && at < sizeof text; i++)
        at += snprintf (text + at, sizeof text - at, "%s%s", i ? "|" : "",
                        s_enum_name (e, values [i], name, sizeof name));
    s_put (out, text, first);
}

static void
s_put_strings (registry_csv_buf_t *out, char **values, size_t n, bool first)
{
    char text [400] = "";
    size_t at = 0;
    for (size_t i = 0; i < n && at < sizeof text; i++)
        at += snprintf (text + at, sizeof text - at, "%s%s", i ? "|" : "",
                        values [i]);
    s_put (out, text, first);
}

static const char *
s_str (const char *text)
{
    return text ? text : "";
}

//  One cell of a row, by column id.
static void
s_format_cell (const registry_csv_row_t *row, s_col_t id,
               registry_csv_buf_t *out, bool first)
{
    const Kj__Enterprise *e = row->enterprise;
    const Kj__YearFigures *f = row->figures;
    const Kj__Institution *i = row->institution;
    const Kj__Product *p = row->product;
    char name [48];
    switch (id) {
        case E_CODE:
            s_put (out, s_str (e->code), first);
            break;
        case E_NAME:
            s_put (out, s_str (e->name), first);
            break;
        case E_REGION:
            s_put (out, s_str (e->region), first);
            break;
        case E_INDUSTRY:
            s_put (out, s_str (e->industry), first);
            break;
        case E_FOUNDED_ON:
            s_put (out, s_str (e->founded_on), first);
            break;
        case E_SIZE_CLASS:
            s_put_enum (out, &s_enum_size, e->size_class, first);
            break;
        case E_STATUS:
            s_put (out,
                   registry_entry_state_name (
                       (registry_entry_state_t) e->status),
                   first);
            break;
        case E_LISTING_TUTORING:
            s_put_bool (out, e->listing_tutoring, first);
            break;
        case E_BOARD_STANDARD:
            s_put_bool (out, e->board_standard, first);
            break;
        case E_CHAIN_LEADER:
            s_put_bool (out, e->chain_leader, first);
            break;
        case E_DISHONEST:
            s_put_bool (out, e->credit && e->credit->dishonest, first);
            break;
        case E_ABNORMAL:
            s_put_bool (out, e->credit && e->credit->abnormal, first);
            break;
        case E_TAX_GRADE:
            s_put (out, e->credit ? s_str (e->credit->tax_grade) : "", first);
            break;
        case E_INVENTION_PATENTS:
            s_put_int (out, e->ip ? e->ip->invention_patents : 0, first);
            break;
        case E_CLASS2_IP:
            s_put_int (out, e->ip ? e->ip->class2_ip : 0, first);
            break;
        case E_PLEDGED_IP:
            s_put_int (out, e->ip ? e->ip->pledged_ip : 0, first);
            break;
        case E_ROUND:
        case E_ROUND_CLOSED_ON:
        case E_ROUND_AMOUNT: {
            //  The latest round, as the registry counts it: the furthest
            //  (seed < angel < a < b < c_plus < pre_ipo), the later closed
            //  on a tie
            const Kj__EquityRound *latest = NULL;
            for (size_t r = 0; r < e->n_rounds; r++) {
                const Kj__EquityRound *round = e->rounds [r];
                if (!latest || round->round > latest->round
                    || (round->round == latest->round
                        && strcmp (s_str (round->closed_on),
                                   s_str (latest->closed_on))
                               > 0))
                    latest = round;
            }
            if (id == E_ROUND)
                s_put (out,
                       latest ? s_enum_name (&s_enum_round, latest->round, name,
                                             sizeof name)
                              : "none",
                       first);
            else if (id == E_ROUND_CLOSED_ON)
                s_put (out, latest ? s_str (latest->closed_on) : "", first);
            else if (latest)
                s_put_int (out, latest->amount_fen, first);
            else
                s_put (out, "", first);
            break;
        }
        case E_QUALIFICATIONS: {
            char text [600] = "";
            size_t at = 0;
            for (size_t q = 0; q < e->n_qualifications && at < sizeof text; q++)
                at += snprintf (text + at, sizeof text - at, "%s%s:%s",
                                q ? "|" : "",
                                s_enum_name (&s_enum_qual,
                                             e->qualifications [q]->kind, name,
                                             sizeof name),
                                s_str (e->qualifications [q]->expires_on));
            s_put (out, text, first);
            break;
        }
        case E_STAGE:
            s_put (out,
                   e->stage ? s_enum_name (&s_enum_stage, e->stage->stage, name,
                                           sizeof name)
                            : "",
                   first);
            break;
        case E_TECHSME:
            if (e->techsme)
                s_put_int (out, e->techsme->total, first);
            else
                s_put (out, "", first);
            break;
        case F_CODE:
            s_put (out, s_str (row->code), first);
            break;
        case F_YEAR:
            s_put_int (out, f->year, first);
            break;
        case F_REVENUE:
            s_put_figure (out, f, "revenue", f->revenue_fen, first);
            break;
        case F_RND:
            s_put_figure (out, f, "rnd", f->rnd_fen, first);
            break;
        case F_NET_PROFIT:
            s_put_figure (out, f, "net-profit", f->net_profit_fen, first);
            break;
        case F_ASSETS:
            s_put_figure (out, f, "assets", f->total_assets_fen, first);
            break;
        case F_CASH_FLOW:
            s_put_figure (out, f, "cash-flow", f->operating_cash_flow_fen, first);
            break;
        case F_HIGH_TECH_REVENUE:
            s_put_figure (out, f, "high-tech-revenue", f->high_tech_revenue_fen, first);
            break;
        case F_COST:
            s_put_figure (out, f, "cost", f->total_cost_fen, first);
            break;
        case F_STAFF:
            s_put_figure (out, f, "staff", f->staff, first);
            break;
        case F_TECH_STAFF:
            s_put_figure (out, f, "tech-staff", f->tech_staff, first);
            break;
        case I_ID:
            s_put (out, s_str (i->id), first);
            break;
        case I_NAME:
            s_put (out, s_str (i->name), first);
            break;
        case I_TYPE:
            s_put_enum (out, &s_enum_institution, i->type, first);
            break;
        case I_USCC:
            s_put (out, s_str (i->uscc), first);
            break;
        case I_REGIONS:
            s_put_strings (out, i->regions, i->n_regions, first);
            break;
        case I_CONTACT:
            s_put (out, s_str (i->contact), first);
            break;
        case I_SPONSOR:
            s_put (out, s_str (i->sponsor_code), first);
            break;
        case I_STATUS:
            s_put (out,
                   i->state == KJ__LISTING_STATE__LISTING_WITHDRAWN
                       ? "withdrawn"
                       : "listed",
                   first);
            break;
        case P_ID:
            s_put (out, s_str (p->id), first);
            break;
        case P_INSTITUTION:
            s_put (out, s_str (p->institution_id), first);
            break;
        case P_NAME:
            s_put (out, s_str (p->name), first);
            break;
        case P_TYPE:
            s_put_enum (out, &s_enum_product, p->type, first);
            break;
        case P_MIN_AMOUNT:
            s_put_int (out, p->min_amount_fen, first);
            break;
        case P_MAX_AMOUNT:
            s_put_int (out, p->max_amount_fen, first);
            break;
        case P_MIN_TERM:
            s_put_int (out, p->min_term_months, first);
            break;
        case P_MAX_TERM:
            s_put_int (out, p->max_term_months, first);
            break;
        case P_RATE:
            s_put_int (out, p->rate_bp, first);
            break;
        case P_COLLATERAL:
            s_put_enums (out, &s_enum_collateral, (const int *) p->collateral,
                         p->n_collateral, first);
            break;
        case P_STAGES:
            s_put_enums (out, &s_enum_stage, (const int *) p->stages,
                         p->n_stages, first);
            break;
        case P_QUALS:
            s_put_enums (out, &s_enum_qual, (const int *) p->qualifications,
                         p->n_qualifications, first);
            break;
        case P_ANY_QUALS:
            s_put_enums (out, &s_enum_qual, (const int *) p->any_qualifications,
                         p->n_any_qualifications, first);
            break;
        case P_MIN_GRADE:
            s_put (out, s_str (p->min_grade), first);
            break;
        case P_REGIONS:
            s_put_strings (out, p->regions, p->n_regions, first);
            break;
        case P_VALID_FROM:
            s_put (out, s_str (p->valid_from), first);
            break;
        case P_VALID_TO:
            s_put (out, s_str (p->valid_to), first);
            break;
        case P_DESCRIPTION:
            s_put (out, s_str (p->description), first);
            break;
        case P_STATUS:
            s_put (out,
                   p->state == KJ__LISTING_STATE__LISTING_WITHDRAWN
                       ? "withdrawn"
                       : "listed",
                   first);
            break;
        case S_COLUMNS:
            break;
    }
}

static void
s_table_of (registry_csv_kind_t kind, const s_column_t **table, size_t *size)
{
    switch (kind) {
        case REGISTRY_CSV_ENTERPRISES:
            *table = s_enterprise_columns;
            *size = COUNT (s_enterprise_columns);
            break;
        case REGISTRY_CSV_FIGURES:
            *table = s_figures_columns;
            *size = COUNT (s_figures_columns);
            break;
        case REGISTRY_CSV_INSTITUTIONS:
            *table = s_institution_columns;
            *size = COUNT (s_institution_columns);
            break;
        default:
            *table = s_product_columns;
            *size = COUNT (s_product_columns);
            break;
    }
}

void
registry_csv_header (registry_csv_kind_t kind, registry_csv_buf_t *out)
{
    const s_column_t *table;
    size_t size;
    s_table_of (kind, &table, &size);
    for (size_t c = 0; c < size; c++)
        s_put (out, table [c].name, c == 0);
    registry_csv_buf_append (out, "\n", 1);
}

void
registry_csv_format (const registry_csv_t *layout,
                     const registry_csv_row_t *row, registry_csv_buf_t *out)
{
    if (layout) {
        assert (layout->kind == row->kind);
        for (size_t c = 0; c < layout->n_columns; c++)
            s_format_cell (row, layout->columns [c]->id, out, c == 0);
    }
    else {
        const s_column_t *table;
        size_t size;
        s_table_of (row->kind, &table, &size);
        for (size_t c = 0; c < size; c++)
            s_format_cell (row, table [c].id, out, c == 0);
    }
    registry_csv_buf_append (out, "\n", 1);
}
