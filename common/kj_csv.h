/*  =========================================================================
    kj_csv - cutting CSV text into chunks of whole rows, and reading a
    small CSV file row by row

    A big file goes to a service in chunks that each end at a row's end;
    a newline inside a quoted field is not a row's end. An offline check
    (`kejin guarantee calc --csv`, ...) reads its file row by row.
    =========================================================================
*/

#ifndef KJ_CSV_H_INCLUDED
#define KJ_CSV_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

//  The end of a chunk in data [0 .. size) of about `want` bytes: just after
//  the last newline outside quotes at or before `want`, or the first after
//  it when none comes before. With eof, the rest of the data ends the last
//  chunk. 0 if more data is needed. *lines (may be NULL) gets the number of
//  newlines in the chunk.
size_t
    kj_csv_cut (const char *data, size_t size, size_t want, bool eof,
                uint32_t *lines);

//  Limits of kj_csv_read: a row of more fields, or a field of more bytes,
//  is refused (with its row), never allocated.
#define KJ_CSV_MAX_FIELDS 256
#define KJ_CSV_MAX_FIELD  65536

//  One row of a CSV file: its number (the header is row 1), its fields
//  (text, NUL-ended, only valid during the call). Return 0 to go on.
typedef int (kj_csv_row_fn) (uint32_t row, const char *const *fields,
                             size_t count, void *arg);

//  Read CSV (RFC 4180: quoted fields, "" for a quote, CRLF or LF) from
//  file and call fn for every row, the header first; empty lines are
//  skipped. Returns 0, the first non-zero value fn returned, or -1 with
//  a sentence in error (naming the row) if the file cannot be read, is
//  not well-formed CSV, or passes a limit above.
int
    kj_csv_read (FILE *file, kj_csv_row_fn *fn, void *arg, char *error,
                 size_t size);

#endif
