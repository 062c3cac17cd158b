/*  =========================================================================
    test_registry_uscc - the unified social credit code and the region table

    The vectors are those of docs/rules/credit-code.md §3. Expected messages were worked
    out independently (a short Python model of the same checks).
    =========================================================================
*/

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "registry_uscc.h"

static const char *s_vectors [] = {
    "91110000600037341L",  //  python-stdnum example (Beijing)
    "91210100MA0QEK7B6N",  //  Shenyang enterprise
    "91210200241281739M",  //  Dalian
    "91211300MA10XW2L05",  //  Chaoyang
    "92210100L00000011E",  //  Shenyang 个体工商户
};
#define VECTORS (sizeof s_vectors / sizeof s_vectors [0])

static const char s_charset [] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

//  Self-consistent codes (final check passes) whose organisation code
//  fails its check, as early pilot codes do.
#define PILOT_A "91350100M000010093"
#define PILOT_B "91350100M00001017X"

//  --------------------------------------------------------------------------
//  Normalise input, expecting failure with exactly this message.

static void
s_assert_refused (const char *input, const char *message)
{
    char out [19] = "garbage";
    kj_status_t status;
    assert_int_equal (registry_uscc_normalize (input, out, &status), -1);
    assert_int_equal (status.code, KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "uscc");
    assert_string_equal (status.message, message);
    assert_string_equal (out, "");
}

//  --------------------------------------------------------------------------
//  Normalise input, expecting success with this code.

static void
s_assert_accepted (const char *input, const char *code)
{
    char out [19];
    kj_status_t status;
    assert_int_equal (registry_uscc_normalize (input, out, &status), 0);
    assert_int_equal (status.code, KJ__CODE__OK);
    assert_string_equal (status.field, "");
    assert_string_equal (status.message, "");
    assert_string_equal (out, code);
}

//  --------------------------------------------------------------------------
//  A valid code other than `allowed` (may be NULL) that message contains,
//  written to found, or false. A message that holds one leads people to a
//  wrong code.

static bool
s_message_has_valid_code (const char *message, const char *allowed,
                          char found [19])
{
    size_t length = strlen (message);
    for (size_t at = 0; at + 18 <= length; at++) {
        char window [19];
        memcpy (window, message + at, 18);
        window [18] = 0;
        bool plain = true;
        for (int i = 0; i < 18 && plain; i++)
            plain = isdigit ((unsigned char) window [i])
                 || isupper ((unsigned char) window [i]);
        char out [19];
        kj_status_t status;
        if (plain && registry_uscc_normalize (window, out, &status) == 0
            && !(allowed && strcmp (out, allowed) == 0)) {
            memcpy (found, out, 19);
            return true;
        }
    }
    return false;
}

#define MSG_ORG                                                                \
    "the organisation-code check (position 17, over positions 9-17) fails: "   \
    "a character in positions 9-17 is mistyped; compare the code with the "    \
    "business licence (营业执照)"
#define MSG_FINAL                                                              \
    "the check of the whole code (position 18) fails: a character at any "     \
    "of the 18 positions may be mistyped (the organisation code, positions "   \
    "9-17, checks out, so most likely one of 1-8 or 18); compare the code "    \
    "with the business licence (营业执照)"
#define MSG_ORG_MANY                                                           \
    "the organisation-code check (position 17, over positions 9-17) fails, "   \
    "and no single mistyped or swapped character explains it: more than "      \
    "one character is wrong; compare the code with the business licence "      \
    "(营业执照)"
#define MSG_PILOT                                                              \
    "the organisation-code check (position 17, over positions 9-17) fails "    \
    "while the check of the whole code (position 18) holds: a character in "   \
    "positions 9-17 is mistyped, or this is an early pilot code missing "      \
    "from the exception list; compare the code with the business licence "     \
    "(营业执照)"

static void
test_normalize_accepts_vectors (void **state)
{
    for (size_t i = 0; i < VECTORS; i++)
        s_assert_accepted (s_vectors [i], s_vectors [i]);
}

static void
test_normalize_accepts_lower_case (void **state)
{
    for (size_t i = 0; i < VECTORS; i++) {
        char lower [19];
        for (int j = 0; j < 19; j++)
            lower [j] = (char) tolower ((unsigned char) s_vectors [i][j]);
        s_assert_accepted (lower, s_vectors [i]);
    }
    s_assert_accepted ("91210100ma0qek7b6n", "91210100MA0QEK7B6N");
    s_assert_accepted ("91210100Ma0qEk7B6n", "91210100MA0QEK7B6N");
}

