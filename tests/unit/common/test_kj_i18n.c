/*  =========================================================================
    test_kj_i18n - messages in the language of the thread, from the
    catalogue the build compiles (build/locale, found from the executable)

    Needs the zh_CN.UTF-8 locale (deploy/deps.sh generates it).
    =========================================================================
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "kejin.h"

#define NO_METHOD "service '%s' has no method '%s'"

static void
test_catalogue_is_found (void **state)
{
    const char *dir = kj_i18n_dir ();
    assert_non_null (dir);
    assert_non_null (strstr (dir, "locale"));
}

static void
test_chinese_then_english (void **state)
{
    locale_t previous = kj_i18n_use ("zh_CN");
    assert_string_equal (kj_i18n_lang (), "zh_CN");
    assert_string_equal (_ (NO_METHOD), "服务“%s”没有方法“%s”");
    kj_status_t status;
    kj_status_set (&status, KJ__CODE__UNIMPLEMENTED, "method", NO_METHOD,
                   "registry", "Nope");
    assert_string_equal (status.message, "服务“registry”没有方法“Nope”");
    assert_string_equal (status.field, "method");
    kj_i18n_restore (previous);

    previous = kj_i18n_use ("");
    assert_string_equal (kj_i18n_lang (), "");
    assert_string_equal (_ (NO_METHOD), NO_METHOD);
    kj_i18n_restore (previous);
    //  The test process never set its locale: C, English
    assert_string_equal (kj_i18n_lang (), "");
    assert_string_equal (_ (NO_METHOD), NO_METHOD);
}

static void
test_language_spellings (void **state)
{
    //  The codeset and modifier go; English is the untranslated text
    const char *chinese [] = { "zh_CN", "zh_CN.UTF-8", "zh_CN.utf8", "zh_CN@x",
                               NULL };
    for (int i = 0; chinese [i]; i++) {
        locale_t previous = kj_i18n_use (chinese [i]);
        assert_string_equal (kj_i18n_lang (), "zh_CN");
        assert_string_equal (_ ("interrupted"), "已中断");
        kj_i18n_restore (previous);
    }
    //  Anything else, as a stranger may send it, is English
    const char *english [] = { "",      "C",           "POSIX",
                               "en",    "en_GB.UTF-8", "../../../etc/passwd",
                               "zh_cn", "ZH_CN",       "zh_CN_CN",
                               "zh-CN", "z",           "zhongwen",
                               NULL };
    for (int i = 0; english [i]; i++) {
        locale_t previous = kj_i18n_use (english [i]);
        assert_string_equal (kj_i18n_lang (), "");
        assert_string_equal (_ ("interrupted"), "interrupted");
        kj_i18n_restore (previous);
    }
    locale_t previous = kj_i18n_use (NULL);
    assert_string_equal (kj_i18n_lang (), "");
    kj_i18n_restore (previous);
}

static void
test_languages_are_bounded (void **state)
{
    //  Well-formed languages this machine has no locale for: English, and
    //  after 16 languages nothing more is kept, Chinese still works
    char lang [8];
    for (int i = 0; i < 40; i++) {
        snprintf (lang, sizeof lang, "q%c_Q%c", 'a' + i % 26, 'A' + i / 26);
        locale_t previous = kj_i18n_use (lang);
        assert_string_equal (kj_i18n_lang (), "");
        assert_string_equal (_ ("interrupted"), "interrupted");
        kj_i18n_restore (previous);
    }
    locale_t previous = kj_i18n_use ("zh_CN");
    assert_string_equal (_ ("interrupted"), "已中断");
    kj_i18n_restore (previous);
}

static void
test_positional_and_inttypes_formats (void **state)
{
    locale_t previous = kj_i18n_use ("zh_CN");
    char text [256];
    //  %<PRIu64> in the catalogue matches this platform's PRIu64
    snprintf (text, sizeof text, _ ("\n%zu shown, %" PRIu64 " matching"),
              (size_t) 3, (uint64_t) 12);
    assert_string_equal (text, "\n显示 3 条，共 12 条符合");
    //  A translation that reorders its arguments and drops the plural
    kj_status_t status;
    kj_status_set (&status, KJ__CODE__INVALID_ARGUMENT, NULL,
                   "%zu field%s, but the header has %zu columns", (size_t) 2,
                   "s", (size_t) 5);
    assert_string_equal (status.message, "本行 2 个字段，但表头有 5 列");
    kj_i18n_restore (previous);
}

static void
test_empty_text_stays_empty (void **state)
{
    locale_t previous = kj_i18n_use ("zh_CN");
    //  gettext ("") would be the catalogue's header
    assert_string_equal (_ (""), "");
    kj_status_t status;
    kj_status_set (&status, KJ__CODE__INTERNAL, NULL, "%s", "");
    assert_string_equal (status.message, "");
    kj_i18n_restore (previous);
}

//  Each thread speaks its own language, at the same time

static void *
s_speak (void *args)
{
    const char *lang = (const char *) args;
    locale_t previous = kj_i18n_use (lang);
    const char *want = *lang ? "已中断" : "interrupted";
    bool right = true;
    for (int i = 0; i < 2000; i++)
        right = right && streq (_ ("interrupted"), want);
    kj_i18n_restore (previous);
    return right ? args : NULL;
}

static void
test_threads_speak_their_own_language (void **state)
{
    pthread_t threads [4];
    char *langs [4] = { "zh_CN", "", "zh_CN", "" };
    for (int i = 0; i < 4; i++)
        assert_int_equal (pthread_create (&threads [i], NULL, s_speak,
                                          langs [i]),
                          0);
    for (int i = 0; i < 4; i++) {
        void *result = NULL;
        assert_int_equal (pthread_join (threads [i], &result), 0);
        assert_ptr_equal (result, langs [i]);
    }
}

int
main (void)
{
    kj_log_init ("test_kj_i18n", "error");
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_catalogue_is_found),
        cmocka_unit_test (test_chinese_then_english),
        cmocka_unit_test (test_language_spellings),
        cmocka_unit_test (test_languages_are_bounded),
        cmocka_unit_test (test_positional_and_inttypes_formats),
        cmocka_unit_test (test_empty_text_stays_empty),
        cmocka_unit_test (test_threads_speak_their_own_language),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
