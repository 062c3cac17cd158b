/*  =========================================================================
    cli_bulk - `kejin enterprise|institution|product import|export`: bulk
    CSV through the registry's service "registry.bulk"

    An import streams the file: it reads about a megabyte of whole rows at
    a time (a quoted field may span lines, never chunks), keeps several
    chunks in flight (kj_client_send / kj_client_recv), each with its own
    idempotency key so that a chunk sent again after a timeout is staged
    once, shows progress on stderr, then asks for the commit and prints the
    service's verdict: the rows imported, or every problem with its line,
    column and reason. The file is all-or-nothing.
    =========================================================================
*/

#include "cli_reg.h"
#include "kj_money.h"
#include "registry_bulk.pb-c.h"
#include <fcntl.h>
#include <sys/stat.h>

static const char *s_import_usage = N_ (
    "Usage: kejin %s import FILE [--errors OUT.csv] [--quiet] [--json]%s\n"
    "            [--in-flight N] [--chunk-kb N]\n\n"
    "Import a CSV file (UTF-8, comma-separated, a header row naming the\n"
    "columns; FILE - reads stdin) into the registry. Columns and formats:\n"
    "docs/registry-bulk.md; `kejin %s export | head -1` prints every\n"
    "column.\n\n"
    "All or nothing, per file: every row is checked (credit codes with their\n"
    "check characters, dates, names of stages, types and regions, amounts,\n"
    "required columns, keys given twice in the file, keys already\n"
    "registered, references to what is not there). If any row of the file\n"
    "is wrong, nothing is imported and every problem is listed with its\n"
    "line, column and reason; fix the file and import it again. Otherwise\n"
    "the whole file is written in one transaction.%s\n\n"
    "  --errors OUT.csv   also write every problem to OUT.csv (line, field,\n"
    "                     reason, value); the screen shows the first 100\n"
    "  --quiet            no progress and no summary (problems still shown)\n"
    "  --json             the service's answer as one JSON object\n"
    "  --in-flight N      chunks sent ahead of the answers (default 4)\n"
    "  --chunk-kb N       size of a chunk in KiB (default 1024)\n\n"
    "Progress (rows, %%, rows/s, time left) goes to stderr: on a terminal as\n"
    "it goes, else every 5 seconds. Exit codes: 0 imported, 2 refused (the\n"
    "file has problems) or bad arguments, 3 no answer, 4 internal error.\n");

//  What the nouns call the kinds (kj.BulkKind).
const char *
cli_bulk_kind_name (int kind)
{
    static const char *names [] = { "", "enterprises", "figures",
                                    "institutions", "products" };
    return kind > 0 && kind < 5 ? names [kind] : "";
}

//  --------------------------------------------------------------------------
//  An import in progress

typedef struct {
    bool used;
    uint64_t request_id;
    uint32_t seq;
    uint32_t first_line;
    char *data;
    size_t size;
    int64_t sent_at;
    int attempts;
} s_chunk_t;

typedef struct {
    cli_t *cli;
    kj_client_t *client;
    Kj__BulkKind kind;
    const char *path;
    char import_id [32];
    int fd;
    bool eof;
    char *buffer;  //  read, not yet sent
    size_t length, capacity;
    uint32_t next_line;  //  line of the file the buffer starts on
    uint32_t next_seq;
    s_chunk_t *chunks;  //  in flight
    int in_flight;
    size_t chunk_bytes;
    bool quiet, tty;
    uint64_t total_bytes, bytes_done;
    uint64_t rows_sent, rows_done, rejected;
    int64_t started, shown_at;
    bool progress_shown;
} s_import_t;

#define CHUNK_TIMEOUT_MS 120000
#define CHUNK_ATTEMPTS   5