static void
test_normalize_trims_white_space (void **state)
{
    const char *wrappers [][2] = {
        { " ", " " },
        { "   ", "" },
        { "", "  " },
        { "\t", "\n" },
        { "\r\n", "\r\n" },
        { "\v\f ", " " },
        { "\xE3\x80\x80", "" },                    //  U+3000 before
        { "", "\xE3\x80\x80\xE3\x80\x80" },        //  two after
        { " \xE3\x80\x80\t", "\t\xE3\x80\x80 " },  //  mixed
    };
    for (size_t i = 0; i < VECTORS; i++) {
        for (size_t w = 0; w < sizeof wrappers / sizeof wrappers [0]; w++) {
            char input [64];
            snprintf (input, sizeof input, "%s%s%s", wrappers [w][0],
                      s_vectors [i], wrappers [w][1]);
            s_assert_accepted (input, s_vectors [i]);
            //  Lower case and white space together.
            for (char *c = input; *c; c++)
                *c = (char) tolower ((unsigned char) *c);
            s_assert_accepted (input, s_vectors [i]);
        }
    }
}

//  Every single substitution of every vector is refused: each position,
//  each other character of the set, the excluded letters I O S V Z, and
//  every lower-case letter except the lower case of the character already
//  there (which upper-cases back to the same code and is accepted).
static void
test_normalize_rejects_every_substitution (void **state)
{
    const char *extras = "IOSVZabcdefghijklmnopqrstuvwxyz";
    int refused = 0;
    for (size_t i = 0; i < VECTORS; i++) {
        for (int pos = 0; pos < 18; pos++) {
            char candidates [64];
            snprintf (candidates, sizeof candidates, "%s%s", s_charset, extras);
            for (const char *c = candidates; *c; c++) {
                char orig = s_vectors [i][pos];
                if (toupper ((unsigned char) *c) == orig)
                    continue;
                char input [19];
                memcpy (input, s_vectors [i], sizeof input);
                input [pos] = *c;
                char out [19] = "garbage";
                kj_status_t status;
                int rc = registry_uscc_normalize (input, out, &status);
                if (rc != -1)
                    fail_msg ("%s accepted", input);
                assert_int_equal (status.code, KJ__CODE__INVALID_ARGUMENT);
                assert_string_equal (status.field, "uscc");
                assert_string_equal (out, "");
                refused++;

                char upper = (char) toupper ((unsigned char) *c);
                char expected [512];
                if (strchr ("IOSVZ", upper)) {
                    snprintf (expected, sizeof expected,
                              "position %d: '%c' is not allowed: the letters "
                              "I, O, S, V and Z are never used in a credit "
                              "code",
                              pos + 1, *c);
                    assert_string_equal (status.message, expected);
                }
                else if (pos >= 2 && pos < 8
                         && !(upper >= '0' && upper <= '9')) {
                    snprintf (expected, sizeof expected,
                              "position %d: '%c' is not allowed: positions "
                              "3-8 are the region code (行政区划代码) and "
                              "must be digits",
                              pos + 1, *c);
                    assert_string_equal (status.message, expected);
                }
                else {
                    //  A check failed: the message names the check, never
                    //  a character to put anywhere. A change at 9-16 by a
                    //  multiple of 11 (6 -> H) keeps the organisation
                    //  check, so only the final fails.
                    char found [19];
                    if (s_message_has_valid_code (status.message, NULL, found))
                        fail_msg ("%s: %s names %s", input, status.message,
                                  found);
                    bool org = strcmp (status.message, MSG_ORG) == 0;
                    bool final = strcmp (status.message, MSG_FINAL) == 0;
                    if (!(final || (org && pos >= 8 && pos < 17)))
                        fail_msg ("%s: %s", input, status.message);
                    //  The firm's own code is among the neighbours.
                    char near [REGISTRY_USCC_NEIGHBOURS_MAX][19];
                    size_t n =
                        registry_uscc_neighbours (input, near,
                                                  REGISTRY_USCC_NEIGHBOURS_MAX);
                    bool own = false;
                    for (size_t k = 0; k < n; k++)
                        own |= strcmp (near [k], s_vectors [i]) == 0;
                    if (!own)
                        fail_msg ("%s: %s not among %zu neighbours", input,
                                  s_vectors [i], n);
                }
            }
        }
    }
    //  Per position: 30 other characters of the set, 5 excluded letters,
    //  26 lower-case letters less the one matching a letter in the code.
    int letters = 0;
    for (size_t i = 0; i < VECTORS; i++)
        for (int pos = 0; pos < 18; pos++)
            letters += s_vectors [i][pos] >= 'A';
    assert_int_equal (refused, (int) VECTORS * 18 * (30 + 5 + 26) - letters);
}

