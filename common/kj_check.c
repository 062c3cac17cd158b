/*  =========================================================================
    kj_check - field checks every service needs: dates, text, ids, money,
    counts, enum names, update masks
    =========================================================================
*/

#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kj_check.h"
#include "kj_i18n.h"
#include "kj_money.h"
#include "kj_util.h"

#define YEAR_MIN 1900
#define YEAR_MAX 2200

//  --------------------------------------------------------------------------
//  Days in a month of a year (Gregorian).

static int
s_days_in_month (int year, int month)
{
    static const int days [] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days [month - 1];
}

int
kj_check_date (const char *text, const char *field, kj_date_t *date,
               kj_status_t *status)
{
    assert (field && date && status);
    if (!text)
        text = "";
    bool shape = strlen (text) == 10 && text [4] == '-' && text [7] == '-';
    for (int i = 0; i < 10 && shape; i++)
        if (i != 4 && i != 7)
            shape = isdigit ((unsigned char) text [i]);
    if (!shape)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                              "%s: '%.*s' is not a date; expected "
                              "YYYY-MM-DD, e.g. 2021-03-15",
                              field, kj_utf8_cut (text, 40), text);
    int year = atoi (text), month = atoi (text + 5), day = atoi (text + 8);
    if (year < YEAR_MIN || year > YEAR_MAX)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                              "%s: year %d is out of range (%d to %d)", field,
                              year, YEAR_MIN, YEAR_MAX);
    if (month < 1 || month > 12)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                              "%s: %s has no month %d (01 to 12)", field, text,
                              month);
    if (day < 1 || day > s_days_in_month (year, month))
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                              "%s: %s is not a date: %04d-%02d has %d days",
                              field, text, year, month,
                              s_days_in_month (year, month));
    date->year = year;
    date->month = month;
    date->day = day;
    return 0;
}

int
kj_check_date_compare (kj_date_t a, kj_date_t b)
{
    if (a.year != b.year)
        return a.year < b.year ? -1 : 1;
    if (a.month != b.month)
        return a.month < b.month ? -1 : 1;
    if (a.day != b.day)
        return a.day < b.day ? -1 : 1;
    return 0;
}

//  Howard Hinnant's days_from_civil and civil_from_days, exact for every
//  int64 day of a representable year.

int64_t
kj_check_date_days (kj_date_t date)
{
    int64_t y = date.year - (date.month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (date.month + (date.month > 2 ? -3 : 9)) + 2) / 5
                + date.day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

kj_date_t
kj_check_date_from_days (int64_t days)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int day = (int) (doy - (153 * mp + 2) / 5 + 1);
    int month = (int) (mp < 10 ? mp + 3 : mp - 9);
    int year = (int) (yoe + era * 400 + (month <= 2));
    return (kj_date_t){ year, month, day };
}

void
kj_check_date_format (kj_date_t date, char buf [11])
{
    snprintf (buf, 11, "%04u-%02u-%02u", (unsigned) date.year % 10000u,
              (unsigned) date.month % 100u, (unsigned) date.day % 100u);
}

const char *
kj_check_enum_name (const ProtobufCEnumDescriptor *descriptor,
                    const char *prefix, int value, char *buf, size_t size)
{
    const ProtobufCEnumValue
        *found = protobuf_c_enum_descriptor_get_value (descriptor, value);
    size_t skip = strlen (prefix);
    if (!found || strncmp (found->name, prefix, skip) != 0)
        return NULL;
    size_t at = 0;
    for (const char *c = found->name + skip; *c && at + 1 < size; c++)
        buf [at++] = (char) tolower ((unsigned char) *c);
    buf [at] = 0;
    return buf;
}

//  The Chinese name of every enum value the registry's nouns and matching
//  show, by its full name: what the desk reads under a Chinese locale (the
//  CLI also accepts it in every locale).
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

const char *
kj_check_enum_label_zh (const char *full_name)
{
    for (size_t i = 0; full_name && i < sizeof s_labels / sizeof s_labels [0];
         i++)
        if (streq (s_labels [i].name, full_name))
            return s_labels [i].label;
    return NULL;
}

const char *
kj_check_enum_label (const ProtobufCEnumDescriptor *descriptor,
                     const char *prefix, int value, char *buf, size_t size)
{
    const ProtobufCEnumValue
        *found = protobuf_c_enum_descriptor_get_value (descriptor, value);
    const char *label = found ? kj_check_enum_label_zh (found->name) : NULL;
    if (label && strncmp (kj_i18n_lang (), "zh", 2) == 0
        && strncmp (found->name, prefix, strlen (prefix)) == 0) {
        snprintf (buf, size, "%s", label);
        return buf;
    }
    return kj_check_enum_name (descriptor, prefix, value, buf, size);
}

