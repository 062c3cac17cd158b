/*  =========================================================================
    kj_region - the 15 Liaoning reporting regions and the region rule

    Pure rules, no I/O. The table of the 15 reporting units (the 14
    prefecture-level cities and 沈抚示范区), and the one rule that says
    which region tokens serve an enterprise of a city: its own code,
    PROVINCE, SHENYANG_METRO while the city is in the Shenyang
    metropolitan area (7 cities + 沈抚示范区) and, with `intercity` (the
    城际融资撮合中心 rule, docs/rules/regions.md), the code of any other
    metro city. The registry's product search and the matching service
    both apply it, so it lives here, once.
    =========================================================================
*/

#ifndef KJ_REGION_H_INCLUDED
#define KJ_REGION_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

//  The 15 reporting units. A city's value n is its code 21nn00; the zone
//  has no code of its own and is never derived from a USCC, only set.
typedef enum {
    KJ_REGION_NONE = 0,      //  no region, or not found
    KJ_REGION_SHENYANG = 1,  //  沈阳市 210100
    KJ_REGION_DALIAN,        //  大连市 210200
    KJ_REGION_ANSHAN,        //  鞍山市 210300
    KJ_REGION_FUSHUN,        //  抚顺市 210400
    KJ_REGION_BENXI,         //  本溪市 210500
    KJ_REGION_DANDONG,       //  丹东市 210600
    KJ_REGION_JINZHOU,       //  锦州市 210700
    KJ_REGION_YINGKOU,       //  营口市 210800
    KJ_REGION_FUXIN,         //  阜新市 210900
    KJ_REGION_LIAOYANG,      //  辽阳市 211000
    KJ_REGION_PANJIN,        //  盘锦市 211100
    KJ_REGION_TIELING,       //  铁岭市 211200
    KJ_REGION_CHAOYANG,      //  朝阳市 211300
    KJ_REGION_HULUDAO,       //  葫芦岛市 211400
    KJ_REGION_SHENFU,        //  沈抚改革创新示范区, code "SFDZ"
    KJ_REGION_COUNT          //  one past the last region
} kj_region_t;

//  One row of the region table.
typedef struct {
    kj_region_t id;       //  enum value
    const char *code;     //  "210100" .. "211400"; zone: "SFDZ"
    const char *key;      //  stable lower-case id: "shenyang"
    const char *name_zh;  //  full name: "沈阳市", "沈抚改革创新示范区"
    const char *short_zh;    //  short name: "沈阳", "沈抚示范区"
    const char *name_en;     //  "Shenyang", "Shenfu Demonstration Zone"
    bool in_shenyang_metro;  //  in the 沈阳都市圈 (7 cities + 1 zone)
} kj_region_info_t;

//  The code of the Shenfu zone in the table. Not a GB/T 2260 code, and it
//  cannot be mistaken for one (it is not six digits).
#define KJ_REGION_SHENFU_CODE "SFDZ"

//  Region tokens beyond the city codes and "SFDZ".
#define KJ_REGION_METRO    "SHENYANG_METRO"
#define KJ_REGION_PROVINCE "PROVINCE"

//  Most tokens kj_region_serving writes, and regions kj_region_covered.
#define KJ_REGION_MAX_SERVING 12

//  --------------------------------------------------------------------------
//  The table row of a region; NULL for NONE or a value out of range.

const kj_region_info_t *
    kj_region_info (kj_region_t region);

//  --------------------------------------------------------------------------
//  Region by table code ("210100", "SFDZ", any case) or by a six-digit
//  district code of a Liaoning city ("210102"); NONE otherwise.

kj_region_t
    kj_region_by_code (const char *code);

//  --------------------------------------------------------------------------
//  Region by key, Chinese full or short name, or English name (keys and
//  English case-insensitive). NONE if no region has that name.

kj_region_t
    kj_region_by_name (const char *name);

//  --------------------------------------------------------------------------
//  True for an enterprise region that products can serve: a table code
//  exactly (a city code or "SFDZ"; not a district code).

bool
    kj_region_city_valid (const char *region);

//  --------------------------------------------------------------------------
//  True for a product's region token: a city code, "SFDZ",
//  SHENYANG_METRO or PROVINCE.

bool
    kj_region_token_valid (const char *token);

//  --------------------------------------------------------------------------
//  The tokens whose presence in a product's regions means it serves an
//  enterprise of `region` (city code or SFDZ), written to tokens (room for
//  KJ_REGION_MAX_SERVING). Returns their count, 0 if region is not a city
//  code or SFDZ.

size_t
    kj_region_serving (const char *region, bool intercity, const char **tokens);

//  --------------------------------------------------------------------------
//  True if a product naming the n region tokens serves an enterprise of
//  `region` under the rule above.

bool
    kj_region_serves (const char *const *tokens, size_t n, const char *region,
                      bool intercity);

//  --------------------------------------------------------------------------
//  The enterprise regions (city codes, SFDZ) that a token covers: itself,
//  the 8 metro regions for SHENYANG_METRO, all 15 for PROVINCE. Returns
//  their count (room for 15 needed), 0 for an invalid token.

size_t
    kj_region_covered (const char *token, const char **regions);

#endif
