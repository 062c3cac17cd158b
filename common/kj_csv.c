/*  =========================================================================
    kj_csv - cutting CSV text into chunks of whole rows, and reading a
    small CSV file row by row (with libcsv)
    =========================================================================
*/

#include "kj_csv.h"
#include <csv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

size_t
kj_csv_cut (const char *data, size_t size, size_t want, bool eof,
            uint32_t *lines)
{
    bool quoted = false;
    size_t cut = 0;
    uint32_t newlines = 0, cut_lines = 0;
    for (size_t i = 0; i < size; i++) {
        char c = data [i];
        if (c == '"')
            quoted = !quoted;
        else if (c == '\n') {
            newlines++;
            if (!quoted) {
                if (i + 1 > want && cut)
                    break;
                cut = i + 1;
                cut_lines = newlines;
                if (i + 1 >= want)
                    break;
            }
        }
    }
    if (eof && (cut == 0 || (cut < size && size <= want))) {
        cut = size;
        cut_lines = newlines;
    }
    if (lines)
        *lines = cut_lines;
    return cut;
}

//  --------------------------------------------------------------------------
//  kj_csv_read: libcsv hands us fields and row ends; we keep one row in
//  one buffer that only grows (a field's text and its NUL after the
//  previous one), so a file of a million rows allocates a few times, not
//  once per cell. The buffer is bounded by the limits: at most
//  KJ_CSV_MAX_FIELDS fields of KJ_CSV_MAX_FIELD bytes.

typedef struct {
    char *text;                        //  the row's fields, each NUL-ended
    size_t used, size;                 //  bytes of text in use, allocated
    size_t start [KJ_CSV_MAX_FIELDS];  //  where each field begins in text
    const char *fields [KJ_CSV_MAX_FIELDS];
    size_t count;   //  fields in the row so far
    uint32_t row;   //  rows handed to fn so far
    bool too_many;  //  the row passed KJ_CSV_MAX_FIELDS
    bool too_long;  //  a field passed KJ_CSV_MAX_FIELD
    int rc;         //  what fn returned, once non-zero
    kj_csv_row_fn *fn;
    void *arg;
} s_reader_t;

static void
s_reader_field (void *data, size_t size, void *arg)
{
    s_reader_t *self = (s_reader_t *) arg;
    if (self->rc)
        return;
    if (self->count == KJ_CSV_MAX_FIELDS) {
        self->too_many = true;
        return;
    }
    if (size > KJ_CSV_MAX_FIELD) {
        self->too_long = true;
        size = 0;
    }
    if (self->used + size + 1 > self->size) {
        size_t grown = self->size ? self->size : 4096;
        while (grown < self->used + size + 1)
            grown *= 2;
        self->text = (char *) realloc (self->text, grown);
        if (!self->text)
            abort ();
        self->size = grown;
    }
    if (size)
        memcpy (self->text + self->used, data, size);
    self->text [self->used + size] = 0;
    self->start [self->count++] = self->used;
    self->used += size + 1;
}

static void
s_reader_clear (s_reader_t *self)
{
    self->count = 0;
    self->used = 0;
}

static void
s_reader_row (int end, void *arg)
{
    (void) end;
    s_reader_t *self = (s_reader_t *) arg;
    if (!self->rc) {
        self->row++;
        if (self->too_many || self->too_long)
            self->rc = -2;
        else {
            for (size_t i = 0; i < self->count; i++)
                self->fields [i] = self->text + self->start [i];
            self->rc = self->fn (self->row, self->fields, self->count,
                                 self->arg);
        }
    }
    if (self->rc != -2)
        s_reader_clear (self);
}

//  libcsv holds a field whole before it hands it over, growing its buffer
//  through this: refusing past the limit stops the parse there instead of
//  reading a runaway field into memory.
static void *
s_bounded_realloc (void *pointer, size_t size)
{
    return size > KJ_CSV_MAX_FIELD + 1024 ? NULL : realloc (pointer, size);
}