static void
test_normalize_rejects_wrong_lengths (void **state)
{
    s_assert_refused ("", "length: expected 18 characters, found none");
    s_assert_refused ("   \t\n", "length: expected 18 characters, found none");
    s_assert_refused ("\xE3\x80\x80",
                      "length: expected 18 characters, found none");
    s_assert_refused ("91210100MA0QEK7B6",
                      "length: expected 18 characters, found 17");
    s_assert_refused ("91210100MA0QEK7B6NN",
                      "length: expected 18 characters, found 19");
    s_assert_refused ("1", "length: expected 18 characters, found 1");
    s_assert_refused ("91210100MA0QEK7B6N 91210200241281739M",
                      "length: expected 18 characters, found 37");
}

static void
test_normalize_counts_characters_not_bytes (void **state)
{
    //  沈 is 3 bytes: 18 characters, but 20 bytes.
    s_assert_refused ("91210100MA0QEK7B6沈",
                      "position 18: '沈' is not allowed: only ASCII digits "
                      "and letters may appear (full-width characters are not "
                      "accepted)");
    s_assert_refused ("91210100MA0QEK7B6N号",
                      "length: expected 18 characters, found 19");
}

static void
test_normalize_rejects_full_width_characters (void **state)
{
    //  Full-width digit one (U+FF11) at position 1.
    s_assert_refused ("\xEF\xBC\x91"
                      "1210100MA0QEK7B6N",
                      "position 1: '１' is not allowed: only ASCII digits and "
                      "letters may appear (full-width characters are not "
                      "accepted)");
    //  U+3000 inside the code is not trimmed.
    s_assert_refused ("912101\xE3\x80\x80"
                      "0MA0QEK7B6N",
                      "position 7: '\xE3\x80\x80' is not allowed: only ASCII "
                      "digits and letters may appear (full-width characters "
                      "are not accepted)");
}

static void
test_normalize_rejects_invalid_utf8 (void **state)
{
    s_assert_refused ("9121\xFF"
                      "100MA0QEK7B6N",
                      "position 5: byte 0xFF is not a character (invalid "
                      "UTF-8)");
    //  A lead byte without its continuation counts as one character.
    s_assert_refused ("91210100MA0QEK7B6\xE6",
                      "position 18: byte 0xE6 is not a character (invalid "
                      "UTF-8)");
}

static void
test_normalize_rejects_other_ascii (void **state)
{
    s_assert_refused ("91210100MA0QEK7B-N",
                      "position 17: '-' is not allowed: only digits and "
                      "capital letters except I, O, S, V and Z may appear");
    s_assert_refused ("91210100 A0QEK7B6N",
                      "position 9: ' ' is not allowed: only digits and "
                      "capital letters except I, O, S, V and Z may appear");
    s_assert_refused ("91210100MA0\tEK7B6N",
                      "position 12: control character 0x09 is not allowed");
    s_assert_refused ("91210100MA0QEK7B6\x01",
                      "position 18: control character 0x01 is not allowed");
}

static void
test_normalize_reports_first_bad_character (void **state)
{
    s_assert_refused ("9121O1OOMA0QEK7B6N",
                      "position 5: 'O' is not allowed: the letters I, O, S, "
                      "V and Z are never used in a credit code");
    s_assert_refused ("9A21010SMA0QEK7B6N",
                      "position 8: 'S' is not allowed: the letters I, O, S, "
                      "V and Z are never used in a credit code");
    s_assert_refused ("91A10100MA0QEK7B6N",
                      "position 3: 'A' is not allowed: positions 3-8 are the "
                      "region code (行政区划代码) and must be digits");
    s_assert_refused ("9121010yMA0QEK7B6N",
                      "position 8: 'y' is not allowed: positions 3-8 are the "
                      "region code (行政区划代码) and must be digits");
}

static void
test_normalize_accepts_letters_at_positions_1_and_2 (void **state)
{
    //  Standard: positions 1-2 may be letters (Y = 其他). Computed vector.
    s_assert_accepted ("Y1210100MA0QEK7B61", "Y1210100MA0QEK7B61");
}

static void
test_normalize_message_typo_at_18 (void **state)
{
    //  The old message said "check character should be 'N'": following it
    //  on a typo elsewhere makes a valid code of another firm.
    s_assert_refused ("91210100MA0QEK7B6X", MSG_FINAL);
    s_assert_refused ("91110000600037341A", MSG_FINAL);
}

