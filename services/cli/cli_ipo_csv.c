/*  =========================================================================
    cli_ipo_csv - the CSV files of `kejin ipo`: read row by row against an
    exact header, each cell checked (a bad one reported as "FILE row N,
    column NAME: what is wrong" on stderr), and tables printed a page at a
    time so that a large file never sits in memory
    =========================================================================
*/

#include "cli_reg.h"
#include "cli_ipo.h"
#include <errno.h>
#include <wchar.h>

//  Longest cell read, in bytes; a longer one stops the file
#define S_CELL_MAX (64 * 1024)

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
s_report (cli_ipo_reader_t *self, int code, const char *column,
          const char *text)
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

void
cli_ipo_problem (cli_ipo_reader_t *self, const char *column, const char *format,
                 ...)
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
s_check_header (cli_ipo_reader_t *self)
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
        cli_ipo_problem (self, NULL,
                         _ ("the header must be exactly '%s'; column %zu "
                            "is '%.64s' where '%s' was expected"),
                         expected, i + 1,
                         self->cells [i] ? self->cells [i] : "",
                         self->header [i]);
    else
        cli_ipo_problem (self, NULL,
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
    cli_ipo_reader_t *self = (cli_ipo_reader_t *) arg;
    self->row = row;
    self->cells = fields;
    self->count = count;
    self->bad = false;
    if (self->row == 1)
        s_check_header (self);
    else if (self->count != self->columns)
        cli_ipo_problem (self, NULL, _ ("%zu columns where the header has %zu"),
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

int
cli_ipo_read (cli_t *cli, const char *path, const char *const *header,
              cli_ipo_row_fn *on_row, void *arg)
{
    cli_ipo_reader_t self = {
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
        cli_ipo_problem (&self, NULL, "%s", why);
    }
    if (self.row == 0 && rc == 0) {
        self.row = 1;
        cli_ipo_problem (&self, NULL,
                         _ ("the file is empty; the first row must be "
                            "the header"));
    }
    else if (self.row == 1 && !self.stop) {
        self.row = 2;
        cli_ipo_problem (&self, NULL, _ ("no rows below the header"));
    }
    fflush (stdout);
    return self.bad_rows ? CLI_USAGE : CLI_OK;
}

//  --------------------------------------------------------------------------
//  Cells: each returns 0, or -1 after reporting the problem.

//  --------------------------------------------------------------------------
//  A name or id: 1 to CLI_IPO_ID_MAX bytes, no control characters.
int
cli_ipo_cell_id (cli_ipo_reader_t *self, size_t column)
{
    const char *cell = self->cells [column];
    size_t length = strlen (cell);
    if (length == 0) {
        cli_ipo_problem (self, self->header [column], _ ("empty; required"));
        return -1;
    }
    if (length > CLI_IPO_ID_MAX) {
        cli_ipo_problem (self, self->header [column],
                         _ ("%zu bytes; at most %d"), length, CLI_IPO_ID_MAX);
        return -1;
    }
    for (const char *at = cell; *at;) {
        size_t n = s_utf8_char (at, length - (at - cell));
        if (n == 0) {
            cli_ipo_problem (self, self->header [column],
                             _ ("not valid UTF-8 at "
                                "byte %zu"),
                             (size_t) (at - cell) + 1);
            return -1;
        }
        if (n == 1 && ((unsigned char) *at < 0x20 || *at == 0x7f)) {
            cli_ipo_problem (self, self->header [column],
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
int
cli_ipo_cell_int (cli_ipo_reader_t *self, size_t column, int64_t *value)
{
    const char *cell = self->cells [column];
    const char *digits = cell + (*cell == '-');
    bool ok = *digits != 0;
    for (const char *at = digits; ok && *at; at++)
        ok = *at >= '0' && *at <= '9';
    if (!ok) {
        cli_ipo_problem (self, self->header [column],
                         _ ("'%.64s' is not a whole "
                            "number%s"),
                         cell, *cell ? "" : " (empty)");
        return -1;
    }
    if (kj_parse_int64 (cell, value)) {
        cli_ipo_problem (self, self->header [column],
                         _ ("'%.64s' is too large"), cell);
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  One of names (NULL-ended): its index into *value.
int
cli_ipo_cell_enum (cli_ipo_reader_t *self, size_t column,
                   const char *const *names, int64_t *value)
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
    cli_ipo_problem (self, self->header [column],
                     _ ("'%.64s' is not one of %s"), self->cells [column],
                     allowed);
    return -1;
}

//  --------------------------------------------------------------------------
//  Report a status from the rules against the column it names.
void
cli_ipo_status_problem (cli_ipo_reader_t *self, const kj_status_t *status)
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
void
cli_ipo_print_json (json_t *object)
{
    assert (object);  //  every text in it is checked UTF-8
    char *text = json_dumps (object, JSON_PRESERVE_ORDER);
    printf ("%s\n", text);
    free (text);
    json_decref (object);
}

//  --------------------------------------------------------------------------
//  Tables printed a page of S_PAGE_ROWS at a time

#define S_PAGE_ROWS 1000

//  --------------------------------------------------------------------------
//  Print the page if it has rows; start a new one unless this is the end.

void
cli_ipo_pages_flush (cli_ipo_pages_t *self, bool end)
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

cli_table_t *
cli_ipo_pages_row (cli_ipo_pages_t *self)
{
    if (self->rows == S_PAGE_ROWS || !self->table)
        cli_ipo_pages_flush (self, false);
    self->rows++;
    return self->table;
}
