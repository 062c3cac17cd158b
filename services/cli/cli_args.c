/*  =========================================================================
    cli_args - the options and arguments of one verb of the kejin command
    line, read against the verb's spec ("name= flag!"), refused with the
    noun's usage when they do not fit
    =========================================================================
*/

#include "cli_reg.h"

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