static void
test_normalize_message_typo_in_organisation_code (void **state)
{
    //  Q -> A at position 12.
    s_assert_refused ("91210100MA0AEK7B6N", MSG_ORG);
    //  6 -> 7 at position 17.
    s_assert_refused ("91210100MA0QEK7B7N", MSG_ORG);
}

static void
test_normalize_message_two_typos (void **state)
{
    //  A and 0 mistyped at 10 and 11: no one change explains it.
    s_assert_refused ("91210100MC1QEK7B6N", MSG_ORG_MANY);
    //  F and L swapped at 12-13: one swap explains it.
    s_assert_refused ("91310000MA1FL0RR2T", MSG_ORG);
    //  Positions 1 and 2 swapped: one swap of neighbours.
    s_assert_refused ("12210100MA0QEK7B6N", MSG_FINAL);
}

static void
test_normalize_message_pilot_code (void **state)
{
    s_assert_refused (PILOT_A, MSG_PILOT);
}

//  Typos made from valid codes: every substitution of a character of the
//  set and every swap of neighbours. No message contains a valid code,
//  and the code the typo was made from is among its neighbours, each of
//  which passes every check and is one change away.
static void
test_typos_never_lead_to_a_valid_code (void **state)
{
    int typos = 0;
    for (size_t i = 0; i < VECTORS; i++) {
        for (int pos = 0; pos < 18; pos++) {
            for (int kind = 0; kind < 32; kind++) {
                char input [19];
                memcpy (input, s_vectors [i], sizeof input);
                if (kind < 31) {
                    if (s_charset [kind] == input [pos]
                        || (pos >= 2 && pos < 8 && kind > 9))
                        continue;
                    input [pos] = s_charset [kind];
                }
                else {
                    if (pos == 17 || input [pos] == input [pos + 1])
                        continue;
                    input [pos] = s_vectors [i][pos + 1];
                    input [pos + 1] = s_vectors [i][pos];
                }
                char out [19], found [19];
                kj_status_t status;
                if (registry_uscc_normalize (input, out, &status) == 0)
                    continue;  //  a swap that leaves a valid code: rare
                typos++;
                if (strstr (status.message, "should be"))
                    fail_msg ("%s: %s", input, status.message);
                if (s_message_has_valid_code (status.message, NULL, found))
                    fail_msg ("%s: %s names %s", input, status.message, found);
                char near [REGISTRY_USCC_NEIGHBOURS_MAX][19];
                size_t n =
                    registry_uscc_neighbours (input, near,
                                              REGISTRY_USCC_NEIGHBOURS_MAX);
                assert_true (n < REGISTRY_USCC_NEIGHBOURS_MAX);
                bool own = false;
                for (size_t k = 0; k < n; k++) {
                    own |= strcmp (near [k], s_vectors [i]) == 0;
                    assert_int_equal (registry_uscc_normalize (near [k], out,
                                                               &status),
                                      0);
                    int diff = 0;
                    for (int c = 0; c < 18; c++)
                        diff += near [k][c] != input [c];
                    assert_true (diff == 1 || diff == 2);
                }
                if (!own)
                    fail_msg ("%s: %s not among its neighbours", input,
                              s_vectors [i]);
            }
        }
    }
    assert_true (typos > (int) VECTORS * 17 * 30 / 2);
    //  Lower case and white space as typed; not 18 characters: none.
    char near [4][19];
    assert_true (registry_uscc_neighbours (" 91210100ma0qek7b6x ", near, 4)
                 >= 1);
    assert_int_equal (registry_uscc_neighbours ("91210100MA0QEK7B6", near, 4),
                      0);
    assert_int_equal (registry_uscc_neighbours ("", near, 4), 0);
}

static void
test_set_exceptions_skips_organisation_check_only (void **state)
{
    const char *codes [] = { PILOT_A, NULL };
    kj_status_t status;
    assert_int_equal (registry_uscc_set_exceptions (codes, &status), 0);
    assert_int_equal (status.code, KJ__CODE__OK);
    s_assert_accepted (PILOT_A, PILOT_A);
    s_assert_accepted (" 91350100m000010093 ", PILOT_A);
    //  Only the listed code: another pilot code is still refused.
    s_assert_refused (PILOT_B, MSG_PILOT);
    //  Final check still applies to a listed code's variants.
    char out [19];
    for (int pos = 0; pos < 18; pos++) {
        for (const char *c = s_charset; *c; c++) {
            char input [19];
            memcpy (input, PILOT_A, sizeof input);
            if (input [pos] == *c)
                continue;
            input [pos] = *c;
            assert_int_equal (registry_uscc_normalize (input, out, &status),
                              -1);
        }
    }
    //  The normal vectors are unaffected.
    for (size_t i = 0; i < VECTORS; i++)
        s_assert_accepted (s_vectors [i], s_vectors [i]);
    assert_int_equal (registry_uscc_set_exceptions (NULL, &status), 0);
}

