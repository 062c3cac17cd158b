/*  =========================================================================
    cli_reg - options, verbs, update masks, enum names, money, dates,
    pages and the audit trail for the registry's nouns of the kejin
    command line
    =========================================================================
*/

#include "cli_reg.h"
#include <ctype.h>
#include <strings.h>

struct _cli_args_t {
    zhashx_t *options;    //  name -> zlist_t of values ("" for flags)
    zlist_t *positional;  //  char *, not owned
};

static void
s_list_destroy (void **item)
{
    zlist_t *list = (zlist_t *) *item;
    zlist_destroy (&list);
    *item = NULL;
}

//  The kind of option name in spec: '=' value, '!' flag, 0 unknown.
static char
s_option_kind (const char *spec, const char *name)
{
    size_t length = strlen (name);
    for (const char *at = spec; at && *at;) {
        while (*at == ' ')
            at++;
        const char *end = at;
        while (*end && *end != ' ')
            end++;
        if (end > at && (size_t) (end - at - 1) == length
            && strncmp (at, name, length) == 0)
            return end [-1];
        at = end;
    }
    return 0;
}

//  Say what is wrong, then the first line of the usage and where the rest
//  is.
static void
s_refuse (const char *usage, const char *format, const char *name)
{
    fprintf (stderr, "kejin: ");
    fprintf (stderr, _ (format), name);
    if (!usage) {
        fprintf (stderr, "\n");
        return;
    }
    const char *text = _ (usage);
    if (!text)
        text = usage;
    size_t line = strcspn (text, "\n");
    fprintf (stderr, "\n");
    fwrite (text, 1, line, stderr);
    fprintf (stderr, "\n");
    usage = text;
    const char *noun = strstr (usage, "kejin ");
    if (noun) {
        noun += 6;
        fprintf (stderr, _ ("Try 'kejin %.*s --help'.\n"),
                 (int) strcspn (noun, " \n"), noun);
    }
}

cli_args_t *
cli_args_new (int argc, char **argv, int first, const char *spec,
              const char *usage)
{
    cli_args_t *self = (cli_args_t *) zmalloc (sizeof (cli_args_t));
    self->options = zhashx_new ();
    zhashx_set_destructor (self->options, s_list_destroy);
    self->positional = zlist_new ();
    for (int i = first; i < argc; i++) {
        const char *arg = argv [i];
        if (strncmp (arg, "--", 2) != 0 || streq (arg, "--")) {
            zlist_append (self->positional, (void *) arg);
            continue;
        }
        char name [64];
        const char *equals = strchr (arg, '=');
        snprintf (name, sizeof name, "%.*s",
                  (int) (equals ? equals - arg - 2 : (long) strlen (arg) - 2),
                  arg + 2);
        if (streq (name, "json") || streq (name, "help"))
            continue;
        char kind = s_option_kind (spec, name);
        const char *value = "";
        if (kind == 0) {
            s_refuse (usage, "unknown option --%s", name);
            cli_args_destroy (&self);
            return NULL;
        }
        if (kind == '=') {
            if (equals)
                value = equals + 1;
            else if (i + 1 < argc)
                value = argv [++i];
            else {
                s_refuse (usage, "--%s needs a value", name);
                cli_args_destroy (&self);
                return NULL;
            }
        }
        zlist_t *values = (zlist_t *) zhashx_lookup (self->options, name);
        if (!values) {
            values = zlist_new ();
            zhashx_insert (self->options, name, values);
        }
        zlist_append (values, (void *) value);
    }
    return self;
}

void
cli_args_destroy (cli_args_t **self_p)
{
    if (*self_p) {
        cli_args_t *self = *self_p;
        zhashx_destroy (&self->options);
        zlist_destroy (&self->positional);
        free (self);
        *self_p = NULL;
    }
}

const char *
cli_args_get (cli_args_t *self, const char *name)
{
    zlist_t *values = (zlist_t *) zhashx_lookup (self->options, name);
    return values ? (const char *) zlist_tail (values) : NULL;
}