//  Progress on stderr: in place on a terminal, a line every 5 s otherwise.
static void
s_progress (s_import_t *self, bool last)
{
    if (self->quiet)
        return;
    int64_t now = kj_mono_us ();
    if (!last && now - self->shown_at < (self->tty ? 200000 : 5000000))
        return;
    //  The last line only closes what was shown: a short import shows none
    if (last && !self->progress_shown)
        return;
    self->shown_at = now;
    double seconds = (now - self->started) / 1e6;
    double rate = seconds > 0 ? self->rows_done / seconds : 0;
    char rows [32], line [200];
    kj_money_grouped (self->rows_done, rows, sizeof rows);
    int at = snprintf (line, sizeof line, _ ("%s: %s rows"), self->path, rows);
    if (self->total_bytes) {
        double part = (double) self->bytes_done / (double) self->total_bytes;
        if (part > 1)
            part = 1;
        at += snprintf (line + at, sizeof line - at, "  %3.0f%%", part * 100);
        if (part > 0.01 && !last) {
            int64_t left = (int64_t) (seconds / part - seconds);
            at += snprintf (line + at, sizeof line - at,
                            _ ("  %.0f rows/s  %d:%02d left"), rate,
                            (int) (left / 60), (int) (left % 60));
        }
        else
            at += snprintf (line + at, sizeof line - at, _ ("  %.0f rows/s"),
                            rate);
    }
    else
        at += snprintf (line + at, sizeof line - at, _ ("  %.0f rows/s"), rate);
    if (self->rejected)
        snprintf (line + at, sizeof line - at,
                  _ ("  (%" PRIu64 " with problems)"), self->rejected);
    if (self->tty)
        fprintf (stderr, "\r%-78s%s", line, last ? "\n" : "");
    else
        fprintf (stderr, "%s\n", line);
    self->progress_shown = !last;
}

//  Read until the buffer holds `want` bytes or the file ends. -1 on error.
static int
s_fill (s_import_t *self, size_t want)
{
    if (want + 1 > self->capacity) {
        self->capacity = want + 1;
        self->buffer = (char *) realloc (self->buffer, self->capacity);
        assert (self->buffer);
    }
    while (!self->eof && self->length < want) {
        ssize_t n = read (self->fd, self->buffer + self->length,
                          want - self->length);
        if (n < 0 && errno == EINTR && !kj_stopping ())
            continue;
        if (n < 0) {
            fprintf (stderr, "%s: %s: %s\n", self->cli->prog, self->path,
                     strerror (errno));
            return -1;
        }
        if (n == 0)
            self->eof = true;
        self->length += (size_t) n;
    }
    return 0;
}

//  The header line (without newline and byte order mark) into a new
//  string; NULL (reported) if the file has none.
static char *
s_read_header (s_import_t *self)
{
    size_t want = 65536;
    char *newline = NULL;
    while (true) {
        if (s_fill (self, want))
            return NULL;
        newline = (char *) memchr (self->buffer, '\n', self->length);
        if (newline || self->eof || want >= 1024 * 1024)
            break;
        want *= 2;
    }
    size_t size = newline ? (size_t) (newline - self->buffer) : self->length;
    if (size == 0 && !newline) {
        fprintf (stderr,
                 _ ("%s: %s is empty: a CSV file starts with a header "
                    "row naming its columns\n"),
                 self->cli->prog, self->path);
        return NULL;
    }
    char *header = strndup (self->buffer, size);
    size_t skip = newline ? size + 1 : size;
    memmove (self->buffer, self->buffer + skip, self->length - skip);
    self->length -= skip;
    self->bytes_done = skip;
    size_t length = strlen (header);
    while (length && header [length - 1] == '\r')
        header [--length] = 0;
    if (strncmp (header, "\xEF\xBB\xBF", 3) == 0)
        memmove (header, header + 3, length - 2);
    self->next_line = 2;
    return header;
}

//  Length of a prefix of data [0 .. size) that is valid UTF-8 (an
//  incomplete character at the very end counts as valid: the next read
//  completes it).
static size_t
s_utf8_valid (const unsigned char *data, size_t size)
{
    size_t at = 0;
    while (at < size) {
        unsigned char c = data [at];
        size_t length = c < 0x80               ? 1
                      : c >= 0xC2 && c <= 0xDF ? 2
                      : c >= 0xE0 && c <= 0xEF ? 3
                      : c >= 0xF0 && c <= 0xF4 ? 4
                                               : 0;
        if (length == 0)
            return at;
        for (size_t i = 1; i < length; i++)
            if (at + i < size && (data [at + i] & 0xC0) != 0x80)
                return at;
        at += length;
    }
    return size;
}

