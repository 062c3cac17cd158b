/*  =========================================================================
    cli_util - calls, errors and tables shared by every kejin command
    =========================================================================
*/

#include "cli_reg.h"
#include "kj_money.h"
#include "kj_region.h"
#include <wchar.h>
#include <ctype.h>
#include <unistd.h>
#include <sys/socket.h>
#include <poll.h>
#include <netdb.h>

kj_client_t *
cli_client (cli_t *cli)
{
    if (!cli->client) {
        cli->client = kj_client_new (cli->broker);
        if (cli->client)
            kj_client_set_timeout (cli->client, cli->timeout_ms);
    }
    return cli->client;
}

int
cli_exit_code (int code)
{
    switch (code) {
        case KJ__CODE__OK:
            return CLI_OK;
        case KJ__CODE__INVALID_ARGUMENT:
        case KJ__CODE__OUT_OF_RANGE:
            return CLI_USAGE;
        case KJ__CODE__UNAVAILABLE:
        case KJ__CODE__DEADLINE_EXCEEDED:
        case KJ__CODE__CANCELLED:
            return CLI_UNAVAILABLE;
        case KJ__CODE__INTERNAL:
        case KJ__CODE__UNKNOWN:
        case KJ__CODE__DATA_LOSS:
            return CLI_INTERNAL;
        default:
            return CLI_FAILED;
    }
}

//  --------------------------------------------------------------------------
//  Is anything listening at a tcp:// broker endpoint? A refused or silent
//  connect within a second says the node is down at once, where waiting
//  for the call's deadline and its retries took 15 s. Other endpoints, and
//  hosts that do not resolve, are left to the call. true if it may answer.