zlist_t *
cli_args_all (cli_args_t *self, const char *name)
{
    return (zlist_t *) zhashx_lookup (self->options, name);
}

bool
cli_args_flag (cli_args_t *self, const char *name)
{
    return zhashx_lookup (self->options, name) != NULL;
}

size_t
cli_args_count (cli_args_t *self)
{
    return zlist_size (self->positional);
}

const char *
cli_args_positional (cli_args_t *self, size_t index)
{
    const char *arg = (const char *) zlist_first (self->positional);
    for (size_t i = 0; arg && i < index; i++)
        arg = (const char *) zlist_next (self->positional);
    return arg;
}

char *
cli_args_text (cli_args_t *self, const char *name)
{
    const char *value = cli_args_get (self, name);
    return (char *) (value ? value : "");
}

cli_args_t *
cli_args_verb (int argc, char **argv, const char *spec, const char *usage,
               size_t positional, const char *required, const char *complaint)
{
    cli_args_t *self = cli_args_new (argc, argv, 2, spec, usage);
    if (!self)
        return NULL;
    bool ok = cli_args_count (self) == positional;
    for (const char *at = required; ok && at && *at;) {
        at += strspn (at, " ");
        size_t length = strcspn (at, " ");
        if (length == 0)
            break;
        char name [64];
        snprintf (name, sizeof name, "%.*s", (int) length, at);
        ok = cli_args_get (self, name) != NULL;
        at += length;
    }
    if (!ok) {
        fprintf (stderr, "kejin: %s\n", _ (complaint));
        cli_args_destroy (&self);
    }
    return self;
}

//  The first of a space-separated list of option names that is given, or
//  NULL; its name into name.
static const char *
s_first_given (cli_args_t *self, const char *names, char *name, size_t size)
{
    for (const char *at = names; at && *at;) {
        at += strspn (at, " ");
        size_t length = strcspn (at, " ");
        if (length == 0)
            break;
        snprintf (name, size, "%.*s", (int) length, at);
        if (cli_args_flag (self, name))
            return name;
        at += length;
    }
    return NULL;
}

//  --------------------------------------------------------------------------
//  An option that needs another to take effect (cli_reg.h).

int
cli_args_needs (cli_args_t *self, const char *options, const char *needs,
                const char *hint)
{
    char option [64], need [64];
    if (!s_first_given (self, options, option, sizeof option)
        || s_first_given (self, needs, need, sizeof need))
        return 0;
    //  The options needed, as typed: "--set or --clear"
    char wanted [256] = "";
    size_t at = 0;
    for (const char *n = needs; n && *n && at < sizeof wanted;) {
        n += strspn (n, " ");
        size_t length = strcspn (n, " ");
        if (length)
            at += (size_t) snprintf (wanted + at, sizeof wanted - at,
                                     "%s--%.*s", at ? _ (" or ") : "",
                                     (int) length, n);
        n += length;
    }
    fprintf (stderr, _ ("kejin: --%s cannot take effect without %s"), option,
             wanted);
    if (hint)
        fprintf (stderr, ": %s", _ (hint));
    fprintf (stderr, "\n");
    return -1;
}

//  --------------------------------------------------------------------------
//  Options that cannot take effect beside another (cli_reg.h).

int
cli_args_refuses (cli_args_t *self, const char *option, const char *others)
{
    char other [64];
    if (!cli_args_flag (self, option)
        || !s_first_given (self, others, other, sizeof other))
        return 0;
    fprintf (stderr, _ ("kejin: --%s cannot take effect with --%s\n"), other,
             option);
    return -1;
}

int
cli_args_version (cli_args_t *self, int64_t *version)
{
    const char *value = cli_args_get (self, "version");
    *version = 0;
    return value ? cli_parse_int ("--version", value, 1, INT64_MAX, version)
                 : 0;
}