//  True if a header names a column `year` (or 年度): a file of figures.
static bool
s_has_year_column (const char *header)
{
    char *copy = strdup (header);
    bool found = false;
    for (char *item = strtok (copy, ","); item && !found;
         item = strtok (NULL, ",")) {
        while (*item == ' ' || *item == '"')
            item++;
        size_t length = strlen (item);
        while (length && (item [length - 1] == ' ' || item [length - 1] == '"'))
            item [--length] = 0;
        found = strcasecmp (item, "year") == 0 || streq (item, "年度");
    }
    free (copy);
    return found;
}

static int
s_send_chunk (s_import_t *self, s_chunk_t *chunk)
{
    Kj__ImportChunkRequest request = KJ__IMPORT_CHUNK_REQUEST__INIT;
    request.import_id = self->import_id;
    request.seq = chunk->seq;
    request.first_line = chunk->first_line;
    request.data.data = (uint8_t *) chunk->data;
    request.data.len = chunk->size;
    char key [64];
    snprintf (key, sizeof key, "bulk-%s-%u", self->import_id, chunk->seq);
    kj_call_opts_t opts = { .timeout_ms = CHUNK_TIMEOUT_MS,
                            .idempotency_key = key };
    chunk->request_id = kj_client_send (self->client, "registry.bulk",
                                        "ImportChunk", &request.base, &opts);
    chunk->sent_at = kj_mono_us ();
    chunk->attempts++;
    return chunk->request_id ? 0 : -1;
}

//  Cut the next chunk from the buffer and send it. 1 sent, 0 nothing left,
//  -1 on error.
static int
s_next_chunk (s_import_t *self, s_chunk_t *chunk)
{
    size_t want = self->chunk_bytes;
    size_t cut = 0;
    uint32_t lines = 0;
    while (true) {
        if (s_fill (self, want))
            return -1;
        if (self->length == 0)
            return 0;
        cut = kj_csv_cut (self->buffer, self->length, self->chunk_bytes,
                          self->eof, &lines);
        if (cut)
            break;
        if (want >= 4 * self->chunk_bytes && want >= 4 * 1024 * 1024) {
            //  No row ends outside quotes: a stray quote. Cut at a newline
            //  anyway; the service reports the malformed row.
            char *last = (char *) memrchr (self->buffer, '\n', self->length);
            cut = last ? (size_t) (last - self->buffer) + 1 : self->length;
            lines = 0;
            for (size_t i = 0; i < cut; i++)
                lines += self->buffer [i] == '\n';
            break;
        }
        want *= 2;
    }
    chunk->used = true;
    chunk->seq = self->next_seq++;
    chunk->first_line = self->next_line;
    chunk->data = (char *) malloc (cut);
    memcpy (chunk->data, self->buffer, cut);
    chunk->size = cut;
    chunk->attempts = 0;
    memmove (self->buffer, self->buffer + cut, self->length - cut);
    self->length -= cut;
    self->next_line += lines;
    return s_send_chunk (self, chunk) ? -1 : 1;
}

//  Ask the service to drop the import (best effort).
static void
s_abort (s_import_t *self)
{
    if (!*self->import_id)
        return;
    Kj__ImportAbortRequest request = KJ__IMPORT_ABORT_REQUEST__INIT;
    request.import_id = self->import_id;
    kj_status_t status;
    kj_call_opts_t opts = { .timeout_ms = 5000, .retries = -1 };
    ProtobufCMessage *reply = NULL;
    kj_client_call (self->client, "registry.bulk", "ImportAbort", &request.base,
                    &kj__import_abort_reply__descriptor, &reply, &status,
                    &opts);
    if (reply)
        protobuf_c_message_free_unpacked (reply, NULL);
}

//  A failure the user must see: the status, then the import dropped.
static int
s_fail (s_import_t *self, const char *what, int code, const kj_status_t *status)
{
    if (self->progress_shown && self->tty)
        fputc ('\n', stderr);
    fprintf (stderr, "%s: %s: %s%s%s: %s\n", self->cli->prog, what,
             kj_code_name (code), *status->field ? " " : "", status->field,
             status->message);
    s_abort (self);
    return cli_exit_code (code);
}

