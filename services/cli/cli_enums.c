/*  =========================================================================
    cli_enums - enum values of proto/ as people type and read them: the
    name without its prefix, in lower case, or its Chinese label, which is
    also accepted in every locale; lists of them split and parsed
    =========================================================================
*/

#include "cli_reg.h"
#include <ctype.h>
#include <strings.h>

//  --------------------------------------------------------------------------
//  Enums

//  The Chinese name of every enum value the registry's nouns and matching
//  show, by its full name: what the desk reads under a Chinese locale, and
//  accepted in every locale.
static const struct {
    const char *name, *label;
} s_labels [] = {
    { "STAGE_UNKNOWN", "未分类" },
    { "STAGE_INCUBATION", "孵化期" },
    { "STAGE_STARTUP", "初创期" },
    { "STAGE_GROWTH", "成长期" },
    { "STAGE_MATURE", "成熟期" },
    { "ENTRY_DRAFT", "草稿" },
    { "ENTRY_SUBMITTED", "待市级审核" },
    { "ENTRY_CITY_APPROVED", "待省级审核" },
    { "ENTRY_PUBLICIZED", "公示中" },
    { "ENTRY_ACTIVE", "已入库" },
    { "ENTRY_RETURNED", "已退回" },
    { "ENTRY_REJECTED", "未入库" },
    { "ENTRY_SUSPENDED", "已暂停" },
    { "ENTRY_REMOVED", "已出库" },
    { "ACTION_SUBMIT", "提交" },
    { "ACTION_CITY_APPROVE", "市级审核通过" },
    { "ACTION_PROVINCE_APPROVE", "省级审核通过" },
    { "ACTION_PUBLICITY_PASS", "公示通过" },
    { "ACTION_PUBLICITY_OBJECTION", "公示异议" },
    { "ACTION_RETURN", "退回" },
    { "ACTION_REJECT", "驳回" },
    { "ACTION_SUSPEND", "暂停" },
    { "ACTION_REINSTATE", "恢复" },
    { "ACTION_REMOVE", "出库" },
    { "ROUND_NONE", "无" },
    { "ROUND_SEED", "种子轮" },
    { "ROUND_ANGEL", "天使轮" },
    { "ROUND_A", "A轮" },
    { "ROUND_B", "B轮" },
    { "ROUND_C_PLUS", "C轮及以后" },
    { "ROUND_PRE_IPO", "Pre-IPO轮" },
    { "SIZE_UNKNOWN", "未知" },
    { "SIZE_MICRO", "微型" },
    { "SIZE_SMALL", "小型" },
    { "SIZE_MEDIUM", "中型" },
    { "SIZE_LARGE", "大型" },
    { "QUAL_HIGH_TECH", "高新技术企业" },
    { "QUAL_TECH_SME", "科技型中小企业" },
    { "QUAL_INNOVATIVE_SME", "创新型中小企业" },
    { "QUAL_SRDI", "专精特新" },
    { "QUAL_LITTLE_GIANT", "小巨人" },
    { "QUAL_EAGLET", "雏鹰企业" },
    { "QUAL_GAZELLE", "瞪羚企业" },
    { "QUAL_UNICORN", "独角兽企业" },
    { "QUAL_INCUBATOR_RESIDENT", "孵化载体入驻" },
    { "QUAL_LISTING_RESERVE", "上市后备企业" },
    { "LEVEL_CITY", "市级" },
    { "LEVEL_PROVINCIAL", "省级" },
    { "LEVEL_NATIONAL", "国家级" },
    { "INSTITUTION_BANK", "银行" },
    { "INSTITUTION_GUARANTEE", "融资担保公司" },
    { "INSTITUTION_ANGEL_FUND", "天使投资基金" },
    { "INSTITUTION_VC", "创业投资" },
    { "INSTITUTION_PE", "私募股权" },
    { "INSTITUTION_INSURER", "保险公司" },
    { "INSTITUTION_LEASING", "融资租赁公司" },
    { "INSTITUTION_FACTORING", "商业保理" },
    { "INSTITUTION_SMALL_LOAN", "小额贷款公司" },
    { "INSTITUTION_SECURITIES", "证券公司" },
    { "INSTITUTION_EQUITY_EXCHANGE", "区域性股权市场" },
    { "PRODUCT_CREDIT", "信用贷" },
    { "PRODUCT_IP_PLEDGE", "知识产权质押" },
    { "PRODUCT_GUARANTEED", "担保贷" },
    { "PRODUCT_FIRST_LOAN", "首贷" },
    { "PRODUCT_RENEWAL", "无还本续贷" },
    { "PRODUCT_INVEST_LOAN_LINKAGE", "投贷联动" },
    { "PRODUCT_LEASING", "融资租赁" },
    { "PRODUCT_FACTORING", "保理" },
    { "PRODUCT_TECH_INSURANCE", "科技保险" },
    { "PRODUCT_BOND", "债券" },
    { "PRODUCT_EQUITY", "股权投资" },
    { "COLLATERAL_IP", "知识产权" },
    { "COLLATERAL_RECEIVABLES", "应收账款" },
    { "COLLATERAL_GUARANTEE", "第三方担保" },
    { "COLLATERAL_REAL_ESTATE", "不动产" },
    { "LISTING_LISTED", "上架" },
    { "LISTING_WITHDRAWN", "下架" },
    { "MATCHING_LOAN", "贷款" },
    { "MATCHING_EQUITY", "股权融资" },
    { "MATCHING_LEASING", "融资租赁" },
    { "MATCHING_FACTORING", "保理" },
    { "MATCHING_GUARANTEE", "担保" },
    { "MATCHING_INSURANCE", "保险" },
    { "MATCHING_BOND", "债券" },
    { "APP_DEMAND_POSTED", "融资需求" },
    { "APP_MATCHED", "推荐产品" },
    { "APP_APPLIED", "申请" },
    { "APP_UNDER_REVIEW", "审查中" },
    { "APP_APPROVED", "授信" },
    { "APP_REJECTED", "已拒绝" },
    { "APP_WITHDRAWN", "已撤回" },
    { "APP_EXPIRED", "已过期" },
    { "APP_ACTIVE", "放款" },
    { "APP_OVERDUE_1_30", "逾期1-30天" },
    { "APP_OVERDUE_31_60", "逾期31-60天" },
    { "APP_OVERDUE_61_90", "逾期61-90天" },
    { "APP_OVERDUE_90_PLUS", "逾期90天以上" },
    { "APP_RENEWED", "无还本续贷" },
    { "APP_CLOSED", "已结清" },
    { "APP_DEFAULTED", "已违约" },
};

