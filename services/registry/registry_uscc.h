/*  =========================================================================
    registry_uscc - the unified social credit code (统一社会信用代码,
    GB 32100-2015) and the 15 Liaoning reporting regions it maps to

    Pure rules, no I/O. Normalises and validates a code as people type it
    (docs/rules/credit-code.md), maps its region code (positions 3-8) to
    one of the 14 prefecture-level cities, and holds the table of the 15
    reporting units: the 14 cities plus 沈抚示范区 (docs/rules/regions.md).
    =========================================================================
*/

#ifndef REGISTRY_USCC_H_INCLUDED
#define REGISTRY_USCC_H_INCLUDED

#include <stdbool.h>

#include "kj_proto.h"
#include "kj_region.h"

//  Length of a code, without the terminating NUL.
#define REGISTRY_USCC_SIZE 18

//  What registry_uscc_region found.
typedef enum {
    REGISTRY_USCC_REGION_INVALID = -1,  //  not 18 characters, digits at 3-8
    REGISTRY_USCC_REGION_CITY = 0,      //  one of the 14 cities
    REGISTRY_USCC_REGION_PROVINCE = 1,  //  Liaoning but no city: 210000
    REGISTRY_USCC_REGION_OUTSIDE = 2    //  not a Liaoning code
} registry_uscc_region_result_t;

//  --------------------------------------------------------------------------
//  Trim ASCII white space and U+3000 at both ends, upper-case, validate, and
//  write the 18 characters plus NUL to out. Returns 0, or -1 with status set
//  (INVALID_ARGUMENT, field "uscc") and out empty.

int
    registry_uscc_normalize (const char *input, char out [19],
                             kj_status_t *status);

//  Most neighbours registry_uscc_neighbours can find: 18 positions of one
//  substitution (at most one fits the final check at each) and 17 swaps.
#define REGISTRY_USCC_NEIGHBOURS_MAX 64

//  --------------------------------------------------------------------------
//  Codes that pass every check and are one substitution or one swap of
//  neighbouring characters away from typed (as typed: trimmed and
//  upper-cased here; NUL-terminated, 18 characters after trimming, else
//  none). Writes at most max codes to out in a fixed order and returns how
//  many. For "did you mean": only a code that is registered may be shown,
//  never a code that merely passes the checks (docs/rules/credit-code.md).

size_t
    registry_uscc_neighbours (const char *typed, char (*out) [19], size_t max);

//  --------------------------------------------------------------------------
//  Replace the list of early pilot codes that skip the organisation-code
//  check (and only that check). codes ends with NULL; NULL clears the list.
//  Each code must pass every other check. Returns 0, or -1 with status set
//  (may be NULL) and the list unchanged. Safe to call while other threads
//  validate.

int
    registry_uscc_set_exceptions (const char *const *codes,
                                  kj_status_t *status);

//  --------------------------------------------------------------------------
//  Region of a normalised code, by its positions 3-8 (the first 4 digits
//  pick the city). Sets *region for REGISTRY_USCC_REGION_CITY, else sets it
//  to NONE and fills status with a message the caller can send as is:
//  INVALID_ARGUMENT for INVALID, FAILED_PRECONDITION for PROVINCE and
//  OUTSIDE. Never returns the Shenfu zone.

registry_uscc_region_result_t
    registry_uscc_region (const char *code, kj_region_t *region,
                          kj_status_t *status);

//  --------------------------------------------------------------------------
//  The registration authority (position 1) and entity type (position 2) of
//  a normalised code, as GB 32100-2015 Appendix A names them in Chinese
//  (static strings), each NULL when not in Kejin's table.

void
    registry_uscc_explain (const char *code, const char **authority,
                           const char **entity_type);

//  --------------------------------------------------------------------------
//  Check the value of registry/allow_authorities: authority characters
//  other than 9 (1-8, A, N, Y), separated by commas or spaces. Returns 0,
//  or -1 with status (INVALID_ARGUMENT) naming the character at fault.

int
    registry_uscc_check_authorities (const char *allowed, kj_status_t *status);

//  --------------------------------------------------------------------------
//  May a normalised code be registered in the enterprise library: its
//  authority is 9 (market regulation, which issues enterprises' codes) or
//  one of `allowed` (registry/allow_authorities, may be NULL). Returns 0,
//  or -1 with status FAILED_PRECONDITION (field "uscc") saying what the
//  code is (docs/rules/credit-code.md §4).

int
    registry_uscc_check_enterprise (const char *code, const char *allowed,
                                    kj_status_t *status);

#endif
