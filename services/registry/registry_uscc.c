/*  =========================================================================
    registry_uscc - the unified social credit code (统一社会信用代码,
    GB 32100-2015) and the 15 Liaoning reporting regions it maps to

    Pure rules, no I/O. The code is 18 characters from a 31-character set
    (no I, O, S, V, Z); positions 3-8 are the GB/T 2260 region code,
    positions 9-17 the GB 11714 organisation code with its own check
    character at 17, and position 18 is the ISO 7064 MOD 31-3 check
    character over positions 1-17 (docs/rules/credit-code.md).

    The only state is the exception list of early pilot codes, behind a
    mutex because a config reload may replace it while workers validate.
    =========================================================================
*/

#include <assert.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kj_i18n.h"
#include "registry_uscc.h"
#include "kj_util.h"

//  The character set in value order: '0' is 0, 'Y' is 30.
static const char s_charset [] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
#define CHARSET_SIZE 31

//  Weights of positions 1-17 for the final check (3^i mod 31).
static const int s_weights [17] = { 1,  3,  9,  27, 19, 26, 16, 17, 20,
                                    29, 25, 13, 8,  24, 10, 30, 28 };

//  Weights of positions 9-16 for the organisation-code check (GB 11714).
static const int s_org_weights [8] = { 3, 7, 9, 10, 5, 8, 4, 2 };

//  The exception list: sorted normalised codes, for bsearch.
static pthread_mutex_t s_exceptions_lock = PTHREAD_MUTEX_INITIALIZER;
static char (*s_exceptions) [REGISTRY_USCC_SIZE + 1];
static size_t s_exceptions_size;

//  Registration authorities (position 1) and entity types under them
//  (position 2), GB 32100-2015 Appendix A as far as Kejin needs it
//  (docs/rules/credit-code.md §4), with what such a code is in words.
typedef struct {
    char type;
    const char *name;
} s_type_t;

static const struct {
    char authority;
    const char *name;
    const char *what;  //  what a holder of such a code is, for people
    s_type_t types [8];
} s_authorities [] = {
    { '1',
      "机构编制",
      N_ ("a government body or public institution"),
      { { '1', "机关" },
        { '2', "事业单位" },
        { '3', "中央编办直接管理机构编制的群众团体" },
        { '9', "其他" } } },
    { '2',
      "外交",
      N_ ("a foreign affairs body"),
      { { '1', "外国常驻新闻机构" }, { '9', "其他" } } },
    { '3',
      "司法行政",
      N_ ("a legal services body"),
      { { '1', "律师执业机构" },
        { '2', "公证处" },
        { '3', "基层法律服务所" },
        { '4', "司法鉴定机构" },
        { '5', "仲裁委员会" },
        { '9', "其他" } } },
    { '4',
      "文化",
      N_ ("a cultural body"),
      { { '1', "外国在华文化中心" }, { '9', "其他" } } },
    { '5',
      "民政",
      N_ ("a social organisation"),
      { { '1', "社会团体" },
        { '2', "民办非企业单位" },
        { '3', "基金会" },
        { '9', "其他" } } },
    { '6',
      "旅游",
      N_ ("a tourism representative office"),
      { { '1', "外国旅游部门常驻代表机构" },
        { '2', "港澳台地区旅游部门常驻内地（大陆）代表机构" },
        { '9', "其他" } } },
    { '7',
      "宗教",
      N_ ("a religious body"),
      { { '1', "宗教活动场所" }, { '2', "宗教院校" }, { '9', "其他" } } },
    { '8',
      "工会",
      N_ ("a trade union"),
      { { '1', "基层工会" }, { '9', "其他" } } },
    { '9',
      "工商/市场监管",
      N_ ("an enterprise"),
      { { '1', "企业" }, { '2', "个体工商户" }, { '3', "农民专业合作社" } } },
    { 'A',
      "中央军委改革和编制办公室",
      N_ ("a military body"),
      { { '1', "军队事业单位" }, { '9', "其他" } } },
    { 'N',
      "农业",
      N_ ("a rural collective economic organisation"),
      { { '1', "组级集体经济组织" },
        { '2', "村级集体经济组织" },
        { '3', "乡镇级集体经济组织" },
        { '9', "其他" } } },
    { 'Y', "其他", N_ ("an organisation of another kind"), { { 0 } } },
};
#define AUTHORITIES (sizeof s_authorities / sizeof s_authorities [0])

