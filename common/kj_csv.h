/*  =========================================================================
    kj_csv - cutting CSV text into chunks of whole rows

    A big file goes to a service in chunks that each end at a row's end;
    a newline inside a quoted field is not a row's end.
    =========================================================================
*/

#ifndef KJ_CSV_H_INCLUDED
#define KJ_CSV_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  The end of a chunk in data [0 .. size) of about `want` bytes: just after
//  the last newline outside quotes at or before `want`, or the first after
//  it when none comes before. With eof, the rest of the data ends the last
//  chunk. 0 if more data is needed. *lines (may be NULL) gets the number of
//  newlines in the chunk.
size_t
    kj_csv_cut (const char *data, size_t size, size_t want, bool eof,
                uint32_t *lines);

#endif