static bool
s_broker_listens (const char *endpoint)
{
    char host [256];
    int port;
    if (sscanf (endpoint, "tcp://%255[^:]:%d", host, &port) != 2
        || streq (host, "*"))
        return true;
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *found = NULL;
    char service [16];
    snprintf (service, sizeof service, "%d", port);
    if (getaddrinfo (host, service, &hints, &found) || !found)
        return true;
    bool listens = false;
    for (struct addrinfo *a = found; a && !listens; a = a->ai_next) {
        int fd = socket (a->ai_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (fd < 0)
            continue;
        if (connect (fd, a->ai_addr, a->ai_addrlen) == 0)
            listens = true;
        else if (errno == EINPROGRESS) {
            struct pollfd pfd = { .fd = fd, .events = POLLOUT };
            int error = 0;
            socklen_t size = sizeof error;
            if (poll (&pfd, 1, 1000) == 1
                && getsockopt (fd, SOL_SOCKET, SO_ERROR, &error, &size) == 0
                && error == 0)
                listens = true;
        }
        close (fd);
    }
    freeaddrinfo (found);
    return listens;
}

//  --------------------------------------------------------------------------
//  Field names: what a request's field is called where the person typed
//  it, after the message path ("enterprise.", "figures[0].", "credit.") is
//  dropped. The fields of the registry's field tables are named by their
//  rows (the enterprise's, the figures', the institution's and the
//  product's option); this list holds the request-level names of no
//  table whose option differs from the name, and comes first.

static const struct {
    const char *field, *name;
} s_field_names [] = {
    { "enterprise_code", "enterprise" },
    { "institution_id", "institution" },
    { "expires_on", "expires" },
    { "granted_on", "granted" },
    { "amount_fen", "amount" },
    { "term_months", "term" },
    { "on_date", "on" },
    { "name_contains", "name" },
    { "expected_version", "version" },
    { "kinds", "held" },
    //  ListEnterprises' filter (--qualification) and the product's list
    //  (--requires) share the name: named as it always was
    { "qualifications", "qualifications" },
};

//  The option of a field table's row named plain, or NULL
static const char *
s_table_option (const char *plain)
{
    for (int i = 0; i < REGISTRY_ENTERPRISE_COLUMNS; i++) {
        const registry_field_t *f = registry_check_enterprise_column (i);
        const char *dot = strrchr (f->path, '.');
        if (streq (dot ? dot + 1 : f->path, plain))
            return f->option;
    }
    for (int i = 0; i < REGISTRY_FIGURES; i++)
        if (streq (registry_check_figure_table [i].column, plain))
            return registry_check_figure_table [i].name;
    for (int i = 0; i < REGISTRY_INSTITUTION_ATTRS; i++)
        if (streq (registry_check_institution_table [i].path, plain))
            return registry_check_institution_table [i].option;
    for (int i = 0; i < REGISTRY_PRODUCT_ATTRS; i++)
        if (streq (registry_product_table [i].path, plain))
            return registry_product_table [i].option;
    return NULL;
}

//  Names typed as positional arguments, shown in capitals ("CODE").
static const char *s_positional [] = { "code", "id", "kind", "action", NULL };

//  --------------------------------------------------------------------------
//  The documented name of a status's field: its last part without index,
//  as its option is named.

const char *
cli_field_name (const char *field, char *buf, size_t size)
{
    buf [0] = 0;
    if (!field || !*field)
        return buf;
    const char *last = strrchr (field, '.');
    const char *name = last ? last + 1 : field;
    char plain [64];
    snprintf (plain, sizeof plain, "%.*s", (int) strcspn (name, "["), name);
    //  offered.kinds is --collateral, held.kinds --held
    if (streq (plain, "kinds") && strncmp (field, "offered", 7) == 0) {
        snprintf (buf, size, "collateral");
        return buf;
    }
    for (size_t i = 0; i < sizeof s_field_names / sizeof s_field_names [0]; i++)
        if (streq (s_field_names [i].field, plain)) {
            snprintf (buf, size, "%s", s_field_names [i].name);
            return buf;
        }
    const char *option = s_table_option (plain);
    if (option) {
        snprintf (buf, size, "%s", option);
        return buf;
    }
    size_t at = 0;
    for (const char *c = plain; *c && at + 1 < size; c++)
        buf [at++] = *c == '_' ? '-' : *c;
    buf [at] = 0;
    return buf;
}

//  registry.bulk's fields that are export options (`NOUN export --city`);
//  its others (import_id, first_line, ...) are the CLI's own, not typed.
static bool
s_bulk_option (const char *service, const char *field)
{
    static const char *options [] = { "city", "stage", "type", NULL };
    if (!streq (service, "registry.bulk"))
        return false;
    for (const char **o = options; *o; o++)
        if (streq (*o, field))
            return true;
    return false;
}

//  The field as the person typed it: "CODE" or "--revenue".
static const char *
s_field_typed (const char *name, char *buf, size_t size)
{
    for (const char **p = s_positional; *p; p++)
        if (streq (*p, name)) {
            size_t at = 0;
            for (const char *c = name; *c && at + 1 < size; c++)
                buf [at++] = (char) toupper ((unsigned char) *c);
            buf [at] = 0;
            return buf;
        }
    snprintf (buf, size, "--%s", name);
    return buf;
}

//  The broker listens but a keyed client got no answer: a broker refuses
//  a revoked or unknown key at the handshake without a word, so say which
//  key was used and what the key folder says of it. True if it said so.

typedef struct {
    const char *name;  //  the key looked for
    int state;         //  0 not seen, 1 valid, 2 revoked
} s_key_look_t;

static void
s_key_seen (const kj_key_info_t *info, bool revoked, void *arg)
{
    s_key_look_t *look = (s_key_look_t *) arg;
    if (streq (info->name, look->name))
        look->state = revoked ? 2 : 1;
}

static bool
s_key_hint (cli_t *cli)
{
    const char *dir = getenv ("KEJIN_NODE_KEYS");
    if (!dir || !*dir)
        return false;
    const char *name = getenv ("KEJIN_KEY");
    if (!name || !*name)
        name = "operator";
    kj_keys_t *keys = kj_keys_new (dir);
    s_key_look_t look = { name, 0 };
    if (keys)
        kj_keys_list (keys, s_key_seen, &look);
    kj_keys_destroy (&keys);
    if (look.state == 2)
        fprintf (stderr,
                 _ ("%s: the key %s (KEJIN_KEY) was revoked, and the broker "
                    "at %s refuses it at the handshake: use another key "
                    "(`kejin keys list` shows them) or ask the node's "
                    "operator for a new one\n"),
                 cli->prog, name, cli->broker);
    else if (look.state == 0)
        fprintf (stderr,
                 _ ("%s: there is no key %s (KEJIN_KEY) in %s "
                    "(KEJIN_NODE_KEYS): `kejin keys list` shows the keys "
                    "there\n"),
                 cli->prog, name, dir);
    else
        return false;
    return true;
}

int
cli_call (cli_t *cli, const char *service, const char *method,
          const ProtobufCMessage *request,
          const ProtobufCMessageDescriptor *reply_type,
          ProtobufCMessage **reply_p, bool read_only)
{
    kj_client_t *client = cli_client (cli);
    if (!client) {
        fprintf (stderr, _ ("%s: cannot use broker endpoint '%s'\n"), cli->prog,
                 cli->broker);
        return CLI_USAGE;
    }
    kj_status_t status;
    kj_call_opts_t opts = { .read_only = read_only };
    int code;
    static int listens = -1;  //  checked once a process
    if (listens < 0)
        listens = s_broker_listens (cli->broker);
    if (!listens) {
        kj_status_set (&status, KJ__CODE__UNAVAILABLE, NULL,
                       "no broker listens at %s", cli->broker);
        code = KJ__CODE__UNAVAILABLE;
    }
    else
        code = kj_client_call (client, service, method, request, reply_type,
                               reply_p, &status, &opts);
    if (code == KJ__CODE__OK)
        return CLI_OK;
    //  The registry's field under its documented name (docs/cli.md), and
    //  the message without the request's path it may begin with
    //  ("enterprise.code: ", or "enterprise.code：" with the full-width
    //  colon of Chinese messages); other services' fields as they come,
    //  until their commands document theirs
    char name [64], typed [72];
    const char *message = status.message;
    if (streq (service, "registry") || s_bulk_option (service, status.field)) {
        cli_field_name (status.field, name, sizeof name);
        s_field_typed (name, typed, sizeof typed);
        size_t path = strlen (status.field);
        if (path && strncmp (message, status.field, path) == 0) {
            if (strncmp (message + path, ": ", 2) == 0)
                message += path + 2;
            else if (strncmp (message + path, "：", strlen ("：")) == 0)
                message += path + strlen ("：");
        }
    }
    else {
        snprintf (name, sizeof name, "%s", status.field);
        snprintf (typed, sizeof typed, "%s", status.field);
    }
    if (cli->json) {
        json_t *error = json_pack ("{s:s,s:s,s:s}", "error",
                                   kj_code_name (code), "field", name,
                                   "message", message);
        char *text = json_dumps (error, JSON_COMPACT | JSON_PRESERVE_ORDER);
        fprintf (stderr, "%s\n", text);
        free (text);
        json_decref (error);
    }
    else {
        fprintf (stderr, "%s: %s", cli->prog, kj_code_name (code));
        //  A refusal of the caller names no option the person typed
        if (*name && code != KJ__CODE__PERMISSION_DENIED
            && code != KJ__CODE__UNAUTHENTICATED)
            fprintf (stderr, " (%s)", typed);
        fprintf (stderr, ": %s\n", message);
        const char *keys = getenv ("KEJIN_NODE_KEYS");
        if ((code == KJ__CODE__DEADLINE_EXCEEDED
             || code == KJ__CODE__UNAVAILABLE)
            && listens && (!keys || !*keys))
            //  Something listens but does not answer a client without a
            //  key: a node with keys (make up's) lets in no one else
            fprintf (stderr,
                     _ ("%s: the broker at %s listens but did not answer, "
                        "and no key was given: a node with keys (`make "
                        "up` makes them) answers only clients with one. "
                        "Run `source run/node.env`, or set "
                        "KEJIN_NODE_KEYS to the node's key folder\n"),
                     cli->prog, cli->broker);
        else if ((code == KJ__CODE__DEADLINE_EXCEEDED
                  || code == KJ__CODE__UNAVAILABLE)
                 && listens && s_key_hint (cli))
            ;  //  the key is why, and the hint said so
        else if (code == KJ__CODE__DEADLINE_EXCEEDED
                 || code == KJ__CODE__UNAVAILABLE)
            fprintf (stderr,
                     _ ("%s: is the node up? `make status` shows it; "
                        "`make up` starts it. Broker: %s (--broker or "
                        "KEJIN_NODE_BROKER)\n"),
                     cli->prog, cli->broker);
    }
    return cli_exit_code (code);
}

int
cli_call_show (cli_t *cli, const char *service, const char *method,
               const ProtobufCMessage *request,
               const ProtobufCMessageDescriptor *reply_type, bool read_only,
               cli_show_fn *show, const char *what)
{
    ProtobufCMessage *reply = NULL;
    int rc = cli_call (cli, service, method, request, reply_type, &reply,
                       read_only);
    if (rc == CLI_OK)
        rc = show (cli, reply, what);
    if (reply)
        protobuf_c_message_free_unpacked (reply, NULL);
    return rc;
}

//  --------------------------------------------------------------------------
//  The string fields of a request from a verb's arguments: the positional
//  ones into the first fields, in order; each option into the field of its
//  name ("--reason" into reason).

static void
s_fill_strings (const cli_call_verb_t *verb, cli_args_t *args,
                ProtobufCMessage *request)
{
    const ProtobufCMessageDescriptor *type = verb->request_type;
    for (unsigned i = 0; i < type->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &type->fields [i];
        if (field->type != PROTOBUF_C_TYPE_STRING
            || field->label == PROTOBUF_C_LABEL_REPEATED)
            continue;
        const char *value = NULL;
        if (i < verb->positional)
            value = cli_args_positional (args, i);
        else {
            char option [64];
            size_t at = 0;
            for (const char *c = field->name; *c && at + 1 < sizeof option; c++)
                option [at++] = *c == '_' ? '-' : *c;
            option [at] = 0;
            value = cli_args_get (args, option);
        }
        if (value)
            *(const char **) ((char *) request + field->offset) = value;
    }
}

//  --------------------------------------------------------------------------
//  A verb that is one call: parse, fill, call, show, free (cli.h).

int
cli_verb_call (cli_t *cli, int argc, char **argv, const char *usage,
               const cli_call_verb_t *verb)
{
    cli_args_t *args = cli_args_verb (argc, argv, verb->spec, usage,
                                      verb->positional, verb->required,
                                      verb->complaint);
    if (!args)
        return CLI_USAGE;
    ProtobufCMessage *request = (ProtobufCMessage *) zmalloc (
        verb->request_type->sizeof_message);
    protobuf_c_message_init (verb->request_type, request);
    int rc = CLI_USAGE;
    s_fill_strings (verb, args, request);
    bool filled = !verb->fill || verb->fill (cli, args, request) == 0;
    if (filled) {
        ProtobufCMessage *reply = NULL;
        rc = cli_call (cli, verb->service, verb->method, request,
                       verb->reply_type, &reply, verb->read_only);
        if (rc == CLI_OK && verb->show)
            rc = verb->show (cli, args, reply);
        else if (rc == CLI_OK)
            cli_print_json (reply);
        if (reply)
            protobuf_c_message_free_unpacked (reply, NULL);
    }
    free (request);
    cli_args_destroy (&args);
    return rc;
}

void
cli_print_json (const ProtobufCMessage *message)
{
    char *text = kj_json_string (message, false);
    printf ("%s\n", text);
    free (text);
}

void
cli_print_object (json_t *object)
{
    char *text = json_dumps (object, JSON_PRESERVE_ORDER);
    if (text)
        puts (text);
    free (text);
    json_decref (object);
}

int
cli_usage (const char *text, bool error)
{
    fputs (_ (text), error ? stderr : stdout);
    return error ? CLI_USAGE : CLI_OK;
}

bool
cli_wants_help (int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (streq (argv [i], "-h") || streq (argv [i], "--help"))
            return true;
    return false;
}

char *
cli_yuan (int64_t fen, char *buf, size_t size)
{
    return kj_money_yuan (fen, true, buf, size);
}

//  --------------------------------------------------------------------------
//  Tables

struct _cli_table_t {
    int columns;
    zlistx_t *rows;  //  each a char ** of `columns` cells
    char **headings;
};

//  Display width of UTF-8 text: each character decoded with mbrtowc and
//  measured with wcwidth (CJK two columns); a byte that is not UTF-8
//  counts one.
int
cli_width (const char *text)
{
    mbstate_t state;
    memset (&state, 0, sizeof state);
    int width = 0;
    const char *at = text;
    size_t left = strlen (text);
    while (left > 0) {
        wchar_t wc;
        size_t n = mbrtowc (&wc, at, left, &state);
        if (n == (size_t) -1 || n == (size_t) -2) {
            width++;
            at++;
            left--;
            memset (&state, 0, sizeof state);
            continue;
        }
        int w = wcwidth (wc);
        width += w < 0 ? 1 : w;
        at += n;
        left -= n;
    }
    return width;
}

//  --------------------------------------------------------------------------
//  Text padded to a display width.

void
cli_pad (FILE *out, const char *text, int width)
{
    fputs (text, out);
    for (int w = cli_width (text); w < width; w++)
        fputc (' ', out);
}

static char **
s_cells (int columns, const char *first, va_list args)
{
    char **cells = (char **) zmalloc (columns * sizeof (char *));
    const char *cell = first;
    for (int i = 0; i < columns; i++) {
        cells [i] = strdup (cell ? cell : "");
        if (i + 1 < columns)
            cell = va_arg (args, const char *);
    }
    return cells;
}

cli_table_t *
cli_table_new (const char *heading, ...)
{
    cli_table_t *self = (cli_table_t *) zmalloc (sizeof (cli_table_t));
    va_list args;
    va_start (args, heading);
    for (const char *h = heading; h; h = va_arg (args, const char *))
        self->columns++;
    va_end (args);
    va_start (args, heading);
    self->headings = s_cells (self->columns, heading, args);
    va_end (args);
    //  Headings are marked N_ () where they are written
    for (int i = 0; i < self->columns; i++) {
        char *translated = strdup (_ (self->headings [i]));
        free (self->headings [i]);
        self->headings [i] = translated;
    }
    self->rows = zlistx_new ();
    return self;
}

static void
s_free_cells (char **cells, int columns)
{
    for (int i = 0; i < columns; i++)
        free (cells [i]);
    free (cells);
}

void
cli_table_destroy (cli_table_t **self_p)
{
    if (*self_p) {
        cli_table_t *self = *self_p;
        for (char **cells = (char **) zlistx_first (self->rows); cells;
             cells = (char **) zlistx_next (self->rows))
            s_free_cells (cells, self->columns);
        zlistx_destroy (&self->rows);
        s_free_cells (self->headings, self->columns);
        free (self);
        *self_p = NULL;
    }
}

void
cli_table_row (cli_table_t *self, ...)
{
    va_list args;
    va_start (args, self);
    const char *first = va_arg (args, const char *);
    zlistx_add_end (self->rows, s_cells (self->columns, first, args));
    va_end (args);
}

static void
s_print_row (FILE *out, char **cells, int *widths, int columns)
{
    for (int i = 0; i < columns; i++) {
        if (i + 1 < columns)
            cli_pad (out, cells [i], widths [i] + 2);
        else
            fputs (cells [i], out);
    }
    fputc ('\n', out);
}

void
cli_table_print (cli_table_t *self, FILE *out)
{
    int *widths = (int *) zmalloc (self->columns * sizeof (int));
    for (int i = 0; i < self->columns; i++)
        widths [i] = cli_width (self->headings [i]);
    for (char **cells = (char **) zlistx_first (self->rows); cells;
         cells = (char **) zlistx_next (self->rows))
        for (int i = 0; i < self->columns; i++) {
            int w = cli_width (cells [i]);
            if (w > widths [i])
                widths [i] = w;
        }
    s_print_row (out, self->headings, widths, self->columns);
    for (char **cells = (char **) zlistx_first (self->rows); cells;
         cells = (char **) zlistx_next (self->rows))
        s_print_row (out, cells, widths, self->columns);
    free (widths);
}

//  --------------------------------------------------------------------------
//  A region's Chinese name from its table code (cli.h).

const char *
cli_region_name (const char *code)
{
    if (!kj_region_city_valid (code))
        return "outside Liaoning";
    return kj_region_info (kj_region_by_code (code))->name_zh;
}

//  --------------------------------------------------------------------------
//  A city's code and name for a table row (cli.h).

const char *
cli_city_label (const char *code, char *buf, size_t size)
{
    if (kj_region_city_valid (code))
        snprintf (buf, size, "%s %s", code, cli_region_name (code));
    else
        snprintf (buf, size, "%s", code);
    return buf;
}