int
cli_args_enums (cli_args_t *self, const char *name,
                const ProtobufCEnumDescriptor *descriptor, const char *prefix,
                int *values, size_t max, size_t *n)
{
    char option [40];
    snprintf (option, sizeof option, "--%s", name);
    *n = 0;
    zlist_t *all = cli_args_all (self, name);
    for (const char *value = all ? (const char *) zlist_first (all) : NULL;
         value && *n < max; value = (const char *) zlist_next (all))
        if (cli_parse_enum (option, value, descriptor, prefix, false,
                            &values [(*n)++]))
            return -1;
    return 0;
}

//  --------------------------------------------------------------------------
//  Verbs

//  --------------------------------------------------------------------------
//  True if line (up to its newline) is the line of a verb in a usage:
//  two spaces, then the verb and a space, comma or the line's end.

static bool
s_verb_line (const char *line, const char *verb)
{
    size_t length = strlen (verb);
    return strncmp (line, "  ", 2) == 0 && strncmp (line + 2, verb, length) == 0
        && (line [2 + length] == ' ' || line [2 + length] == ','
            || line [2 + length] == '\n');
}

//  --------------------------------------------------------------------------
//  One verb's lines of a noun's usage (cli_reg.h).

int
cli_verb_usage (const char *noun, const char *verb, const char *usage)
{
    const char *text = _ (usage);
    //  The first line's words up to the noun: "Usage: kejin enterprise "
    const char *name = strstr (text, "kejin ");
    size_t lead = name && (size_t) (name - text) < strcspn (text, "\n")
                    ? (size_t) (name - text) + 6 + strlen (noun) + 1
                    : 0;
    bool found = false, inside = false;
    for (const char *line = text; *line;) {
        size_t length = strcspn (line, "\n");
        bool verb_line = line [0] == ' ' && line [1] == ' ' && line [2] != ' ';
        if (verb_line || length == 0)
            inside = verb_line && s_verb_line (line, verb);
        if (inside) {
            if (!found)
                printf ("%.*s%.*s\n", (int) lead, text, (int) length - 2,
                        line + 2);
            else
                printf ("%.*s\n", (int) length, line);
            found = true;
        }
        line += length + (line [length] == '\n');
    }
    //  The notes after the last blank line (types, units), when not verbs
    const char *notes = NULL;
    for (const char *at = strstr (text, "\n\n"); at;
         at = strstr (at + 2, "\n\n"))
        notes = at + 2;
    if (found && notes && !(notes [0] == ' ' && notes [1] == ' '))
        printf ("\n%s", notes);
    if (!found)
        fputs (text, stdout);
    return CLI_OK;
}

int
cli_reg_run (cli_t *cli, int argc, char **argv, const char *noun,
             const char *usage, const cli_verb_t *verbs)
{
    if (argc < 2 || streq (argv [1], "-h") || streq (argv [1], "--help"))
        return cli_usage (usage, argc < 2);
    const char *verb = argv [1];
    if (streq (verb, "import"))
        return cli_bulk_import (cli, noun, argc - 1, argv + 1);
    if (streq (verb, "export"))
        return cli_bulk_export (cli, noun, argc - 1, argv + 1);
    for (const cli_verb_t *v = verbs; v->verb; v++)
        if (streq (v->verb, verb))
            return cli_wants_help (argc, argv)
                     ? cli_verb_usage (noun, verb, usage)
                 : v->call ? cli_verb_call (cli, argc, argv, usage, v->call)
                           : v->run (cli, argc, argv);
    if (cli_wants_help (argc, argv))
        return cli_usage (usage, false);
    fprintf (stderr, _ ("kejin: %s has no verb '%s'\n%s"), noun, verb,
             _ (usage));
    return CLI_USAGE;
}

void
cli_mask_add (cli_mask_t *self, const char *field)
{
    if (self->count < sizeof self->names / sizeof self->names [0])
        self->names [self->count++] = field;
}

void
cli_mask_text (cli_mask_t *self, cli_args_t *args, const char *option,
               char **target, const char *field)
{
    const char *value = cli_args_get (args, option);
    if (value) {
        *target = (char *) value;
        cli_mask_add (self, field);
    }
}

