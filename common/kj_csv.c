/*  =========================================================================
    kj_csv - cutting CSV text into chunks of whole rows
    =========================================================================
*/

#include "kj_csv.h"

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
        else
        if (c == '\n') {
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
