/*  =========================================================================
    kj_money - amounts written for people: "¥1,234.05", "1,200,000"
    =========================================================================
*/

#include "kj_money.h"
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

char *
kj_money_grouped (uint64_t value, char *buf, size_t size)
{
    char digits [32];
    snprintf (digits, sizeof digits, "%" PRIu64, value);
    size_t length = strlen (digits), at = 0;
    for (size_t i = 0; i < length && at + 2 < size; i++) {
        if (i && (length - i) % 3 == 0)
            buf [at++] = ',';
        buf [at++] = digits [i];
    }
    buf [at] = 0;
    return buf;
}

char *
kj_money_yuan (int64_t fen, bool cents, char *buf, size_t size)
{
    //  The magnitude in unsigned arithmetic: -INT64_MIN does not fit
    uint64_t magnitude = fen < 0 ? 0 - (uint64_t) fen : (uint64_t) fen;
    char grouped [32];
    kj_money_grouped (magnitude / 100, grouped, sizeof grouped);
    if (cents || magnitude % 100)
        snprintf (buf, size, "%s¥%s.%02u", fen < 0 ? "-" : "", grouped,
                  (unsigned) (magnitude % 100));
    else
        snprintf (buf, size, "%s¥%s", fen < 0 ? "-" : "", grouped);
    return buf;
}
