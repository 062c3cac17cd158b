/*  =========================================================================
    test_kj_util - clocks, the stop flag, ids, strings, numbers, bytes
    =========================================================================
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include "kejin.h"

static void
test_clocks (void **state)
{
    int64_t mono = kj_mono_us ();
    int64_t wall = kj_wall_us ();
    //  After 2020-01-01 and before 2100-01-01
    assert_true (wall > 1577836800LL * 1000000);
    assert_true (wall < 4102444800LL * 1000000);
    usleep (20000);
    int64_t elapsed = kj_mono_us () - mono;
    assert_true (elapsed >= 20000);
    assert_true (elapsed < 5000000);
}

static void
test_stop_flag_and_signals (void **state)
{
    kj_signals_init ();
    assert_false (kj_stopping ());
    raise (SIGTERM);  //  handled: sets the flag, does not kill
    assert_true (kj_stopping ());
    kj_stop ();
    assert_true (kj_stopping ());
}

static void
test_uuid (void **state)
{
    char a [37], b [37];
    kj_uuid (a);
    kj_uuid (b);
    assert_int_equal (strlen (a), 36);
    assert_string_not_equal (a, b);
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert_int_equal (a [i], '-');
        else
            assert_non_null (strchr ("0123456789abcdef", a [i]));
    }
    assert_int_equal (a [14], '4');  //  version 4, random
}

static void
test_strlcpy (void **state)
{
    char buf [6];
    memset (buf, 'x', sizeof buf);
    assert_ptr_equal (kj_strlcpy (buf, "hello world", sizeof buf), buf);
    assert_string_equal (buf, "hello");
    kj_strlcpy (buf, "hi", sizeof buf);
    assert_string_equal (buf, "hi");
    kj_strlcpy (buf, NULL, sizeof buf);
    assert_string_equal (buf, "");
    kj_strlcpy (buf, "abcde", sizeof buf);  //  exactly fits
    assert_string_equal (buf, "abcde");
    buf [0] = 'q';
    kj_strlcpy (buf, "zzz", 0);  //  no room: untouched
    assert_int_equal (buf [0], 'q');
    kj_strlcpy (buf, "zzz", 1);
    assert_string_equal (buf, "");
}

static void
test_parse_int64 (void **state)
{
    int64_t value = 7;
    assert_int_equal (kj_parse_int64 ("42", &value), 0);
    assert_int_equal (value, 42);
    assert_int_equal (kj_parse_int64 ("-9223372036854775808", &value), 0);
    assert_true (value == INT64_MIN);
    assert_int_equal (kj_parse_int64 ("9223372036854775807", &value), 0);
    assert_true (value == INT64_MAX);
    value = 7;
    assert_int_equal (kj_parse_int64 ("9223372036854775808", &value), -1);
    assert_int_equal (kj_parse_int64 ("12x", &value), -1);
    assert_int_equal (kj_parse_int64 ("1.5", &value), -1);
    assert_int_equal (kj_parse_int64 ("", &value), -1);
    assert_int_equal (kj_parse_int64 (NULL, &value), -1);
    assert_int_equal (kj_parse_int64 ("0x10", &value), -1);
    assert_int_equal (value, 7);  //  untouched on failure
}

static void
test_u64_big_endian (void **state)
{
    unsigned char bytes [8];
    kj_put_u64 (bytes, 0x0102030405060708ULL);
    assert_memory_equal (bytes, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    assert_true (kj_get_u64 (bytes) == 0x0102030405060708ULL);
    kj_put_u64 (bytes, UINT64_MAX);
    assert_memory_equal (bytes, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
    assert_true (kj_get_u64 (bytes) == UINT64_MAX);
    kj_put_u64 (bytes, 0);
    assert_true (kj_get_u64 (bytes) == 0);
}

static void
test_hex (void **state)
{
    char *hex = kj_hex_encode ("\x00\x01\xab\xff", 4);
    assert_string_equal (hex, "0001abff");
    free (hex);
    hex = kj_hex_encode (NULL, 0);
    assert_string_equal (hex, "");
    free (hex);
    char key [5] = "zzzz";
    assert_ptr_equal (kj_hex_write ("\x7f\x80", 2, key), key);
    assert_string_equal (key, "7f80");

    uint8_t out [4];
    size_t size = 99;
    assert_int_equal (kj_hex_decode ("0001ABff", 8, out, sizeof out, &size), 0);
    assert_int_equal (size, 4);
    assert_memory_equal (out, "\x00\x01\xab\xff", 4);
    assert_int_equal (kj_hex_decode ("", 0, out, sizeof out, &size), 0);
    assert_int_equal (size, 0);
    size = 99;
    assert_int_equal (kj_hex_decode ("abc", 3, out, sizeof out, &size), -1);
    assert_int_equal (kj_hex_decode ("zz", 2, out, sizeof out, &size), -1);
    assert_int_equal (kj_hex_decode ("0g", 2, out, sizeof out, &size), -1);
    assert_int_equal (kj_hex_decode ("0011223344", 10, out, sizeof out, &size),
                      -1);  //  5 bytes, room 4
    assert_int_equal (size, 99);

    //  Every byte value, both ways
    uint8_t all [256], back [256];
    for (int i = 0; i < 256; i++)
        all [i] = (uint8_t) i;
    hex = kj_hex_encode (all, sizeof all);
    assert_int_equal (strlen (hex), 512);
    assert_int_equal (kj_hex_decode (hex, 512, back, sizeof back, &size), 0);
    assert_int_equal (size, 256);
    assert_memory_equal (all, back, 256);
    free (hex);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_clocks),
        cmocka_unit_test (test_stop_flag_and_signals),
        cmocka_unit_test (test_uuid),
        cmocka_unit_test (test_strlcpy),
        cmocka_unit_test (test_parse_int64),
        cmocka_unit_test (test_u64_big_endian),
        cmocka_unit_test (test_hex),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