int
cli_mask_enums (cli_mask_t *self, cli_args_t *args, const char *option,
                const ProtobufCEnumDescriptor *descriptor, const char *prefix,
                int **values, size_t *n, const char *field)
{
    const char *value = cli_args_get (args, option);
    if (!value)
        return 0;
    char name [40];
    snprintf (name, sizeof name, "--%s", option);
    if (cli_parse_enums (name, value, descriptor, prefix, values, n))
        return -1;
    cli_mask_add (self, field);
    return 0;
}

int
cli_reg_history_call (cli_t *cli, const char *kind, const char *subject,
                      uint32_t limit, Kj__HistoryReply **reply)
{
    Kj__HistoryRequest request = KJ__HISTORY_REQUEST__INIT;
    Kj__Page page = KJ__PAGE__INIT;
    page.limit = limit;
    request.kind = (char *) kind;
    request.subject = (char *) subject;
    request.page = limit ? &page : NULL;
    return cli_call (cli, "registry", "History", &request.base,
                     &kj__history_reply__descriptor,
                     (ProtobufCMessage **) reply, true);
}

int
cli_reg_history (cli_t *cli, const char *kind, const char *subject, bool titled)
{
    Kj__HistoryReply *reply = NULL;
    int rc = cli_reg_history_call (cli, kind, subject, 0, &reply);
    if (rc != CLI_OK)
        return rc;
    if (cli->json)
        cli_print_json (&reply->base);
    else {
        if (titled)
            printf (_ ("\nAudit trail\n"));
        for (size_t i = 0; i < reply->n_entries; i++) {
            char when [32];
            const Kj__AuditEntry *a = reply->entries [i];
            printf ("  %s  %s  %s  %s -> %s  %s\n",
                    cli_time (a->at_us, when, sizeof when), a->who, a->action,
                    a->before, a->after, a->reason);
        }
        if (titled && reply->n_entries == 0)
            printf (_ ("  (nothing recorded yet)\n"));
    }
    kj__history_reply__free_unpacked (reply, NULL);
    return CLI_OK;
}

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

//  --------------------------------------------------------------------------
//  Numbers

int
cli_parse_yuan (const char *option, const char *text, int64_t *fen)
{
    //  Digits with optional separators, up to 2 decimals, then 万 or 亿
    const char *c = text;
    bool negative = *c == '-';
    if (negative)
        c++;
    __int128 units = 0;
    int decimals = -1, digits = 0;
    for (; *c; c++) {
        if (isdigit ((unsigned char) *c)) {
            if (decimals >= 0 && ++decimals > 4)
                break;
            units = units * 10 + (*c - '0');
            digits++;
            if (units > (__int128) INT64_MAX * 10000)
                break;
        }
        else if (*c == ',' && decimals < 0)
            continue;
        else if (*c == '.' && decimals < 0)
            decimals = 0;
        else
            break;
    }
    if (decimals < 0)
        decimals = 0;
    int64_t scale = 100;  //  fen per yuan
    if (streq (c, "万"))
        scale = 1000000;
    else if (streq (c, "亿"))
        scale = 10000000000LL;
    else if (*c)
        digits = 0;
    __int128 value = units * scale;
    for (int i = 0; i < decimals; i++)
        value /= 10;
    bool whole = true;
    __int128 check = value;
    for (int i = 0; i < decimals; i++)
        check *= 10;
    whole = check == units * scale;
    if (!digits || !whole || value > INT64_MAX) {
        fprintf (stderr,
                 _ ("kejin: %s: '%s' is not an amount in yuan; write "
                    "e.g. 1234.56, 1,200,000, 300万 or 2亿 (to the fen)\n"),
                 option, text);
        return -1;
    }
    *fen = negative ? -(int64_t) value : (int64_t) value;
    return 0;
}