//  --------------------------------------------------------------------------
//  Value of an upper-case character in the 31-character set, or -1.

static int
s_char_value (char c)
{
    const char *found = c ? strchr (s_charset, c) : NULL;
    return found ? (int) (found - s_charset) : -1;
}

//  --------------------------------------------------------------------------
//  Final check character over the first 17 characters (all in the set).

static char
s_check_char (const char *code)
{
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += s_char_value (code [i]) * s_weights [i];
    return s_charset [(CHARSET_SIZE - sum % CHARSET_SIZE) % CHARSET_SIZE];
}

//  --------------------------------------------------------------------------
//  Organisation-code check character over positions 9-16. GB 11714 values
//  letters A=10 .. Z=35, whatever the USCC set excludes.

static char
s_org_check_char (const char *code)
{
    int sum = 0;
    for (int i = 0; i < 8; i++) {
        char c = code [8 + i];
        int value = c >= '0' && c <= '9' ? c - '0' : c - 'A' + 10;
        sum += value * s_org_weights [i];
    }
    int check = 11 - sum % 11;
    return check == 10 ? 'X' : check == 11 ? '0' : (char) ('0' + check);
}

//  --------------------------------------------------------------------------
//  Order of two codes in the exception list, for qsort and bsearch.

static int
s_compare_codes (const void *a, const void *b)
{
    return strcmp ((const char *) a, (const char *) b);
}

//  --------------------------------------------------------------------------
//  True if a normalised code is on the exception list.

static bool
s_is_exception (const char *code)
{
    pthread_mutex_lock (&s_exceptions_lock);
    bool found = s_exceptions_size
              && bsearch (code, s_exceptions, s_exceptions_size,
                          sizeof s_exceptions [0], s_compare_codes);
    pthread_mutex_unlock (&s_exceptions_lock);
    return found;
}

//  --------------------------------------------------------------------------
//  True if 18 characters of the set, with digits at 3-8, pass both checks
//  (the organisation-code check unless skip_org).

static bool
s_checks_pass (const char *code, bool skip_org)
{
    return (skip_org || s_org_check_char (code) == code [16])
        && s_check_char (code) == code [17];
}

//  --------------------------------------------------------------------------
//  Byte length of the UTF-8 character at s (at most `left` bytes), or 1
//  for a byte that does not start a valid sequence.

static size_t
s_utf8_length (const unsigned char *s, size_t left)
{
    size_t length = s [0] < 0x80                   ? 1
                  : s [0] >= 0xC2 && s [0] <= 0xDF ? 2
                  : s [0] >= 0xE0 && s [0] <= 0xEF ? 3
                  : s [0] >= 0xF0 && s [0] <= 0xF4 ? 4
                                                   : 0;
    if (length == 0 || length > left)
        return 1;
    for (size_t i = 1; i < length; i++)
        if ((s [i] & 0xC0) != 0x80)
            return 1;
    return length;
}

//  --------------------------------------------------------------------------
//  Length of the white space (ASCII or U+3000) at s, 0 if none.

static size_t
s_space_length (const char *s, size_t left)
{
    if (left >= 1 && s [0] && strchr (" \t\n\v\f\r", s [0]))
        return 1;
    if (left >= 3 && memcmp (s, "\xE3\x80\x80", 3) == 0)
        return 3;
    return 0;
}