static bool
s_retryable (int code)
{
    return code == KJ__CODE__UNAVAILABLE || code == KJ__CODE__DEADLINE_EXCEEDED
        || code == KJ__CODE__ABORTED || code == KJ__CODE__RESOURCE_EXHAUSTED;
}

//  Send every chunk, several in flight, and collect the answers.
static int
s_send_file (s_import_t *self)
{
    int outstanding = 0;
    bool more = true;
    while (more || outstanding) {
        if (kj_stopping ()) {
            kj_status_t status;
            kj_status_set (&status, KJ__CODE__CANCELLED, NULL,
                           "interrupted; "
                           "nothing was imported");
            return s_fail (self, "import", KJ__CODE__CANCELLED, &status);
        }
        //  Fill the free slots
        for (int slot = 0; more && slot < self->in_flight; slot++)
            if (!self->chunks [slot].used) {
                int rc = s_next_chunk (self, &self->chunks [slot]);
                if (rc < 0) {
                    s_abort (self);
                    return CLI_FAILED;
                }
                if (rc == 0)
                    more = false;
                else
                    outstanding++;
            }
        if (!outstanding)
            break;
        uint64_t id;
        Kj__ImportChunkReply *reply = NULL;
        kj_status_t status;
        int code = kj_client_recv (self->client, 1000, &id,
                                   &kj__import_chunk_reply__descriptor,
                                   (ProtobufCMessage **) &reply, &status);
        int64_t now = kj_mono_us ();
        s_chunk_t *chunk = NULL;
        for (int slot = 0; code >= 0 && slot < self->in_flight; slot++)
            if (self->chunks [slot].used
                && self->chunks [slot].request_id == id)
                chunk = &self->chunks [slot];
        //  A late answer to an earlier attempt is as good
        for (int slot = 0;
             !chunk && code == KJ__CODE__OK && reply && slot < self->in_flight;
             slot++)
            if (self->chunks [slot].used
                && self->chunks [slot].seq == reply->seq)
                chunk = &self->chunks [slot];
        if (chunk && code == KJ__CODE__OK) {
            self->rows_done += reply->rows;
            self->rejected += reply->rejected;
            self->bytes_done += chunk->size;
            free (chunk->data);
            chunk->used = false;
            outstanding--;
        }
        else if (chunk) {
            if (!s_retryable (code) || chunk->attempts >= CHUNK_ATTEMPTS) {
                char what [64];
                snprintf (what, sizeof what, _ ("import, chunk %u (line %u)"),
                          chunk->seq, chunk->first_line);
                if (reply)
                    protobuf_c_message_free_unpacked (&reply->base, NULL);
                return s_fail (self, what, code, &status);
            }
            zclock_sleep (200 * chunk->attempts);
            if (s_send_chunk (self, chunk)) {
                s_abort (self);
                return CLI_UNAVAILABLE;
            }
        }
        if (reply)
            protobuf_c_message_free_unpacked (&reply->base, NULL);
        //  An answer that never came: send the chunk again, same key
        for (int slot = 0; slot < self->in_flight; slot++) {
            s_chunk_t *late = &self->chunks [slot];
            if (late->used
                && now - late->sent_at > (int64_t) CHUNK_TIMEOUT_MS * 1000) {
                if (late->attempts >= CHUNK_ATTEMPTS) {
                    kj_status_set (&status, KJ__CODE__DEADLINE_EXCEEDED, NULL,
                                   "no answer to chunk %u after %d attempts; "
                                   "is the registry up?",
                                   late->seq, late->attempts);
                    return s_fail (self, "import", KJ__CODE__DEADLINE_EXCEEDED,
                                   &status);
                }
                s_send_chunk (self, late);
            }
        }
        s_progress (self, false);
    }
    return CLI_OK;
}

//  --------------------------------------------------------------------------
//  The verdict

static void
s_csv_field (FILE *file, const char *text, bool last)
{
    bool quote = strpbrk (text, ",\"\r\n") != NULL;
    if (quote) {
        fputc ('"', file);
        for (const char *c = text; *c; c++) {
            if (*c == '"')
                fputc ('"', file);
            fputc (*c, file);
        }
        fputc ('"', file);
    }
    else
        fputs (text, file);
    fputc (last ? '\n' : ',', file);
}