int
cli_parse_int (const char *option, const char *text, int64_t min, int64_t max,
               int64_t *value)
{
    if (kj_parse_int64 (text, value) || *value < min || *value > max) {
        fprintf (stderr,
                 _ ("kejin: %s: '%s' is not a whole number from %" PRId64
                    " to %" PRId64 "\n"),
                 option, text, min, max);
        return -1;
    }
    return 0;
}

int
cli_parse_bool (const char *option, const char *text, bool *value)
{
    if (streq (text, "yes") || streq (text, "true") || streq (text, "on")
        || streq (text, "1"))
        *value = true;
    else if (streq (text, "no") || streq (text, "false") || streq (text, "off")
             || streq (text, "0"))
        *value = false;
    else {
        fprintf (stderr, _ ("kejin: %s: '%s' is not yes or no\n"), option,
                 text);
        return -1;
    }
    return 0;
}

int
cli_parse_percent (const char *option, const char *text, int32_t *bp)
{
    char copy [32];
    snprintf (copy, sizeof copy, "%s", text);
    size_t length = strlen (copy);
    if (length && copy [length - 1] == '%')
        copy [--length] = 0;
    int64_t fen;
    //  A percentage with 2 decimals is a yuan amount in form: 3.65 -> 365
    if (!length || strchr (copy, ',') || strstr (copy, "万")
        || strstr (copy, "亿") || copy [0] == '-'
        || cli_parse_yuan (option, copy, &fen) || fen > 1000000) {
        fprintf (stderr,
                 _ ("kejin: %s: '%s' is not a percentage such as 3.65 "
                    "(to 0.01%%, at most 10000)\n"),
                 option, text);
        return -1;
    }
    *bp = (int32_t) fen;
    return 0;
}

const char *
cli_percent (int64_t bp, char *buf, size_t size)
{
    if (bp % 100 == 0)
        snprintf (buf, size, "%" PRId64 "%%", bp / 100);
    else
        snprintf (buf, size, "%" PRId64 ".%02d%%", bp / 100, (int) (bp % 100));
    return buf;
}

