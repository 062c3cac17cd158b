/*  =========================================================================
    test_kj_log - values written into log lines are escaped: a newline in
    a caller's name cannot forge a second line, a quote cannot end a
    quoted value, a space cannot add a key; other conversions print as
    printf prints them
    =========================================================================
*/

#include "kejin.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <unistd.h>

//  Run one kj_log call with stderr going to a file; return what it wrote
//  (the caller frees it).

#define S_CAPTURE(text, ...)                                                   \
    do {                                                                       \
        fflush (stderr);                                                       \
        FILE *file = tmpfile ();                                               \
        assert_non_null (file);                                                \
        int saved = dup (STDERR_FILENO);                                       \
        dup2 (fileno (file), STDERR_FILENO);                                   \
        kj_log (KJ_LOG_WARN, __VA_ARGS__);                                     \
        dup2 (saved, STDERR_FILENO);                                           \
        close (saved);                                                         \
        long size = (long) lseek (fileno (file), 0, SEEK_END);                 \
        text = (char *) calloc (1, (size_t) size + 1);                         \
        lseek (fileno (file), 0, SEEK_SET);                                    \
        assert_int_equal (read (fileno (file), text, (size_t) size), size);    \
        fclose (file);                                                         \
    } while (0)

static const char *
s_after_event (const char *text, const char *event)
{
    const char *at = strstr (text, event);
    assert_non_null (at);
    return at + strlen (event) + 1;
}

static size_t
s_lines (const char *text)
{
    size_t lines = 0;
    for (const char *c = text; *c; c++)
        lines += *c == '\n';
    return lines;
}

static void
test_newline_cannot_forge_a_line (void **state)
{
    char *text;
    S_CAPTURE (text, "test.call", "caller=%s method=%s",
               "alice\n2026-12-03T07:00:00.000Z ERROR kejin-broker[1] "
               "admin.granted to=mallory",
               "Append");
    assert_int_equal (s_lines (text), 1);
    assert_string_equal (
        s_after_event (text, "test.call"),
        "caller=\"alice\\n2026-12-03T07:00:00.000Z ERROR kejin-broker[1] "
        "admin.granted to=mallory\" method=Append\n");
    free (text);
}

static void
test_quotes_spaces_and_controls (void **state)
{
    char *text;
    //  Inside the format's own quotes: escaped, not quoted again
    S_CAPTURE (text, "test.q", "reason=\"%s\" who=%s", "a\" x=\"y\\z\r\t\x01",
               "bob admin=1");
    assert_string_equal (
        s_after_event (text, "test.q"),
        "reason=\"a\\\" x=\\\"y\\\\z\\r\\t\\x01\" who=\"bob admin=1\"\n");
    free (text);
    //  Plain values stay plain; an empty one is ""
    S_CAPTURE (text, "test.plain", "who=%s topic=%s", "", "registry.x");
    assert_string_equal (s_after_event (text, "test.plain"),
                         "who=\"\" topic=registry.x\n");
    free (text);
}

static void
test_other_conversions (void **state)
{
    char *text;
    S_CAPTURE (text, "test.n",
               "a=%d b=%" PRIu64 " c=%zu d=%5.1f e=%x f=%%"
               " g=%.3s h=%.*s i=%ld j=%c k=%lld",
               -7, UINT64_MAX, (size_t) 42, 2.25, 255u, "abcdef", 2, "中文",
               -9L, 'Q', -11LL);
    assert_string_equal (
        s_after_event (text, "test.n"),
        "a=-7 b=18446744073709551615 c=42 d=  2.2 e=ff f=% g=abc h=\"\" "
        "i=-9 j=Q k=-11\n");
    free (text);
}

int
main (void)
{
    kj_log_init ("test_kj_log", "info");
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_newline_cannot_forge_a_line),
        cmocka_unit_test (test_quotes_spaces_and_controls),
        cmocka_unit_test (test_other_conversions),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