//  --------------------------------------------------------------------------
//  Length of the white space that ends s [0 .. size), 0 if none.

static size_t
s_trailing_space_length (const char *s, size_t size)
{
    if (size >= 1 && s [size - 1] && strchr (" \t\n\v\f\r", s [size - 1]))
        return 1;
    if (size >= 3 && memcmp (s + size - 3, "\xE3\x80\x80", 3) == 0)
        return 3;
    return 0;
}

//  --------------------------------------------------------------------------
//  Start of input without white space at either end; its size in *size.

static const char *
s_trim (const char *input, size_t *size)
{
    *size = strlen (input);
    size_t skip;
    while ((skip = s_space_length (input, *size))) {
        input += skip;
        *size -= skip;
    }
    while ((skip = s_trailing_space_length (input, *size)))
        *size -= skip;
    return input;
}

//  --------------------------------------------------------------------------
//  Refuse the character of `size` bytes at s, found at 1-based position pos.

static int
s_refuse_char (kj_status_t *status, int pos, const char *s, size_t size)
{
    unsigned char c = (unsigned char) s [0];
    char upper = c >= 'a' && c <= 'z' ? (char) (c - 'a' + 'A') : (char) c;
    if (size == 1 && c >= 0x80)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "uscc",
                              "position %d: byte 0x%02X is not a character "
                              "(invalid UTF-8)",
                              pos, c);
    if (size > 1)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "uscc",
                              "position %d: '%.*s' is not allowed: only ASCII "
                              "digits and letters may appear (full-width "
                              "characters are not accepted)",
                              pos, (int) size, s);
    if (c < 0x20 || c == 0x7F)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "uscc",
                              "position %d: control character 0x%02X is not "
                              "allowed",
                              pos, c);
    if (upper && strchr ("IOSVZ", upper))
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "uscc",
                              "position %d: '%c' is not allowed: the letters "
                              "I, O, S, V and Z are never used in a credit "
                              "code",
                              pos, c);
    if (s_char_value (upper) >= 0)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "uscc",
                              "position %d: '%c' is not allowed: positions 3-8 "
                              "are the region code (行政区划代码) and must be "
                              "digits",
                              pos, c);
    return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "uscc",
                          "position %d: '%c' is not allowed: only digits and "
                          "capital letters except I, O, S, V and Z may appear",
                          pos, c);
}

//  --------------------------------------------------------------------------
//  Check the length and the characters of s [0 .. size) and write the
//  upper-cased code to out. Returns 0 or -1 with status set.

static int
s_parse_chars (const char *s, size_t size, char *out, kj_status_t *status)
{
    //  Count characters first: a length error says more than the first
    //  odd character of a pasted sentence would.
    int count = 0;
    for (size_t at = 0; at < size; count++)
        at += s_utf8_length ((const unsigned char *) s + at, size - at);
    if (count != REGISTRY_USCC_SIZE)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "uscc",
                              count == 0
                                  ? N_ ("length: expected 18 characters, found "
                                        "none")
                                  : N_ ("length: expected 18 characters, found "
                                        "%d"),
                              count);
    size_t at = 0;
    for (int pos = 0; pos < REGISTRY_USCC_SIZE; pos++) {
        size_t length = s_utf8_length ((const unsigned char *) s + at,
                                       size - at);
        char c = s [at];
        char upper = c >= 'a' && c <= 'z' ? (char) (c - 'a' + 'A') : c;
        bool ok = length == 1 && s_char_value (upper) >= 0
               && (pos < 2 || pos >= 8 || (upper >= '0' && upper <= '9'));
        if (!ok)
            return s_refuse_char (status, pos + 1, s + at, length);
        out [pos] = upper;
        at += length;
    }
    out [REGISTRY_USCC_SIZE] = 0;
    return 0;
}

//  --------------------------------------------------------------------------
//  Trim white space off input, then check its length and characters and
//  write the upper-cased code to out. Returns 0 or -1 with status set.