const char *
cli_time (int64_t us, char *buf, size_t size)
{
    if (us == 0) {
        snprintf (buf, size, "%s", "");
        return buf;
    }
    time_t seconds = (time_t) (us / 1000000);
    struct tm tm;
    localtime_r (&seconds, &tm);
    strftime (buf, size, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

int
cli_page_options (cli_args_t *args, Kj__Page *page)
{
    const char *value = cli_args_get (args, "limit");
    int64_t limit = 0;
    if (value && cli_parse_int ("--limit", value, 1, 1000, &limit))
        return -1;
    page->limit = (uint32_t) limit;
    page->after = cli_args_text (args, "after");
    return 0;
}

void
cli_page_print (cli_table_t **table_p, size_t shown, const char *empty,
                const Kj__PageInfo *info)
{
    if (shown)
        cli_table_print (*table_p, stdout);
    else
        printf ("%s\n", _ (empty));
    cli_table_destroy (table_p);
    if (!info)
        return;
    printf (_ ("\n%zu shown, %" PRIu64 " matching"), shown, info->total);
    if (info->next && *info->next)
        printf (_ ("; next page: --after %s"), info->next);
    printf ("\n");
}

//  --------------------------------------------------------------------------
//  The phrases of the stage and tech-SME reasons (registry_stage.c,
//  registry_techsme.c), each translated whole; at each place the longest
//  that matches is taken.

static const char *s_reason_phrases [] = {
    N_ ("tech staff part scores 0 (no staff)"),
    N_ ("not reported: "),
    N_ ("the staff limit"),
    N_ ("the sales limit"),
    N_ ("the assets limit"),
    N_ ("the tech staff part (科技人员)"),
    N_ ("the R&D part (研发投入)"),
    N_ ("; supply it to decide"),
    N_ ("; supply them to decide"),
    N_ ("staff"),
    N_ ("sales"),
    N_ ("tech staff"),
    N_ ("R&D expense"),
    N_ ("total cost"),
    N_ ("total assets"),
    N_ ("at most "),
    N_ ("tech staff part scores 0 (tech staff "),
    N_ (" of "),
    N_ (" is below "),
    N_ ("score "),
    N_ (" (tech staff "),
    N_ (", R&D "),
    N_ (", IP "),
    N_ ("staff "),
    N_ ("sales "),
    N_ ("total assets "),
    N_ (" is over the limit of "),
    N_ (" are over the limit of "),
    N_ ("on the list of abnormal operations (经营异常名录)"),
    N_ ("on the list of serious violations and dishonesty (严重违法失信名单)"),
    N_ ("meets a board's listing standard"),
    N_ ("in the listing reserve pool at tutoring filed (辅导备案) or later"),
    N_ (" in each of the last 2 years"),
    N_ (", grown from "),
    N_ (" two years before (>= "),
    N_ (" a year)"),
    N_ (", holds "),
    N_ ("latest round "),
    N_ (", latest round "),
    N_ ("incubator resident, revenue "),
    N_ (" matched no rule on the figures given, and the fallback needs two "
        "years of revenue; review by hand"),
    N_ ("fallback, needs review: age "),
    N_ (" matched no rule, revenue "),
    N_ (" the year before"),
    N_ ("age "),
    N_ (", revenue "),
    N_ ("revenue "),
    N_ ("net profit "),
    N_ ("; not reported: "),
    N_ ("figures of "),
    N_ ("revenue of "),
    N_ ("net profit of "),
    N_ (" and "),
    N_ (", so not judged: "),
    N_ ("; no figures reported"),
    N_ ("成熟期 by revenue"),
    N_ ("成熟期 by net profit in two years"),
    N_ ("成长期 by revenue"),
    N_ ("成长期 by revenue growth over two years"),
    N_ ("初创期 by revenue"),
    N_ ("孵化期 by an incubator resident's revenue"),
    N_ ("the founding date is not known"),
    N_ ("seed"),
    N_ ("angel"),
    N_ ("Series A"),
    N_ ("Series B"),
    N_ ("Series C or later"),
};

//  If text starts with an age ("4y11m2d", "5m3d", "0d") followed by
//  neither a letter nor a digit, its length; else 0.
static size_t
s_age_length (const char *text)
{
    size_t at = 0;
    int parts = 0;
    while (isdigit ((unsigned char) text [at])) {
        size_t digits = at;
        while (isdigit ((unsigned char) text [at]))
            at++;
        if (!strchr ("ymd", text [at]) || !text [at])
            return parts ? digits : 0;
        at++;
        parts++;
    }
    return parts && !isalnum ((unsigned char) text [at]) ? at : 0;
}

const char *
cli_reason (const char *reason, char *buf, size_t size)
{
    assert (size);
    bool zh = strncmp (kj_i18n_lang (), "zh", 2) == 0;
    size_t at = 0;
    buf [0] = 0;
    const char *c = reason;
    while (*c && at + 1 < size) {
        size_t best = 0, match = 0;
        for (size_t i = 0; i < sizeof s_reason_phrases / sizeof (char *); i++) {
            size_t length = strlen (s_reason_phrases [i]);
            if (length > match
                && strncmp (c, s_reason_phrases [i], length) == 0) {
                best = i;
                match = length;
            }
        }
        //  An age after a space or at the start, under Chinese
        size_t age = zh && (c == reason || c [-1] == ' ') ? s_age_length (c)
                                                          : 0;
        if (match) {
            at += (size_t) snprintf (buf + at, size - at, "%s",
                                     _ (s_reason_phrases [best]));
            c += match;
        }
        else if (age) {
            static const char *units [] = { "年", "个月", "天" };
            for (const char *end = c + age; c < end && at + 1 < size;) {
                long number = strtol (c, (char **) &c, 10);
                at += (size_t) snprintf (buf + at, size - at, "%ld%s", number,
                                         units [strchr ("ymd", *c) - "ymd"]);
                c++;
            }
        }
        else
            buf [at++] = *c++;
        if (at >= size)
            at = size - 1;
        buf [at] = 0;
    }
    kj_utf8_trim (buf);
    return buf;
}
