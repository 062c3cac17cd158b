/*  =========================================================================
    cli_ipo - `kejin ipo fit` and `kejin ipo subsidy replay`: the IPO
    pipeline's rules run offline on a CSV file, with nothing stored

    For advisers and finance bureaus who hold figures or a firm's history
    in a spreadsheet. The rules are kejin-ipo's own classes (ipo_board,
    ipo_subsidy, linked from libipo.a), so an answer here is the answer
    the service gives. docs/rules/ipo.md describes both files.

    A bad cell is reported as "FILE row N, column NAME: what is wrong"
    on stderr, where row 1 is the header, and nothing is printed for that
    row. fit reports every bad row and prints every good one (each row
    stands alone); replay stops at the first bad row, since every later
    payment of the firm depends on it. Either exits 2 after a bad row.
    =========================================================================
*/

#include "cli_reg.h"
#include "cli_ipo.h"
#include "ipo.pb-c.h"
#include "ipo_board.h"
#include "ipo_fit.h"
#include "ipo_subsidy.h"
#include <errno.h>
#include <wchar.h>

static const char *s_usage = N_ (
    "Usage: kejin ipo fit --csv FILE [--json]\n"
    "       kejin ipo subsidy replay --csv FILE [--json]\n"
    "       kejin ipo fit [run [--csv FILE [--page N]]|show [BATCH]|firm CODE] "
    "(kejin-ipo)\n"
    "       kejin ipo pool|stage|raise|claim|approve|budget|report|demo ...\n"
    "       (kejin-ipo; each without arguments prints its usage)\n"
    "The IPO pipeline's rules on a CSV file (- for standard input),\n"
    "offline: nothing is stored and no node is needed.\n\n"
    "fit: which listing standards each firm meets (STAR-1..4, ChiNext-1..3,\n"
    "Main-1..3, BSE-1..4) and, for the nearest one it misses, how much it\n"
    "lacks on each figure. Header, one firm a row, t0 the latest year:\n"
    "  id,market_cap_fen,np_t2_fen,np_t1_fen,np_t0_fen,rev_t2_fen,\n"
    "  rev_t1_fen,rev_t0_fen,rd_t2_fen,rd_t1_fen,rd_t0_fen,ocf_t2_fen,\n"
    "  ocf_t1_fen,ocf_t0_fen,roe_t1_bp,roe_t0_bp,rev_growth_t0_bp,\n"
    "  neeq_tier,neeq_listed_months\n"
    "(on one line; neeq_tier NONE, BASIC or INNOVATION).\n\n"
    "subsidy replay: the listing subsidy each pipeline event pays and the\n"
    "firm's total paid after it. Header, one event a row, in order:\n"
    "  firm,step,date,board,event,amount_raised_fen\n"
    "(board MAIN, CHINEXT, STAR, BSE or NEEQ; date YYYY-MM-DD; step a\n"
    "whole number rising within a firm; amount_raised_fen for EQUITY_RAISED\n"
    "only).\n\n"
    "Exit code 0, or 2 after any bad row (reported on stderr as row and\n"
    "column; row 1 is the header).\n");

//  Longest cell read, in bytes; a longer one stops the file
#define S_CELL_MAX (64 * 1024)
//  Longest firm id or name
#define S_ID_MAX 100
//  Most firms one replay keeps the state of
#define S_FIRMS_MAX 1000000

//  --------------------------------------------------------------------------
//  A CSV file read row by row against an exact header

typedef struct _s_reader_t s_reader_t;

//  Called for each data row; returns 0 to go on, -1 to stop reading
typedef int (s_row_fn) (s_reader_t *reader, void *arg);

struct _s_reader_t {
    cli_t *cli;
    const char *path;
    const char *const *header;  //  the columns expected, NULL-ended
    size_t columns;
    const char *const *cells;  //  the current row's cells
    size_t count;              //  cells in the current row
    size_t row;                //  1 is the header
    size_t bad_rows;
    bool bad;  //  the current row has a problem
    bool stop;
    s_row_fn *on_row;
    void *arg;
};

//  --------------------------------------------------------------------------
//  Bytes of the valid UTF-8 character at text, 0 if there is none there.
//  (main sets the C.UTF-8 locale.)

static size_t
s_utf8_char (const char *text, size_t left)
{
    mbstate_t state;
    memset (&state, 0, sizeof state);
    wchar_t wc;
    size_t n = mbrtowc (&wc, text, left, &state);
    return n == (size_t) -1 || n == (size_t) -2 ? 0 : n;
}

//  --------------------------------------------------------------------------
//  Text as valid UTF-8 without control characters, each bad byte a '?':
//  cells quoted back in a message may be anything, and JSON cannot carry
//  invalid UTF-8. Returns buf.

static char *
s_clean (const char *text, char *buf, size_t size)
{
    size_t at = 0, left = strlen (text);
    while (left > 0 && at + 1 < size) {
        size_t n = s_utf8_char (text, left);
        if (n == 0
            || (n == 1 && ((unsigned char) *text < 0x20 || *text == 0x7f))) {
            buf [at++] = '?';
            n = 1;
        }
        else if (at + n < size) {
            memcpy (buf + at, text, n);
            at += n;
        }
        else
            break;
        text += n;
        left -= n;
    }
    buf [at] = 0;
    return buf;
}