static const char *
s_label (const char *full_name)
{
    for (size_t i = 0; i < sizeof s_labels / sizeof s_labels [0]; i++)
        if (streq (s_labels [i].name, full_name))
            return s_labels [i].label;
    return NULL;
}

//  --------------------------------------------------------------------------
//  A value from any form the CLI prints (cli_reg.h).

int
cli_enum_value (const ProtobufCEnumDescriptor *descriptor, const char *prefix,
                const char *name)
{
    if (!name || !*name)
        return -1;
    //  What the tables show under a Chinese locale
    for (unsigned i = 0; i < descriptor->n_values; i++) {
        const char *label = s_label (descriptor->values [i].name);
        if (label && streq (label, name)
            && strncmp (descriptor->values [i].name, prefix, strlen (prefix))
                   == 0)
            return descriptor->values [i].value;
    }
    //  The stored name ("growth", "city-approved") or, as JSON shows it,
    //  the whole name ("STAGE_GROWTH"), in any case
    char full [96];
    size_t at = (size_t) snprintf (full, sizeof full, "%s", prefix);
    if (strncasecmp (name, prefix, at) == 0)
        name += at;
    if (strlen (name) + at >= sizeof full)
        return -1;
    for (const char *c = name; *c; c++)
        full [at++] = *c == '-' ? '_' : (char) toupper ((unsigned char) *c);
    full [at] = 0;
    const ProtobufCEnumValue *value =
        protobuf_c_enum_descriptor_get_value_by_name (descriptor, full);
    return value ? value->value : -1;
}

