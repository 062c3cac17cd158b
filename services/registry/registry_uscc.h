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

//  Length of a code, without the terminating NUL.
#define REGISTRY_USCC_SIZE 18

//  The 15 reporting units. A city's value n is its code 21nn00; the zone
//  has no code of its own and is never derived from a USCC, only set.
typedef enum {
    REGISTRY_REGION_NONE = 0,       //  no region, or not found
    REGISTRY_REGION_SHENYANG = 1,   //  沈阳市 210100
    REGISTRY_REGION_DALIAN,         //  大连市 210200
    REGISTRY_REGION_ANSHAN,         //  鞍山市 210300
    REGISTRY_REGION_FUSHUN,         //  抚顺市 210400
    REGISTRY_REGION_BENXI,          //  本溪市 210500
    REGISTRY_REGION_DANDONG,        //  丹东市 210600
    REGISTRY_REGION_JINZHOU,        //  锦州市 210700
    REGISTRY_REGION_YINGKOU,        //  营口市 210800
    REGISTRY_REGION_FUXIN,          //  阜新市 210900
    REGISTRY_REGION_LIAOYANG,       //  辽阳市 211000
    REGISTRY_REGION_PANJIN,         //  盘锦市 211100
    REGISTRY_REGION_TIELING,        //  铁岭市 211200
    REGISTRY_REGION_CHAOYANG,       //  朝阳市 211300
    REGISTRY_REGION_HULUDAO,        //  葫芦岛市 211400
    REGISTRY_REGION_SHENFU,         //  沈抚改革创新示范区, code "SFDZ"
    REGISTRY_REGION_COUNT           //  one past the last region
} registry_region_t;

//  One row of the region table.
typedef struct {
    registry_region_t id;           //  enum value
    const char *code;               //  "210100" .. "211400"; zone: "SFDZ"
    const char *key;                //  stable lower-case id: "shenyang"
    const char *name_zh;            //  full name: "沈阳市", "沈抚改革创新示范区"
    const char *short_zh;           //  short name: "沈阳", "沈抚示范区"
    const char *name_en;            //  "Shenyang", "Shenfu Demonstration Zone"
    bool in_shenyang_metro;         //  in the 沈阳都市圈 (7 cities + 1 zone)
} registry_region_info_t;

//  The code of the Shenfu zone in the table. Not a GB/T 2260 code, and it
//  cannot be mistaken for one (it is not six digits).
#define REGISTRY_REGION_SHENFU_CODE "SFDZ"

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
    registry_uscc_region (const char *code, registry_region_t *region,
                          kj_status_t *status);

//  --------------------------------------------------------------------------
//  The table row of a region; NULL for NONE or a value out of range.

const registry_region_info_t *
    registry_uscc_region_info (registry_region_t region);

//  --------------------------------------------------------------------------
//  Region by table code ("210100", "SFDZ", case-insensitive) or by the
//  six-digit code of one of a city's districts ("210102"). NONE if neither.

registry_region_t
    registry_uscc_region_by_code (const char *code);

//  --------------------------------------------------------------------------
//  Region by key, Chinese full or short name, or English name (ASCII
//  case-insensitive). NONE if no region has that name.

registry_region_t
    registry_uscc_region_by_name (const char *name);

#endif