static int
s_write_errors (const char *path, const Kj__ImportCommitReply *reply,
                const char *prog)
{
    FILE *file = fopen (path, "w");
    if (!file) {
        fprintf (stderr, _ ("%s: --errors %s: %s\n"), prog, path,
                 strerror (errno));
        return -1;
    }
    fputs ("line,field,reason,value\n", file);
    for (size_t i = 0; i < reply->n_errors; i++) {
        const Kj__BulkRowError *error = reply->errors [i];
        fprintf (file, "%u,", error->line);
        s_csv_field (file, error->field, false);
        s_csv_field (file, error->reason, false);
        s_csv_field (file, error->value, true);
    }
    fclose (file);
    return 0;
}

static void
s_print_refusal (s_import_t *self, const Kj__ImportCommitReply *reply,
                 const char *errors_path)
{
    char rows [32], count [32];
    kj_money_grouped (reply->rows, rows, sizeof rows);
    kj_money_grouped (reply->error_count, count, sizeof count);
    printf (_ ("%s: refused, nothing imported: %s problem%s in a file of %s "
               "rows\n\n"),
            self->path, count, reply->error_count == 1 ? "" : "s", rows);
    size_t shown = reply->n_errors < 100 || errors_path ? reply->n_errors : 100;
    if (errors_path && shown > 100)
        shown = 100;
    for (size_t i = 0; i < shown; i++) {
        const Kj__BulkRowError *error = reply->errors [i];
        //  "line 3" or "第 3 行", padded by display width, not bytes
        char where [64];
        if (error->line)
            snprintf (where, sizeof where, _ ("line %u"), error->line);
        else
            snprintf (where, sizeof where, "%s", _ ("the file"));
        printf ("  ");
        cli_pad (stdout, where, 13);
        printf ("%s%s%s", error->field, *error->field ? ": " : "",
                error->reason);
        if (*error->value && !strstr (error->reason, error->value))
            printf ("  [%s]", error->value);
        printf ("\n");
    }
    if (reply->error_count > shown) {
        kj_money_grouped (reply->error_count - shown, count, sizeof count);
        printf (_ ("  ... and %s more%s\n"), count,
                errors_path ? "" : _ ("; --errors FILE writes them all"));
    }
    if (errors_path)
        printf (_ ("\n%s: every problem listed (%zu)\n"), errors_path,
                reply->n_errors);
    printf (_ ("\nThe file is all or nothing: fix these rows and import it "
               "again.\n"));
}

static void
s_print_done (s_import_t *self, const Kj__ImportCommitReply *reply)
{
    double seconds = (kj_mono_us () - self->started) / 1e6;
    char imported [32], rows [32];
    kj_money_grouped (reply->imported, imported, sizeof imported);
    kj_money_grouped (reply->rows, rows, sizeof rows);
    const char *what = self->kind == KJ__BULK_KIND__BULK_FIGURES
                         ? "new years of figures"
                         : cli_bulk_kind_name (self->kind);
    printf (_ ("imported %s %s from %s in %.1f s (%.0f rows/s)"), imported,
            what, self->path, seconds, seconds > 0 ? reply->rows / seconds : 0);
    if (self->kind == KJ__BULK_KIND__BULK_FIGURES)
        printf (_ ("; %" PRIu64 " years replaced; %" PRIu64 " enterprises "
                   "changed stage"),
                reply->replaced, reply->stages_changed);
    printf (_ ("; %u event%s\n"), reply->events, reply->events == 1 ? "" : "s");
}

//  --------------------------------------------------------------------------
//  Import

//  The kind of a noun ("enterprise", "institution", "product", "figures").
int
cli_bulk_kind_of (const char *noun)
{
    return streq (noun, "enterprise")  ? KJ__BULK_KIND__BULK_ENTERPRISES
         : streq (noun, "figures")     ? KJ__BULK_KIND__BULK_FIGURES
         : streq (noun, "institution") ? KJ__BULK_KIND__BULK_INSTITUTIONS
         : streq (noun, "product")     ? KJ__BULK_KIND__BULK_PRODUCTS
                                       : KJ__BULK_KIND__BULK_KIND_UNSPECIFIED;
}