//  --------------------------------------------------------------------------
//  A value as tables show it (cli_reg.h).

const char *
cli_enum_label (const ProtobufCEnumDescriptor *descriptor, const char *prefix,
                int value)
{
    const ProtobufCEnumValue
        *found = protobuf_c_enum_descriptor_get_value (descriptor, value);
    const char *label = found ? s_label (found->name) : NULL;
    if (label && strncmp (kj_i18n_lang (), "zh", 2) == 0)
        return label;
    return cli_enum_name (descriptor, prefix, value);
}

const char *
cli_enum_name (const ProtobufCEnumDescriptor *descriptor, const char *prefix,
               int value)
{
    static char ring [16][48];
    static int next;
    const ProtobufCEnumValue
        *found = protobuf_c_enum_descriptor_get_value (descriptor, value);
    size_t skip = strlen (prefix);
    if (!found || strncmp (found->name, prefix, skip) != 0)
        return "?";
    char *buf = ring [next++ % 16];
    size_t at = 0;
    for (const char *c = found->name + skip; *c && at + 1 < 48; c++)
        buf [at++] = (char) tolower ((unsigned char) *c);
    buf [at] = 0;
    return buf;
}

//  The names a descriptor allows, for messages: each value's stored name
//  and, where it has one, its Chinese name ("growth (成长期)").
static void
s_names (const ProtobufCEnumDescriptor *descriptor, const char *prefix,
         bool zero_ok, char *buf, size_t size)
{
    size_t at = 0;
    buf [0] = 0;
    for (unsigned i = 0; i < descriptor->n_values && at < size; i++) {
        if (descriptor->values [i].value == 0 && !zero_ok)
            continue;
        const char *label = s_label (descriptor->values [i].name);
        at += (size_t) snprintf (buf + at, size - at, "%s%s", at ? ", " : "",
                                 cli_enum_name (descriptor, prefix,
                                                descriptor->values [i].value));
        if (label && at < size)
            at += (size_t) snprintf (buf + at, size - at, " (%s)", label);
    }
}

int
cli_parse_enum (const char *option, const char *text,
                const ProtobufCEnumDescriptor *descriptor, const char *prefix,
                bool zero_ok, int *value)
{
    *value = cli_enum_value (descriptor, prefix, text);
    if (*value < 0 || (*value == 0 && !zero_ok)) {
        char names [1200];
        s_names (descriptor, prefix, zero_ok, names, sizeof names);
        fprintf (stderr, _ ("kejin: %s: '%s' is not one of: %s\n"), option,
                 text, names);
        return -1;
    }
    return 0;
}

char **
cli_split (const char *text, size_t *n)
{
    size_t size = 2;
    for (const char *c = text; *c; c++)
        size += *c == ',';
    char **items = (char **) zmalloc (size * sizeof (char *));
    *n = 0;
    const char *at = text;
    while (*at) {
        const char *end = strchr (at, ',');
        size_t length = end ? (size_t) (end - at) : strlen (at);
        while (length && isspace ((unsigned char) *at)) {
            at++;
            length--;
        }
        while (length && isspace ((unsigned char) at [length - 1]))
            length--;
        if (length)
            items [(*n)++] = strndup (at, length);
        if (!end)
            break;
        at = end + 1;
    }
    return items;
}

void
cli_strings_free (char **strings)
{
    for (char **s = strings; s && *s; s++)
        free (*s);
    free (strings);
}

int
cli_parse_enums (const char *option, const char *text,
                 const ProtobufCEnumDescriptor *descriptor, const char *prefix,
                 int **values, size_t *n)
{
    size_t count;
    char **items = cli_split (text, &count);
    *values = (int *) zmalloc ((count + 1) * sizeof (int));
    *n = 0;
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        if (streq (items [i], "none") && count == 1)
            break;
        rc = cli_parse_enum (option, items [i], descriptor, prefix, false,
                             &(*values) [(*n)++]);
    }
    cli_strings_free (items);
    if (rc) {
        free (*values);
        *values = NULL;
    }
    return rc;
}
