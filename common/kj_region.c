/*  =========================================================================
    kj_region - the 15 Liaoning reporting regions and the region rule

    Pure rules, no I/O; the table is constant. See the header for the rule
    and docs/rules/regions.md for its sources.
    =========================================================================
*/

#include <assert.h>
#include <string.h>
#include <strings.h>

#include "kj_region.h"

static const kj_region_info_t s_regions [] = {
    { KJ_REGION_SHENYANG, "210100", "shenyang", "沈阳市", "沈阳", "Shenyang",
      true },
    { KJ_REGION_DALIAN, "210200", "dalian", "大连市", "大连", "Dalian", false },
    { KJ_REGION_ANSHAN, "210300", "anshan", "鞍山市", "鞍山", "Anshan", true },
    { KJ_REGION_FUSHUN, "210400", "fushun", "抚顺市", "抚顺", "Fushun", true },
    { KJ_REGION_BENXI, "210500", "benxi", "本溪市", "本溪", "Benxi", true },
    { KJ_REGION_DANDONG, "210600", "dandong", "丹东市", "丹东", "Dandong",
      false },
    { KJ_REGION_JINZHOU, "210700", "jinzhou", "锦州市", "锦州", "Jinzhou",
      false },
    //  Yingkou was in the older 沈阳经济区, not in the metro area.
    { KJ_REGION_YINGKOU, "210800", "yingkou", "营口市", "营口", "Yingkou",
      false },
    { KJ_REGION_FUXIN, "210900", "fuxin", "阜新市", "阜新", "Fuxin", true },
    { KJ_REGION_LIAOYANG, "211000", "liaoyang", "辽阳市", "辽阳", "Liaoyang",
      true },
    { KJ_REGION_PANJIN, "211100", "panjin", "盘锦市", "盘锦", "Panjin", false },
    { KJ_REGION_TIELING, "211200", "tieling", "铁岭市", "铁岭", "Tieling",
      true },
    { KJ_REGION_CHAOYANG, "211300", "chaoyang", "朝阳市", "朝阳", "Chaoyang",
      false },
    { KJ_REGION_HULUDAO, "211400", "huludao", "葫芦岛市", "葫芦岛", "Huludao",
      false },
    { KJ_REGION_SHENFU, KJ_REGION_SHENFU_CODE, "shenfu", "沈抚改革创新示范区",
      "沈抚示范区", "Shenfu Demonstration Zone", true },
};
#define REGIONS (sizeof s_regions / sizeof s_regions [0])

//  --------------------------------------------------------------------------
//  Table row of a region, or NULL.

const kj_region_info_t *
kj_region_info (kj_region_t region)
{
    if (region <= KJ_REGION_NONE || region >= KJ_REGION_COUNT)
        return NULL;
    const kj_region_info_t *info = &s_regions [region - 1];
    assert (info->id == region);
    return info;
}

//  --------------------------------------------------------------------------
//  Region by table code or district code, or NONE.

kj_region_t
kj_region_by_code (const char *code)
{
    assert (code);
    for (size_t i = 0; i < REGIONS; i++)
        if (strcasecmp (code, s_regions [i].code) == 0)
            return s_regions [i].id;

    bool digits = strlen (code) == 6;
    for (int i = 0; i < 6 && digits; i++)
        digits = code [i] >= '0' && code [i] <= '9';
    if (!digits || code [0] != '2' || code [1] != '1')
        return KJ_REGION_NONE;
    int city = (code [2] - '0') * 10 + (code [3] - '0');
    if (city < KJ_REGION_SHENYANG || city > KJ_REGION_HULUDAO)
        return KJ_REGION_NONE;
    return (kj_region_t) city;
}

//  --------------------------------------------------------------------------
//  Region by key or name, or NONE.

kj_region_t
kj_region_by_name (const char *name)
{
    assert (name);
    for (size_t i = 0; i < REGIONS; i++) {
        const kj_region_info_t *info = &s_regions [i];
        if (strcasecmp (name, info->key) == 0
            || strcmp (name, info->name_zh) == 0
            || strcmp (name, info->short_zh) == 0
            || strcasecmp (name, info->name_en) == 0)
            return info->id;
    }
    return KJ_REGION_NONE;
}

//  --------------------------------------------------------------------------
//  Region of a table code exactly ("210100", "SFDZ"), NONE otherwise: a
//  district code is not a region token.

static kj_region_t
s_region (const char *token)
{
    kj_region_t region = kj_region_by_code (token);
    const kj_region_info_t *info = kj_region_info (region);
    return info && strcmp (info->code, token) == 0 ? region : KJ_REGION_NONE;
}

//  --------------------------------------------------------------------------
//  A city code or SFDZ, exactly.

bool
kj_region_city_valid (const char *region)
{
    return region && s_region (region) != KJ_REGION_NONE;
}

//  --------------------------------------------------------------------------
//  A city code, SFDZ, SHENYANG_METRO or PROVINCE.

bool
kj_region_token_valid (const char *token)
{
    return token
        && (strcmp (token, KJ_REGION_METRO) == 0
            || strcmp (token, KJ_REGION_PROVINCE) == 0
            || kj_region_city_valid (token));
}

//  --------------------------------------------------------------------------
//  The tokens that serve an enterprise of region.

size_t
kj_region_serving (const char *region, bool intercity, const char **tokens)
{
    if (!kj_region_city_valid (region))
        return 0;
    const kj_region_info_t *info = kj_region_info (s_region (region));
    size_t count = 0;
    tokens [count++] = info->code;
    tokens [count++] = KJ_REGION_PROVINCE;
    if (info->in_shenyang_metro) {
        tokens [count++] = KJ_REGION_METRO;
        for (int r = KJ_REGION_SHENYANG; intercity && r < KJ_REGION_COUNT;
             r++) {
            const kj_region_info_t *other = kj_region_info ((kj_region_t) r);
            if (other->in_shenyang_metro && other != info)
                tokens [count++] = other->code;
        }
    }
    assert (count <= KJ_REGION_MAX_SERVING);
    return count;
}

//  --------------------------------------------------------------------------
//  True if one of a product's tokens serves region.

bool
kj_region_serves (const char *const *tokens, size_t n, const char *region,
                  bool intercity)
{
    const char *serving [KJ_REGION_MAX_SERVING];
    size_t count = kj_region_serving (region, intercity, serving);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < count; j++)
            if (tokens [i] && strcmp (tokens [i], serving [j]) == 0)
                return true;
    return false;
}

//  --------------------------------------------------------------------------
//  The regions a token covers.

size_t
kj_region_covered (const char *token, const char **regions)
{
    if (!kj_region_token_valid (token))
        return 0;
    bool metro = strcmp (token, KJ_REGION_METRO) == 0;
    bool province = strcmp (token, KJ_REGION_PROVINCE) == 0;
    if (!metro && !province) {
        regions [0] = kj_region_info (s_region (token))->code;
        return 1;
    }
    size_t count = 0;
    for (int r = KJ_REGION_SHENYANG; r < KJ_REGION_COUNT; r++) {
        const kj_region_info_t *info = kj_region_info ((kj_region_t) r);
        if (province || info->in_shenyang_metro)
            regions [count++] = info->code;
    }
    return count;
}