static void
test_set_exceptions_replaces_and_clears (void **state)
{
    const char *first [] = { PILOT_A, NULL };
    const char *second [] = { "91350100m00001017x\t", NULL };
    const char *both [] = { PILOT_B, PILOT_A, NULL };
    const char *none [] = { NULL };
    char out [19];
    kj_status_t status;

    assert_int_equal (registry_uscc_set_exceptions (first, &status), 0);
    assert_int_equal (registry_uscc_normalize (PILOT_A, out, &status), 0);
    assert_int_equal (registry_uscc_normalize (PILOT_B, out, &status), -1);

    assert_int_equal (registry_uscc_set_exceptions (second, &status), 0);
    assert_int_equal (registry_uscc_normalize (PILOT_A, out, &status), -1);
    assert_int_equal (registry_uscc_normalize (PILOT_B, out, &status), 0);

    assert_int_equal (registry_uscc_set_exceptions (both, NULL), 0);
    assert_int_equal (registry_uscc_normalize (PILOT_A, out, &status), 0);
    assert_int_equal (registry_uscc_normalize (PILOT_B, out, &status), 0);

    assert_int_equal (registry_uscc_set_exceptions (none, &status), 0);
    assert_int_equal (registry_uscc_normalize (PILOT_A, out, &status), -1);
    assert_int_equal (registry_uscc_normalize (PILOT_B, out, &status), -1);

    assert_int_equal (registry_uscc_set_exceptions (both, &status), 0);
    assert_int_equal (registry_uscc_set_exceptions (NULL, &status), 0);
    assert_int_equal (registry_uscc_normalize (PILOT_A, out, &status), -1);
    assert_int_equal (registry_uscc_normalize (PILOT_B, out, &status), -1);
}

static void
test_set_exceptions_rejects_bad_codes (void **state)
{
    const char *good [] = { PILOT_A, NULL };
    const char *short_code [] = { PILOT_A, "91350100M00001017", NULL };
    const char *bad_check [] = { "91350100M000010094", NULL };
    const char *bad_char [] = { PILOT_B, "9135O100M000010093", NULL };
    char out [19];
    kj_status_t status;
    assert_int_equal (registry_uscc_set_exceptions (good, &status), 0);

    assert_int_equal (registry_uscc_set_exceptions (short_code, &status), -1);
    assert_int_equal (status.code, KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "exceptions");
    assert_string_equal (status.message,
                         "exception 2 ('91350100M00001017'): length: expected "
                         "18 characters, found 17");

    assert_int_equal (registry_uscc_set_exceptions (bad_check, &status), -1);
    assert_string_equal (status.message,
                         "exception 1 ('91350100M000010094'): the check of "
                         "the whole code (position 18) fails; compare the "
                         "code with the business licence (营业执照)");

    assert_int_equal (registry_uscc_set_exceptions (bad_char, &status), -1);
    assert_string_equal (status.message,
                         "exception 2 ('9135O100M000010093'): position 5: "
                         "'O' is not allowed: the letters I, O, S, V and Z "
                         "are never used in a credit code");

    assert_int_equal (registry_uscc_set_exceptions (bad_char, NULL), -1);

    //  The list in force is unchanged.
    assert_int_equal (registry_uscc_normalize (PILOT_A, out, &status), 0);
    assert_int_equal (registry_uscc_normalize (PILOT_B, out, &status), -1);
    assert_int_equal (registry_uscc_set_exceptions (NULL, &status), 0);
}

//  --------------------------------------------------------------------------
//  registry_uscc_region, expecting a city.

static void
s_assert_city (const char *code, kj_region_t expected)
{
    kj_region_t region = KJ_REGION_COUNT;
    kj_status_t status;
    assert_int_equal (registry_uscc_region (code, &region, &status),
                      REGISTRY_USCC_REGION_CITY);
    assert_int_equal (region, expected);
    assert_int_equal (status.code, KJ__CODE__OK);
}

//  registry_uscc_region, expecting no city: kind, with status code and
//  field (when not NULL).

