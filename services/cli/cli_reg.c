/*  =========================================================================
    cli_reg - options, verbs, update masks, enum names, money, dates,
    pages and the audit trail for the registry's nouns of the kejin
    command line
    =========================================================================
*/

#include "cli_reg.h"
#include <ctype.h>

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
    if (cli_wants_help (argc, argv))
        return cli_usage (usage, false);
    for (const cli_verb_t *v = verbs; v->verb; v++)
        if (streq (v->verb, verb))
            return v->run (cli, argc, argv);
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

int
cli_enum_value (const ProtobufCEnumDescriptor *descriptor, const char *prefix,
                const char *name)
{
    char full [96];
    size_t at = (size_t) snprintf (full, sizeof full, "%s", prefix);
    if (!name || !*name || strlen (name) + at >= sizeof full)
        return -1;
    for (const char *c = name; *c; c++)
        full [at++] = *c == '-' ? '_' : (char) toupper ((unsigned char) *c);
    full [at] = 0;
    const ProtobufCEnumValue *value =
        protobuf_c_enum_descriptor_get_value_by_name (descriptor, full);
    return value ? value->value : -1;
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

//  The names a descriptor allows, for messages.
static void
s_names (const ProtobufCEnumDescriptor *descriptor, const char *prefix,
         bool zero_ok, char *buf, size_t size)
{
    size_t at = 0;
    buf [0] = 0;
    for (unsigned i = 0; i < descriptor->n_values && at < size; i++) {
        if (descriptor->values [i].value == 0 && !zero_ok)
            continue;
        at += (size_t) snprintf (buf + at, size - at, "%s%s", at ? ", " : "",
                                 cli_enum_name (descriptor, prefix,
                                                descriptor->values [i].value));
    }
}

int
cli_parse_enum (const char *option, const char *text,
                const ProtobufCEnumDescriptor *descriptor, const char *prefix,
                bool zero_ok, int *value)
{
    *value = cli_enum_value (descriptor, prefix, text);
    if (*value < 0 || (*value == 0 && !zero_ok)) {
        char names [600];
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