static int
s_trim_parse (const char *input, char *out, kj_status_t *status)
{
    size_t size;
    input = s_trim (input, &size);
    return s_parse_chars (input, size, out, status);
}

//  --------------------------------------------------------------------------
//  True if the 18 upper-case characters at code are all of the set, with
//  digits at 3-8.

static bool
s_valid_chars (const char *code)
{
    for (int pos = 0; pos < REGISTRY_USCC_SIZE; pos++)
        if (s_char_value (code [pos]) < 0
            || (pos >= 2 && pos < 8
                && !(code [pos] >= '0' && code [pos] <= '9')))
            return false;
    return true;
}

//  --------------------------------------------------------------------------
//  True if a code of valid characters passes every check in force.

static bool
s_valid (const char *code)
{
    return s_valid_chars (code) && s_checks_pass (code, s_is_exception (code));
}

//  --------------------------------------------------------------------------
//  Validate the checks of a code that has the right characters.
//
//  Order of the checks (docs/rules/credit-code.md §3): a typo at 9-17
//  breaks the organisation check, a typo at 1-8 or 18 only the final one.
//  So the organisation check goes first: when it fails the typo is within
//  9-17. When only the organisation check fails, the code is
//  self-consistent, which is what an early pilot code missing from the
//  exception list looks like, and the message says so.
//
//  The message never names the character a check expects: every position
//  has a character that satisfies the final check, so "position 18 should
//  be X" turns a typo anywhere into a valid code of another firm. It says
//  which check failed, where that puts the typo, and asks for the code to
//  be compared with the licence (§3, "never a wrong code").

static int
s_verify (const char *code, kj_status_t *status)
{
    bool final_ok = s_check_char (code) == code [17];
    bool org_ok = s_is_exception (code) || s_org_check_char (code) == code [16];
    if (org_ok && final_ok)
        return 0;
    char near [1][REGISTRY_USCC_SIZE + 1];
    bool none_near = registry_uscc_neighbours (code, near, 1) == 0;
    if (!org_ok && final_ok)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "uscc",
                              "the organisation-code check (position 17, "
                              "over positions 9-17) fails while the check "
                              "of the whole code (position 18) holds: a "
                              "character in positions 9-17 is mistyped, or "
                              "this is an early pilot code missing from the "
                              "exception list; compare the code with the "
                              "business licence (营业执照)");
    if (!org_ok)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "uscc",
                              none_near
                                  ? N_ ("the organisation-code check "
                                        "(position 17, over positions 9-17) "
                                        "fails, and no single mistyped or "
                                        "swapped character explains it: more "
                                        "than one character is wrong; compare "
                                        "the code with the business licence "
                                        "(营业执照)")
                                  : N_ ("the organisation-code check "
                                        "(position 17, over positions 9-17) "
                                        "fails: a character in positions 9-17 "
                                        "is mistyped; compare the code with "
                                        "the business licence (营业执照)"));
    return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "uscc",
                          none_near
                              ? N_ ("the check of the whole code (position "
                                    "18) fails, and no single mistyped or "
                                    "swapped character explains it: more than "
                                    "one character is wrong; compare the code "
                                    "with the business licence (营业执照)")
                              : N_ ("the check of the whole code (position "
                                    "18) fails: a character at any of the 18 "
                                    "positions may be mistyped (the "
                                    "organisation code, positions 9-17, "
                                    "checks out, so most likely one of 1-8 or "
                                    "18); compare the code with the business "
                                    "licence (营业执照)"));
}

//  --------------------------------------------------------------------------
//  Trim, upper-case and validate a code as typed; see the header.

int
registry_uscc_normalize (const char *input, char out [19], kj_status_t *status)
{
    assert (input);
    assert (out);
    assert (status);
    out [0] = 0;
    char code [REGISTRY_USCC_SIZE + 1];
    if (s_trim_parse (input, code, status) || s_verify (code, status))
        return -1;
    memcpy (out, code, sizeof code);
    kj_status_ok (status);
    return 0;
}

