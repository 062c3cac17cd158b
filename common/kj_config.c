/*  =========================================================================
    kj_config - one ZPL file per node, every value overridable from the
    environment, every value checked at start

    The file is read here, not by zconfig, so that every item keeps its
    line number for the messages of kj_config_check; `kejin config` (and
    through it deploy/kejin-node) reads a node's file with this same code.
    =========================================================================
*/

#include "kejin.h"
#include <getopt.h>
#include <sys/stat.h>
#include <inttypes.h>

//  A config file larger than this is refused: it is not a config file
#define KJ_CONFIG_MAX_BYTES (1024 * 1024)

//  One item of the file: "path = value", or a section line (no value)
typedef struct {
    char *path;   //  "registry/relay"
    char *value;  //  NULL for a line without "= value"
    int line;     //  1-based
} s_item_t;

struct _kj_config_t {
    const kj_option_t *options;  //  declared options, { NULL } ended
    char *file;                  //  the node's file, or NULL
    zlistx_t *items;             //  s_item_t of the file, in file order
    zhashx_t *set;               //  --set values: path -> value
};

const kj_option_t kj_config_node_options [] = { KJ_OPTIONS_NODE,
                                                KJ_OPTIONS_DB,
                                                { NULL } };

static const char *s_bool_true [] = { "true", "yes", "on", "1", NULL };
static const char *s_bool_false [] = { "false", "no", "off", "0", NULL };

//  --------------------------------------------------------------------------
//  The option of `path` in a { NULL } ended table, or NULL.

static const kj_option_t *
s_find_option (const kj_option_t *options, const char *path)
{
    for (const kj_option_t *option = options; option->path; option++)
        if (streq (option->path, path))
            return option;
    return NULL;
}

//  --------------------------------------------------------------------------
//  True if `path` lies in `section` ("registry/relay" in "registry").

static bool
s_in_section (const char *path, const char *section, size_t length)
{
    return strncmp (path, section, length) == 0
        && (path [length] == '/' || path [length] == 0);
}

//  --------------------------------------------------------------------------
//  True if the table declares an option in the section of `path`.

static bool
s_owns_section (const kj_option_t *options, const char *path)
{
    size_t length = strcspn (path, "/");
    for (const kj_option_t *option = options; option->path; option++)
        if (s_in_section (option->path, path, length))
            return true;
    return false;
}

//  --------------------------------------------------------------------------
//  Free an item of the file (the list's destructor).