int
kj_check_enum_value (const ProtobufCEnumDescriptor *descriptor,
                     const char *prefix, const char *name)
{
    char full [96];
    size_t at = (size_t) snprintf (full, sizeof full, "%s", prefix);
    for (const char *c = name ? name : ""; *c && at + 1 < sizeof full; c++)
        full [at++] = (char) toupper ((unsigned char) *c);
    full [at] = 0;
    if (!name || !*name || strlen (name) + strlen (prefix) >= sizeof full)
        return -1;
    const ProtobufCEnumValue *found =
        protobuf_c_enum_descriptor_get_value_by_name (descriptor, full);
    return found ? found->value : -1;
}

int
kj_check_text (const char *text, const char *field, size_t max_chars,
               bool required, kj_status_t *status)
{
    assert (field && status);
    if (!text || !*text) {
        if (required)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                                  "%s: required, and empty", field);
        return 0;
    }
    size_t chars = 0;
    for (const unsigned char *s = (const unsigned char *) text; *s; chars++) {
        size_t length = kj_utf8_sequence ((const char *) s);
        if (length == 0)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                                  "%s: byte 0x%02X at offset %zu is not "
                                  "valid UTF-8",
                                  field, s [0],
                                  (size_t) (s - (const unsigned char *) text));
        if (length == 1 && (s [0] < 0x20 || s [0] == 0x7F))
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                                  "%s: control character 0x%02X at offset "
                                  "%zu is not allowed",
                                  field, s [0],
                                  (size_t) (s - (const unsigned char *) text));
        s += length;
    }
    if (chars > max_chars)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                              "%s: %zu characters, at most %zu allowed", field,
                              chars, max_chars);
    return 0;
}

int
kj_check_id (const char *id, const char *field, kj_status_t *status)
{
    size_t length = id ? strlen (id) : 0;
    bool ok = length >= 1 && length <= 40 && isalnum ((unsigned char) id [0]);
    for (size_t i = 1; i < length && ok; i++)
        ok = isalnum ((unsigned char) id [i]) || strchr ("_.-", id [i]);
    if (!ok)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                              "%s: '%.*s' is not an id: 1 to 40 ASCII "
                              "letters, digits, '_', '.' or '-', starting "
                              "with a letter or digit",
                              field, kj_utf8_cut (id ? id : "", 48),
                              id ? id : "");
    return 0;
}

int
kj_check_money (int64_t fen, const char *field, bool may_be_negative,
                kj_status_t *status)
{
    //  In yuan, as people type amounts (the CLI's --revenue 5 is 500 fen)
    char yuan [32];
    if (fen < 0 && !may_be_negative)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                              "%s: %s is negative; an amount here is 0 or "
                              "more",
                              field,
                              kj_money_yuan (fen, true, yuan, sizeof yuan));
    return 0;
}

int
kj_check_count (int64_t count, const char *field, int64_t max,
                kj_status_t *status)
{
    if (count < 0 || count > max)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                              "%s: %" PRId64 " is out of range (0 to %" PRId64
                              ")",
                              field, count, max);
    return 0;
}

char *
kj_check_trim (const char *text)
{
    if (!text)
        text = "";
    while (*text && isspace ((unsigned char) *text))
        text++;
    size_t length = strlen (text);
    while (length && isspace ((unsigned char) text [length - 1]))
        length--;
    char *copy = (char *) malloc (length + 1);
    assert (copy);
    memcpy (copy, text, length);
    copy [length] = 0;
    return copy;
}

int
kj_check_mask (char **mask, size_t n_mask, const char *const *names,
               kj_status_t *status)
{
    if (n_mask == 0)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "update_mask",
                              "update_mask: empty; name the "
                              "fields to change");
    for (size_t i = 0; i < n_mask; i++) {
        bool known = false;
        for (const char *const *name = names; *name && !known; name++)
            known = strcmp (mask [i], *name) == 0;
        if (!known) {
            char field [48], allowed [400] = "";
            snprintf (field, sizeof field, "update_mask[%zu]", i);
            size_t at = 0;
            for (const char *const *name = names; *name; name++)
                if (!strchr (*name, '.') && at < sizeof allowed)
                    at += snprintf (allowed + at, sizeof allowed - at, "%s%s",
                                    at ? ", " : "", *name);
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                                  "%s: '%.*s' is not a field that can be "
                                  "updated; one of: %s",
                                  field, kj_utf8_cut (mask [i], 40), mask [i],
                                  allowed);
        }
    }
    return 0;
}

bool
kj_check_masked (char **mask, size_t n_mask, const char *name)
{
    const char *dot = strchr (name, '.');
    for (size_t i = 0; i < n_mask; i++) {
        if (strcmp (mask [i], name) == 0)
            return true;
        if (dot && strlen (mask [i]) == (size_t) (dot - name)
            && strncmp (mask [i], name, (size_t) (dot - name)) == 0)
            return true;
    }
    return false;
}
