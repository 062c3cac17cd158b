/*  =========================================================================
    kj_money - amounts written for people: "¥1,234.05", "1,200,000"

    Money is int64 fen everywhere; this is the one place that turns it into
    yuan with thousands separators, so that an amount reads the same in a
    registry rule's reason and in a table of the kejin command line.
    =========================================================================
*/

#ifndef KJ_MONEY_H_INCLUDED
#define KJ_MONEY_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

//  A whole number (yuan, or a count of rows) with thousands separators:
//  "1,234,567". Returns buf.
char *
    kj_money_grouped (uint64_t value, char *buf, size_t size);

//  Fen as yuan with thousands separators: "¥1,234.05", "-¥25,000,000";
//  with cents, always two decimals: "¥25,000,000.00". Returns buf.
char *
    kj_money_yuan (int64_t fen, bool cents, char *buf, size_t size);

#endif