//  --------------------------------------------------------------------------
//  Report a problem with the current row, with its status code: column
//  NULL for the whole row.

static void
s_report (s_reader_t *self, int code, const char *column, const char *text)
{
    char message [700], path [300];
    s_clean (text, message, sizeof message);
    s_clean (self->path, path, sizeof path);
    if (!self->bad)
        self->bad_rows++;
    self->bad = true;
    if (self->cli->json) {
        json_t *error = json_pack ("{s:s,s:s,s:I,s:s,s:s}", "error",
                                   kj_code_name (code), "file", path, "row",
                                   (json_int_t) self->row, "column",
                                   column ? column : "", "message", message);
        char *text = json_dumps (error, JSON_PRESERVE_ORDER);
        fprintf (stderr, "%s\n", text);
        free (text);
        json_decref (error);
    }
    else if (column)
        fprintf (stderr, _ ("kejin: %s row %zu, column %s: %s\n"), path,
                 self->row, column, message);
    else
        fprintf (stderr, _ ("kejin: %s row %zu: %s\n"), path, self->row,
                 message);
}

//  --------------------------------------------------------------------------
//  Report invalid input in the current row: column NULL for the whole row.

static void
s_problem (s_reader_t *self, const char *column, const char *format, ...)
{
    char message [600];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof message, format, args);
    va_end (args);
    s_report (self, KJ__CODE__INVALID_ARGUMENT, column, message);
}

//  --------------------------------------------------------------------------
//  The header must be exactly the columns expected (a UTF-8 byte order
//  mark before it is skipped, as spreadsheets write one).
static void
s_check_header (s_reader_t *self)
{
    size_t i = 0;
    for (; i < self->count && i < self->columns; i++) {
        const char *cell = self->cells [i] ? self->cells [i] : "";
        if (i == 0 && memcmp (cell, "\xEF\xBB\xBF", 3) == 0)
            cell += 3;
        if (!streq (cell, self->header [i]))
            break;
    }
    if (i == self->columns && self->count == self->columns)
        return;
    char expected [600] = "";
    for (size_t k = 0; k < self->columns; k++)
        snprintf (expected + strlen (expected),
                  sizeof expected - strlen (expected), "%s%s", k ? "," : "",
                  self->header [k]);
    if (i < self->count && i < self->columns)
        s_problem (self, NULL,
                   _ ("the header must be exactly '%s'; column %zu "
                      "is '%.64s' where '%s' was expected"),
                   expected, i + 1, self->cells [i] ? self->cells [i] : "",
                   self->header [i]);
    else
        s_problem (self, NULL,
                   _ ("the header must be exactly '%s'; it has %zu "
                      "columns where %zu were expected"),
                   expected, self->count, self->columns);
    self->stop = true;
}

//  --------------------------------------------------------------------------
//  kj_csv_read's row: the header, or a data row for on_row. Returns -1 to
//  stop reading.
static int
s_on_row (uint32_t row, const char *const *fields, size_t count, void *arg)
{
    s_reader_t *self = (s_reader_t *) arg;
    self->row = row;
    self->cells = fields;
    self->count = count;
    self->bad = false;
    if (self->row == 1)
        s_check_header (self);
    else if (self->count != self->columns)
        s_problem (self, NULL, _ ("%zu columns where the header has %zu"),
                   self->count, self->columns);
    else if (self->on_row (self, self->arg))
        self->stop = true;
    self->cells = NULL;
    self->count = 0;
    return self->stop ? -1 : 0;
}

//  --------------------------------------------------------------------------
//  Read the file at path against header (common/kj_csv: RFC 4180 strictly,
//  no cell past 64 KiB), calling on_row for each data row with the right
//  number of columns. Returns the exit code.

static int
s_read (cli_t *cli, const char *path, const char *const *header,
        s_row_fn *on_row, void *arg)
{
    s_reader_t self = {
        .cli = cli, .path = path, .header = header, .on_row = on_row, .arg = arg
    };
    while (header [self.columns])
        self.columns++;
    FILE *file = streq (path, "-") ? stdin : fopen (path, "rb");
    if (!file) {
        fprintf (stderr, _ ("kejin: cannot read %s: %s\n"), path,
                 strerror (errno));
        return CLI_USAGE;
    }
    char error [256];
    int rc = kj_csv_read (file, s_on_row, &self, error, sizeof error);
    if (file != stdin)
        fclose (file);
    if (rc == -1 && !self.stop) {
        //  The file itself: kj_csv names the row, which is the one after
        //  the last read; say the rest after "row N"
        const char *why = error;
        if (strncmp (why, "row ", 4) == 0 && strchr (why + 4, ' '))
            why = strchr (why + 4, ' ') + 1;
        if (strncmp (why, "is ", 3) == 0)
            why += 3;
        self.row++;
        s_problem (&self, NULL, "%s", why);
    }
    if (self.row == 0 && rc == 0) {
        self.row = 1;
        s_problem (&self, NULL,
                   _ ("the file is empty; the first row must be "
                      "the header"));
    }
    else if (self.row == 1 && !self.stop) {
        self.row = 2;
        s_problem (&self, NULL, _ ("no rows below the header"));
    }
    fflush (stdout);
    return self.bad_rows ? CLI_USAGE : CLI_OK;
}

