/*  =========================================================================
    test_kj_json - messages as JSON through their descriptors: field order,
    enums by name, bytes as base64, an Envelope's payload decoded by its
    type, and text that is not UTF-8
    =========================================================================
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "kejin.h"
#include "registry.pb-c.h"

static void
s_assert_json (const ProtobufCMessage *message, const char *expected)
{
    char *json = kj_json_string (message, false);
    assert_non_null (json);
    assert_string_equal (json, expected);
    free (json);
}

static void
test_types_by_name (void **state)
{
    assert_ptr_equal (kj_json_type ("kj.Enterprise"),
                      &kj__enterprise__descriptor);
    assert_ptr_equal (kj_json_type ("kj.Envelope"), &kj__envelope__descriptor);
    assert_null (kj_json_type ("kj.NoSuchType"));
    assert_null (kj_json_type ("Enterprise"));
}

static void
test_scalars_enums_bytes (void **state)
{
    Kj__EchoRequest echo = KJ__ECHO_REQUEST__INIT;
    echo.data.data = (uint8_t *) "hi!";
    echo.data.len = 3;
    echo.sleep_ms = 3;
    echo.fail = true;
    s_assert_json (&echo.base, "{\"data\":\"aGkh\",\"sleep_ms\":3,"
                               "\"fail\":true}");
    echo.data.len = 2;
    echo.fail = false;
    s_assert_json (&echo.base, "{\"data\":\"aGk=\",\"sleep_ms\":3,"
                               "\"fail\":false}");

    Kj__Status status = KJ__STATUS__INIT;
    status.code = KJ__CODE__NOT_FOUND;
    status.message = "none";
    s_assert_json (&status.base, "{\"code\":\"NOT_FOUND\",\"message\":"
                                 "\"none\",\"field\":\"\"}");
    status.code = 99;  //  unknown: the number
    s_assert_json (&status.base, "{\"code\":99,\"message\":\"none\","
                                 "\"field\":\"\"}");

    Kj__Envelope envelope = KJ__ENVELOPE__INIT;
    envelope.occurred_at_us = -5;
    envelope.offset = 9007199254740993ULL;  //  2^53 + 1, exact
    char *json = kj_json_string (&envelope.base, false);
    assert_non_null (strstr (json, "\"offset\":9007199254740993,"));
    assert_non_null (strstr (json, "\"occurred_at_us\":-5,"));
    free (json);
}

static void
test_repeated_and_nested (void **state)
{
    Kj__ListEnterprisesRequest list = KJ__LIST_ENTERPRISES_REQUEST__INIT;
    char *regions [] = { "210100", "SFDZ" };
    list.regions = regions;
    list.n_regions = 2;
    Kj__Stage stages [] = { KJ__STAGE__STAGE_GROWTH };
    list.stages = stages;
    list.n_stages = 1;
    s_assert_json (
        &list.base,
        "{\"page\":null,\"regions\":[\"210100\",\"SFDZ\"],"
        "\"stages\":[\"STAGE_GROWTH\"],\"statuses\":[],\"qualifications\":[],"
        "\"name_contains\":\"\",\"industry\":\"\"}");
    Kj__Page page = KJ__PAGE__INIT;
    page.limit = 10;
    list.page = &page;
    list.n_regions = list.n_stages = 0;
    s_assert_json (&list.base,
                   "{\"page\":{\"limit\":10,\"after\":\"\"},\"regions\":[],"
                   "\"stages\":[],\"statuses\":[],\"qualifications\":[],"
                   "\"name_contains\":\"\",\"industry\":\"\"}");
}

static void
test_envelope_payload (void **state)
{
    Kj__StageChanged change = KJ__STAGE_CHANGED__INIT;
    change.code = "91210100MA0000000X";
    change.to = KJ__STAGE__STAGE_GROWTH;
    zframe_t *payload = kj_proto_frame (&change.base, false);
    Kj__Envelope envelope = KJ__ENVELOPE__INIT;
    envelope.topic = "registry.enterprise.stage_changed";
    envelope.payload_type = "kj.StageChanged";
    envelope.payload.data = zframe_data (payload);
    envelope.payload.len = zframe_size (payload);
    char *json = kj_json_string (&envelope.base, false);
    assert_non_null (strstr (json,
                             "\"payload\":{\"code\":"
                             "\"91210100MA0000000X\",\"from\":"
                             "\"STAGE_UNKNOWN\",\"to\":\"STAGE_GROWTH\","));
    free (json);

    //  A type nobody knows, or bytes that are not the type: base64
    envelope.payload_type = "kj.NoSuchType";
    uint8_t bytes [] = { 0x0a, 0x01, 'A' };
    envelope.payload.data = bytes;
    envelope.payload.len = sizeof bytes;
    json = kj_json_string (&envelope.base, false);
    assert_non_null (strstr (json, "\"payload\":\"CgFB\","));
    free (json);
    envelope.payload_type = "kj.StageChanged";
    envelope.payload.len = 2;  //  cut short
    json = kj_json_string (&envelope.base, false);
    assert_non_null (strstr (json, "\"payload\":\"CgE=\","));
    free (json);
    zframe_destroy (&payload);
}

//  protobuf-c does not check UTF-8: such a string lost its whole value
//  in the JSON (jansson refuses it) and now shows U+FFFD for each bad byte
static void
test_text_not_utf8 (void **state)
{
    Kj__EchoReply reply = KJ__ECHO_REPLY__INIT;
    reply.served_by = "a\xff"
                      "b\xe6\xb2\x88\xe6\xb2";  //  沈 and half of 阳
    s_assert_json (&reply.base, "{\"data\":\"\",\"served_by\":"
                                "\"a\xef\xbf\xbd"
                                "b\xe6\xb2\x88"
                                "\xef\xbf\xbd\xef\xbf\xbd\"}");
    reply.served_by = "\xed\xa0\x80";  //  a surrogate: three bad bytes
    s_assert_json (&reply.base, "{\"data\":\"\",\"served_by\":"
                                "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"}");
}

static void
test_pretty (void **state)
{
    Kj__Page page = KJ__PAGE__INIT;
    page.limit = 5;
    char *json = kj_json_string (&page.base, true);
    assert_string_equal (json, "{\n  \"limit\": 5,\n  \"after\": \"\"\n}");
    free (json);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_types_by_name),
        cmocka_unit_test (test_scalars_enums_bytes),
        cmocka_unit_test (test_repeated_and_nested),
        cmocka_unit_test (test_envelope_payload),
        cmocka_unit_test (test_text_not_utf8),
        cmocka_unit_test (test_pretty),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
