/*  =========================================================================
    cli_reg - verbs, update masks, money, dates, pages, reasons and the
    audit trail for the registry's nouns of the kejin command line (their
    options are cli_args.c's, their enum names cli_enums.c's)
    =========================================================================
*/

#include "cli_reg.h"
#include <ctype.h>

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
