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
//  kj_csv_read: libcsv hands us fields and row ends; we keep one row

typedef struct {
    char *fields [KJ_CSV_MAX_FIELDS];
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
    char *field = (char *) malloc (size + 1);
    if (!field)
        abort ();
    memcpy (field, data ? data : "", size);
    field [size] = 0;
    self->fields [self->count++] = field;
}

static void
s_reader_clear (s_reader_t *self)
{
    for (size_t i = 0; i < self->count; i++)
        free (self->fields [i]);
    self->count = 0;
}

static void
s_reader_row (int end, void *arg)
{
    s_reader_t *self = (s_reader_t *) arg;
    if (!self->rc) {
        self->row++;
        if (self->too_many || self->too_long)
            self->rc = -2;
        else
            self->rc = self->fn (self->row, (const char *const *) self->fields,
                                 self->count, self->arg);
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

int
kj_csv_read (FILE *file, kj_csv_row_fn *fn, void *arg, char *error, size_t size)
{
    struct csv_parser parser;
    if (csv_init (&parser, CSV_STRICT | CSV_STRICT_FINI))
        abort ();
    csv_set_realloc_func (&parser, s_bounded_realloc);
    s_reader_t self = { .fn = fn, .arg = arg };
    char buffer [16384];
    size_t bytes;
    int rc = 0;
    while (!self.rc && (bytes = fread (buffer, 1, sizeof buffer, file)) > 0)
        if (csv_parse (&parser, buffer, bytes, s_reader_field, s_reader_row,
                       &self)
            != bytes) {
            rc = -1;
            break;
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
    s_reader_clear (&self);
    csv_free (&parser);
    if (rc)
        return -1;
    return self.rc == -2 ? -1 : self.rc;
}
