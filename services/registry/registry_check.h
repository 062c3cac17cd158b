/*  =========================================================================
    registry_check - validation of the registry's input, field by field

    Pure rules, no I/O. Every check names the request field at fault in
    the status ("enterprise.figures[2].revenue_fen") and says what was
    expected, so that a person can fix the input from the message alone.
    Dates are "YYYY-MM-DD"; text is valid UTF-8 without control
    characters; money is never negative except where a loss is possible.
    =========================================================================
*/

#ifndef REGISTRY_CHECK_H_INCLUDED
#define REGISTRY_CHECK_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kj_proto.h"
#include "registry.pb-c.h"
#include "registry_stage.h"

//  Most items of one repeated field in a request (figures, awards ...).
#define REGISTRY_CHECK_MAX_ITEMS 200

//  --------------------------------------------------------------------------
//  Parse "YYYY-MM-DD", a real calendar date of a year from 1900 to 2200,
//  into date. Returns 0, or -1 with status set (INVALID_ARGUMENT, field).

int
    registry_check_date (const char *text, const char *field,
                         registry_date_t *date, kj_status_t *status);

//  --------------------------------------------------------------------------
//  Compare two dates: < 0, 0 or > 0 as a is before, on or after b.

int
    registry_check_date_compare (registry_date_t a, registry_date_t b);

//  --------------------------------------------------------------------------
//  Write date as "YYYY-MM-DD" into buf (11 bytes).

void
    registry_check_date_format (registry_date_t date, char buf [11]);

//  --------------------------------------------------------------------------
//  The stored name of an enum value: its name without prefix, lower-case
//  (QUAL_HIGH_TECH with prefix "QUAL_": "high_tech"), written to buf;
//  NULL if the value is not in the enum.

const char *
    registry_check_enum_name (const ProtobufCEnumDescriptor *descriptor,
                              const char *prefix, int value, char *buf,
                              size_t size);

//  --------------------------------------------------------------------------
//  The value of a stored name (case-insensitive); -1 if none has it.

int
    registry_check_enum_value (const ProtobufCEnumDescriptor *descriptor,
                               const char *prefix, const char *name);

//  --------------------------------------------------------------------------
//  Text of at most max_chars characters: valid UTF-8, no control
//  characters; empty only if not required. Returns 0 or -1 with status.

int
    registry_check_text (const char *text, const char *field,
                         size_t max_chars, bool required,
                         kj_status_t *status);

//  --------------------------------------------------------------------------
//  An id of something Kejin lists (institution, product): 1 to 40 ASCII
//  letters, digits, '_', '.', '-', starting with a letter or digit.

int
    registry_check_id (const char *id, const char *field,
                       kj_status_t *status);

//  --------------------------------------------------------------------------
//  Money in fen: >= 0, or any value when may_be_negative.

int
    registry_check_money (int64_t fen, const char *field,
                          bool may_be_negative, kj_status_t *status);

//  --------------------------------------------------------------------------
//  A count from 0 to max.

int
    registry_check_count (int64_t count, const char *field, int64_t max,
                          kj_status_t *status);

//  --------------------------------------------------------------------------
//  Copy text without white space at either end into a new string the
//  caller frees. NULL stays "".

char *
    registry_check_trim (const char *text);

//  --------------------------------------------------------------------------
//  The update_mask of a request: each name must be one of `names` (NULL
//  ended). Returns 0 or -1 with status naming update_mask[i] and the
//  names allowed. An empty mask is refused: an update must change
//  something.

int
    registry_check_mask (char **mask, size_t n_mask,
                         const char *const *names, kj_status_t *status);

//  --------------------------------------------------------------------------
//  True if mask names `name`, or, for a name "a.b", its parent "a".

bool
    registry_check_masked (char **mask, size_t n_mask, const char *name);

//  --------------------------------------------------------------------------
//  The enterprise update_mask names, NULL ended.

extern const char *const registry_check_enterprise_fields [];

//  --------------------------------------------------------------------------
//  One year of figures, at `prefix` ("figures[2]" or "enterprise.figures[0]").

int
    registry_check_figures (const Kj__YearFigures *figures,
                            const char *prefix, kj_status_t *status);

//  --------------------------------------------------------------------------
//  A list of years of figures (at most REGISTRY_CHECK_MAX_ITEMS, each year
//  once), at prefix ("figures" or "enterprise.figures").

int
    registry_check_figures_list (Kj__YearFigures *const *figures, size_t n,
                                 const char *prefix, kj_status_t *status);

//  --------------------------------------------------------------------------
//  A qualification at prefix: a known kind and level, valid dates, granted
//  on or before expiry. Whether it has expired already is the caller's
//  concern (it knows today).

int
    registry_check_qualification (const Kj__Qualification *qualification,
                                  const char *prefix, kj_status_t *status);

//  --------------------------------------------------------------------------
//  The input fields of an enterprise, under "enterprise.": all of them
//  when mask is NULL (registration), else only those the mask names. The
//  code and the region are the caller's (they need the code rules and the
//  node's configuration).

int
    registry_check_enterprise (const Kj__Enterprise *enterprise,
                               char **mask, size_t n_mask,
                               kj_status_t *status);

//  --------------------------------------------------------------------------
//  The stage of an enterprise founded on `founded_on` ("YYYY-MM-DD"),
//  evaluated on `today`, from `input` with every field but the two dates
//  filled in. Never fails: no founding date, or input the rules refuse,
//  gives REGISTRY_STAGE_UNKNOWN with the reason. The one classification
//  both the registry's handlers and its bulk import use.

void
    registry_check_stage (const registry_stage_rules_t *rules,
                          const char *founded_on, registry_date_t today,
                          registry_stage_input_t *input,
                          registry_stage_result_t *result);

#endif