static void
s_assert_no_city (const char *code, registry_uscc_region_result_t kind,
                  int status_code, const char *field)
{
    kj_region_t region = KJ_REGION_SHENYANG;
    kj_status_t status;
    assert_int_equal (registry_uscc_region (code, &region, &status), kind);
    assert_int_equal (region, KJ_REGION_NONE);
    assert_int_equal (status.code, status_code);
    if (field)
        assert_string_equal (status.field, field);
}

static void
test_region_of_vectors (void **state)
{
    s_assert_city ("91210100MA0QEK7B6N", KJ_REGION_SHENYANG);
    s_assert_city ("91210200241281739M", KJ_REGION_DALIAN);
    s_assert_city ("91211300MA10XW2L05", KJ_REGION_CHAOYANG);
    s_assert_city ("92210100L00000011E", KJ_REGION_SHENYANG);

    kj_region_t region = KJ_REGION_SHENYANG;
    kj_status_t status;
    assert_int_equal (registry_uscc_region ("91110000600037341L", &region,
                                            &status),
                      REGISTRY_USCC_REGION_OUTSIDE);
    assert_int_equal (region, KJ_REGION_NONE);
    assert_int_equal (status.code, KJ__CODE__FAILED_PRECONDITION);
    assert_string_equal (status.field, "uscc");
    assert_string_equal (status.message,
                         "positions 3-8: region code 110000 is outside "
                         "Liaoning (Liaoning codes start with 21)");
}

static void
test_region_maps_districts_by_first_four_digits (void **state)
{
    for (int city = 1; city <= 14; city++) {
        for (int district = 0; district < 100; district += 11) {
            char code [19];
            snprintf (code, sizeof code, "9121%02d%02dMA0QEK7B6N", city,
                      district);
            s_assert_city (code, (kj_region_t) city);
        }
    }
    s_assert_city ("91210102MA0QEK7B6N", KJ_REGION_SHENYANG);
    s_assert_city ("91210211MA0QEK7B6N", KJ_REGION_DALIAN);
    s_assert_city ("91211402MA0QEK7B6N", KJ_REGION_HULUDAO);
}

static void
test_region_province_without_city (void **state)
{
    const char *codes [] = { "91210000MA0QEK7B6N", "91211500MA0QEK7B6N",
                             "91219900MA0QEK7B6N", "91210099MA0QEK7B6N" };
    for (size_t i = 0; i < 4; i++)
        s_assert_no_city (codes [i], REGISTRY_USCC_REGION_PROVINCE,
                          KJ__CODE__FAILED_PRECONDITION, "uscc");
    kj_region_t region;
    kj_status_t status;
    registry_uscc_region ("91210000MA0QEK7B6N", &region, &status);
    assert_string_equal (status.message,
                         "positions 3-8: region code 210000 is in Liaoning but "
                         "in none of its 14 cities (2101xx to 2114xx); set the "
                         "region explicitly");
}

static void
test_region_outside_liaoning (void **state)
{
    const char *codes [] = { "91110000600037341L", "91310000MA0QEK7B6N",
                             "91220100MA0QEK7B6N", "91120100MA0QEK7B6N",
                             "91000000MA0QEK7B6N" };
    for (size_t i = 0; i < 5; i++)
        s_assert_no_city (codes [i], REGISTRY_USCC_REGION_OUTSIDE,
                          KJ__CODE__FAILED_PRECONDITION, NULL);
}

static void
test_region_invalid_code (void **state)
{
    const char *codes [] = { "",
                             "9121010",
                             "91210100MA0QEK7B6",
                             "91210100MA0QEK7B6NX",
                             "91A10100MA0QEK7B6N",
                             "9121010AMA0QEK7B6N" };
    for (size_t i = 0; i < 6; i++)
        s_assert_no_city (codes [i], REGISTRY_USCC_REGION_INVALID,
                          KJ__CODE__INVALID_ARGUMENT, "uscc");
    kj_region_t region;
    kj_status_t status;
    registry_uscc_region ("9121010", &region, &status);
    assert_string_equal (status.message,
                         "positions 3-8: expected a normalised 18-character "
                         "code with a six-digit region code, found '9121010'");
}