//  --------------------------------------------------------------------------
//  Replace the exception list; see the header.

int
registry_uscc_set_exceptions (const char *const *codes, kj_status_t *status)
{
    kj_status_t scratch;
    if (!status)
        status = &scratch;
    size_t count = 0;
    while (codes && codes [count])
        count++;

    char (*list) [REGISTRY_USCC_SIZE + 1] = NULL;
    if (count) {
        list = calloc (count, sizeof list [0]);
        assert (list);
    }
    for (size_t i = 0; i < count; i++) {
        int rc = s_trim_parse (codes [i], list [i], status);
        if (rc == 0 && s_check_char (list [i]) != list [i][17])
            rc = kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "uscc",
                                "the check of the whole code (position 18) "
                                "fails; compare the code with the business "
                                "licence (营业执照)");
        if (rc) {
            //  Say which entry is wrong, then what is wrong with it.
            char reason [sizeof status->message];
            memcpy (reason, status->message, sizeof reason);
            kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "exceptions",
                           "exception %zu ('%.*s'): %s", i + 1,
                           kj_utf8_cut (codes [i], 40), codes [i], reason);
            free (list);
            return -1;
        }
    }
    if (count)
        qsort (list, count, sizeof list [0], s_compare_codes);

    pthread_mutex_lock (&s_exceptions_lock);
    char (*old) [REGISTRY_USCC_SIZE + 1] = s_exceptions;
    s_exceptions = list;
    s_exceptions_size = count;
    pthread_mutex_unlock (&s_exceptions_lock);
    free (old);
    kj_status_ok (status);
    return 0;
}

//  --------------------------------------------------------------------------
//  Region of a normalised code; see the header.

registry_uscc_region_result_t
registry_uscc_region (const char *code, kj_region_t *region,
                      kj_status_t *status)
{
    assert (code);
    assert (region);
    assert (status);
    *region = KJ_REGION_NONE;
    bool digits = strlen (code) == REGISTRY_USCC_SIZE;
    for (int i = 2; i < 8 && digits; i++)
        digits = code [i] >= '0' && code [i] <= '9';
    if (!digits) {
        kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "uscc",
                       "positions 3-8: expected a normalised 18-character "
                       "code with a six-digit region code, found '%s'",
                       code);
        return REGISTRY_USCC_REGION_INVALID;
    }
    if (code [2] != '2' || code [3] != '1') {
        kj_status_set (status, KJ__CODE__FAILED_PRECONDITION, "uscc",
                       "positions 3-8: region code %.6s is outside Liaoning "
                       "(Liaoning codes start with 21)",
                       code + 2);
        return REGISTRY_USCC_REGION_OUTSIDE;
    }
    int city = (code [4] - '0') * 10 + (code [5] - '0');
    if (city < KJ_REGION_SHENYANG || city > KJ_REGION_HULUDAO) {
        kj_status_set (status, KJ__CODE__FAILED_PRECONDITION, "uscc",
                       "positions 3-8: region code %.6s is in Liaoning but in "
                       "none of its 14 cities (2101xx to 2114xx); set the "
                       "region explicitly",
                       code + 2);
        return REGISTRY_USCC_REGION_PROVINCE;
    }
    *region = (kj_region_t) city;
    kj_status_ok (status);
    return REGISTRY_USCC_REGION_CITY;
}

//  --------------------------------------------------------------------------
//  Valid codes one substitution or one swap of neighbours away; see the
//  header.

