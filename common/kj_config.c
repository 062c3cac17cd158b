/*  =========================================================================
    kj_config - one ZPL file per node, every value overridable from the
    environment
    =========================================================================
*/

#include "kejin.h"
#include <getopt.h>

struct _kj_config_t {
    const kj_option_t *options; //  declared options, { NULL } ended
    zconfig_t *file;            //  the node's file, or NULL
    zhashx_t *set;              //  --set values: path -> value
};

static const kj_option_t *
s_find_option (const kj_option_t *options, const char *path)
{
    for (const kj_option_t *option = options; option->path; option++)
        if (streq (option->path, path))
            return option;
    return NULL;
}

kj_config_t *
kj_config_new (const char *file, const kj_option_t *options)
{
    kj_config_t *self = (kj_config_t *) zmalloc (sizeof (kj_config_t));
    self->options = options;
    self->set = zhashx_new ();
    zhashx_set_destructor (self->set, (zhashx_destructor_fn *) zstr_free);
    zhashx_set_duplicator (self->set, (zhashx_duplicator_fn *) strdup);
    if (file && *file) {
        if (!zsys_file_exists (file)) {
            kj_error ("config.missing", "file=%s", file);
            kj_config_destroy (&self);
            return NULL;
        }
        self->file = zconfig_load (file);
        if (!self->file) {
            kj_error ("config.invalid", "file=%s reason=\"not valid ZPL\"",
                      file);
            kj_config_destroy (&self);
            return NULL;
        }
    }
    return self;
}

void
kj_config_destroy (kj_config_t **self_p)
{
    if (*self_p) {
        kj_config_t *self = *self_p;
        zconfig_destroy (&self->file);
        zhashx_destroy (&self->set);
        free (self);
        *self_p = NULL;
    }
}

int
kj_config_set (kj_config_t *self, const char *path, const char *value)
{
    if (!s_find_option (self->options, path))
        return -1;
    zhashx_update (self->set, path, (void *) value);
    return 0;
}

const char *
kj_config_env_name (const char *path, char *buf, size_t size)
{
    size_t n = kj_strlcpy (buf, "KEJIN_", size) ? strlen (buf) : 0;
    for (const char *c = path; *c && n + 1 < size; c++)
        buf [n++] = (*c == '/' || *c == '-' || *c == '.') ? '_'
                  : (char) toupper ((unsigned char) *c);
    buf [n] = 0;
    return buf;
}

const char *
kj_config_get (kj_config_t *self, const char *path)
{
    const kj_option_t *option = s_find_option (self->options, path);
    assert (option);            //  a daemon asks only for what it declared
    char name [128];
    const char *value = getenv (kj_config_env_name (path, name, sizeof name));
    if (value)
        return value;
    value = (const char *) zhashx_lookup (self->set, path);
    if (value)
        return value;
    if (self->file) {
        zconfig_t *item = zconfig_locate (self->file, path);
        if (item && zconfig_value (item))
            return zconfig_value (item);
    }
    return option->dflt ? option->dflt : "";
}

int64_t
kj_config_int (kj_config_t *self, const char *path)
{
    const char *text = kj_config_get (self, path);
    int64_t value;
    if (kj_parse_int64 (text, &value) == 0)
        return value;
    const kj_option_t *option = s_find_option (self->options, path);
    kj_error ("config.not_a_number", "path=%s value=\"%s\" using=%s", path,
              text, option->dflt ? option->dflt : "0");
    if (option->dflt && kj_parse_int64 (option->dflt, &value) == 0)
        return value;
    return 0;
}

bool
kj_config_bool (kj_config_t *self, const char *path)
{
    const char *text = kj_config_get (self, path);
    return streq (text, "1") || streq (text, "true") || streq (text, "yes")
        || streq (text, "on");
}

void
kj_config_print_options (const kj_option_t *options, FILE *out)
{
    char name [128];
    for (const kj_option_t *option = options; option->path; option++) {
        fprintf (out, "  %-26s %s\n", option->path, option->help);
        fprintf (out, "  %-26s env %s, default \"%s\"\n", "",
                 kj_config_env_name (option->path, name, sizeof name),
                 option->dflt ? option->dflt : "");
    }
}

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

static void
s_usage (FILE *out, const char *process, const char *summary,
         const kj_option_t *options)
{
    fprintf (out,
        "Usage: %s [-c FILE] [-s PATH=VALUE]...\n"
        "%s\n\n"
        "  -c, --config FILE   node configuration file (ZPL, see "
        "deploy/kejin.conf);\n"
        "                      env KEJIN_CONFIG\n"
        "  -s, --set PATH=VALUE  set one option, above the file\n"
        "  -h, --help          this help\n"
        "  -V, --version       print the version\n\n"
        "Options (a value comes from its environment variable, else --set,"
        "\nelse the file, else the default):\n",
        process, summary);
    kj_config_print_options (options, out);
}

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
            case 'c': file = optarg; break;
            case 's': zlist_append (sets, optarg); break;
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
    if (s_find_option (options, "log/level"))
        kj_log_init (process, kj_config_get (self, "log/level"));
    return self;
}
