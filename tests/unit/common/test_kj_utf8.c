/*  =========================================================================
    test_kj_utf8 - text cut to a length is cut on a UTF-8 character
    boundary: kj_utf8_cut, kj_utf8_trim, kj_strlcpy, and a status message
    that is too long
    =========================================================================
*/

#include "kejin.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

//  "中文" is E4 B8 AD E6 96 87; "😀" is F0 9F 98 80.

static void
test_cut_keeps_whole_characters (void **state)
{
    assert_int_equal (kj_utf8_cut ("abc", 2), 2);
    assert_int_equal (kj_utf8_cut ("abc", 10), 3);
    assert_int_equal (kj_utf8_cut ("中文", 6), 6);
    assert_int_equal (kj_utf8_cut ("中文", 5), 3);
    assert_int_equal (kj_utf8_cut ("中文", 4), 3);
    assert_int_equal (kj_utf8_cut ("中文", 3), 3);
    assert_int_equal (kj_utf8_cut ("中文", 2), 0);
    assert_int_equal (kj_utf8_cut ("中文", 0), 0);
    assert_int_equal (kj_utf8_cut ("a中", 3), 1);
    assert_int_equal (kj_utf8_cut ("a中", 4), 4);
    assert_int_equal (kj_utf8_cut ("é", 1), 0);
    assert_int_equal (kj_utf8_cut ("😀x", 3), 0);
    assert_int_equal (kj_utf8_cut ("😀x", 4), 4);
    //  Bytes that are not UTF-8 are cut where asked
    assert_int_equal (kj_utf8_cut ("\x80\x80\x80\x80\x80", 4), 4);
    assert_int_equal (kj_utf8_cut ("ab\xff", 3), 3);
}

static void
test_valid (void **state)
{
    assert_true (kj_utf8_valid (""));
    assert_true (kj_utf8_valid ("registry.企业 😀"));
    assert_false (kj_utf8_valid ("ab\xe4\xb8"));    //  cut short
    assert_false (kj_utf8_valid ("\xc0\xaf"));      //  overlong '/'
    assert_false (kj_utf8_valid ("\xed\xa0\x80"));  //  a surrogate
    assert_false (kj_utf8_valid ("a\nb"));
    assert_false (kj_utf8_valid ("a\x7f"));
    assert_int_equal (kj_utf8_sequence ("中"), 3);
    assert_int_equal (kj_utf8_sequence ("\xff"), 0);
}

static void
test_trim_and_strlcpy (void **state)
{
    char text [16] = "ab\xe4\xb8";  //  a cut that split 中
    kj_utf8_trim (text);
    assert_string_equal (text, "ab");
    strcpy (text, "ab中");
    kj_utf8_trim (text);
    assert_string_equal (text, "ab中");

    char small [6];
    kj_strlcpy (small, "中文字", sizeof small);
    assert_string_equal (small, "中");
    kj_strlcpy (small, "abcdefg", sizeof small);
    assert_string_equal (small, "abcde");
}

//  A status message longer than its buffer, made of Chinese text, ends on
//  a whole character; so does a "%.*s" quote of what was typed.

static void
test_status_message_is_valid_utf8 (void **state)
{
    char name [2048] = "";
    for (int i = 0; i < 200; i++)
        strcat (name, "科技");
    kj_status_t status;
    kj_status_set (&status, KJ__CODE__INVALID_ARGUMENT, "name", "xy%s", name);
    size_t size = strlen (status.message);
    assert_true (size < sizeof status.message);
    assert_int_equal ((size - 2) % 3, 0);
    assert_int_equal (kj_utf8_cut (status.message, size), (int) size);
    char quoted [64];
    snprintf (quoted, sizeof quoted, "'%.*s'", kj_utf8_cut (name, 40), name);
    assert_int_equal (strlen (quoted), 2 + 39);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_cut_keeps_whole_characters),
        cmocka_unit_test (test_trim_and_strlcpy),
        cmocka_unit_test (test_valid),
        cmocka_unit_test (test_status_message_is_valid_utf8),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