static const char *s_figures_note = N_ (
    "\n\nA file whose header has a `year` column (or --figures) holds "
    "yearly\nfigures of enterprises already registered; a year already on "
    "file is\nreplaced, and the stage and tech-SME score of every "
    "enterprise it\ntouches are recomputed in the same transaction.");

//  In the caller's language (before, printed untranslated: English under
//  every locale)
static void
s_import_help (const char *noun, FILE *out)
{
    bool enterprise = streq (noun, "enterprise");
    fprintf (out, _ (s_import_usage), noun, enterprise ? " [--figures]" : "",
             noun, enterprise ? _ (s_figures_note) : "");
}

int
cli_bulk_import (cli_t *cli, const char *noun, int argc, char **argv)
{
    if (cli_wants_help (argc, argv)) {
        s_import_help (noun, stdout);
        return CLI_OK;
    }
    char usage [4096];
    snprintf (usage, sizeof usage, _ ("Try 'kejin %s import --help'.\n"), noun);
    cli_args_t *args = cli_args_new (argc, argv, 1,
                                     "figures! errors= quiet! in-flight= "
                                     "chunk-kb=",
                                     usage);
    if (!args)
        return CLI_USAGE;
    int rc = CLI_USAGE;
    s_import_t self = { .cli = cli, .fd = -1 };
    char *header = NULL;
    int64_t value;
    self.kind = (Kj__BulkKind) cli_bulk_kind_of (noun);
    self.in_flight = 4;
    self.chunk_bytes = 1024 * 1024;
    if (cli_args_count (args) != 1) {
        fprintf (stderr,
                 _ ("kejin: %s import takes one FILE (- for stdin)\n%s"), noun,
                 usage);
        goto done;
    }
    if (cli_args_get (args, "in-flight")) {
        if (cli_parse_int ("in-flight", cli_args_get (args, "in-flight"), 1, 64,
                           &value))
            goto done;
        self.in_flight = (int) value;
    }
    if (cli_args_get (args, "chunk-kb")) {
        if (cli_parse_int ("chunk-kb", cli_args_get (args, "chunk-kb"), 1, 4096,
                           &value))
            goto done;
        self.chunk_bytes = (size_t) value * 1024;
    }
    if (self.kind == KJ__BULK_KIND__BULK_KIND_UNSPECIFIED) {
        fprintf (stderr, _ ("kejin: no bulk import for '%s'\n"), noun);
        goto done;
    }
    if (cli_args_flag (args, "figures")) {
        if (self.kind != KJ__BULK_KIND__BULK_ENTERPRISES) {
            fprintf (stderr, _ ("kejin: --figures is for `kejin enterprise "
                                "import`\n"));
            goto done;
        }
        self.kind = KJ__BULK_KIND__BULK_FIGURES;
    }
    self.quiet = cli_args_flag (args, "quiet");
    self.tty = isatty (STDERR_FILENO);
    self.path = cli_args_positional (args, 0);
    const char *errors_path = cli_args_get (args, "errors");
    self.fd = streq (self.path, "-") ? STDIN_FILENO
                                     : open (self.path, O_RDONLY);
    if (self.fd < 0) {
        fprintf (stderr, "%s: %s: %s\n", cli->prog, self.path,
                 strerror (errno));
        goto done;
    }
    struct stat info;
    if (fstat (self.fd, &info) == 0 && S_ISREG (info.st_mode))
        self.total_bytes = (uint64_t) info.st_size;
    header = s_read_header (&self);
    if (!header)
        goto done;
    //  Excel saves CSV in the local code page (GBK on Chinese Windows): say
    //  so now rather than refuse every row
    bool utf8 = s_utf8_valid ((const unsigned char *) header, strlen (header))
                 == strlen (header)
             && s_utf8_valid ((const unsigned char *) self.buffer, self.length)
                    == self.length;
    if (!utf8) {
        fprintf (stderr,
                 _ ("%s: %s is not UTF-8 (a file saved as GBK by "
                    "Excel?); convert it first, e.g.\n  iconv -f GBK -t UTF-8 "
                    "%s > utf8.csv\n"),
                 cli->prog, self.path, self.path);
        goto done;
    }
    if (self.kind == KJ__BULK_KIND__BULK_ENTERPRISES
        && s_has_year_column (header)) {
        self.kind = KJ__BULK_KIND__BULK_FIGURES;
        if (!self.quiet)
            fprintf (stderr,
                     _ ("%s: %s has a year column: importing yearly "
                        "figures\n"),
                     cli->prog, self.path);
    }
    self.client = cli_client (cli);
    if (!self.client) {
        fprintf (stderr, _ ("%s: cannot use broker endpoint '%s'\n"), cli->prog,
                 cli->broker);
        goto done;
    }
    self.started = self.shown_at = kj_mono_us ();

    //  Begin: the service checks the header before any row goes out
    Kj__ImportBeginRequest begin = KJ__IMPORT_BEGIN_REQUEST__INIT;
    begin.kind = self.kind;
    begin.file_name = (char *) self.path;
    begin.header = header;
    begin.total_bytes = self.total_bytes;
    Kj__ImportBeginReply *began = NULL;
    rc = cli_call (cli, "registry.bulk", "ImportBegin", &begin.base,
                   &kj__import_begin_reply__descriptor,
                   (ProtobufCMessage **) &began, false);
    if (rc != CLI_OK)
        goto done;
    kj_strlcpy (self.import_id, began->import_id, sizeof self.import_id);
    if (began->max_chunk_bytes && self.chunk_bytes > began->max_chunk_bytes / 2)
        self.chunk_bytes = began->max_chunk_bytes / 2;
    kj__import_begin_reply__free_unpacked (began, NULL);

    self.chunks = (s_chunk_t *) zmalloc ((size_t) self.in_flight
                                         * sizeof (s_chunk_t));
    rc = s_send_file (&self);
    if (rc != CLI_OK)
        goto done;
    s_progress (&self, true);

    //  Commit: one transaction, or the refusal with every problem
    Kj__ImportCommitRequest commit = KJ__IMPORT_COMMIT_REQUEST__INIT;
    commit.import_id = self.import_id;
    commit.chunks = self.next_seq;
    commit.rows = self.rows_done;
    Kj__ImportCommitReply *reply = NULL;
    kj_status_t status;
    char key [64];
    snprintf (key, sizeof key, "bulk-%s-commit", self.import_id);
    kj_call_opts_t opts = { .timeout_ms = 1800000,
                            .retries = 1,
                            .idempotency_key = key };
    //  A big commit takes a while: say what is going on
    bool long_import = kj_mono_us () - self.started > 5000000;
    if (!self.quiet && (self.tty || long_import))
        fprintf (stderr,
                 _ ("%s: every row checked and staged; committing (one "
                    "transaction) ...%s"),
                 self.path, self.tty ? "" : "\n");
    int code = kj_client_call (self.client, "registry.bulk", "ImportCommit",
                               &commit.base,
                               &kj__import_commit_reply__descriptor,
                               (ProtobufCMessage **) &reply, &status, &opts);
    if (!self.quiet && self.tty)
        fprintf (stderr, "\r%-78s\r", "");
    if (code != KJ__CODE__OK) {
        rc = s_fail (&self, "commit", code, &status);
        goto done;
    }
    if (errors_path && !reply->committed
        && s_write_errors (errors_path, reply, cli->prog))
        rc = CLI_FAILED;
    if (cli->json)
        cli_print_json (&reply->base);
    else if (!reply->committed)
        s_print_refusal (&self, reply, errors_path);
    else if (!self.quiet)
        s_print_done (&self, reply);
    rc = reply->committed ? (rc == CLI_FAILED ? CLI_FAILED : CLI_OK)
                          : CLI_USAGE;
    kj__import_commit_reply__free_unpacked (reply, NULL);

done:
    for (int slot = 0; self.chunks && slot < self.in_flight; slot++)
        if (self.chunks [slot].used)
            free (self.chunks [slot].data);
    free (self.chunks);
    free (self.buffer);
    free (header);
    if (self.fd > STDIN_FILENO)
        close (self.fd);
    cli_args_destroy (&args);
    return rc;
}