static void
s_item_destroy (s_item_t **self_p)
{
    if (*self_p) {
        free ((*self_p)->path);
        free ((*self_p)->value);
        free (*self_p);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Past the spaces and tabs at `text`.

static const char *
s_skip_blanks (const char *text)
{
    while (*text == ' ' || *text == '\t')
        text++;
    return text;
}

//  --------------------------------------------------------------------------
//  Parse one line of ZPL into self->items; `stack` holds the names of the
//  open sections, `depth` how many. Returns NULL, or why the line is not
//  valid ZPL. The rules are those of CZMQ's zconfig, which the file
//  format comes from (deploy/kejin.conf describes them).

static const char *
s_parse_line (kj_config_t *self, char *line, int number, char **stack,
              int *depth)
{
    size_t length = strlen (line);
    while (length && (line [length - 1] == '\n' || line [length - 1] == '\r'))
        line [--length] = 0;
    const char *text = s_skip_blanks (line);
    if (*text == 0 || *text == '#')
        return NULL;
    size_t indent = strspn (line, " ");
    if (line [indent] == '\t')
        return "indent with spaces (4 per level), not tabs";
    if (indent % 4)
        return "indentation must be a multiple of 4 spaces";
    int level = (int) indent / 4;
    if (level > *depth)
        return "indented more than one level below the line above";
    if (level >= 8)
        return "more than 8 levels of sections";
    text = line + indent;
    size_t name_length =
        strspn (text,
                "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                "$_@.&+/-");
    if (name_length == 0)
        return "expected a name";
    for (int i = level; i < *depth; i++)
        zstr_free (&stack [i]);
    stack [level] = strndup (text, name_length);
    *depth = level + 1;
    text = s_skip_blanks (text + name_length);

    char *value = NULL;
    if (*text && *text != '#') {
        if (*text != '=')
            return "expected \"=\" after the name";
        text = s_skip_blanks (text + 1);
        if (*text == '"' || *text == '\'') {
            const char *end = strchr (text + 1, *text);
            if (!end)
                return *text == '"' ? "missing closing \""
                                    : "missing closing '";
            const char *after = s_skip_blanks (end + 1);
            if (*after && *after != '#')
                return "unexpected text after the value";
            value = strndup (text + 1, (size_t) (end - text - 1));
        }
        else {
            size_t size = strcspn (text, "#");
            while (size && (text [size - 1] == ' ' || text [size - 1] == '\t'))
                size--;
            value = strndup (text, size);
        }
    }
    s_item_t *item = (s_item_t *) zmalloc (sizeof (s_item_t));
    item->line = number;
    item->value = value;
    size_t size = 0;
    for (int i = 0; i <= level; i++)
        size += strlen (stack [i]) + 1;
    item->path = (char *) zmalloc (size);
    for (int i = 0; i <= level; i++) {
        if (i)
            strcat (item->path, "/");
        strcat (item->path, stack [i]);
    }
    zlistx_add_end (self->items, item);
    return NULL;
}

//  --------------------------------------------------------------------------
//  Read the file into self->items. Returns 0, or -1 after printing why.

static int
s_load (kj_config_t *self, const char *file)
{
    FILE *handle = fopen (file, "r");
    if (!handle) {
        fprintf (stderr, "%s: cannot read the config file: %s\n", file,
                 strerror (errno));
        return -1;
    }
    struct stat info = { 0 };
    if (fstat (fileno (handle), &info) || !S_ISREG (info.st_mode)
        || info.st_size > KJ_CONFIG_MAX_BYTES) {
        fprintf (stderr, "%s: not a config file: %s\n", file,
                 S_ISREG (info.st_mode) ? "larger than 1 MiB"
                                        : "not a regular file");
        fclose (handle);
        return -1;
    }
    char *stack [8] = { NULL };
    int depth = 0;
    char *line = NULL;
    size_t capacity = 0;
    size_t total = 0;
    int number = 0;
    const char *why = NULL;
    ssize_t length;
    while (!why && (length = getline (&line, &capacity, handle)) >= 0) {
        number++;
        total += (size_t) length;
        if (total > KJ_CONFIG_MAX_BYTES)
            why = "file larger than 1 MiB";
        else if (strlen (line) != (size_t) length)
            why = "a NUL byte in the line";
        else
            why = s_parse_line (self, line, number, stack, &depth);
    }
    if (why)
        fprintf (stderr, "%s:%d: not valid ZPL: %s\n", file, number, why);
    for (int i = 0; i < 8; i++)
        zstr_free (&stack [i]);
    free (line);
    fclose (handle);
    return why ? -1 : 0;
}

//  --------------------------------------------------------------------------
//  Load `file` over the defaults of `options`.

kj_config_t *
kj_config_new (const char *file, const kj_option_t *options)
{
    kj_config_t *self = (kj_config_t *) zmalloc (sizeof (kj_config_t));
    self->options = options;
    self->items = zlistx_new ();
    zlistx_set_destructor (self->items,
                           (zlistx_destructor_fn *) s_item_destroy);
    self->set = zhashx_new ();
    zhashx_set_destructor (self->set, (zhashx_destructor_fn *) zstr_free);
    zhashx_set_duplicator (self->set, (zhashx_duplicator_fn *) strdup);
    if (file && *file) {
        self->file = strdup (file);
        if (s_load (self, file)) {
            kj_config_destroy (&self);
            return NULL;
        }
    }
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy the config and what it read.

void
kj_config_destroy (kj_config_t **self_p)
{
    if (*self_p) {
        kj_config_t *self = *self_p;
        zlistx_destroy (&self->items);
        zhashx_destroy (&self->set);
        free (self->file);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  Set a value as --set does; -1 if `path` is not an option.

int
kj_config_set (kj_config_t *self, const char *path, const char *value)
{
    if (!s_find_option (self->options, path))
        return -1;
    zhashx_update (self->set, path, (void *) value);
    return 0;
}

//  --------------------------------------------------------------------------
//  KEJIN_ + the path in capitals, '/', '-' and '.' as '_'.

const char *
kj_config_env_name (const char *path, char *buf, size_t size)
{
    size_t n = kj_strlcpy (buf, "KEJIN_", size) ? strlen (buf) : 0;
    for (const char *c = path; *c && n + 1 < size; c++)
        buf [n++] = (*c == '/' || *c == '-' || *c == '.')
                      ? '_'
                      : (char) toupper ((unsigned char) *c);
    buf [n] = 0;
    return buf;
}

//  --------------------------------------------------------------------------
//  A whole number as people write it: an optional '-' and digits, nothing
//  else (no '+', no blanks, no hex). Returns 0 or -1.

static int
s_parse_int (const char *text, int64_t *value)
{
    const char *digits = *text == '-' ? text + 1 : text;
    if (*digits < '0' || *digits > '9')
        return -1;
    return kj_parse_int64 (text, value);
}

//  --------------------------------------------------------------------------
//  True if `word` is one of the NULL-ended `words`.

static bool
s_word_in (const char *word, const char **words)
{
    for (; *words; words++)
        if (streq (word, *words))
            return true;
    return false;
}

//  --------------------------------------------------------------------------
//  True if `words` (separated by spaces) holds `word`.

static bool
s_is_choice (const char *word, const char *words)
{
    size_t length = strlen (word);
    for (const char *w = words; *w;) {
        size_t size = strcspn (w, " ");
        if (size == length && length && strncmp (w, word, size) == 0)
            return true;
        w += size;
        w += strspn (w, " ");
    }
    return false;
}

//  --------------------------------------------------------------------------
//  True if `text` is a ZeroMQ endpoint Kejin uses: tcp://HOST:PORT (HOST a
//  name, an address, [IPv6] or *; PORT 1 to 65535 or *), ipc://PATH,
//  inproc://NAME.

static bool
s_is_endpoint (const char *text)
{
    if (strncmp (text, "ipc://", 6) == 0
        || strncmp (text, "inproc://", 9) == 0) {
        const char *rest = strstr (text, "://") + 3;
        for (const char *c = rest; *c; c++)
            if ((unsigned char) *c <= ' ')
                return false;
        return *rest != 0;
    }
    if (strncmp (text, "tcp://", 6))
        return false;
    const char *host = text + 6;
    const char *colon = strrchr (host, ':');
    if (!colon || colon == host)
        return false;
    size_t host_length = (size_t) (colon - host);
    if (*host == '[') {
        if (host [host_length - 1] != ']' || host_length < 3
            || strspn (host + 1, "0123456789abcdefABCDEF:.") != host_length - 2)
            return false;
    }
    else if (!(host_length == 1 && *host == '*')
             && strspn (host,
                        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        "0123456789.-_")
                    != host_length)
        return false;
    const char *port = colon + 1;
    if (streq (port, "*"))
        return true;
    int64_t number;
    return strspn (port, "0123456789") == strlen (port) && *port
        && s_parse_int (port, &number) == 0 && number >= 1 && number <= 65535;
}

//  --------------------------------------------------------------------------
//  What an option allows, in words; "" for any text.

const char *
kj_config_allowed (const kj_option_t *option, char *buf, size_t size)
{
    switch (option->kind) {
        case KJ_KIND_INT:
            snprintf (buf, size, "a whole number from %" PRId64 " to %" PRId64,
                      option->min, option->max);
            break;
        case KJ_KIND_BOOL:
            snprintf (buf, size, "true, false, yes, no, on, off, 1 or 0");
            break;
        case KJ_KIND_ENDPOINT:
        case KJ_KIND_ENDPOINT_OPT:
            snprintf (buf, size,
                      "an endpoint: tcp://HOST:PORT, ipc://PATH or "
                      "inproc://NAME%s",
                      option->kind == KJ_KIND_ENDPOINT_OPT
                          ? ", or \"\" for none"
                          : "");
            break;
        case KJ_KIND_CHOICE:
            snprintf (buf, size, "one of: %s", option->choices);
            break;
        default:
            if (option->max > 0)
                snprintf (buf, size, "text of at most %" PRId64 " bytes",
                          option->max);
            else
                *buf = 0;
    }
    return buf;
}

//  --------------------------------------------------------------------------
//  Check one value against its option.

bool
kj_config_valid (const kj_option_t *option, const char *value)
{
    int64_t number;
    switch (option->kind) {
        case KJ_KIND_INT:
            return s_parse_int (value, &number) == 0 && number >= option->min
                && number <= option->max;
        case KJ_KIND_BOOL:
            return s_word_in (value, s_bool_true)
                || s_word_in (value, s_bool_false);
        case KJ_KIND_ENDPOINT_OPT:
            return *value == 0 || s_is_endpoint (value);
        case KJ_KIND_ENDPOINT:
            return s_is_endpoint (value);
        case KJ_KIND_CHOICE:
            return s_is_choice (value, option->choices);
        default:
            return option->max <= 0 || (int64_t) strlen (value) <= option->max;
    }
}

//  --------------------------------------------------------------------------
//  Print "where: path = "value": allowed" when the value is not allowed.

static int
s_check_value (const kj_option_t *option, const char *value, const char *where,
               FILE *out)
{
    char why [160];
    if (kj_config_valid (option, value))
        return 0;
    fprintf (out, "%s: %s = \"%s\": expected %s\n", where, option->path, value,
             kj_config_allowed (option, why, sizeof why));
    return 1;
}

//  --------------------------------------------------------------------------
//  The options a file item may name: the daemon's own, and the node-wide.

static const kj_option_t *
s_item_option (kj_config_t *self, const char *path)
{
    const kj_option_t *option = s_find_option (self->options, path);
    return option ? option : s_find_option (kj_config_node_options, path);
}

//  --------------------------------------------------------------------------
//  Print what a section allows: its option names, in table order.

static void
s_print_allowed (kj_config_t *self, const char *path, FILE *out)
{
    size_t length = strcspn (path, "/");
    const kj_option_t *tables [] = { self->options, kj_config_node_options };
    int count = 0;
    for (int t = 0; t < 2; t++)
        for (const kj_option_t *option = tables [t]; option->path; option++) {
            if (!s_in_section (option->path, path, length)
                || !option->path [length]
                || (t == 1 && s_find_option (self->options, option->path)))
                continue;
            fprintf (out, "%s%s", count++ ? ", " : "",
                     option->path + length + 1);
        }
    if (!count)
        fprintf (out, "(no options)");
}

//  --------------------------------------------------------------------------
//  Check the items of the file.

static int
s_check_file (kj_config_t *self, bool whole, FILE *out)
{
    int problems = 0;
    char where [300];
    zhashx_t *seen = zhashx_new ();
    for (s_item_t *item = (s_item_t *) zlistx_first (self->items); item;
         item = (s_item_t *) zlistx_next (self->items)) {
        snprintf (where, sizeof where, "%s:%d", self->file, item->line);
        bool section = !strchr (item->path, '/') && !item->value;
        bool owned = s_owns_section (self->options, item->path)
                  || s_owns_section (kj_config_node_options, item->path);
        if (section) {
            if (whole && !owned) {
                fprintf (out,
                         "%s: no section \"%s\" in a Kejin node's "
                         "config\n",
                         where, item->path);
                problems++;
            }
            continue;
        }
        if (!owned && (!whole || strchr (item->path, '/')))
            continue;  //  another daemon's section, or reported
        const kj_option_t *option = s_item_option (self, item->path);
        if (!option) {
            size_t length = strcspn (item->path, "/");
            if (!owned)
                fprintf (out,
                         "%s: %s: no such option in a Kejin node's "
                         "config\n",
                         where, item->path);
            else {
                fprintf (out,
                         "%s: %s: no such option; section \"%.*s\" "
                         "allows: ",
                         where, item->path, (int) length, item->path);
                s_print_allowed (self, item->path, out);
                fprintf (out, "\n");
            }
            problems++;
            continue;
        }
        if (!item->value) {
            fprintf (out, "%s: %s: no value; write %s = VALUE\n", where,
                     item->path, strrchr (item->path, '/') + 1);
            problems++;
            continue;
        }
        int *first = (int *) zhashx_lookup (seen, item->path);
        if (first) {
            fprintf (out, "%s: %s is set twice (first on line %d)\n", where,
                     item->path, *first);
            problems++;
            continue;
        }
        zhashx_insert (seen, item->path, &item->line);
        problems += s_check_value (option, item->value, where, out);
    }
    zhashx_destroy (&seen);
    return problems;
}

//  --------------------------------------------------------------------------
//  Warn (not refuse: see docs/operations.md) about each KEJIN_ variable
//  that starts like the options of a section the table owns, other than
//  the node-wide ones, and names none of them: KEJIN_REGISTRY_RELAI.

static void
s_warn_environment (kj_config_t *self, FILE *out)
{
    char name [128], prefix [128];
    for (char **var = environ; *var; var++) {
        if (strncmp (*var, "KEJIN_", 6))
            continue;
        size_t length = strcspn (*var, "=");
        if (length >= sizeof name)
            continue;
        memcpy (name, *var, length);
        name [length] = 0;
        bool known = false, owned = false;
        for (const kj_option_t *option = self->options; option->path;
             option++) {
            kj_config_env_name (option->path, prefix, sizeof prefix);
            if (streq (prefix, name))
                known = true;
            if (s_owns_section (kj_config_node_options, option->path))
                continue;  //  node-wide: tools' variables live there
            prefix [6 + strcspn (option->path, "/")] = 0;
            size_t size = strlen (prefix);
            if (strncmp (name, prefix, size) == 0 && name [size] == '_')
                owned = true;
        }
        if (owned && !known)
            fprintf (out,
                     "warning: environment %s names no option; "
                     "ignored\n",
                     name);
    }
}

//  --------------------------------------------------------------------------
//  Check every key and value.

int
kj_config_check (kj_config_t *self, bool whole, FILE *out)
{
    int problems = s_check_file (self, whole, out);
    char where [300];
    char name [128];
    for (const kj_option_t *option = self->options; option->path; option++) {
        //  A default that is not allowed is a mistake in the table
        snprintf (where, sizeof where, "default of %s", option->path);
        problems += s_check_value (option, option->dflt ? option->dflt : "",
                                   where, out);
        const char *value = (const char *) zhashx_lookup (self->set,
                                                          option->path);
        if (value) {
            snprintf (where, sizeof where, "--set %s", option->path);
            problems += s_check_value (option, value, where, out);
        }
        kj_config_env_name (option->path, name, sizeof name);
        value = getenv (name);
        if (value) {
            snprintf (where, sizeof where, "environment %s", name);
            problems += s_check_value (option, value, where, out);
        }
    }
    s_warn_environment (self, out);
    return problems;
}

//  --------------------------------------------------------------------------
//  The value of `path` in the file: the first item that sets it, or NULL.

static const char *
s_file_value (kj_config_t *self, const char *path)
{
    for (s_item_t *item = (s_item_t *) zlistx_first (self->items); item;
         item = (s_item_t *) zlistx_next (self->items))
        if (item->value && streq (item->path, path))
            return item->value;
    return NULL;
}

//  --------------------------------------------------------------------------
//  The effective value: environment, --set, file, default.

const char *
kj_config_get (kj_config_t *self, const char *path)
{
    const kj_option_t *option = s_find_option (self->options, path);
    assert (option);  //  a daemon asks only for what it declared
    char name [128];
    const char *value = getenv (kj_config_env_name (path, name, sizeof name));
    if (value)
        return value;
    value = (const char *) zhashx_lookup (self->set, path);
    if (value)
        return value;
    value = s_file_value (self, path);
    if (value)
        return value;
    return option->dflt ? option->dflt : "";
}

//  --------------------------------------------------------------------------
//  The value as a number; the default (logged) if it is not one, which a
//  checked config never has.

int64_t
kj_config_int (kj_config_t *self, const char *path)
{
    const char *text = kj_config_get (self, path);
    int64_t value;
    if (s_parse_int (text, &value) == 0)
        return value;
    const kj_option_t *option = s_find_option (self->options, path);
    kj_error ("config.not_a_number", "path=%s value=\"%s\" using=%s", path,
              text, option->dflt ? option->dflt : "0");
    if (option->dflt && s_parse_int (option->dflt, &value) == 0)
        return value;
    return 0;
}

//  --------------------------------------------------------------------------
//  The value as a boolean: true for true, yes, on and 1.

bool
kj_config_bool (kj_config_t *self, const char *path)
{
    return s_word_in (kj_config_get (self, path), s_bool_true);
}

//  --------------------------------------------------------------------------
//  Every option for --help: help, environment, default, what is allowed.

void
kj_config_print_options (const kj_option_t *options, FILE *out)
{
    char name [128];
    char allowed [160];
    for (const kj_option_t *option = options; option->path; option++) {
        fprintf (out, "  %-26s %s\n", option->path, option->help);
        fprintf (out, "  %-26s env %s, default \"%s\"\n", "",
                 kj_config_env_name (option->path, name, sizeof name),
                 option->dflt ? option->dflt : "");
        if (*kj_config_allowed (option, allowed, sizeof allowed))
            fprintf (out, "  %-26s allowed: %s\n", "", allowed);
    }
}

//  --------------------------------------------------------------------------
//  One debug line per option, passwords hidden.

void
kj_config_log (kj_config_t *self)
{
    for (const kj_option_t *option = self->options; option->path; option++) {
        const char *value = kj_config_get (self, option->path);
        //  Never log a password that a connection string may carry
        bool secret = strstr (option->path, "dsn")
                   && strstr (value, "password");
        kj_debug ("config.value", "path=%s value=\"%s\"", option->path,
                  secret ? "(hidden)" : value);
    }
}

//  --------------------------------------------------------------------------
//  A daemon's --help.

static void
s_usage (FILE *out, const char *process, const char *summary,
         const kj_option_t *options)
{
    fprintf (
        out,
        "Usage: %s [-c FILE] [-s PATH=VALUE]...\n"
        "%s\n\n"
        "  -c, --config FILE   node configuration file (ZPL, see "
        "deploy/kejin.conf);\n"
        "                      env KEJIN_CONFIG\n"
        "  -s, --set PATH=VALUE  set one option, above the file\n"
        "  -h, --help          this help\n"
        "  -V, --version       print the version\n\n"
        "Options (a value comes from its environment variable, else --set,"
        "\nelse the file, else the default; a value not allowed, or an "
        "unknown key\nin this daemon's sections of the file, stops it with "
        "exit code 2):\n",
        process, summary);
    kj_config_print_options (options, out);
}

//  --------------------------------------------------------------------------
//  A daemon's command line and config, checked; exits 0 or 2 when it
//  should not run.

kj_config_t *
kj_config_from_args (int argc, char **argv, const char *process,
                     const char *summary, const kj_option_t *options)
{
    static struct option longopts [] = {
        { "config", required_argument, NULL, 'c' },
        { "set", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 }
    };
    const char *file = getenv ("KEJIN_CONFIG");
    zlist_t *sets = zlist_new ();
    int c;
    optind = 1;
    while ((c = getopt_long (argc, argv, "c:s:hV", longopts, NULL)) != -1) {
        switch (c) {
            case 'c':
                file = optarg;
                break;
            case 's':
                zlist_append (sets, optarg);
                break;
            case 'h':
                s_usage (stdout, process, summary, options);
                exit (0);
            case 'V':
                printf ("%s %s\n", process, KEJIN_VERSION);
                exit (0);
            default:
                fprintf (stderr, "Try '%s --help'.\n", process);
                exit (2);
        }
    }
    if (optind < argc) {
        fprintf (stderr, "%s: unexpected argument '%s'\nTry '%s --help'.\n",
                 process, argv [optind], process);
        exit (2);
    }
    kj_log_init (process, NULL);
    kj_config_t *self = kj_config_new (file, options);
    if (!self) {
        fprintf (stderr, "%s: cannot load config file '%s'\n", process, file);
        exit (2);
    }
    for (char *set = (char *) zlist_first (sets); set;
         set = (char *) zlist_next (sets)) {
        char *eq = strchr (set, '=');
        if (eq)
            *eq = 0;
        if (!eq || kj_config_set (self, set, eq + 1)) {
            fprintf (stderr, "%s: --set %s: %s\nTry '%s --help'.\n", process,
                     set, eq ? "no such option" : "expected PATH=VALUE",
                     process);
            exit (2);
        }
    }
    zlist_destroy (&sets);
    int problems = kj_config_check (self, false, stderr);
    if (problems) {
        fprintf (stderr,
                 "%s: %d problem%s in the configuration, see above; "
                 "`%s --help` lists the options\n",
                 process, problems, problems > 1 ? "s" : "", process);
        kj_config_destroy (&self);
        exit (2);
    }
    if (s_find_option (options, "log/level"))
        kj_log_init (process, kj_config_get (self, "log/level"));
    return self;
}