static void
test_region_table (void **state)
{
    static const struct {
        const char *code, *key, *name_zh, *short_zh, *name_en;
        bool metro;
    } expected [] = {
        { "210100", "shenyang", "沈阳市", "沈阳", "Shenyang", true },
        { "210200", "dalian", "大连市", "大连", "Dalian", false },
        { "210300", "anshan", "鞍山市", "鞍山", "Anshan", true },
        { "210400", "fushun", "抚顺市", "抚顺", "Fushun", true },
        { "210500", "benxi", "本溪市", "本溪", "Benxi", true },
        { "210600", "dandong", "丹东市", "丹东", "Dandong", false },
        { "210700", "jinzhou", "锦州市", "锦州", "Jinzhou", false },
        { "210800", "yingkou", "营口市", "营口", "Yingkou", false },
        { "210900", "fuxin", "阜新市", "阜新", "Fuxin", true },
        { "211000", "liaoyang", "辽阳市", "辽阳", "Liaoyang", true },
        { "211100", "panjin", "盘锦市", "盘锦", "Panjin", false },
        { "211200", "tieling", "铁岭市", "铁岭", "Tieling", true },
        { "211300", "chaoyang", "朝阳市", "朝阳", "Chaoyang", false },
        { "211400", "huludao", "葫芦岛市", "葫芦岛", "Huludao", false },
        { "SFDZ", "shenfu", "沈抚改革创新示范区", "沈抚示范区",
          "Shenfu Demonstration Zone", true },
    };
    assert_int_equal (KJ_REGION_COUNT, 16);
    int metro = 0;
    for (int i = 0; i < 15; i++) {
        const kj_region_info_t *info = kj_region_info ((kj_region_t) (i + 1));
        assert_non_null (info);
        assert_int_equal (info->id, i + 1);
        assert_string_equal (info->code, expected [i].code);
        assert_string_equal (info->key, expected [i].key);
        assert_string_equal (info->name_zh, expected [i].name_zh);
        assert_string_equal (info->short_zh, expected [i].short_zh);
        assert_string_equal (info->name_en, expected [i].name_en);
        assert_int_equal (info->in_shenyang_metro, expected [i].metro);
        metro += info->in_shenyang_metro;
    }
    //  7 cities + 1 zone.
    assert_int_equal (metro, 8);
    assert_null (kj_region_info (KJ_REGION_NONE));
    assert_null (kj_region_info (KJ_REGION_COUNT));
    assert_null (kj_region_info ((kj_region_t) -1));
    assert_string_equal (KJ_REGION_SHENFU_CODE, "SFDZ");
}

static void
test_region_by_code (void **state)
{
    for (int i = 1; i < KJ_REGION_COUNT; i++) {
        const kj_region_info_t *info = kj_region_info ((kj_region_t) i);
        assert_int_equal (kj_region_by_code (info->code), i);
    }
    assert_int_equal (kj_region_by_code ("210102"), KJ_REGION_SHENYANG);
    assert_int_equal (kj_region_by_code ("210211"), KJ_REGION_DALIAN);
    assert_int_equal (kj_region_by_code ("211481"), KJ_REGION_HULUDAO);
    assert_int_equal (kj_region_by_code ("sfdz"), KJ_REGION_SHENFU);
    const char *unknown [] = { "210000",  "211500", "219900", "110000",  "2101",
                               "2101000", "21010A", "",       "shenyang" };
    for (size_t i = 0; i < sizeof unknown / sizeof unknown [0]; i++)
        assert_int_equal (kj_region_by_code (unknown [i]), KJ_REGION_NONE);
}

static void
test_region_by_name (void **state)
{
    for (int i = 1; i < KJ_REGION_COUNT; i++) {
        const kj_region_info_t *info = kj_region_info ((kj_region_t) i);
        assert_int_equal (kj_region_by_name (info->key), i);
        assert_int_equal (kj_region_by_name (info->name_zh), i);
        assert_int_equal (kj_region_by_name (info->short_zh), i);
        assert_int_equal (kj_region_by_name (info->name_en), i);
    }
    assert_int_equal (kj_region_by_name ("SHENYANG"), KJ_REGION_SHENYANG);
    assert_int_equal (kj_region_by_name ("shenfu demonstration zone"),
                      KJ_REGION_SHENFU);
    assert_int_equal (kj_region_by_name ("沈抚示范区"), KJ_REGION_SHENFU);
    assert_int_equal (kj_region_by_name ("北京"), KJ_REGION_NONE);
    assert_int_equal (kj_region_by_name (""), KJ_REGION_NONE);
    assert_int_equal (kj_region_by_name ("210100"), KJ_REGION_NONE);
}

