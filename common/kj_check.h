/*  =========================================================================
    kj_check - field checks every service needs: dates, text, ids, money,
    counts, enum names, update masks

    Pure rules, no I/O. Every check names the field at fault in the status
    as the caller gives it (the request field, the CLI option or the CSV
    column the person typed) and says what was expected, so that a person
    can fix the input from the message alone. Dates are "YYYY-MM-DD"; text
    is valid UTF-8 without control characters.
    =========================================================================
*/

#ifndef KJ_CHECK_H_INCLUDED
#define KJ_CHECK_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>

#include "kj_proto.h"

//  A calendar date.
typedef struct {
    int year;   //  1..9999
    int month;  //  1..12
    int day;    //  1..31, valid for the month
} kj_date_t;

//  --------------------------------------------------------------------------
//  Parse "YYYY-MM-DD", a real calendar date of a year from 1900 to 2200,
//  into date. Returns 0, or -1 with status set (INVALID_ARGUMENT, field).

int
    kj_check_date (const char *text, const char *field, kj_date_t *date,
                   kj_status_t *status);

//  --------------------------------------------------------------------------
//  Compare two dates: < 0, 0 or > 0 as a is before, on or after b.

int
    kj_check_date_compare (kj_date_t a, kj_date_t b);

//  --------------------------------------------------------------------------
//  Days since 1970-01-01 of a date (proleptic Gregorian calendar; any
//  year), and the date of such a day number: date arithmetic in one place.

int64_t
    kj_check_date_days (kj_date_t date);

kj_date_t
    kj_check_date_from_days (int64_t days);

//  --------------------------------------------------------------------------
//  Write date as "YYYY-MM-DD" into buf (11 bytes).

void
    kj_check_date_format (kj_date_t date, char buf [11]);

//  --------------------------------------------------------------------------
//  The stored name of an enum value: its name without prefix, lower-case
//  (QUAL_HIGH_TECH with prefix "QUAL_": "high_tech"), written to buf;
//  NULL if the value is not in the enum.

const char *
    kj_check_enum_name (const ProtobufCEnumDescriptor *descriptor,
                        const char *prefix, int value, char *buf, size_t size);

//  --------------------------------------------------------------------------
//  The Chinese name of an enum value by its full name ("STAGE_GROWTH":
//  "成长期"), or NULL if it has none.

const char *
    kj_check_enum_label_zh (const char *full_name);

//  --------------------------------------------------------------------------
//  An enum value as people read it in this thread's language
//  (kj_i18n_lang): its Chinese name under Chinese where it has one, else its
//  stored name (kj_check_enum_name); written to buf, NULL if the value is
//  not in the enum.

const char *
    kj_check_enum_label (const ProtobufCEnumDescriptor *descriptor,
                         const char *prefix, int value, char *buf, size_t size);

//  --------------------------------------------------------------------------
//  The value of a stored name (case-insensitive); -1 if none has it.

int
    kj_check_enum_value (const ProtobufCEnumDescriptor *descriptor,
                         const char *prefix, const char *name);

//  --------------------------------------------------------------------------
//  Text of at most max_chars characters: valid UTF-8, no control
//  characters; empty only if not required. Returns 0 or -1 with status.

int
    kj_check_text (const char *text, const char *field, size_t max_chars,
                   bool required, kj_status_t *status);

//  --------------------------------------------------------------------------
//  An id of something Kejin lists (institution, product): 1 to 40 ASCII
//  letters, digits, '_', '.', '-', starting with a letter or digit.

int
    kj_check_id (const char *id, const char *field, kj_status_t *status);

//  --------------------------------------------------------------------------
//  Money in fen: >= 0, or any value when may_be_negative. The refusal
//  states the amount in yuan ("-¥5.00").

int
    kj_check_money (int64_t fen, const char *field, bool may_be_negative,
                    kj_status_t *status);

//  --------------------------------------------------------------------------
//  A count from 0 to max.

int
    kj_check_count (int64_t count, const char *field, int64_t max,
                    kj_status_t *status);

//  --------------------------------------------------------------------------
//  Copy text without white space at either end into a new string the
//  caller frees. NULL stays "".

char *
    kj_check_trim (const char *text);

//  --------------------------------------------------------------------------
//  The update_mask of a request: each name must be one of `names` (NULL
//  ended). Returns 0 or -1 with status naming update_mask[i] and the
//  names allowed. An empty mask is refused: an update must change
//  something.

int
    kj_check_mask (char **mask, size_t n_mask, const char *const *names,
                   kj_status_t *status);

//  --------------------------------------------------------------------------
//  True if mask names `name`, or, for a name "a.b", its parent "a".

bool
    kj_check_masked (char **mask, size_t n_mask, const char *name);

#endif
