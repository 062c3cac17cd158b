/*  =========================================================================
    registry_csv_enums - the names a CSV cell may give an enum or a region

    Each enum a field table's row names has its CSV names: the proto's own
    (with or without its prefix, any case) and the Chinese and short
    aliases people type (孵化期, A轮, 专精特新). Regions are read the same
    way, by code or by name. Split from registry_csv.c (moved, no change).
    =========================================================================
*/

#include <csv.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kj_util.h"
#include "kj_i18n.h"
#include "registry_check.h"
#include "registry_csv.h"
#include "registry_csv_private.h"

static const registry_csv_alias_t s_stage_aliases [] = {
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

static const registry_csv_alias_t s_size_aliases [] = {
    { "微型", KJ__SIZE_CLASS__SIZE_MICRO },
    { "小型", KJ__SIZE_CLASS__SIZE_SMALL },
    { "中型", KJ__SIZE_CLASS__SIZE_MEDIUM },
    { "大型", KJ__SIZE_CLASS__SIZE_LARGE },
    { "未知", KJ__SIZE_CLASS__SIZE_UNKNOWN },
    { NULL, 0 }
};

static const registry_csv_alias_t s_round_aliases [] = {
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

static const registry_csv_alias_t s_qual_aliases [] = {
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

static const registry_csv_alias_t s_institution_aliases [] = {
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

static const registry_csv_alias_t s_product_aliases [] = {
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

static const registry_csv_alias_t s_collateral_aliases [] = {
    { "知识产权", KJ__COLLATERAL__COLLATERAL_IP },
    { "应收账款", KJ__COLLATERAL__COLLATERAL_RECEIVABLES },
    { "第三方担保", KJ__COLLATERAL__COLLATERAL_GUARANTEE },
    { "担保", KJ__COLLATERAL__COLLATERAL_GUARANTEE },
    { "不动产", KJ__COLLATERAL__COLLATERAL_REAL_ESTATE },
    { NULL, 0 }
};

const registry_csv_enum_t registry_csv_enum_stage = { &kj__stage__descriptor,
                                                      "STAGE_", s_stage_aliases,
                                                      false };
const registry_csv_enum_t registry_csv_enum_size = {
    &kj__size_class__descriptor, "SIZE_", s_size_aliases, true
};
const registry_csv_enum_t registry_csv_enum_round = { &kj__round__descriptor,
                                                      "ROUND_", s_round_aliases,
                                                      true };
const registry_csv_enum_t registry_csv_enum_qual = {
    &kj__qualification_kind__descriptor, "QUAL_", s_qual_aliases, false
};
const registry_csv_enum_t registry_csv_enum_institution = {
    &kj__institution_type__descriptor, "INSTITUTION_", s_institution_aliases,
    false
};
const registry_csv_enum_t registry_csv_enum_product = {
    &kj__product_type__descriptor, "PRODUCT_", s_product_aliases, false
};
const registry_csv_enum_t registry_csv_enum_collateral = {
    &kj__collateral__descriptor, "COLLATERAL_", s_collateral_aliases, false
};

//  The enums the field tables' rows name, by descriptor
static const registry_csv_enum_t *s_enums [] = {
    &registry_csv_enum_stage,       &registry_csv_enum_size,
    &registry_csv_enum_round,       &registry_csv_enum_qual,
    &registry_csv_enum_institution, &registry_csv_enum_product,
    &registry_csv_enum_collateral
};

const registry_csv_enum_t *
registry_csv_enum_of (const ProtobufCEnumDescriptor *descriptor)
{
    for (size_t i = 0; i < COUNT (s_enums); i++)
        if (s_enums [i]->descriptor == descriptor)
            return s_enums [i];
    return NULL;
}

//  --------------------------------------------------------------------------
//  A region's or an enum's cell, read and named

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
int
registry_csv_enum_value (const registry_csv_enum_t *e, const char *text)
{
    int value = kj_check_enum_value (e->descriptor, e->prefix, text);
    if (value < 0)
        for (const registry_csv_alias_t *alias = e->aliases; alias->alias;
             alias++)
            if (strcasecmp (alias->alias, text) == 0) {
                value = alias->value;
                break;
            }
    if (value == 0 && !e->zero_ok)
        return -1;
    return value;
}

//  "a, b or c": the stored names of an enum, for messages.
void
registry_csv_enum_choices (const registry_csv_enum_t *e, char *buf, size_t size)
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

const char *
registry_csv_enum_name (const registry_csv_enum_t *e, int value, char *buf,
                        size_t size)
{
    const char *name = kj_check_enum_name (e->descriptor, e->prefix, value, buf,
                                           size);
    return name ? name : "";
}
