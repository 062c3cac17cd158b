/*  =========================================================================
    test_kj_check - the field checks every service shares: dates first,
    then enum values as people read them, then money refused in yuan

    Dates parsed and refused with the field named, compared, formatted,
    and turned into day numbers and back (the one implementation the
    registry, its demo generator and the IPO pipeline all use).
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kejin.h"
#include "registry.pb-c.h"

static void
test_date_parse (void **state)
{
    (void) state;
    kj_date_t date;
    kj_status_t status;
    assert_int_equal (kj_check_date ("2024-02-29", "founded_on", &date,
                                     &status),
                      0);
    assert_int_equal (date.year, 2024);
    assert_int_equal (date.month, 2);
    assert_int_equal (date.day, 29);
    const char *bad [] = { "2023-02-29", "2024-13-01", "2024-1-01",
                           "1899-12-31", "2201-01-01", "",
                           "2024-01-01x" };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        assert_int_equal (kj_check_date (bad [i], "founded_on", &date, &status),
                          -1);
        assert_int_equal (status.code, KJ__CODE__INVALID_ARGUMENT);
        assert_string_equal (status.field, "founded_on");
    }
    char text [11];
    kj_check_date_format ((kj_date_t){ 2026, 3, 7 }, text);
    assert_string_equal (text, "2026-03-07");
    assert_true (kj_check_date_compare ((kj_date_t){ 2026, 3, 7 },
                                        (kj_date_t){ 2026, 3, 8 })
                 < 0);
    assert_int_equal (kj_check_date_compare ((kj_date_t){ 2026, 3, 7 },
                                             (kj_date_t){ 2026, 3, 7 }),
                      0);
}

static void
test_date_days (void **state)
{
    (void) state;
    assert_int_equal (kj_check_date_days ((kj_date_t){ 1970, 1, 1 }), 0);
    assert_int_equal (kj_check_date_days ((kj_date_t){ 1969, 12, 31 }), -1);
    assert_int_equal (kj_check_date_days ((kj_date_t){ 2000, 3, 1 }), 11017);
    assert_int_equal (kj_check_date_days ((kj_date_t){ 2026, 12, 3 }), 20790);
    //  A leap day, and the century rules: 1900 no, 2000 yes
    assert_int_equal (kj_check_date_days ((kj_date_t){ 2024, 3, 1 })
                          - kj_check_date_days ((kj_date_t){ 2024, 2, 28 }),
                      2);
    assert_int_equal (kj_check_date_days ((kj_date_t){ 1900, 3, 1 })
                          - kj_check_date_days ((kj_date_t){ 1900, 2, 28 }),
                      1);
    //  Every day from 1899 to 2201 goes there and back, one day apart
    int64_t first = kj_check_date_days ((kj_date_t){ 1899, 1, 1 });
    int64_t last = kj_check_date_days ((kj_date_t){ 2201, 12, 31 });
    kj_date_t previous = kj_check_date_from_days (first - 1);
    for (int64_t day = first; day <= last; day++) {
        kj_date_t date = kj_check_date_from_days (day);
        assert_int_equal (kj_check_date_days (date), day);
        assert_true (kj_check_date_compare (previous, date) < 0);
        previous = date;
    }
    assert_int_equal (previous.year, 2201);
    assert_int_equal (previous.month, 12);
    assert_int_equal (previous.day, 31);
}

//  An enum value in the thread's language: its Chinese name under Chinese,
//  its stored name otherwise and where it has no Chinese name
static void
test_enum_label (void **state)
{
    (void) state;
    char buf [48];
    assert_string_equal (kj_check_enum_label_zh ("STAGE_GROWTH"), "成长期");
    assert_null (kj_check_enum_label_zh ("STAGE_NO_SUCH"));
    assert_null (kj_check_enum_label_zh (NULL));
    locale_t previous = kj_i18n_use ("");
    assert_string_equal (kj_check_enum_label (&kj__stage__descriptor, "STAGE_",
                                              KJ__STAGE__STAGE_GROWTH, buf,
                                              sizeof buf),
                         "growth");
    kj_i18n_restore (previous);
    previous = kj_i18n_use ("zh_CN");
    assert_string_equal (kj_check_enum_label (&kj__stage__descriptor, "STAGE_",
                                              KJ__STAGE__STAGE_GROWTH, buf,
                                              sizeof buf),
                         "成长期");
    assert_string_equal (
        kj_check_enum_label (&kj__qualification_kind__descriptor, "QUAL_",
                             KJ__QUALIFICATION_KIND__QUAL_HIGH_TECH, buf,
                             sizeof buf),
        "高新技术企业");
    //  Not a value of the enum, or under another prefix: as the stored name
    assert_null (kj_check_enum_label (&kj__stage__descriptor, "STAGE_", 99, buf,
                                      sizeof buf));
    assert_null (kj_check_enum_label (&kj__stage__descriptor, "ROUND_",
                                      KJ__STAGE__STAGE_GROWTH, buf,
                                      sizeof buf));
    kj_i18n_restore (previous);
}

//  A negative amount is refused in yuan, as the person typed it (--revenue
//  -5 is -500 fen): the old message said "-500 fen", in both languages.
static void
test_money (void **state)
{
    (void) state;
    kj_status_t status;
    assert_int_equal (kj_check_money (0, "revenue_fen", false, &status), 0);
    assert_int_equal (kj_check_money (-500, "net_profit_fen", true, &status),
                      0);
    locale_t previous = kj_i18n_use ("");
    assert_int_equal (kj_check_money (-123456, "revenue_fen", false, &status),
                      -1);
    assert_int_equal (status.code, KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "revenue_fen");
    assert_string_equal (status.message,
                         "revenue_fen: -¥1,234.56 is negative; an amount "
                         "here is 0 or more");
    kj_i18n_restore (previous);
    previous = kj_i18n_use ("zh_CN");
    assert_int_equal (kj_check_money (-500, "revenue_fen", false, &status), -1);
    assert_string_equal (status.message,
                         "revenue_fen: -¥5.00 为负数；此处金额应为 0 或以上");
    kj_i18n_restore (previous);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_date_parse),
        cmocka_unit_test (test_date_days),
        cmocka_unit_test (test_enum_label),
        cmocka_unit_test (test_money),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