//  Codes not of market regulation (position 1 not 9) are not enterprises'
//  unless the node allows their authority; the refusal says what they are.
static void
test_check_enterprise_authority (void **state)
{
    kj_status_t status;
    assert_int_equal (registry_uscc_check_enterprise ("91210100MA0QEK7B6N",
                                                      NULL, &status),
                      0);
    assert_int_equal (registry_uscc_check_enterprise ("92210100L00000011E", "",
                                                      &status),
                      0);
    assert_int_equal (registry_uscc_check_enterprise ("51210100MA0QEK7B6T",
                                                      NULL, &status),
                      -1);
    assert_int_equal (status.code, KJ__CODE__FAILED_PRECONDITION);
    assert_string_equal (status.field, "uscc");
    assert_string_equal (status.message,
                         "position 1: '5' is the registration authority "
                         "民政, so this is the code of a social organisation "
                         "(社会团体), not of an enterprise (enterprises' codes "
                         "start with 9, issued by market regulation, "
                         "工商/市场监管); this node registers such codes only "
                         "when registry/allow_authorities lists '5'");
    assert_int_equal (registry_uscc_check_enterprise ("12210100MA0QEK7B6U", "5",
                                                      &status),
                      -1);
    assert_non_null (strstr (status.message, "机构编制, so this is the code of "
                                             "a government body or public "
                                             "institution (事业单位)"));
    assert_int_equal (registry_uscc_check_enterprise ("Y1210100MA0QEK7B61",
                                                      NULL, &status),
                      -1);
    assert_non_null (strstr (status.message, "其他, so this is the code of an "
                                             "organisation of another kind, "
                                             "not"));
    assert_int_equal (registry_uscc_check_enterprise ("51210100MA0QEK7B6T",
                                                      "1,5", &status),
                      0);
    assert_int_equal (registry_uscc_check_enterprise ("12210100MA0QEK7B6U",
                                                      "1,5", &status),
                      0);

    assert_int_equal (registry_uscc_check_authorities ("", &status), 0);
    assert_int_equal (registry_uscc_check_authorities ("1, 5,A,N,Y", &status),
                      0);
    assert_int_equal (registry_uscc_check_authorities ("1,9", &status), -1);
    assert_string_equal (status.field, "allow_authorities");
    assert_non_null (strstr (status.message, "'9' is not an authority"));
    assert_int_equal (registry_uscc_check_authorities ("5;B", &status), -1);
    assert_non_null (strstr (status.message, "';B' is not"));

    const char *authority, *type;
    registry_uscc_explain ("92210100L00000011E", &authority, &type);
    assert_string_equal (authority, "工商/市场监管");
    assert_string_equal (type, "个体工商户");
    registry_uscc_explain ("Y1210100MA0QEK7B61", &authority, &type);
    assert_string_equal (authority, "其他");
    assert_null (type);
    registry_uscc_explain ("B1210100MA0QEK7B61", &authority, &type);
    assert_null (authority);
    assert_null (type);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_normalize_accepts_vectors),
        cmocka_unit_test (test_normalize_accepts_lower_case),
        cmocka_unit_test (test_normalize_trims_white_space),
        cmocka_unit_test (test_normalize_rejects_every_substitution),
        cmocka_unit_test (test_normalize_rejects_wrong_lengths),
        cmocka_unit_test (test_normalize_counts_characters_not_bytes),
        cmocka_unit_test (test_normalize_rejects_full_width_characters),
        cmocka_unit_test (test_normalize_rejects_invalid_utf8),
        cmocka_unit_test (test_normalize_rejects_other_ascii),
        cmocka_unit_test (test_normalize_reports_first_bad_character),
        cmocka_unit_test (test_normalize_accepts_letters_at_positions_1_and_2),
        cmocka_unit_test (test_normalize_message_typo_at_18),
        cmocka_unit_test (test_normalize_message_typo_in_organisation_code),
        cmocka_unit_test (test_normalize_message_two_typos),
        cmocka_unit_test (test_normalize_message_pilot_code),
        cmocka_unit_test (test_typos_never_lead_to_a_valid_code),
        cmocka_unit_test (test_set_exceptions_skips_organisation_check_only),
        cmocka_unit_test (test_set_exceptions_replaces_and_clears),
        cmocka_unit_test (test_set_exceptions_rejects_bad_codes),
        cmocka_unit_test (test_check_enterprise_authority),
        cmocka_unit_test (test_region_of_vectors),
        cmocka_unit_test (test_region_maps_districts_by_first_four_digits),
        cmocka_unit_test (test_region_province_without_city),
        cmocka_unit_test (test_region_outside_liaoning),
        cmocka_unit_test (test_region_invalid_code),
        cmocka_unit_test (test_region_table),
        cmocka_unit_test (test_region_by_code),
        cmocka_unit_test (test_region_by_name),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
