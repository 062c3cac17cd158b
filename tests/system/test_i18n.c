/*  =========================================================================
    test_i18n - messages in the caller's language: the registry answers a
    request whose header says zh_CN in Chinese and any other in English,
    through the real broker; the kejin CLI prints the service's messages
    and its own in Chinese under LANG=zh_CN.UTF-8, in English under
    C.UTF-8. Needs the zh_CN.UTF-8 locale (deploy/deps.sh).
    =========================================================================
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "registry_fixture.h"

//  A valid code (check characters right) and the same with the last one
//  wrong
#define CODE     "91210100MA0QEK7B6N"
#define CODE_BAD "91210100MA0QEK7B6P"

static rfx_t s_fx;

static int
s_setup (void **state)
{
    rfx_start (&s_fx, "i18n", NULL);
    return 0;
}

static int
s_teardown (void **state)
{
    rfx_stop (&s_fx);
    return 0;
}

//  GetEnterprise of a code not registered, in the thread's language
static int
s_get_missing (kj_status_t *status)
{
    Kj__GetEnterpriseRequest request = KJ__GET_ENTERPRISE_REQUEST__INIT;
    request.code = CODE;
    Kj__EnterpriseReply *reply = NULL;
    int rc = rfx_call (&s_fx, "GetEnterprise", &request.base,
                       &kj__enterprise_reply__descriptor, &reply, status, NULL,
                       true);
    assert_null (reply);
    return rc;
}

static void
test_service_answers_in_the_request_language (void **state)
{
    kj_status_t status;
    //  kj_client puts the thread's language in the header
    locale_t previous = kj_i18n_use ("zh_CN");
    assert_int_equal (s_get_missing (&status), KJ__CODE__NOT_FOUND);
    assert_string_equal (status.field, "code");
    assert_string_equal (status.message,
                         "企业 " CODE " 尚未入库；可用 `kejin enterprise add` "
                         "登记");
    kj_i18n_restore (previous);

    //  No language, or one the node does not have: English
    const char *others [] = { "", "fr_FR", "de", "../zh_CN", NULL };
    for (int i = 0; others [i]; i++) {
        previous = kj_i18n_use (others [i]);
        assert_int_equal (s_get_missing (&status), KJ__CODE__NOT_FOUND);
        assert_string_equal (status.message,
                             "enterprise " CODE " is not registered; `kejin "
                             "enterprise add` registers it");
        kj_i18n_restore (previous);
    }
}

static void
test_rules_and_worker_messages_in_chinese (void **state)
{
    locale_t previous = kj_i18n_use ("zh_CN");
    //  A message of the credit-code rules, through CheckCode's reply
    Kj__CheckCodeRequest request = KJ__CHECK_CODE_REQUEST__INIT;
    request.code = CODE_BAD;
    Kj__CheckCodeReply *reply = NULL;
    kj_status_t status;
    assert_int_equal (rfx_call (&s_fx, "CheckCode", &request.base,
                                &kj__check_code_reply__descriptor, &reply,
                                &status, NULL, true),
                      0);
    assert_false (reply->valid);
    //  The check that failed, never the character it expects
    assert_string_equal (reply->problem->message,
                         "整个代码的校验（第 18 位）未通过：18 位中任何一位都"
                         "可能录入错误（第 9-17 位的组织机构代码校验通过，因此"
                         "最可能在第 1-8 位或第 18 位）；请与营业执照核对");
    assert_string_equal (
        reply->note, "不是有效的统一社会信用代码：请与营业执照核对后再检查");
    kj__check_code_reply__free_unpacked (reply, NULL);

    //  The worker's own message: a method the service does not have
    kj_call_opts_t opts = { .read_only = true, .timeout_ms = 5000 };
    assert_int_equal (kj_client_call (s_fx.client, "registry", "Nope",
                                      &request.base,
                                      &kj__check_code_reply__descriptor, NULL,
                                      &status, &opts),
                      KJ__CODE__UNIMPLEMENTED);
    assert_string_equal (status.message, "服务“registry”没有方法“Nope”");
    kj_i18n_restore (previous);
}

//  Run bin/kejin with args under locale lang; returns its exit code, its
//  stdout and stderr together in out.
static int
s_cli (const char *lang, char *out, size_t size, ...)
{
    static int runs;
    char log [512], lang_env [64];
    snprintf (log, sizeof log, "%s/cli-%d.log", kj_test_tmpdir (), runs++);
    snprintf (lang_env, sizeof lang_env, "LANG=%s", lang);
    const char *argv [16] = { kj_test_bin ("kejin"), "--broker",
                              s_fx.broker.endpoint };
    int argc = 3;
    va_list args;
    va_start (args, size);
    for (const char *arg = va_arg (args, const char *); arg && argc < 15;
         arg = va_arg (args, const char *))
        argv [argc++] = arg;
    va_end (args);
    argv [argc] = NULL;
    const char *env [] = { lang_env,
                           "LC_ALL=", "LC_MESSAGES=", "LANGUAGE=", NULL };
    pid_t pid = kj_test_spawn (argv, env, log);
    assert_true (pid > 0);
    int rc = kj_test_wait_exit (pid, 20000);
    FILE *file = fopen (log, "r");
    assert_non_null (file);
    size_t length = fread (out, 1, size - 1, file);
    out [length] = 0;
    fclose (file);
    return rc;
}

static void
test_cli_in_the_locale_language (void **state)
{
    char out [2048];
    //  A service's message, made in the daemon in the CLI's language
    assert_int_equal (s_cli ("zh_CN.UTF-8", out, sizeof out, "enterprise",
                             "show", CODE, NULL),
                      1);
    assert_string_equal (out, "kejin: NOT_FOUND (CODE): 企业 " CODE
                              " 尚未入库；可用 `kejin enterprise add` 登记\n");
    assert_int_equal (s_cli ("C.UTF-8", out, sizeof out, "enterprise", "show",
                             CODE, NULL),
                      1);
    assert_string_equal (out, "kejin: NOT_FOUND (CODE): enterprise " CODE
                              " is not registered; `kejin enterprise add` "
                              "registers it\n");

    //  The CLI's own message
    assert_int_equal (s_cli ("zh_CN.UTF-8", out, sizeof out, "--timeout", "0",
                             "status", NULL),
                      2);
    assert_string_equal (out, "kejin: --timeout 需要一个正数（毫秒）\n");
    assert_int_equal (s_cli ("C.UTF-8", out, sizeof out, "--timeout", "0",
                             "status", NULL),
                      2);
    assert_string_equal (out, "kejin: --timeout takes a positive number of "
                              "ms\n");

    //  A reply printed with translated labels and words
    assert_int_equal (s_cli ("zh_CN.UTF-8", out, sizeof out, "code", "check",
                             CODE, NULL),
                      0);
    assert_string_equal (out, CODE
                         "  有效\n"
                         "  登记管理部门  9 工商/市场监管\n"
                         "  机构类别      1 企业\n"
                         "  行政区划      210100 沈阳市 Shenyang，沈阳都市圈\n"
                         "  组织机构代码  MA0QEK7B6\n"
                         "  本节点        会登记\n"
                         "  已登记        否\n"
                         "  备注          如企业位于沈抚示范区，请以地区 "
                         "SFDZ 登记\n");
    //  An invalid code's problem, made by the rules in the daemon
    assert_int_equal (s_cli ("zh_CN.UTF-8", out, sizeof out, "code", "check",
                             CODE_BAD, NULL),
                      2);
    assert_string_equal (out, CODE_BAD
                         "  无效：整个代码的校验（第 18 位）未通过：18 位中任"
                         "何一位都可能录入错误（第 9-17 位的组织机构代码校"
                         "验通过，因此最可能在第 1-8 位或第 18 位）；请与营"
                         "业执照核对\n"
                         "不是有效的统一社会信用代码：请与营业执照核对后再"
                         "检查\n");
}

int
main (void)
{
    kj_log_init ("test_i18n", "warn");
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_service_answers_in_the_request_language),
        cmocka_unit_test (test_rules_and_worker_messages_in_chinese),
        cmocka_unit_test (test_cli_in_the_locale_language),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
