/*  =========================================================================
    test_registry - kejin-registry's enterprises over a real broker and a
    real PostgreSQL: registration under concurrency and retries, credit
    code typos, stage recomputed with its events, manual overrides in the
    audit trail, the entry life cycle, validation, expiry, lists
    =========================================================================
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "registry_fixture.h"

static const char *s_fast_expiry [] = { "-s", "registry/expiry_interval_s=1",
                                        NULL };

//  Set figures of the last three years: revenue in 万元 (10,000 yuan).
static Kj__EnterpriseReply *
s_set_revenue (rfx_t *fx, const char *code, int64_t wan_2ago, int64_t wan_1ago,
               int64_t wan_last, kj_status_t *status, int *rc)
{
    int year = rfx_year (fx) - 1;
    Kj__YearFigures f [3];
    Kj__YearFigures *list [3];
    int64_t wan [3] = { wan_2ago, wan_1ago, wan_last };
    for (int i = 0; i < 3; i++) {
        kj__year_figures__init (&f [i]);
        f [i].year = year - 2 + i;
        f [i].revenue_fen = wan [i] * 1000000;
        f [i].total_cost_fen = wan [i] * 800000;
        f [i].rnd_fen = wan [i] * 60000;
        f [i].total_assets_fen = wan [i] * 2000000;
        f [i].staff = 100;
        f [i].tech_staff = 30;
        list [i] = &f [i];
    }
    Kj__SetFiguresRequest request = KJ__SET_FIGURES_REQUEST__INIT;
    request.code = (char *) code;
    request.figures = list;
    request.n_figures = 3;
    Kj__EnterpriseReply *reply = NULL;
    *rc = rfx_call (fx, "SetFigures", &request.base,
                    &kj__enterprise_reply__descriptor, &reply, status, NULL,
                    false);
    return reply;
}

//  --------------------------------------------------------------------------
//  The same code registered by two clients at once, twenty times: one
//  wins, the other gets ALREADY_EXISTS; one registered event each.

static void
test_register_race (void **state)
{
    rfx_t fx;
    rfx_start (&fx, "registry_race", NULL);
    kj_client_t *clients [2] = { kj_client_new (fx.broker.endpoint),
                                 kj_client_new (fx.broker.endpoint) };
    for (unsigned round = 0; round < 20; round++) {
        char code [19];
        rfx_code ("210100", 7000 + round, code);
        Kj__RegisterEnterpriseRequest request =
            KJ__REGISTER_ENTERPRISE_REQUEST__INIT;
        Kj__Enterprise e = KJ__ENTERPRISE__INIT;
        e.code = code;
        e.name = "并发注册测试有限公司";
        e.founded_on = "2020-05-01";
        request.enterprise = &e;
        kj_call_opts_t opts = { .timeout_ms = 10000 };
        for (int c = 0; c < 2; c++)
            assert_true (kj_client_send (clients [c], "registry",
                                         "RegisterEnterprise", &request.base,
                                         &opts)
                         > 0);
        int ok = 0, exists = 0;
        for (int c = 0; c < 2; c++) {
            uint64_t id;
            ProtobufCMessage *reply = NULL;
            kj_status_t status;
            int rc = kj_client_recv (clients [c], 10000, &id,
                                     &kj__enterprise_reply__descriptor, &reply,
                                     &status);
            if (rc == KJ__CODE__OK)
                ok++;
            else if (rc == KJ__CODE__ALREADY_EXISTS) {
                exists++;
                assert_string_equal (status.field, "enterprise.code");
                char expected [80];
                snprintf (expected, sizeof expected,
                          "enterprise %s already exists", code);
                assert_non_null (strstr (status.message, expected));
            }
            else
                fail_msg ("round %u: %s %s", round, kj_code_name (rc),
                          status.message);
            if (reply)
                protobuf_c_message_free_unpacked (reply, NULL);
        }
        assert_int_equal (ok, 1);
        assert_int_equal (exists, 1);
        assert_int_equal (rfx_outbox_count (&fx,
                                            "registry.enterprise."
                                            "registered",
                                            code),
                          1);
    }
    kj_client_destroy (&clients [0]);
    kj_client_destroy (&clients [1]);
    rfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  A retried request with the same idempotency key is done once and
//  answered the same; the same key with other content is refused.

static void
test_register_idempotent (void **state)
{
    rfx_t fx;
    rfx_start (&fx, "registry_idem", NULL);
    char code [19];
    rfx_code ("210200", 4242, code);
    Kj__RegisterEnterpriseRequest request =
        KJ__REGISTER_ENTERPRISE_REQUEST__INIT;
    Kj__Enterprise e = KJ__ENTERPRISE__INIT;
    e.code = code;
    e.name = "大连重试测试有限公司";
    e.founded_on = "2019-09-09";
    request.enterprise = &e;
    Kj__EnterpriseReply *first = NULL, *second = NULL;
    kj_status_t status;
    assert_int_equal (rfx_call (&fx, "RegisterEnterprise", &request.base,
                                &kj__enterprise_reply__descriptor, &first,
                                &status, "register-4242", false),
                      0);
    assert_int_equal (rfx_call (&fx, "RegisterEnterprise", &request.base,
                                &kj__enterprise_reply__descriptor, &second,
                                &status, "register-4242", false),
                      0);
    //  The first answer again, byte for byte
    assert_int_equal (first->enterprise->version, 1);
    assert_int_equal (second->enterprise->version, 1);
    assert_int_equal (first->enterprise->created_at_us,
                      second->enterprise->created_at_us);
    assert_string_equal (second->enterprise->region, "210200");
    assert_int_equal (rfx_outbox_count (&fx, "registry.enterprise.registered",
                                        code),
                      1);
    kj__enterprise_reply__free_unpacked (first, NULL);
    kj__enterprise_reply__free_unpacked (second, NULL);

    //  Same key, other content
    e.name = "另一个名字有限公司";
    Kj__EnterpriseReply *third = NULL;
    assert_int_equal (rfx_call (&fx, "RegisterEnterprise", &request.base,
                                &kj__enterprise_reply__descriptor, &third,
                                &status, "register-4242", false),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_string_equal (status.field, "idempotency_key");
    assert_non_null (strstr (status.message, "already used"));
    assert_null (third);
    //  Without the key it is a second registration, refused as such
    assert_int_equal (rfx_call (&fx, "RegisterEnterprise", &request.base,
                                &kj__enterprise_reply__descriptor, &third,
                                &status, NULL, false),
                      KJ__CODE__ALREADY_EXISTS);
    rfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  Credit codes: a typo names the position; input is trimmed and
//  upper-cased; codes from outside Liaoning are refused by default; the
//  Shenfu zone is set by hand over a Shenyang code only.

static int
s_register_code (rfx_t *fx, const char *code, const char *region,
                 kj_status_t *status, Kj__EnterpriseReply **reply)
{
    Kj__RegisterEnterpriseRequest request =
        KJ__REGISTER_ENTERPRISE_REQUEST__INIT;
    Kj__Enterprise e = KJ__ENTERPRISE__INIT;
    e.code = (char *) code;
    e.name = "代码测试有限公司";
    e.region = (char *) region;
    request.enterprise = &e;
    return rfx_call (fx, "RegisterEnterprise", &request.base,
                     &kj__enterprise_reply__descriptor, reply, status, NULL,
                     false);
}

static void
test_code_rules (void **state)
{
    rfx_t fx;
    rfx_start (&fx, "registry_codes", NULL);
    kj_status_t status;
    Kj__EnterpriseReply *reply = NULL;

    //  One character mistyped at position 17 (6 -> 7)
    assert_int_equal (s_register_code (&fx, "91210100MA0QEK7B7N", "", &status,
                                       &reply),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "enterprise.code");
    assert_non_null (strstr (status.message, "the organisation-code check "
                                             "(position 17, over positions "
                                             "9-17) fails"));
    assert_null (strstr (status.message, "should be"));
    //  At position 3 (2 -> 3): only the final check sees it
    assert_int_equal (s_register_code (&fx, "91310100MA0QEK7B6N", "", &status,
                                       &reply),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_non_null (strstr (status.message, "the check of the whole code "
                                             "(position 18) fails"));
    assert_null (strstr (status.message, "did you mean"));
    assert_int_equal (s_register_code (&fx, "91210100MA0QEK7B6", "", &status,
                                       &reply),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_non_null (strstr (status.message, "expected 18 characters, found "
                                             "17"));
    assert_int_equal (s_register_code (&fx, "91210100MA0QEK7I6N", "", &status,
                                       &reply),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_non_null (strstr (status.message, "position 16: 'I' is not "
                                             "allowed"));

    //  Trimmed and upper-cased
    assert_int_equal (s_register_code (&fx, "  91210100ma0qek7b6n\t", "",
                                       &status, &reply),
                      0);
    assert_string_equal (reply->enterprise->code, "91210100MA0QEK7B6N");
    assert_string_equal (reply->enterprise->region, "210100");
    kj__enterprise_reply__free_unpacked (reply, NULL);

    //  Beijing: refused unless registry/allow_outside
    assert_int_equal (s_register_code (&fx, "91110000600037341L", "", &status,
                                       &reply),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_non_null (strstr (status.message, "outside Liaoning"));

    //  沈抚示范区 over a Shenyang code; not over a Dalian one
    char shenyang [19], dalian [19];
    rfx_code ("210112", 31, shenyang);
    rfx_code ("210211", 32, dalian);
    assert_int_equal (s_register_code (&fx, shenyang, "SFDZ", &status, &reply),
                      0);
    assert_string_equal (reply->enterprise->region, "SFDZ");
    kj__enterprise_reply__free_unpacked (reply, NULL);
    assert_int_equal (s_register_code (&fx, dalian, "SFDZ", &status, &reply),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "enterprise.region");
    assert_non_null (strstr (status.message, "does not match the code's "
                                             "region 210200"));
    //  A district code maps to its city
    assert_int_equal (s_register_code (&fx, dalian, "", &status, &reply), 0);
    assert_string_equal (reply->enterprise->region, "210200");
    kj__enterprise_reply__free_unpacked (reply, NULL);

    //  CheckCode explains without registering
    Kj__CheckCodeRequest check = KJ__CHECK_CODE_REQUEST__INIT;
    Kj__CheckCodeReply *explained = NULL;
    check.code = "92210100L00000011E";
    assert_int_equal (rfx_call (&fx, "CheckCode", &check.base,
                                &kj__check_code_reply__descriptor, &explained,
                                &status, NULL, true),
                      0);
    assert_true (explained->valid);
    assert_string_equal (explained->entity_type, "个体工商户");
    assert_string_equal (explained->region, "210100");
    assert_true (explained->in_shenyang_metro);
    assert_false (explained->registered);
    kj__check_code_reply__free_unpacked (explained, NULL);
    check.code = "91210100MA0QEK7B7N";
    assert_int_equal (rfx_call (&fx, "CheckCode", &check.base,
                                &kj__check_code_reply__descriptor, &explained,
                                &status, NULL, true),
                      0);
    assert_false (explained->valid);
    assert_non_null (strstr (explained->problem->message, "position 17"));
    kj__check_code_reply__free_unpacked (explained, NULL);
    check.code = "91210100MA0QEK7B6N";
    assert_int_equal (rfx_call (&fx, "CheckCode", &check.base,
                                &kj__check_code_reply__descriptor, &explained,
                                &status, NULL, true),
                      0);
    assert_true (explained->registered);
    kj__check_code_reply__free_unpacked (explained, NULL);
    rfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  A code typed wrong names the registered enterprises one substitution or
//  one swap away, and only those: "19210100MA0QEK7B6N" (1 and 9 swapped)
//  is one change from five valid codes, of which one is registered.

static void
s_get_code (rfx_t *fx, const char *code, kj_status_t *status)
{
    Kj__GetEnterpriseRequest request = KJ__GET_ENTERPRISE_REQUEST__INIT;
    request.code = (char *) code;
    Kj__EnterpriseReply *reply = NULL;
    assert_int_equal (rfx_call (fx, "GetEnterprise", &request.base,
                                &kj__enterprise_reply__descriptor, &reply,
                                status, NULL, true),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_null (reply);
}

static void
test_code_did_you_mean (void **state)
{
    rfx_t fx;
    rfx_start (&fx, "registry_didyou", NULL);
    kj_status_t status;
    Kj__EnterpriseReply *reply = NULL;
    //  Nothing registered: no hint, and no valid code in the message
    s_get_code (&fx, "19210100MA0QEK7B6N", &status);
    assert_null (strstr (status.message, "did you mean"));
    assert_null (strstr (status.message, "91210100MA0QEK7B6N"));

    assert_int_equal (s_register_code (&fx, "91210100MA0QEK7B6N", "", &status,
                                       &reply),
                      0);
    kj__enterprise_reply__free_unpacked (reply, NULL);
    const char *typos [] = {
        "19210100MA0QEK7B6N",   //  swap at 1-2
        "91210100MA0QEK7B7N",   //  substitution at 17
        "91210100AM0QEK7B6N",   //  swap at 9-10
        "91210100MA0QEKB76N",   //  swap at 15-16
        " 91210100ma0qek7b6x",  //  substitution at 18, as typed
    };
    for (size_t i = 0; i < sizeof typos / sizeof typos [0]; i++) {
        s_get_code (&fx, typos [i], &status);
        assert_string_equal (status.field, "code");
        if (!strstr (status.message, "; did you mean 91210100MA0QEK7B6N "
                                     "(代码测试有限公司)?"))
            fail_msg ("%s: %s", typos [i], status.message);
    }
    //  The unregistered valid neighbours are never named
    s_get_code (&fx, "19210100MA0QEK7B6N", &status);
    const char *others [] = { "G9210100MA0QEK7B6N", "1E210100MA0QEK7B6N",
                              "19250100MA0QEK7B6N", "19210100MA0QEK7B66" };
    for (size_t i = 0; i < sizeof others / sizeof others [0]; i++)
        assert_null (strstr (status.message, others [i]));
    //  Two typos: valid neighbours exist (91210100MB0NEK7B7N), none
    //  registered, so nothing is suggested
    s_get_code (&fx, "91210100MB0QEK7B7N", &status);
    assert_null (strstr (status.message, "did you mean"));
    assert_null (strstr (status.message, "91210100MB0NEK7B7N"));

    //  CheckCode says it too; registering the typo says it
    Kj__CheckCodeRequest check = KJ__CHECK_CODE_REQUEST__INIT;
    Kj__CheckCodeReply *explained = NULL;
    check.code = "91210100MA0QEK7B7N";
    assert_int_equal (rfx_call (&fx, "CheckCode", &check.base,
                                &kj__check_code_reply__descriptor, &explained,
                                &status, NULL, true),
                      0);
    assert_false (explained->valid);
    assert_non_null (strstr (explained->problem->message,
                             "did you mean 91210100MA0QEK7B6N"));
    kj__check_code_reply__free_unpacked (explained, NULL);
    assert_int_equal (s_register_code (&fx, "91210100MA0QEK7B7N", "", &status,
                                       &reply),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "enterprise.code");
    assert_non_null (
        strstr (status.message, "did you mean 91210100MA0QEK7B6N"));

    //  At a Chinese desk: the check that failed and the registered firm,
    //  in Chinese, no expected character
    locale_t previous = kj_i18n_use ("zh_CN");
    s_get_code (&fx, "91210100MA0QEK7B7N", &status);
    kj_i18n_restore (previous);
    if (!strstr (status.message, "组织机构代码校验（第 17 位，校验第 9-17 位）"
                                 "未通过")
        || !strstr (status.message, "请与营业执照核对")
        || !strstr (status.message, "您要找的是不是 91210100MA0QEK7B6N "
                                    "(代码测试有限公司)？"))
        fail_msg ("%s", status.message);
    rfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  The node's options: codes from outside Liaoning when allowed, and early
//  pilot codes that skip only the organisation-code check when listed

//  A code whose organisation check character is wrong but whose final
//  check is right: what an early pilot code looks like.
static void
s_pilot_code (char out [19])
{
    rfx_code ("210100", 4711, out);
    out [16] = out [16] == '1' ? '2' : '1';
    int sum = 0, weight = 1;
    for (int i = 0; i < 17; i++) {
        sum += (int) (strchr (rfx_charset, out [i]) - rfx_charset) * weight;
        weight = weight * 3 % 31;
    }
    out [17] = rfx_charset [(31 - sum % 31) % 31];
}

static void
test_code_options (void **state)
{
    char pilot [19];
    s_pilot_code (pilot);
    rfx_t fx;
    kj_status_t status;
    Kj__EnterpriseReply *reply = NULL;
    //  Default options: the pilot code is refused, and the message says
    //  what it may be
    rfx_start (&fx, "registry_opts0", NULL);
    assert_int_equal (s_register_code (&fx, pilot, "", &status, &reply),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_non_null (strstr (status.message, "early pilot code"));
    //  A social organisation's code (authority 5, 民政) is not an
    //  enterprise's: refused saying what it is; CheckCode says so too
    assert_int_equal (s_register_code (&fx, "51210100MA0QEK7B6T", "", &status,
                                       &reply),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_string_equal (status.field, "enterprise.code");
    assert_non_null (strstr (status.message, "'5' is the registration "
                                             "authority 民政, so this is the "
                                             "code of a social organisation "
                                             "(社会团体), not of an "
                                             "enterprise"));
    Kj__CheckCodeRequest check = KJ__CHECK_CODE_REQUEST__INIT;
    Kj__CheckCodeReply *explained = NULL;
    check.code = "51210100MA0QEK7B6T";
    assert_int_equal (rfx_call (&fx, "CheckCode", &check.base,
                                &kj__check_code_reply__descriptor, &explained,
                                &status, NULL, true),
                      0);
    assert_true (explained->valid);
    assert_false (explained->accepted);
    assert_non_null (strstr (explained->note, "social organisation"));
    kj__check_code_reply__free_unpacked (explained, NULL);
    rfx_stop (&fx);

    char exceptions [64];
    snprintf (exceptions, sizeof exceptions, "registry/uscc_exceptions=%s",
              pilot);
    rfx_start (&fx, "registry_opts1",
               (const char *[]){ "-s", "registry/allow_outside=true", "-s",
                                 exceptions, "-s",
                                 "registry/allow_authorities=1,5", NULL });
    assert_int_equal (s_register_code (&fx, pilot, "", &status, &reply), 0);
    kj__enterprise_reply__free_unpacked (reply, NULL);
    assert_int_equal (s_register_code (&fx, "51210100MA0QEK7B6T", "", &status,
                                       &reply),
                      0);
    assert_string_equal (reply->enterprise->region, "210100");
    kj__enterprise_reply__free_unpacked (reply, NULL);
    assert_int_equal (s_register_code (&fx, "91110000600037341L", "", &status,
                                       &reply),
                      0);
    assert_string_equal (reply->enterprise->region, "110000");
    kj__enterprise_reply__free_unpacked (reply, NULL);
    //  Outside Liaoning, the region is the code's own
    char beijing [19];
    rfx_code ("110108", 9, beijing);
    assert_int_equal (s_register_code (&fx, beijing, "SFDZ", &status, &reply),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "enterprise.region");
    rfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  Bad input: every field named, nothing written

static void
test_validation (void **state)
{
    rfx_t fx;
    rfx_start (&fx, "registry_valid", NULL);
    char code [19];
    rfx_code ("210300", 55, code);
    Kj__RegisterEnterpriseRequest request =
        KJ__REGISTER_ENTERPRISE_REQUEST__INIT;
    Kj__Enterprise e = KJ__ENTERPRISE__INIT;
    Kj__YearFigures a = KJ__YEAR_FIGURES__INIT, b = KJ__YEAR_FIGURES__INIT;
    Kj__YearFigures *figures [] = { &a, &b };
    e.code = code;
    e.name = "鞍山校验测试有限公司";
    e.founded_on = "2019-02-29";
    request.enterprise = &e;
    kj_status_t status;
    Kj__EnterpriseReply *reply = NULL;
    assert_int_equal (rfx_call (&fx, "RegisterEnterprise", &request.base,
                                &kj__enterprise_reply__descriptor, &reply,
                                &status, NULL, false),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "enterprise.founded_on");
    assert_non_null (strstr (status.message, "2019-02 has 28 days"));

    e.founded_on = "2019-02-28";
    a.year = 2022;
    b.year = 2023;
    b.revenue_fen = -5;
    e.figures = figures;
    e.n_figures = 2;
    assert_int_equal (rfx_call (&fx, "RegisterEnterprise", &request.base,
                                &kj__enterprise_reply__descriptor, &reply,
                                &status, NULL, false),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "enterprise.figures[1].revenue_fen");
    b.revenue_fen = 5;
    b.net_profit_fen = -5;  //  a loss is allowed
    e.name = "   ";
    assert_int_equal (rfx_call (&fx, "RegisterEnterprise", &request.base,
                                &kj__enterprise_reply__descriptor, &reply,
                                &status, NULL, false),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "enterprise.name");
    e.name = "鞍山\xff\xfe有限公司";  //  not UTF-8
    assert_int_equal (rfx_call (&fx, "RegisterEnterprise", &request.base,
                                &kj__enterprise_reply__descriptor, &reply,
                                &status, NULL, false),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "enterprise.name");
    assert_non_null (strstr (status.message, "not valid UTF-8"));
    e.name = "鞍山校验测试有限公司";
    e.founded_on = "2199-01-01";
    assert_int_equal (rfx_call (&fx, "RegisterEnterprise", &request.base,
                                &kj__enterprise_reply__descriptor, &reply,
                                &status, NULL, false),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_non_null (strstr (status.message, "after today"));
    e.founded_on = "2019-02-28";
    //  Nothing was written by the refused requests
    assert_int_equal (rfx_outbox_count (&fx, "registry.enterprise.registered",
                                        code),
                      0);
    assert_int_equal (rfx_call (&fx, "RegisterEnterprise", &request.base,
                                &kj__enterprise_reply__descriptor, &reply,
                                &status, NULL, false),
                      0);
    assert_int_equal (reply->enterprise->n_figures, 2);
    assert_int_equal (reply->enterprise->figures [1]->net_profit_fen, -5);
    kj__enterprise_reply__free_unpacked (reply, NULL);

    //  An update with a version that moved on, and an unknown mask name
    Kj__UpdateEnterpriseRequest update = KJ__UPDATE_ENTERPRISE_REQUEST__INIT;
    Kj__Enterprise changes = KJ__ENTERPRISE__INIT;
    changes.code = code;
    changes.industry = "C39";
    char *mask [] = { "industry" };
    update.enterprise = &changes;
    update.update_mask = mask;
    update.n_update_mask = 1;
    update.expected_version = 7;
    assert_int_equal (rfx_call (&fx, "UpdateEnterprise", &update.base,
                                &kj__enterprise_reply__descriptor, &reply,
                                &status, NULL, false),
                      KJ__CODE__ABORTED);
    assert_string_equal (status.field, "expected_version");
    update.expected_version = 1;
    assert_int_equal (rfx_call (&fx, "UpdateEnterprise", &update.base,
                                &kj__enterprise_reply__descriptor, &reply,
                                &status, NULL, false),
                      0);
    assert_string_equal (reply->enterprise->industry, "C39");
    assert_int_equal (reply->enterprise->version, 2);
    kj__enterprise_reply__free_unpacked (reply, NULL);
    char *bad_mask [] = { "status" };
    update.update_mask = bad_mask;
    update.expected_version = 0;
    assert_int_equal (rfx_call (&fx, "UpdateEnterprise", &update.base,
                                &kj__enterprise_reply__descriptor, &reply,
                                &status, NULL, false),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "update_mask[0]");
    //  A cursor that no list ever gave
    Kj__ListEnterprisesRequest list = KJ__LIST_ENTERPRISES_REQUEST__INIT;
    Kj__Page page = KJ__PAGE__INIT;
    page.after = "\xc0\xaf";
    list.page = &page;
    Kj__ListEnterprisesReply *listed = NULL;
    assert_int_equal (rfx_call (&fx, "ListEnterprises", &list.base,
                                &kj__list_enterprises_reply__descriptor,
                                &listed, &status, NULL, true),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "page.after");
    page.after = "";
    page.limit = 5000;
    assert_int_equal (rfx_call (&fx, "ListEnterprises", &list.base,
                                &kj__list_enterprises_reply__descriptor,
                                &listed, &status, NULL, true),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "page.limit");
    //  A body that is not the method's message at all
    Kj__CheckCodeRequest wrong = KJ__CHECK_CODE_REQUEST__INIT;
    wrong.code = "x";
    Kj__GetEnterpriseRequest get = KJ__GET_ENTERPRISE_REQUEST__INIT;
    get.code = "91210300000000000X";
    assert_int_equal (rfx_call (&fx, "GetEnterprise", &get.base,
                                &kj__enterprise_reply__descriptor, &reply,
                                &status, NULL, true),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_int_equal (rfx_call (&fx, "NoSuchMethod", &wrong.base,
                                &kj__enterprise_reply__descriptor, &reply,
                                &status, NULL, true),
                      KJ__CODE__UNIMPLEMENTED);
    rfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  A count or a sum not reported is unknown, not 0: tech staff with the
//  staff not reported, and high-tech revenue with revenue not reported,
//  are taken and stored as given (both were refused as "more than 0")

static void
test_bound_not_reported (void **state)
{
    rfx_t fx;
    rfx_start (&fx, "registry_unknown_bound", NULL);
    char code [19];
    rfx_code ("210100", 57, code);
    Kj__EnterpriseReply *reply = rfx_register (&fx, code, "未报人数有限公司",
                                               "2018-03-01");
    kj__enterprise_reply__free_unpacked (reply, NULL);
    Kj__YearFigures f = KJ__YEAR_FIGURES__INIT;
    f.year = rfx_year (&fx) - 1;
    f.tech_staff = 5;
    f.high_tech_revenue_fen = 100000000;
    char *names [] = { "staff", "revenue" };
    f.not_reported = names;
    f.n_not_reported = 2;
    Kj__YearFigures *list [] = { &f };
    Kj__SetFiguresRequest request = KJ__SET_FIGURES_REQUEST__INIT;
    request.code = code;
    request.figures = list;
    request.n_figures = 1;
    kj_status_t status;
    reply = NULL;
    int rc = rfx_call (&fx, "SetFigures", &request.base,
                       &kj__enterprise_reply__descriptor, &reply, &status, NULL,
                       false);
    if (rc)
        fail_msg ("SetFigures: %s %s", kj_code_name (rc), status.message);
    kj__enterprise_reply__free_unpacked (reply, NULL);
    Kj__Enterprise *e = rfx_get (&fx, code, &reply);
    assert_int_equal (e->n_figures, 1);
    assert_int_equal (e->figures [0]->tech_staff, 5);
    assert_int_equal (e->figures [0]->high_tech_revenue_fen, 100000000);
    assert_int_equal (e->figures [0]->n_not_reported, 2);
    kj__enterprise_reply__free_unpacked (reply, NULL);

    //  A staff count reported still bounds the tech staff
    names [0] = "rnd";
    f.staff = 4;
    assert_int_equal (rfx_call (&fx, "SetFigures", &request.base,
                                &kj__enterprise_reply__descriptor, &reply,
                                &status, NULL, false),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "figures[0].tech_staff");
    rfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  New figures move the stage; each move is a stage_changed event with the
//  rule that fired, in order

static void
test_stage_recomputed (void **state)
{
    rfx_t fx;
    rfx_start (&fx, "registry_stage", NULL);
    char code [19];
    rfx_code ("210100", 9001, code);
    Kj__EnterpriseReply *reply = rfx_register (&fx, code, "阶段测试有限公司",
                                               "2015-01-01");
    //  Over 5 years old, no figures: not placed on figures nobody gave
    //  (the old rules said 初创期, "revenue ¥0.00 <= ¥0.00 the year
    //  before"), flagged for review
    assert_int_equal (reply->enterprise->stage->stage,
                      KJ__STAGE__STAGE_UNKNOWN);
    assert_string_equal (reply->enterprise->stage->rule,
                         "unknown.missing_figures");
    assert_true (reply->enterprise->stage->needs_review);
    assert_string_equal (reply->enterprise->stage->version, "2023.1");
    assert_non_null (
        strstr (reply->enterprise->stage->reason, "no figures reported"));
    assert_null (strstr (reply->enterprise->stage->reason, "¥0"));
    kj__enterprise_reply__free_unpacked (reply, NULL);

    //  Another firm, 4 years old, with one year of figures (¥30m): the old
    //  rules read the two years before as ¥0 and said 成长期 (growth.cagr);
    //  the figures given support 初创期, and the reason names the years
    //  not reported
    char young [19];
    rfx_code ("210100", 9002, young);
    char founded [24];
    snprintf (founded, sizeof founded, "%d-01-01", rfx_year (&fx) - 4);
    reply = rfx_register (&fx, young, "一年数据有限公司", founded);
    kj__enterprise_reply__free_unpacked (reply, NULL);
    {
        Kj__YearFigures one = KJ__YEAR_FIGURES__INIT;
        Kj__YearFigures *list [1] = { &one };
        one.year = rfx_year (&fx) - 1;
        one.revenue_fen = 3000000000;
        Kj__SetFiguresRequest request = KJ__SET_FIGURES_REQUEST__INIT;
        request.code = young;
        request.figures = list;
        request.n_figures = 1;
        kj_status_t why;
        assert_int_equal (rfx_call (&fx, "SetFigures", &request.base,
                                    &kj__enterprise_reply__descriptor, &reply,
                                    &why, NULL, false),
                          0);
        assert_int_equal (reply->enterprise->stage->stage,
                          KJ__STAGE__STAGE_STARTUP);
        assert_string_equal (reply->enterprise->stage->rule, "startup.revenue");
        char expected [160];
        snprintf (expected, sizeof expected,
                  "; not reported: figures of %d, so not judged: "
                  "成长期 by revenue growth over two years",
                  rfx_year (&fx) - 3);
        if (!strstr (reply->enterprise->stage->reason, expected))
            fail_msg ("%s", reply->enterprise->stage->reason);
        kj__enterprise_reply__free_unpacked (reply, NULL);
    }

    //  ¥10m, ¥15m, ¥25m: ¥20m or more and 20% a year -> growth
    kj_status_t status;
    int rc;
    reply = s_set_revenue (&fx, code, 1000, 1500, 2500, &status, &rc);
    assert_int_equal (rc, 0);
    assert_int_equal (reply->enterprise->stage->stage, KJ__STAGE__STAGE_GROWTH);
    assert_string_equal (reply->enterprise->stage->rule, "growth.cagr");
    assert_false (reply->enterprise->stage->needs_review);
    assert_non_null (reply->enterprise->techsme);
    assert_int_equal (reply->enterprise->techsme->tech_staff_score, 20);
    assert_int_equal (reply->enterprise->techsme->rnd_score, 50);
    assert_int_equal (reply->enterprise->techsme->total, 70);
    assert_true (reply->enterprise->techsme->eligible);
    kj__enterprise_reply__free_unpacked (reply, NULL);

    //  ¥400m -> mature
    reply = s_set_revenue (&fx, code, 1000, 1500, 40000, &status, &rc);
    assert_int_equal (rc, 0);
    assert_int_equal (reply->enterprise->stage->stage, KJ__STAGE__STAGE_MATURE);
    assert_string_equal (reply->enterprise->stage->rule, "mature.revenue");
    uint64_t version = reply->enterprise->version;
    kj__enterprise_reply__free_unpacked (reply, NULL);

    size_t n;
    Kj__StageChanged **events = (Kj__StageChanged **)
        rfx_outbox_payloads (&fx, "registry.enterprise.stage_changed", code,
                             &kj__stage_changed__descriptor, &n);
    assert_int_equal (n, 2);
    assert_int_equal (events [0]->from, KJ__STAGE__STAGE_UNKNOWN);
    assert_int_equal (events [0]->to, KJ__STAGE__STAGE_GROWTH);
    assert_string_equal (events [0]->rule, "growth.cagr");
    assert_string_equal (events [0]->by, "operator");
    assert_string_equal (events [0]->version, "2023.1");
    assert_int_equal (events [1]->to, KJ__STAGE__STAGE_MATURE);
    assert_string_equal (events [1]->rule, "mature.revenue");
    assert_int_equal (events [1]->enterprise_version, version);
    rfx_payloads_free ((ProtobufCMessage **) events, n);
    //  Every change announced as an update, with the whole enterprise
    assert_int_equal (rfx_outbox_count (&fx, "registry.enterprise.updated",
                                        code),
                      2);

    //  Figures that do not move the stage: no stage_changed
    reply = s_set_revenue (&fx, code, 1000, 1500, 41000, &status, &rc);
    assert_int_equal (rc, 0);
    kj__enterprise_reply__free_unpacked (reply, NULL);
    assert_int_equal (rfx_outbox_count (&fx,
                                        "registry.enterprise."
                                        "stage_changed",
                                        code),
                      2);
    rfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  A stage set by hand: needs a reason, is audited with who and why, holds
//  while the rules say otherwise, and hands back to the rules when cleared

static int
s_override (rfx_t *fx, const char *code, Kj__Stage stage, const char *reason,
            bool clear, kj_status_t *status, Kj__EnterpriseReply **reply)
{
    Kj__OverrideStageRequest request = KJ__OVERRIDE_STAGE_REQUEST__INIT;
    request.code = (char *) code;
    request.stage = stage;
    request.reason = (char *) reason;
    request.clear = clear;
    return rfx_call (fx, "OverrideStage", &request.base,
                     &kj__enterprise_reply__descriptor, reply, status, NULL,
                     false);
}

static void
test_stage_override_audited (void **state)
{
    rfx_t fx;
    rfx_start (&fx, "registry_override", NULL);
    char code [19];
    rfx_code ("210400", 777, code);
    Kj__EnterpriseReply *reply = rfx_register (&fx, code,
                                               "人工阶段测试有限公司",
                                               "2015-06-01");
    kj__enterprise_reply__free_unpacked (reply, NULL);
    kj_status_t status;
    reply = NULL;
    assert_int_equal (s_override (&fx, code, KJ__STAGE__STAGE_MATURE, " ",
                                  false, &status, &reply),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "reason");
    assert_int_equal (s_override (&fx, code, KJ__STAGE__STAGE_UNKNOWN,
                                  "why not", false, &status, &reply),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "stage");
    assert_int_equal (s_override (&fx, code, 0, "nothing to clear", true,
                                  &status, &reply),
                      KJ__CODE__FAILED_PRECONDITION);

    assert_int_equal (s_override (&fx, code, KJ__STAGE__STAGE_MATURE,
                                  "上市辅导已备案", false, &status, &reply),
                      0);
    assert_int_equal (reply->enterprise->stage->stage, KJ__STAGE__STAGE_MATURE);
    assert_true (reply->enterprise->stage->overridden);
    assert_string_equal (reply->enterprise->stage->rule, "manual");
    assert_string_equal (reply->enterprise->stage->override_reason,
                         "上市辅导已备案");
    assert_int_equal (reply->enterprise->stage->computed,
                      KJ__STAGE__STAGE_UNKNOWN);
    kj__enterprise_reply__free_unpacked (reply, NULL);

    //  The rules now say growth; the override holds
    int rc;
    reply = s_set_revenue (&fx, code, 1000, 1500, 2500, &status, &rc);
    assert_int_equal (rc, 0);
    assert_int_equal (reply->enterprise->stage->stage, KJ__STAGE__STAGE_MATURE);
    assert_int_equal (reply->enterprise->stage->computed,
                      KJ__STAGE__STAGE_GROWTH);
    kj__enterprise_reply__free_unpacked (reply, NULL);

    //  Cleared: back to what the rules say, announced
    assert_int_equal (s_override (&fx, code, 0, "年报已更新", true, &status,
                                  &reply),
                      0);
    assert_int_equal (reply->enterprise->stage->stage, KJ__STAGE__STAGE_GROWTH);
    assert_false (reply->enterprise->stage->overridden);
    assert_string_equal (reply->enterprise->stage->rule, "growth.cagr");
    kj__enterprise_reply__free_unpacked (reply, NULL);

    //  The audit trail: who, what, when, why
    Kj__HistoryRequest history = KJ__HISTORY_REQUEST__INIT;
    history.kind = "enterprise";
    history.subject = code;
    Kj__HistoryReply *trail = NULL;
    assert_int_equal (rfx_call (&fx, "History", &history.base,
                                &kj__history_reply__descriptor, &trail, &status,
                                NULL, true),
                      0);
    int overrides = 0, clears = 0;
    for (size_t i = 0; i < trail->n_entries; i++) {
        const Kj__AuditEntry *entry = trail->entries [i];
        assert_true (entry->at_us > 0);
        if (streq (entry->action, "stage_override")) {
            overrides++;
            assert_string_equal (entry->who, "operator");
            assert_string_equal (entry->before, "unknown");
            assert_string_equal (entry->after, "mature");
            assert_string_equal (entry->reason, "上市辅导已备案");
        }
        if (streq (entry->action, "stage_override_cleared")) {
            clears++;
            assert_string_equal (entry->reason, "年报已更新");
        }
    }
    assert_int_equal (overrides, 1);
    assert_int_equal (clears, 1);
    kj__history_reply__free_unpacked (trail, NULL);

    size_t n;
    Kj__StageChanged **events = (Kj__StageChanged **)
        rfx_outbox_payloads (&fx, "registry.enterprise.stage_changed", code,
                             &kj__stage_changed__descriptor, &n);
    //  override, clear (registration without figures: no stage)
    assert_int_equal (n, 2);
    assert_int_equal (events [0]->to, KJ__STAGE__STAGE_MATURE);
    assert_true (events [0]->overridden);
    assert_string_equal (events [0]->rule, "manual");
    assert_string_equal (events [0]->reason, "上市辅导已备案");
    assert_int_equal (events [1]->from, KJ__STAGE__STAGE_MATURE);
    assert_int_equal (events [1]->to, KJ__STAGE__STAGE_GROWTH);
    assert_false (events [1]->overridden);
    rfx_payloads_free ((ProtobufCMessage **) events, n);
    rfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  The entry life cycle: illegal transitions refused with a reason, the
//  status untouched; legal ones audited and announced

static int
s_transition (rfx_t *fx, const char *code, Kj__EntryAction action,
              const char *reason, kj_status_t *status, Kj__EntryStatus *now)
{
    Kj__TransitionRequest request = KJ__TRANSITION_REQUEST__INIT;
    request.code = (char *) code;
    request.action = action;
    request.reason = (char *) reason;
    Kj__EnterpriseReply *reply = NULL;
    int rc = rfx_call (fx, "Transition", &request.base,
                       &kj__enterprise_reply__descriptor, &reply, status, NULL,
                       false);
    if (reply) {
        *now = reply->enterprise->status;
        kj__enterprise_reply__free_unpacked (reply, NULL);
    }
    return rc;
}

static void
test_transitions (void **state)
{
    rfx_t fx;
    rfx_start (&fx, "registry_entry", NULL);
    char code [19];
    rfx_code ("211300", 1313, code);
    Kj__EnterpriseReply *reply = rfx_register (&fx, code,
                                               "入库流程测试有限公司",
                                               "2021-01-01");
    assert_int_equal (reply->enterprise->status, KJ__ENTRY_STATUS__ENTRY_DRAFT);
    kj__enterprise_reply__free_unpacked (reply, NULL);
    kj_status_t status;
    Kj__EntryStatus now = 0;

    assert_int_equal (s_transition (&fx, code,
                                    KJ__ENTRY_ACTION__ACTION_CITY_APPROVE, "",
                                    &status, &now),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_non_null (strstr (status.message, code));
    assert_non_null (strstr (status.message, "submit it first"));
    assert_int_equal (s_transition (&fx, code, 99, "", &status, &now),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "action");
    Kj__EnterpriseReply *holder;
    assert_int_equal (rfx_get (&fx, code, &holder)->status,
                      KJ__ENTRY_STATUS__ENTRY_DRAFT);
    kj__enterprise_reply__free_unpacked (holder, NULL);

    assert_int_equal (s_transition (&fx, code, KJ__ENTRY_ACTION__ACTION_SUBMIT,
                                    "", &status, &now),
                      0);
    assert_int_equal (now, KJ__ENTRY_STATUS__ENTRY_SUBMITTED);
    assert_int_equal (s_transition (&fx, code, KJ__ENTRY_ACTION__ACTION_RETURN,
                                    "", &status, &now),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "reason");
    assert_int_equal (s_transition (&fx, code, KJ__ENTRY_ACTION__ACTION_RETURN,
                                    "营业执照不清晰", &status, &now),
                      0);
    assert_int_equal (now, KJ__ENTRY_STATUS__ENTRY_RETURNED);
    const Kj__EntryAction path [] = { KJ__ENTRY_ACTION__ACTION_SUBMIT,
                                      KJ__ENTRY_ACTION__ACTION_CITY_APPROVE,
                                      KJ__ENTRY_ACTION__ACTION_PROVINCE_APPROVE,
                                      KJ__ENTRY_ACTION__ACTION_PUBLICITY_PASS };
    for (size_t i = 0; i < 4; i++)
        assert_int_equal (s_transition (&fx, code, path [i], "", &status, &now),
                          0);
    assert_int_equal (now, KJ__ENTRY_STATUS__ENTRY_ACTIVE);
    assert_int_equal (s_transition (&fx, code, KJ__ENTRY_ACTION__ACTION_SUBMIT,
                                    "", &status, &now),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_int_equal (s_transition (&fx, code, KJ__ENTRY_ACTION__ACTION_REMOVE,
                                    "迁出辽宁", &status, &now),
                      0);
    assert_int_equal (s_transition (&fx, code,
                                    KJ__ENTRY_ACTION__ACTION_REINSTATE, "",
                                    &status, &now),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_non_null (strstr (status.message, "final"));

    size_t n;
    Kj__StatusChanged **events = (Kj__StatusChanged **)
        rfx_outbox_payloads (&fx, "registry.enterprise.status_changed", code,
                             &kj__status_changed__descriptor, &n);
    assert_int_equal (n, 7);
    assert_int_equal (events [1]->from, KJ__ENTRY_STATUS__ENTRY_SUBMITTED);
    assert_int_equal (events [1]->to, KJ__ENTRY_STATUS__ENTRY_RETURNED);
    assert_int_equal (events [1]->action, KJ__ENTRY_ACTION__ACTION_RETURN);
    assert_string_equal (events [1]->reason, "营业执照不清晰");
    assert_int_equal (events [6]->to, KJ__ENTRY_STATUS__ENTRY_REMOVED);
    rfx_payloads_free ((ProtobufCMessage **) events, n);

    PGresult
        *res = kj_db_exec (fx.db,
                           "SELECT count (*) FROM audit WHERE subject = $1 "
                           "AND action LIKE 'transition.%'",
                           1, (const char *[]){ code });
    assert_non_null (res);
    assert_string_equal (PQgetvalue (res, 0, 0), "7");
    PQclear (res);
    rfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  A qualification past its expiry: the job marks it, announces it, and
//  the stage that rested on it moves

static void
test_qualification_expiry (void **state)
{
    rfx_t fx;
    rfx_start (&fx, "registry_expiry", s_fast_expiry);
    char code [19];
    rfx_code ("211000", 88, code);
    Kj__EnterpriseReply *reply = rfx_register (&fx, code,
                                               "资质到期测试有限公司",
                                               "2015-03-01");
    kj__enterprise_reply__free_unpacked (reply, NULL);
    kj_status_t status;
    int rc;
    //  Flat ¥25m revenue: growth only thanks to HIGH_TECH
    reply = s_set_revenue (&fx, code, 2500, 2500, 2500, &status, &rc);
    assert_int_equal (rc, 0);
    kj__enterprise_reply__free_unpacked (reply, NULL);
    assert_int_equal (rfx_qualify (&fx, code,
                                   KJ__QUALIFICATION_KIND__QUAL_HIGH_TECH,
                                   KJ__LEVEL__LEVEL_NATIONAL, "2020-01-01",
                                   &status, &reply),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "qualification.expires_on");
    assert_non_null (strstr (status.message, "has passed"));
    assert_int_equal (rfx_qualify (&fx, code,
                                   KJ__QUALIFICATION_KIND__QUAL_HIGH_TECH,
                                   KJ__LEVEL__LEVEL_NATIONAL, "2199-12-31",
                                   &status, &reply),
                      0);
    assert_int_equal (reply->enterprise->stage->stage, KJ__STAGE__STAGE_GROWTH);
    assert_string_equal (reply->enterprise->stage->rule,
                         "growth.qualification");
    kj__enterprise_reply__free_unpacked (reply, NULL);
    assert_int_equal (rfx_outbox_count (&fx,
                                        "registry.enterprise."
                                        "qualification_added",
                                        code),
                      1);

    //  Time passes (in the database)
    assert_int_equal (
        kj_db_run (fx.db,
                   "UPDATE qualification SET expires_on = current_date - 1 "
                   "WHERE code = $1",
                   1, (const char *[]){ code }),
        1);
    int64_t end = kj_mono_us () + 10000000;
    while (kj_mono_us () < end
           && rfx_outbox_count (&fx,
                                "registry.enterprise.qualification_expired",
                                code)
                  == 0)
        zclock_sleep (100);
    assert_int_equal (rfx_outbox_count (&fx,
                                        "registry.enterprise."
                                        "qualification_expired",
                                        code),
                      1);
    size_t n;
    Kj__StageChanged **events = (Kj__StageChanged **)
        rfx_outbox_payloads (&fx, "registry.enterprise.stage_changed", code,
                             &kj__stage_changed__descriptor, &n);
    assert_true (n >= 2);
    assert_int_equal (events [n - 1]->from, KJ__STAGE__STAGE_GROWTH);
    assert_int_equal (events [n - 1]->to, KJ__STAGE__STAGE_STARTUP);
    assert_string_equal (events [n - 1]->by, "expiry");
    rfx_payloads_free ((ProtobufCMessage **) events, n);
    Kj__EnterpriseReply *holder;
    Kj__Enterprise *e = rfx_get (&fx, code, &holder);
    assert_int_equal (e->n_qualifications, 1);
    assert_true (e->qualifications [0]->expired);
    kj__enterprise_reply__free_unpacked (holder, NULL);
    //  Announced once, however often the job runs
    zclock_sleep (2500);
    assert_int_equal (rfx_outbox_count (&fx,
                                        "registry.enterprise."
                                        "qualification_expired",
                                        code),
                      1);
    rfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  Lists: filters and paging, exact

static char **
s_list (rfx_t *fx, Kj__ListEnterprisesRequest *request, size_t *n,
        uint64_t *total)
{
    //  Every page, concatenated
    char **codes = (char **) zmalloc (100 * sizeof (char *));
    *n = 0;
    char after [32] = "";
    Kj__Page page = KJ__PAGE__INIT;
    page.limit = 2;
    request->page = &page;
    do {
        page.after = after;
        Kj__ListEnterprisesReply *reply = NULL;
        kj_status_t status;
        assert_int_equal (rfx_call (fx, "ListEnterprises", &request->base,
                                    &kj__list_enterprises_reply__descriptor,
                                    &reply, &status, NULL, true),
                          0);
        assert_true (reply->n_enterprises <= 2);
        for (size_t i = 0; i < reply->n_enterprises; i++)
            codes [(*n)++] = strdup (reply->enterprises [i]->code);
        *total = reply->page_info->total;
        snprintf (after, sizeof after, "%s", reply->page_info->next);
        kj__list_enterprises_reply__free_unpacked (reply, NULL);
    } while (*after);
    return codes;
}

static void
s_codes_free (char **codes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free (codes [i]);
    free (codes);
}

//  List every page of request, expecting exactly one enterprise: code.
static void
s_assert_lists_one (rfx_t *fx, Kj__ListEnterprisesRequest *request,
                    const char *code)
{
    size_t n;
    uint64_t total;
    char **found = s_list (fx, request, &n, &total);
    assert_int_equal (n, 1);
    assert_string_equal (found [0], code);
    s_codes_free (found, n);
}

static void
test_list_filters_paging (void **state)
{
    rfx_t fx;
    rfx_start (&fx, "registry_list", NULL);
    //  Six enterprises: regions and names chosen for the filters
    const struct {
        const char *region, *name;
    } rows [] = {
        { "210100", "沈阳甲科技" }, { "210300", "鞍山乙科技" },
        { "210200", "大连丙科技" }, { "210800", "营口丁科技" },
        { "211200", "铁岭戊科技" }, { "210100", "沈阳己制造" },
    };
    char codes [6][19], founded [16];
    snprintf (founded, sizeof founded, "%d-01-01", rfx_year (&fx));
    for (unsigned i = 0; i < 6; i++) {
        rfx_code (rows [i].region, 100 + i, codes [i]);
        Kj__EnterpriseReply *reply = rfx_register (&fx, codes [i],
                                                   rows [i].name, founded);
        kj__enterprise_reply__free_unpacked (reply, NULL);
    }
    //  One of them holds SRDI, one is submitted
    assert_int_equal (rfx_qualify (&fx, codes [4],
                                   KJ__QUALIFICATION_KIND__QUAL_SRDI, 0,
                                   "2199-01-01", NULL, NULL),
                      0);
    Kj__EnterpriseReply *reply = NULL;
    Kj__TransitionRequest submit = KJ__TRANSITION_REQUEST__INIT;
    submit.code = codes [1];
    submit.action = KJ__ENTRY_ACTION__ACTION_SUBMIT;
    assert_int_equal (rfx_call (&fx, "Transition", &submit.base,
                                &kj__enterprise_reply__descriptor, &reply, NULL,
                                NULL, false),
                      0);
    kj__enterprise_reply__free_unpacked (reply, NULL);

    size_t n;
    uint64_t total;
    Kj__ListEnterprisesRequest request = KJ__LIST_ENTERPRISES_REQUEST__INIT;
    char **found = s_list (&fx, &request, &n, &total);
    assert_int_equal (n, 6);
    assert_int_equal (total, 6);
    for (size_t i = 1; i < n; i++)
        assert_true (strcmp (found [i - 1], found [i]) < 0);
    s_codes_free (found, n);

    //  The Shenyang metro area: Shenyang twice, Anshan, Tieling
    char *metro [] = { "SHENYANG_METRO" };
    request.regions = metro;
    request.n_regions = 1;
    found = s_list (&fx, &request, &n, &total);
    assert_int_equal (n, 4);
    assert_int_equal (total, 4);
    s_codes_free (found, n);

    char *shenyang [] = { "210100" };
    request.regions = shenyang;
    request.name_contains = "制造";
    s_assert_lists_one (&fx, &request, codes [5]);
    request.name_contains = "";
    request.n_regions = 0;

    Kj__QualificationKind kinds [] = { KJ__QUALIFICATION_KIND__QUAL_SRDI };
    request.qualifications = kinds;
    request.n_qualifications = 1;
    s_assert_lists_one (&fx, &request, codes [4]);
    request.n_qualifications = 0;

    Kj__EntryStatus statuses [] = { KJ__ENTRY_STATUS__ENTRY_SUBMITTED };
    request.statuses = statuses;
    request.n_statuses = 1;
    s_assert_lists_one (&fx, &request, codes [1]);
    request.n_statuses = 0;

    //  Founded this year, no revenue: incubation, all of them
    Kj__Stage stages [] = { KJ__STAGE__STAGE_INCUBATION };
    request.stages = stages;
    request.n_stages = 1;
    found = s_list (&fx, &request, &n, &total);
    assert_int_equal (n, 6);
    s_codes_free (found, n);

    char *bad [] = { "Shenyang" };
    request.page = NULL;
    request.n_stages = 0;
    request.regions = bad;
    request.n_regions = 1;
    Kj__ListEnterprisesReply *list = NULL;
    kj_status_t status;
    assert_int_equal (rfx_call (&fx, "ListEnterprises", &request.base,
                                &kj__list_enterprises_reply__descriptor, &list,
                                &status, NULL, true),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "regions");
    rfx_stop (&fx);
}

int
main (void)
{
    kj_log_init ("test_registry", getenv ("KEJIN_LOG_LEVEL"));
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_register_race),
        cmocka_unit_test (test_register_idempotent),
        cmocka_unit_test (test_code_rules),
        cmocka_unit_test (test_code_did_you_mean),
        cmocka_unit_test (test_code_options),
        cmocka_unit_test (test_validation),
        cmocka_unit_test (test_stage_recomputed),
        cmocka_unit_test (test_stage_override_audited),
        cmocka_unit_test (test_transitions),
        cmocka_unit_test (test_qualification_expiry),
        cmocka_unit_test (test_list_filters_paging),
        cmocka_unit_test (test_bound_not_reported),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