size_t
registry_uscc_neighbours (const char *typed, char (*out) [19], size_t max)
{
    assert (typed);
    assert (out || max == 0);
    size_t size;
    typed = s_trim (typed, &size);
    if (size != REGISTRY_USCC_SIZE)
        return 0;
    char code [REGISTRY_USCC_SIZE + 1];
    for (size_t i = 0; i < size; i++) {
        char c = typed [i];
        code [i] = c >= 'a' && c <= 'z' ? (char) (c - 'a' + 'A') : c;
    }
    code [REGISTRY_USCC_SIZE] = 0;

    size_t found = 0;
    char variant [REGISTRY_USCC_SIZE + 1];
    for (int pos = 0; pos < REGISTRY_USCC_SIZE && found < max; pos++)
        for (int v = 0; v < CHARSET_SIZE && found < max; v++) {
            memcpy (variant, code, sizeof variant);
            if (variant [pos] == s_charset [v])
                continue;
            variant [pos] = s_charset [v];
            if (s_valid (variant))
                memcpy (out [found++], variant, sizeof variant);
        }
    for (int pos = 0; pos + 1 < REGISTRY_USCC_SIZE && found < max; pos++) {
        if (code [pos] == code [pos + 1])
            continue;
        memcpy (variant, code, sizeof variant);
        variant [pos] = code [pos + 1];
        variant [pos + 1] = code [pos];
        bool seen = false;
        for (size_t i = 0; i < found && !seen; i++)
            seen = strcmp (out [i], variant) == 0;
        if (!seen && s_valid (variant))
            memcpy (out [found++], variant, sizeof variant);
    }
    return found;
}

//  --------------------------------------------------------------------------
//  Index of an authority character in s_authorities, or -1.

static int
s_authority (char authority)
{
    for (size_t i = 0; i < AUTHORITIES; i++)
        if (s_authorities [i].authority == authority)
            return (int) i;
    return -1;
}

//  --------------------------------------------------------------------------
//  Authority and entity type of a normalised code; see the header.

void
registry_uscc_explain (const char *code, const char **authority,
                       const char **entity_type)
{
    assert (code);
    *authority = NULL;
    *entity_type = NULL;
    int i = s_authority (code [0]);
    if (i < 0)
        return;
    *authority = s_authorities [i].name;
    for (const s_type_t *type = s_authorities [i].types; type->type; type++)
        if (type->type == code [1])
            *entity_type = type->name;
}

//  --------------------------------------------------------------------------
//  Check a list of authority characters for registry/allow_authorities;
//  see the header.

int
registry_uscc_check_authorities (const char *allowed, kj_status_t *status)
{
    for (const char *c = allowed; *c; c++) {
        if (*c == ',' || *c == ' ')
            continue;
        if (*c == '9' || s_authority (*c) < 0)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                                  "allow_authorities",
                                  "'%.*s' is not an authority character to "
                                  "allow: give characters from 1-8, A, N and "
                                  "Y, comma-separated (9, enterprises, is "
                                  "always taken)",
                                  (int) kj_utf8_cut (c, 4), c);
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  May a normalised code be registered as an enterprise; see the header.

int
registry_uscc_check_enterprise (const char *code, const char *allowed,
                                kj_status_t *status)
{
    assert (code);
    if (code [0] == '9' || (allowed && strchr (allowed, code [0])))
        return 0;
    const char *authority, *entity_type;
    registry_uscc_explain (code, &authority, &entity_type);
    int i = s_authority (code [0]);
    return kj_status_set (status, KJ__CODE__FAILED_PRECONDITION, "uscc",
                          "position 1: '%c' is the registration authority "
                          "%s, so this is the code of %s%s%s%s, not of an "
                          "enterprise (enterprises' codes start with 9, "
                          "issued by market regulation, 工商/市场监管); "
                          "this node registers such codes only when "
                          "registry/allow_authorities lists '%c'",
                          code [0], authority ? authority : "?",
                          i >= 0 ? _ (s_authorities [i].what)
                                 : _ ("an organisation of another kind"),
                          entity_type ? " (" : "",
                          entity_type ? entity_type : "",
                          entity_type ? ")" : "", code [0]);
}