//  --------------------------------------------------------------------------
//  A whole line without quotes or a carriage return (but at its end),
//  read without libcsv: cut at commas, each field stripped of the spaces
//  and tabs around it, a line of nothing but blanks skipped. Exactly what
//  libcsv does with such a line, through the same field and row callbacks
//  (test_kj_csv checks the two agree), at a tenth of its cost.

static bool
s_blank (char c)
{
    return c == ' ' || c == '\t';
}

static void
s_fast_line (s_reader_t *self, const char *line, size_t size)
{
    if (size && line [size - 1] == '\r')
        size--;
    size_t at = 0;
    while (at < size && s_blank (line [at]))
        at++;
    if (at == size)
        return;  //  libcsv reports no row for it
    const char *end = line + size;
    const char *field = line;
    while (!self->rc) {
        const char *comma = (const char *) memchr (field, ',', end - field);
        const char *stop = comma ? comma : end;
        const char *first = field, *last = stop;
        while (first < last && s_blank (*first))
            first++;
        while (last > first && s_blank (last [-1]))
            last--;
        s_reader_field ((void *) first, (size_t) (last - first), self);
        if (!comma)
            break;
        field = comma + 1;
    }
    s_reader_row ('\n', self);
}

//  True if the line may take the fast way: no quote, no carriage return
//  before its end
static bool
s_plain (const char *line, size_t size)
{
    if (memchr (line, '"', size))
        return false;
    const char *cr = (const char *) memchr (line, '\r', size);
    return !cr || cr == line + size - 1;
}

int
kj_csv_read (FILE *file, kj_csv_row_fn *fn, void *arg, char *error, size_t size)
{
    struct csv_parser parser;
    if (csv_init (&parser, CSV_STRICT | CSV_STRICT_FINI))
        abort ();
    csv_set_realloc_func (&parser, s_bounded_realloc);
    s_reader_t self = { .fn = fn, .arg = arg };
    char buffer [65536];
    size_t bytes;
    int rc = 0;
    //  libcsv has nothing of a row pending: at the start, and after a
    //  newline it was given outside quotes (an even count of quotes since
    //  it was last idle)
    bool idle = true;
    size_t quotes = 0;
    while (!rc && !self.rc
           && (bytes = fread (buffer, 1, sizeof buffer, file)) > 0) {
        size_t at = 0;
        while (at < bytes && !self.rc) {
            const char *newline = (const char *) memchr (buffer + at, '\n',
                                                         bytes - at);
            size_t end = newline ? (size_t) (newline - buffer) + 1 : bytes;
            if (idle && newline && s_plain (buffer + at, end - at - 1)) {
                s_fast_line (&self, buffer + at, end - at - 1);
                at = end;
                continue;
            }
            for (size_t i = at; i < end; i++)
                quotes += buffer [i] == '"';
            if (csv_parse (&parser, buffer + at, end - at, s_reader_field,
                           s_reader_row, &self)
                != end - at) {
                rc = -1;
                break;
            }
            idle = newline && quotes % 2 == 0;
            if (idle)
                quotes = 0;
            at = end;
        }
    }
    if (!rc && !self.rc && ferror (file)) {
        snprintf (error, size, "could not read the file: %s", strerror (errno));
        rc = -3;
    }
    else if (!rc && !self.rc
             && csv_fini (&parser, s_reader_field, s_reader_row, &self))
        rc = -1;
    if (rc == -1 && csv_error (&parser) == CSV_ENOMEM)
        snprintf (error, size, "row %u has a field longer than %d bytes",
                  self.row + 1, KJ_CSV_MAX_FIELD);
    else if (rc == -1)
        snprintf (error, size, "row %u is not well-formed CSV: %s",
                  self.row + 1, csv_strerror (csv_error (&parser)));
    else if (self.rc == -2)
        snprintf (error, size,
                  self.too_many ? "row %u has more than %d fields"
                                : "row %u has a field longer than %d bytes",
                  self.row,
                  self.too_many ? KJ_CSV_MAX_FIELDS : KJ_CSV_MAX_FIELD);
    free (self.text);
    csv_free (&parser);
    if (rc)
        return -1;
    return self.rc == -2 ? -1 : self.rc;
}