//  --------------------------------------------------------------------------
//  Cells: each returns 0, or -1 after reporting the problem.

//  --------------------------------------------------------------------------
//  A name or id: 1 to S_ID_MAX bytes, no control characters.
static int
s_cell_id (s_reader_t *self, size_t column)
{
    const char *cell = self->cells [column];
    size_t length = strlen (cell);
    if (length == 0) {
        s_problem (self, self->header [column], _ ("empty; required"));
        return -1;
    }
    if (length > S_ID_MAX) {
        s_problem (self, self->header [column], _ ("%zu bytes; at most %d"),
                   length, S_ID_MAX);
        return -1;
    }
    for (const char *at = cell; *at;) {
        size_t n = s_utf8_char (at, length - (at - cell));
        if (n == 0) {
            s_problem (self, self->header [column],
                       _ ("not valid UTF-8 at "
                          "byte %zu"),
                       (size_t) (at - cell) + 1);
            return -1;
        }
        if (n == 1 && ((unsigned char) *at < 0x20 || *at == 0x7f)) {
            s_problem (self, self->header [column],
                       _ ("holds a control "
                          "character"));
            return -1;
        }
        at += n;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  A whole number as written: digits, a leading '-' at most.
static int
s_cell_int (s_reader_t *self, size_t column, int64_t *value)
{
    const char *cell = self->cells [column];
    const char *digits = cell + (*cell == '-');
    bool ok = *digits != 0;
    for (const char *at = digits; ok && *at; at++)
        ok = *at >= '0' && *at <= '9';
    if (!ok) {
        s_problem (self, self->header [column],
                   _ ("'%.64s' is not a whole "
                      "number%s"),
                   cell, *cell ? "" : " (empty)");
        return -1;
    }
    if (kj_parse_int64 (cell, value)) {
        s_problem (self, self->header [column], _ ("'%.64s' is too large"),
                   cell);
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  One of names (NULL-ended): its index into *value.
static int
s_cell_enum (s_reader_t *self, size_t column, const char *const *names,
             int64_t *value)
{
    for (int64_t i = 0; names [i]; i++)
        if (streq (self->cells [column], names [i])) {
            *value = i;
            return 0;
        }
    char allowed [200] = "";
    for (size_t i = 0; names [i]; i++)
        snprintf (allowed + strlen (allowed), sizeof allowed - strlen (allowed),
                  "%s%s", i ? ", " : "", names [i]);
    s_problem (self, self->header [column], _ ("'%.64s' is not one of %s"),
               self->cells [column], allowed);
    return -1;
}

//  --------------------------------------------------------------------------
//  Report a status from the rules against the column it names.
static void
s_status_problem (s_reader_t *self, const kj_status_t *status)
{
    const char *message = status->message;
    size_t length = strlen (status->field);
    //  "field: text" -> "text": the column is said already
    if (length && strncmp (message, status->field, length) == 0
        && strncmp (message + length, ": ", 2) == 0)
        message += length + 2;
    s_report (self, status->code, *status->field ? status->field : NULL,
              message);
}

//  --------------------------------------------------------------------------
//  Print a JSON object on one line, with ", " and ": " between items as
//  docs/rules/ipo.md shows it.
static void
s_print_json (json_t *object)
{
    assert (object);  //  every text in it is checked UTF-8
    char *text = json_dumps (object, JSON_PRESERVE_ORDER);
    printf ("%s\n", text);
    free (text);
    json_decref (object);
}

//  --------------------------------------------------------------------------
//  A table for people, printed a page of S_PAGE_ROWS at a time so that a
//  large file never sits in memory; each page is sized to its own rows.

typedef struct {
    cli_table_t *(*make) (void);  //  a new, empty page
    cli_table_t *table;           //  the page being filled
    size_t rows;                  //  in it
    size_t pages;                 //  printed
} s_pages_t;

#define S_PAGE_ROWS 1000

//  --------------------------------------------------------------------------
//  Print the page if it has rows; start a new one unless this is the end.

static void
s_pages_flush (s_pages_t *self, bool end)
{
    if (self->rows) {
        if (self->pages++)
            printf ("\n");
        cli_table_print (self->table, stdout);
        cli_table_destroy (&self->table);
        self->rows = 0;
    }
    if (end)
        cli_table_destroy (&self->table);
    else if (!self->table)
        self->table = self->make ();
}

//  --------------------------------------------------------------------------
//  The page to add a row to (a new one after a full page).

static cli_table_t *
s_pages_row (s_pages_t *self)
{
    if (self->rows == S_PAGE_ROWS || !self->table)
        s_pages_flush (self, false);
    self->rows++;
    return self->table;
}

//  --------------------------------------------------------------------------
//  kejin ipo fit

typedef struct {
    const ipo_board_rules_t *rules;
    const char *header [32];
    s_pages_t out;  //  for people
} s_fit_t;

//  --------------------------------------------------------------------------
//  The headings of fit's table.

static cli_table_t *
s_fit_table (void)
{
    return cli_table_new (N_ ("ID"), N_ ("MEETS"), N_ ("NEAREST MISSED"),
                          N_ ("SHORT BY"), NULL);
}

//  --------------------------------------------------------------------------
//  A shortfall for people: money in yuan, ratios in percent, a category
//  by the value needed; see the header.
void
cli_ipo_short_text (const char *figure, int64_t have, int64_t need, char *buf,
                    size_t size)
{
    char amount [64];
    size_t length = strlen (figure);
    if (streq (figure, ipo_board_figure_name (IPO_FIG_NEEQ_TIER)))
        snprintf (amount, sizeof amount, _ ("needs %s"),
                  ipo_board_neeq_tier_name (need));
    else if (length > 4 && streq (figure + length - 4, "_fen"))
        cli_yuan (need - have, amount, sizeof amount);
    else if (length > 3 && streq (figure + length - 3, "_bp"))
        cli_percent (need - have, amount, sizeof amount);
    else
        snprintf (amount, sizeof amount, "%" PRId64, need - have);
    snprintf (buf, size, "%s %s", figure, amount);
}

static void
s_short_text (const ipo_board_short_t *s, char *buf, size_t size)
{
    cli_ipo_short_text (ipo_board_figure_name (s->figure), s->have, s->need,
                        buf, size);
}

//  --------------------------------------------------------------------------
//  One firm's figures checked cell by cell into input; 0, or -1 after
//  reporting every problem of the row.

static int
s_fit_cells (s_reader_t *reader, ipo_board_input_t *input_p)
{
    ipo_board_input_t input;
    memset (&input, 0, sizeof input);
    s_cell_id (reader, 0);
    size_t column = 1;
    for (const ipo_board_field_t *field = ipo_board_fields;
         field->name && field->in_csv; field++, column++) {
        int64_t *value = (int64_t *) ((char *) &input + field->offset);
        kj_status_t status;
        if (field->names)
            s_cell_enum (reader, column, field->names, value);
        else if (s_cell_int (reader, column, value) == 0
                 && ipo_board_field_check (field, *value, &status))
            s_status_problem (reader, &status);
    }
    *input_p = input;
    return reader->bad ? -1 : 0;
}

//  --------------------------------------------------------------------------
//  One firm: its figures checked cell by cell, then its fit printed.

static int
s_fit_row (s_reader_t *reader, void *arg)
{
    s_fit_t *self = (s_fit_t *) arg;
    ipo_board_input_t input;
    if (s_fit_cells (reader, &input))
        return 0;  //  every row stands alone: go on

    ipo_board_fit_t fit;
    kj_status_t status;
    if (ipo_board_fit (self->rules, &input, IPO_BOARD_EXCHANGES, &fit,
                       &status)) {
        s_status_problem (reader, &status);
        return 0;
    }
    const char *id = reader->cells [0];
    char name [32], text [128];
    const ipo_board_outcome_t *nearest = fit.nearest >= 0
                                           ? &fit.outcome [fit.nearest]
                                           : NULL;
    if (reader->cli->json) {
        json_t *meets = json_array ();
        for (size_t i = 0; i < fit.count; i++)
            if (fit.outcome [i].met)
                json_array_append_new (meets,
                                       json_string (ipo_board_standard_name (
                                           fit.outcome [i].standard, name,
                                           sizeof name)));
        json_t *missed = json_null ();
        if (nearest) {
            json_t *shorts = json_object ();
            for (size_t i = 0; i < nearest->shorts; i++) {
                const ipo_board_short_t *s = &nearest->short_of [i];
                json_object_set_new (shorts, ipo_board_figure_name (s->figure),
                                     s->figure == IPO_FIG_NEEQ_TIER
                                         ? json_string (
                                             ipo_board_neeq_tier_name (s->need))
                                         : json_integer (s->need - s->have));
            }
            missed = json_pack ("{s:s,s:o}", "standard",
                                ipo_board_standard_name (nearest->standard,
                                                         name, sizeof name),
                                "short", shorts);
        }
        s_print_json (json_pack ("{s:s,s:o,s:o}", "id", id, "meets", meets,
                                 "nearest_missed", missed));
        return 0;
    }
    char met [256] = "", lacks [512] = "";
    for (size_t i = 0; i < fit.count; i++)
        if (fit.outcome [i].met)
            snprintf (met + strlen (met), sizeof met - strlen (met), "%s%s",
                      *met ? ", " : "",
                      ipo_board_standard_name (fit.outcome [i].standard, name,
                                               sizeof name));
    for (size_t i = 0; nearest && i < nearest->shorts; i++) {
        s_short_text (&nearest->short_of [i], text, sizeof text);
        snprintf (lacks + strlen (lacks), sizeof lacks - strlen (lacks), "%s%s",
                  *lacks ? "; " : "", text);
    }
    cli_table_row (s_pages_row (&self->out), id, *met ? met : _ ("none"),
                   nearest ? ipo_board_standard_name (nearest->standard, name,
                                                      sizeof name)
                           : "",
                   lacks);
    return 0;
}

//  --------------------------------------------------------------------------
//  kejin ipo fit run --csv FILE: the firms of the file sent to kejin-ipo
//  in pages, as one batch fit. The first page starts the batch; then up
//  to S_UPLOAD_FLIGHT pages are in flight while the next is read (each
//  is a transaction of its own in the service, so the daemon's workers
//  and copies store them side by side); the last, sent once every other
//  page is stored, finishes the batch.

//  Firms per FitBatch call unless --page says fewer: the service's limit,
//  which keeps a call of the longest ids and figures far below the
//  broker's 64 MiB
#define S_UPLOAD_PAGE IPO_FIT_PAGE_MAX
//  Pages in flight at once
#define S_UPLOAD_FLIGHT 3
//  Attempts at a page the service was unavailable for, same key each
#define S_UPLOAD_ATTEMPTS 3

typedef struct {
    size_t count;
    uint64_t request;  //  in flight as this request; 0: not sent
    unsigned seq;      //  the page's number in the batch
    int attempts;
    Kj__IpoFitFirm *firms;
    Kj__IpoFigures *figures;
    Kj__IpoFitFirm **list;
    char (*ids) [S_ID_MAX + 1];
} s_page_t;

typedef struct {
    cli_t *cli;
    uint64_t batch;
    size_t size;  //  firms a page
    size_t sent;  //  firms the service took
    unsigned pages;
    size_t offsets [IPO_FIG_COUNT + 32];   //  of each input field in figures
    s_page_t *page [S_UPLOAD_FLIGHT + 1];  //  the last is being filled
    int rc;  //  once the service refused, or did not answer
} s_upload_t;

//  A page of size firms, or NULL
static s_page_t *
s_page_new (size_t size)
{
    s_page_t *self = (s_page_t *) calloc (1, sizeof (s_page_t));
    if (self) {
        self->firms = (Kj__IpoFitFirm *) calloc (size, sizeof *self->firms);
        self->figures = (Kj__IpoFigures *) calloc (size, sizeof *self->figures);
        self->list = (Kj__IpoFitFirm **) calloc (size, sizeof *self->list);
        self->ids = calloc (size, sizeof *self->ids);
    }
    assert (self && self->firms && self->figures && self->list && self->ids);
    return self;
}

static void
s_page_destroy (s_page_t **self_p)
{
    s_page_t *self = *self_p;
    if (self) {
        free (self->firms);
        free (self->figures);
        free (self->list);
        free (self->ids);
        free (self);
        *self_p = NULL;
    }
}

//  The request of a page (last: the batch's last)
static void
s_upload_request (s_upload_t *self, s_page_t *page, bool last,
                  Kj__IpoFitBatchRequest *request)
{
    kj__ipo_fit_batch_request__init (request);
    request->batch = self->batch;
    request->firms = page->list;
    request->n_firms = page->count;
    request->last = last;
}

//  A page the service took: counted, shown, and its slot free again
static void
s_upload_took (s_upload_t *self, s_page_t *page,
               const Kj__IpoFitBatchReply *reply)
{
    self->batch = reply->batch->id;
    self->sent += page->count;
    page->count = 0;
    page->request = 0;
    if (!self->cli->json && isatty (STDERR_FILENO)) {
        fprintf (stderr, "\r");
        fprintf (stderr, _ ("batch %llu: %zu firms sent"),
                 (unsigned long long) self->batch, self->sent);
    }
}

//  Send a page without waiting, under the key of its place in the batch
//  (a page sent again is done once); 0 or -1
static int
s_upload_post (s_upload_t *self, s_page_t *page)
{
    Kj__IpoFitBatchRequest request;
    s_upload_request (self, page, false, &request);
    char key [64];
    snprintf (key, sizeof key, "ipo-fit-%llu-%u",
              (unsigned long long) self->batch, page->seq);
    kj_call_opts_t opts = { .timeout_ms = self->cli->timeout_ms,
                            .idempotency_key = key };
    page->attempts++;
    page->request = kj_client_send (cli_client (self->cli), "ipo", "FitBatch",
                                    &request.base, &opts);
    return page->request ? 0 : -1;
}

//  The service refused a page, or never answered: say so as cli_call
//  does, and keep the exit code
static void
s_upload_refused (s_upload_t *self, int code, const kj_status_t *status)
{
    if (!self->cli->json && isatty (STDERR_FILENO) && self->sent)
        fprintf (stderr, "\n");
    if (self->cli->json) {
        json_t *error = json_pack ("{s:s,s:s,s:s}", "error",
                                   kj_code_name (code), "field", status->field,
                                   "message", status->message);
        char *text = json_dumps (error, JSON_COMPACT | JSON_PRESERVE_ORDER);
        fprintf (stderr, "%s\n", text);
        free (text);
        json_decref (error);
    }
    else {
        fprintf (stderr, "%s: %s", self->cli->prog, kj_code_name (code));
        if (*status->field)
            fprintf (stderr, " (%s)", status->field);
        fprintf (stderr, ": %s\n", status->message);
    }
    self->rc = cli_exit_code (code);
}

//  Wait for one answer to a page in flight; 0, or -1 once the service
//  refused a page or did not answer in time
static int
s_upload_wait (s_upload_t *self)
{
    uint64_t id;
    Kj__IpoFitBatchReply *reply = NULL;
    kj_status_t status;
    int code = kj_client_recv (cli_client (self->cli), self->cli->timeout_ms,
                               &id, &kj__ipo_fit_batch_reply__descriptor,
                               (ProtobufCMessage **) &reply, &status);
    if (code < 0) {
        kj_status_set (&status, KJ__CODE__DEADLINE_EXCEEDED, NULL,
                       "kejin-ipo did not answer within %d ms",
                       self->cli->timeout_ms);
        s_upload_refused (self, KJ__CODE__DEADLINE_EXCEEDED, &status);
        return -1;
    }
    s_page_t *page = NULL;
    for (int i = 0; i < S_UPLOAD_FLIGHT; i++)
        if (self->page [i]->request == id)
            page = self->page [i];
    int rc = 0;
    if (!page)
        ;  //  an answer to an attempt sent again since
    else if (code == KJ__CODE__OK)
        s_upload_took (self, page, reply);
    else if (code == KJ__CODE__UNAVAILABLE
             && page->attempts < S_UPLOAD_ATTEMPTS) {
        zclock_sleep (200 * page->attempts);
        rc = s_upload_post (self, page);
    }
    else {
        s_upload_refused (self, code, &status);
        rc = -1;
    }
    if (reply)
        kj__ipo_fit_batch_reply__free_unpacked (reply, NULL);
    return rc;
}

//  Send the page being filled: the first (which starts the batch) and the
//  last (which finishes it, after every other page is stored) with a call,
//  the others in flight. 0, or -1 when the service refused (said on
//  stderr).
static int
s_upload_send (s_upload_t *self, bool last)
{
    s_page_t *filled = self->page [S_UPLOAD_FLIGHT];
    filled->seq = self->pages++;
    if (self->batch && !last) {
        //  A free slot, waiting for one when every page is in flight
        while (true) {
            for (int i = 0; i < S_UPLOAD_FLIGHT; i++)
                if (!self->page [i]->request) {
                    self->page [S_UPLOAD_FLIGHT] = self->page [i];
                    self->page [i] = filled;
                    filled->attempts = 0;
                    return s_upload_post (self, filled);
                }
            if (s_upload_wait (self))
                return -1;
        }
    }
    for (int i = 0; i < S_UPLOAD_FLIGHT; i++)
        while (self->page [i]->request)
            if (s_upload_wait (self))
                return -1;
    Kj__IpoFitBatchRequest request;
    s_upload_request (self, filled, last, &request);
    Kj__IpoFitBatchReply *reply = NULL;
    int rc = cli_call (self->cli, "ipo", "FitBatch", &request.base,
                       &kj__ipo_fit_batch_reply__descriptor,
                       (ProtobufCMessage **) &reply, false);
    if (rc != CLI_OK) {
        self->rc = rc;
        return -1;
    }
    s_upload_took (self, filled, reply);
    kj__ipo_fit_batch_reply__free_unpacked (reply, NULL);
    return 0;
}

static int
s_upload_row (s_reader_t *reader, void *arg)
{
    s_upload_t *self = (s_upload_t *) arg;
    ipo_board_input_t input;
    if (s_fit_cells (reader, &input))
        return 0;  //  reported; the other firms go on
    s_page_t *page = self->page [S_UPLOAD_FLIGHT];
    size_t i = page->count++;
    kj__ipo_fit_firm__init (&page->firms [i]);
    kj__ipo_figures__init (&page->figures [i]);
    snprintf (page->ids [i], sizeof page->ids [i], "%s", reader->cells [0]);
    page->firms [i].firm = page->ids [i];
    page->firms [i].city = "";
    page->firms [i].figures = &page->figures [i];
    //  Every field of the input into the message's field of its name
    size_t f = 0;
    for (const ipo_board_field_t *field = ipo_board_fields; field->name;
         field++, f++)
        memcpy ((char *) &page->figures [i] + self->offsets [f],
                (const char *) &input + field->offset, sizeof (int64_t));
    page->list [i] = &page->firms [i];
    if (page->count == self->size && s_upload_send (self, false))
        return -1;
    return 0;
}

static int
s_upload (cli_t *cli, cli_args_t *args)
{
    int64_t size = S_UPLOAD_PAGE;
    const char *page = cli_args_get (args, "page");
    if (page && cli_parse_int ("page", page, 1, S_UPLOAD_PAGE, &size))
        return CLI_USAGE;
    s_upload_t *self = (s_upload_t *) calloc (1, sizeof (s_upload_t));
    assert (self);
    self->cli = cli;
    self->size = (size_t) size;
    for (int i = 0; i <= S_UPLOAD_FLIGHT; i++)
        self->page [i] = s_page_new (self->size);
    const char *header [32];
    size_t n = 0;
    header [n++] = "id";
    for (const ipo_board_field_t *field = ipo_board_fields; field->name;
         field++) {
        if (field->in_csv)
            header [n++] = field->name;
        const ProtobufCFieldDescriptor
            *to = protobuf_c_message_descriptor_get_field_by_name (
                &kj__ipo_figures__descriptor, field->name);
        assert (to && to->type == PROTOBUF_C_TYPE_INT64);
        self->offsets [field - ipo_board_fields] = to->offset;
    }
    header [n] = NULL;
    int rc = s_read (cli, cli_args_get (args, "csv"), header, s_upload_row,
                     self);
    if (self->rc == 0 && (self->batch || self->page [S_UPLOAD_FLIGHT]->count))
        s_upload_send (self, true);  //  the rest, and the batch finished
    if (!cli->json && isatty (STDERR_FILENO) && self->sent)
        fprintf (stderr, "\n");
    if (self->rc)
        rc = self->rc;
    else if (self->batch) {
        int shown = cli_ipo_fit_follow (cli, self->batch);
        if (rc == CLI_OK)
            rc = shown;
    }
    for (int i = 0; i <= S_UPLOAD_FLIGHT; i++)
        s_page_destroy (&self->page [i]);
    free (self);
    return rc;
}

//  --------------------------------------------------------------------------
//  kejin ipo fit --csv FILE, offline; kejin ipo fit run --csv FILE through
//  kejin-ipo; the other fit verbs of kejin-ipo

static int
s_fit (cli_t *cli, int argc, char **argv)
{
    if (argc == 2
        || (argc > 2
            && (streq (argv [2], "run") || streq (argv [2], "show")
                || streq (argv [2], "firm")))) {
        if (argc > 3 && streq (argv [2], "run"))
            for (int i = 3; i < argc; i++)
                if (streq (argv [i], "--csv")) {
                    cli_args_t *args = cli_args_verb (argc - 1, argv + 1,
                                                      "csv= page=", s_usage, 0,
                                                      "csv", NULL);
                    if (!args)
                        return CLI_USAGE;
                    int rc = s_upload (cli, args);
                    cli_args_destroy (&args);
                    return rc;
                }
        return cli_ipo_fit_service (cli, argc, argv);
    }
    cli_args_t *args = cli_args_verb (argc, argv, "csv=", s_usage, 0, "csv",
                                      "ipo fit needs --csv FILE");
    if (!args)
        return CLI_USAGE;
    s_fit_t self = { .rules = ipo_board_rules (NULL),
                     .out = { .make = s_fit_table } };
    size_t n = 0;
    self.header [n++] = "id";
    for (const ipo_board_field_t *field = ipo_board_fields;
         field->name && field->in_csv; field++)
        self.header [n++] = field->name;
    int rc = s_read (cli, cli_args_get (args, "csv"), self.header, s_fit_row,
                     &self);
    s_pages_flush (&self.out, true);
    cli_args_destroy (&args);
    return rc;
}

//  --------------------------------------------------------------------------
//  kejin ipo subsidy replay

enum { S_FIRM, S_STEP, S_DATE, S_BOARD, S_EVENT, S_AMOUNT };

static const char *const s_replay_header [] = {
    "firm", "step", "date", "board", "event", "amount_raised_fen", NULL
};

//  Each firm's state between its rows
typedef struct {
    ipo_subsidy_firm_t firm;
    int64_t step;  //  its latest step
    size_t row;    //  the row of that step
} s_firm_t;

typedef struct {
    const ipo_subsidy_table_t *table;
    zhashx_t *firms;  //  s_firm_t by firm
    s_pages_t out;    //  for people
} s_replay_t;

//  --------------------------------------------------------------------------
//  The headings of replay's table.

static cli_table_t *
s_replay_table (void)
{
    return cli_table_new (N_ ("FIRM"), N_ ("STEP"), N_ ("DATE"), N_ ("BOARD"),
                          N_ ("EVENT"), N_ ("PAYMENT"), N_ ("PAID TOTAL"),
                          N_ ("RULE"), NULL);
}

//  --------------------------------------------------------------------------
//  One event: checked cell by cell, then decided against its firm's state;
//  a bad row stops the replay.

static int
s_replay_row (s_reader_t *reader, void *arg)
{
    s_replay_t *self = (s_replay_t *) arg;
    const char *const *cells = reader->cells;
    ipo_subsidy_event_t event = { 0 };
    int64_t step = 0;
    s_cell_id (reader, S_FIRM);
    if (s_cell_int (reader, S_STEP, &step) == 0 && step < 1)
        s_problem (reader, "step",
                   _ ("%" PRId64 " is out of range; expected a "
                      "whole number from 1"),
                   step);
    if (ipo_subsidy_date_parse (cells [S_DATE], &event.date))
        s_problem (reader, "date",
                   _ ("'%.64s' is not a date YYYY-MM-DD from "
                      "2000 to 2099"),
                   cells [S_DATE]);
    if ((event.board = ipo_subsidy_board_from_code (cells [S_BOARD])) < 0)
        s_problem (reader, "board",
                   _ ("'%.64s' is not one of MAIN, CHINEXT, "
                      "STAR, BSE, NEEQ"),
                   cells [S_BOARD]);
    if ((event.event = ipo_subsidy_event_from_name (cells [S_EVENT])) < 0) {
        char allowed [400] = "";
        for (int e = 1; e < IPO_EVENT_END; e++)
            snprintf (allowed + strlen (allowed),
                      sizeof allowed - strlen (allowed), "%s%s",
                      e > 1 ? ", " : "", ipo_subsidy_event_name (e));
        s_problem (reader, "event", _ ("'%.64s' is not one of %s"),
                   cells [S_EVENT], allowed);
    }
    event.has_amount = *cells [S_AMOUNT] != 0;
    if (event.has_amount)
        s_cell_int (reader, S_AMOUNT, &event.amount_raised_fen);
    if (reader->bad)
        return -1;

    s_firm_t *firm = (s_firm_t *) zhashx_lookup (self->firms, cells [S_FIRM]);
    s_firm_t fresh = { .step = 0 };
    if (!firm) {
        if (zhashx_size (self->firms) == S_FIRMS_MAX) {
            s_problem (reader, "firm",
                       _ ("a file may hold at most %d firms; "
                          "split it by firm"),
                       S_FIRMS_MAX);
            return -1;
        }
        ipo_subsidy_firm_init (&fresh.firm);
        firm = &fresh;
    }
    if (step <= firm->step) {
        s_problem (reader, "step",
                   _ ("%" PRId64 " does not follow step %" PRId64
                      " of firm %s (row %zu); steps rise within a firm"),
                   step, firm->step, cells [S_FIRM], firm->row);
        return -1;
    }
    ipo_subsidy_decision_t decision;
    kj_status_t status;
    if (ipo_subsidy_apply (self->table, &firm->firm, &event, &decision,
                           &status)) {
        s_status_problem (reader, &status);
        return -1;
    }
    firm->step = step;
    firm->row = reader->row;
    if (firm == &fresh)
        zhashx_insert (self->firms, cells [S_FIRM], &fresh);

    if (reader->cli->json)
        s_print_json (json_pack ("{s:s,s:I,s:I,s:I}", "firm", cells [S_FIRM],
                                 "step", (json_int_t) step, "payment_fen",
                                 (json_int_t) decision.payment_fen,
                                 "paid_total_fen",
                                 (json_int_t) decision.paid_total_fen));
    else {
        char step_text [24], payment [40], total [40];
        snprintf (step_text, sizeof step_text, "%" PRId64, step);
        cli_table_row (s_pages_row (&self->out), cells [S_FIRM], step_text,
                       cells [S_DATE], cells [S_BOARD], cells [S_EVENT],
                       cli_yuan (decision.payment_fen, payment, sizeof payment),
                       cli_yuan (decision.paid_total_fen, total, sizeof total),
                       ipo_subsidy_rule_text (decision.rule));
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  A firm's state copied into the table of firms.
static void *
s_firm_dup (const void *item)
{
    s_firm_t *copy = (s_firm_t *) malloc (sizeof (s_firm_t));
    if (copy)
        *copy = *(const s_firm_t *) item;
    return copy;
}

//  --------------------------------------------------------------------------
//  A firm's state out of the table.
static void
s_firm_free (void **item)
{
    free (*item);
    *item = NULL;
}

//  --------------------------------------------------------------------------
//  kejin ipo subsidy replay --csv FILE

static int
s_subsidy (cli_t *cli, int argc, char **argv)
{
    //  kejin ipo subsidy replay ...: argv [1] is "subsidy"
    if (argc < 3 || !streq (argv [2], "replay")) {
        fprintf (stderr, _ ("kejin: ipo subsidy has one verb, replay\n"));
        return cli_usage (s_usage, true);
    }
    cli_args_t *args = cli_args_verb (argc - 1, argv + 1, "csv=", s_usage, 0,
                                      "csv",
                                      "ipo subsidy replay needs "
                                      "--csv FILE");
    if (!args)
        return CLI_USAGE;
    s_replay_t self = { .table = ipo_subsidy_table (NULL),
                        .out = { .make = s_replay_table } };
    self.firms = zhashx_new ();
    zhashx_set_duplicator (self.firms, s_firm_dup);
    zhashx_set_destructor (self.firms, s_firm_free);
    int rc = s_read (cli, cli_args_get (args, "csv"), s_replay_header,
                     s_replay_row, &self);
    s_pages_flush (&self.out, true);
    zhashx_destroy (&self.firms);
    cli_args_destroy (&args);
    return rc;
}

//  --------------------------------------------------------------------------
//  kejin ipo VERB ...

int
cli_ipo (cli_t *cli, int argc, char **argv)
{
    if (argc < 2 || cli_wants_help (argc, argv))
        return cli_usage (s_usage, argc < 2);
    if (streq (argv [1], "fit"))
        return s_fit (cli, argc, argv);
    if (streq (argv [1], "subsidy"))
        return s_subsidy (cli, argc, argv);
    const char *const service [] = { "pool",   "stage",   "raise",
                                     "claim",  "approve", "budget",
                                     "report", "demo",    NULL };
    for (int i = 0; service [i]; i++)
        if (streq (argv [1], service [i]))
            return cli_ipo_pipeline (cli, argc, argv);
    fprintf (stderr, _ ("kejin: ipo has no verb '%s'\n"), argv [1]);
    fputs (_ (s_usage), stderr);
    return CLI_USAGE;
}
