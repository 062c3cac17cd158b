/*  =========================================================================
    test_kj_proto - Kejin's body frames, statuses, and decoding within
    limits (kj_proto_unpack): each limit on both sides of its boundary
    =========================================================================
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "kejin.h"
#include "registry.pb-c.h"

//  --------------------------------------------------------------------------
//  Encode a message into a malloc'd buffer; size in *size.

static uint8_t *
s_pack (const ProtobufCMessage *message, size_t *size)
{
    *size = protobuf_c_message_get_packed_size (message);
    uint8_t *data = (uint8_t *) malloc (*size + 1);
    protobuf_c_message_pack (message, data);
    return data;
}

static void
s_limits (kj_proto_limits_t *limits, size_t size, size_t depth, size_t repeated,
          size_t memory)
{
    limits->max_size = size;
    limits->max_depth = depth;
    limits->max_repeated = repeated;
    limits->max_memory = memory;
}

static void
test_status_and_code_names (void **state)
{
    kj_status_t status;
    assert_int_equal (kj_status_set (&status, KJ__CODE__NOT_FOUND, "code",
                                     "no enterprise %s", "X"),
                      -1);
    assert_int_equal (status.code, KJ__CODE__NOT_FOUND);
    assert_string_equal (status.field, "code");
    assert_string_equal (status.message, "no enterprise X");
    kj_status_set (&status, KJ__CODE__INTERNAL, NULL, "x");
    assert_string_equal (status.field, "");
    kj_status_ok (&status);
    assert_int_equal (status.code, KJ__CODE__OK);
    assert_string_equal (status.field, "");
    assert_string_equal (status.message, "");
    assert_string_equal (kj_code_name (3), "INVALID_ARGUMENT");
    assert_string_equal (kj_code_name (14), "UNAVAILABLE");
    assert_string_equal (kj_code_name (99), "CODE_99");
}

static void
test_frames_and_headers (void **state)
{
    Kj__RequestHeader header = KJ__REQUEST_HEADER__INIT;
    header.request_id = 42;
    header.method = "Echo";
    header.timeout_ms = 1500;
    zframe_t *frame = kj_proto_frame (&header.base, true);
    assert_memory_equal (zframe_data (frame), KJ_MAGIC, KJ_MAGIC_SIZE);
    Kj__RequestHeader *back = kj_proto_request_header (zframe_data (frame),
                                                       zframe_size (frame));
    assert_non_null (back);
    assert_int_equal (back->request_id, 42);
    assert_string_equal (back->method, "Echo");
    assert_int_equal (back->timeout_ms, 1500);
    kj__request_header__free_unpacked (back, NULL);
    //  Without the magic, or with it cut short: not a Kejin header
    assert_null (kj_proto_request_header ((byte *) zframe_data (frame) + 1,
                                          zframe_size (frame) - 1));
    assert_null (kj_proto_request_header ("KJ", 2));
    assert_null (kj_proto_request_header ("KJ\x01\x0a\x05", 5));
    zframe_destroy (&frame);

    //  Without magic the frame is the bare message
    frame = kj_proto_frame (&header.base, false);
    assert_int_equal (zframe_size (frame),
                      protobuf_c_message_get_packed_size (&header.base));
    zframe_destroy (&frame);

    kj_status_t status;
    kj_status_set (&status, KJ__CODE__OUT_OF_RANGE, "offset", "too old");
    frame = kj_proto_reply_frame (7, &status);
    Kj__ReplyHeader *reply = kj_proto_reply_header (zframe_data (frame),
                                                    zframe_size (frame));
    assert_non_null (reply);
    assert_int_equal (reply->request_id, 7);
    assert_int_equal (reply->status->code, KJ__CODE__OUT_OF_RANGE);
    assert_string_equal (reply->status->field, "offset");
    assert_string_equal (reply->status->message, "too old");
    kj__reply_header__free_unpacked (reply, NULL);
    zframe_destroy (&frame);
}

static void
test_unpack_valid_and_malformed (void **state)
{
    Kj__EchoRequest echo = KJ__ECHO_REQUEST__INIT;
    echo.data.data = (uint8_t *) "hello";
    echo.data.len = 5;
    echo.sleep_ms = 3;
    size_t size;
    uint8_t *data = s_pack (&echo.base, &size);
    kj_status_t status;
    Kj__EchoRequest *back = (Kj__EchoRequest *)
        kj_proto_unpack (&kj__echo_request__descriptor, data, size, &status);
    assert_non_null (back);
    assert_int_equal (back->data.len, 5);
    assert_memory_equal (back->data.data, "hello", 5);
    assert_int_equal (back->sleep_ms, 3);
    kj__echo_request__free_unpacked (back, NULL);

    //  Empty is a valid message with every field at its default
    back = (Kj__EchoRequest *) kj_proto_unpack (&kj__echo_request__descriptor,
                                                NULL, 0, &status);
    assert_non_null (back);
    assert_int_equal (back->sleep_ms, 0);
    kj__echo_request__free_unpacked (back, NULL);

    //  Cut short anywhere inside a field: refused, naming the type
    assert_int_equal (size, 9);  //  [0a 05 hello] [10 03]
    for (size_t cut = 1; cut < size; cut++) {
        if (cut == 7)
            continue;  //  the first field whole is valid
        status.code = 0;
        assert_null (kj_proto_unpack (&kj__echo_request__descriptor, data, cut,
                                      &status));
        assert_int_equal (status.code, KJ__CODE__INVALID_ARGUMENT);
        assert_string_equal (status.message, "not a valid kj.EchoRequest");
    }
    free (data);

    //  Field 0, a group, an unterminated varint, a length past the end,
    //  a known field of the wrong wire type
    const char *bad [] = { "\x00\x01",
                           "\x0b\x0c",
                           "\x10\xff\xff\xff\xff\xff"
                           "\xff\xff\xff\xff\xff\x01",
                           "\x0a\x05"
                           "abc",
                           "\x0a\x7f",
                           "\x10\x01\x0d"
                           "abc" };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        size_t length = i == 0 ? 2 : strlen (bad [i]);
        assert_null (kj_proto_unpack (&kj__echo_request__descriptor, bad [i],
                                      length, &status));
        assert_int_equal (status.code, KJ__CODE__INVALID_ARGUMENT);
    }
    //  Field number 0 in two bytes: protobuf-c reads it but packs it in
    //  one byte that it then refuses (found by fuzz_proto)
    const uint8_t zero [] = { 0x82, 0x00, 0x02, 'x', '0' };
    back = (Kj__EchoRequest *)
        protobuf_c_message_unpack (&kj__echo_request__descriptor, NULL,
                                   sizeof zero, zero);
    assert_non_null (back);
    kj__echo_request__free_unpacked (back, NULL);
    assert_null (kj_proto_unpack (&kj__echo_request__descriptor, zero,
                                  sizeof zero, &status));
    assert_int_equal (status.code, KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.message,
                         "not a valid kj.EchoRequest: field number 0");

    //  Unknown fields are kept, as protobuf-c does
    back = (Kj__EchoRequest *) kj_proto_unpack (&kj__echo_request__descriptor,
                                                "\x78\x01\x10\x02", 4, &status);
    assert_non_null (back);
    assert_int_equal (back->sleep_ms, 2);
    assert_int_equal (back->base.n_unknown_fields, 1);
    kj__echo_request__free_unpacked (back, NULL);
}

static void
test_unpack_size_limit (void **state)
{
    Kj__EchoRequest echo = KJ__ECHO_REQUEST__INIT;
    uint8_t bytes [100] = { 0 };
    echo.data.data = bytes;
    echo.data.len = sizeof bytes;
    size_t size;
    uint8_t *data = s_pack (&echo.base, &size);
    kj_proto_limits_t limits;
    kj_proto_limits_default (&limits);
    assert_int_equal (limits.max_size, KJ_PROTO_MAX_SIZE);
    limits.max_size = size;
    kj_status_t status;
    ProtobufCMessage
        *message = kj_proto_unpack_with (&kj__echo_request__descriptor, data,
                                         size, &limits, &status);
    assert_non_null (message);
    protobuf_c_message_free_unpacked (message, NULL);
    limits.max_size = size - 1;
    assert_null (kj_proto_unpack_with (&kj__echo_request__descriptor, data,
                                       size, &limits, &status));
    assert_int_equal (status.code, KJ__CODE__OUT_OF_RANGE);
    assert_string_equal (status.field, "");
    assert_string_equal (status.message, "kj.EchoRequest of 102 bytes is "
                                         "over the limit of 101");
    free (data);
}

static void
test_unpack_repeated_limit (void **state)
{
    Kj__ListEnterprisesRequest list = KJ__LIST_ENTERPRISES_REQUEST__INIT;
    char *regions [] = { "210100", "210200", "SFDZ" };
    list.regions = regions;
    list.n_regions = 3;
    Kj__Stage stages [] = { 1, 2, 3, 4 };
    list.stages = stages;  //  packed: one field, four values
    list.n_stages = 4;
    size_t size;
    uint8_t *data = s_pack (&list.base, &size);
    kj_proto_limits_t limits;
    s_limits (&limits, 1000, 4, 4, 100000);
    kj_status_t status;
    Kj__ListEnterprisesRequest *back = (Kj__ListEnterprisesRequest *)
        kj_proto_unpack_with (&kj__list_enterprises_request__descriptor, data,
                              size, &limits, &status);
    assert_non_null (back);
    assert_int_equal (back->n_regions, 3);
    assert_int_equal (back->n_stages, 4);
    kj__list_enterprises_request__free_unpacked (back, NULL);

    //  Packed values count one by one
    limits.max_repeated = 3;
    assert_null (
        kj_proto_unpack_with (&kj__list_enterprises_request__descriptor, data,
                              size, &limits, &status));
    assert_int_equal (status.code, KJ__CODE__OUT_OF_RANGE);
    assert_string_equal (status.field, "stages");
    assert_string_equal (status.message, "kj.ListEnterprisesRequest.stages "
                                         "has 4 values, at most 3");
    free (data);

    //  Unpacked values too
    list.n_stages = 0;
    data = s_pack (&list.base, &size);
    limits.max_repeated = 2;
    assert_null (
        kj_proto_unpack_with (&kj__list_enterprises_request__descriptor, data,
                              size, &limits, &status));
    assert_string_equal (status.field, "regions");
    free (data);
}

static void
test_unpack_depth_limit (void **state)
{
    //  RegisterEnterpriseRequest > Enterprise > YearFigures: three deep
    Kj__YearFigures figures = KJ__YEAR_FIGURES__INIT;
    figures.year = 2025;
    Kj__YearFigures *list [] = { &figures };
    Kj__Enterprise enterprise = KJ__ENTERPRISE__INIT;
    enterprise.figures = list;
    enterprise.n_figures = 1;
    Kj__RegisterEnterpriseRequest request =
        KJ__REGISTER_ENTERPRISE_REQUEST__INIT;
    request.enterprise = &enterprise;
    size_t size;
    uint8_t *data = s_pack (&request.base, &size);
    kj_proto_limits_t limits;
    s_limits (&limits, 1000, 3, 10, 100000);
    kj_status_t status;
    Kj__RegisterEnterpriseRequest *back = (Kj__RegisterEnterpriseRequest *)
        kj_proto_unpack_with (&kj__register_enterprise_request__descriptor,
                              data, size, &limits, &status);
    assert_non_null (back);
    assert_int_equal (back->enterprise->figures [0]->year, 2025);
    kj__register_enterprise_request__free_unpacked (back, NULL);
    limits.max_depth = 2;
    assert_null (
        kj_proto_unpack_with (&kj__register_enterprise_request__descriptor,
                              data, size, &limits, &status));
    assert_int_equal (status.code, KJ__CODE__OUT_OF_RANGE);
    assert_string_equal (status.message, "kj.RegisterEnterpriseRequest is "
                                         "nested more than 2 messages deep");
    free (data);
}

static void
test_unpack_memory_limit (void **state)
{
    //  1,000 empty strings: 2 bytes each on the wire, far more decoded
    size_t count = 1000;
    uint8_t *data = (uint8_t *) malloc (count * 2);
    for (size_t i = 0; i < count; i++)
        memcpy (data + i * 2, "\x12\x00", 2);
    kj_proto_limits_t limits;
    s_limits (&limits, 1 << 20, 4, count, 1 << 20);
    kj_status_t status;
    ProtobufCMessage *message =
        kj_proto_unpack_with (&kj__list_enterprises_request__descriptor, data,
                              count * 2, &limits, &status);
    assert_non_null (message);
    protobuf_c_message_free_unpacked (message, NULL);
    limits.max_memory = 10000;
    assert_null (
        kj_proto_unpack_with (&kj__list_enterprises_request__descriptor, data,
                              count * 2, &limits, &status));
    assert_int_equal (status.code, KJ__CODE__OUT_OF_RANGE);
    assert_string_equal (status.message, "kj.ListEnterprisesRequest would "
                                         "take more than 10000 bytes decoded");
    free (data);
}

//  A field that is not repeated, sent many times, each time with one
//  value of a repeated field inside: protobuf-c merges them by copying
//  every array each time. 40,000 copies (160 KB) took 5 s in protobuf-c.
static void
test_unpack_refuses_repeated_singular_message (void **state)
{
    size_t count = 40000;
    uint8_t *data = (uint8_t *) malloc (count * 4);
    for (size_t i = 0; i < count; i++)
        memcpy (data + i * 4, "\x0a\x02\x72\x00", 4);
    kj_status_t status;
    int64_t start = kj_mono_us ();
    assert_null (kj_proto_unpack (&kj__register_enterprise_request__descriptor,
                                  data, count * 4, &status));
    assert_true (kj_mono_us () - start < 100000);
    assert_int_equal (status.code, KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "enterprise");
    assert_string_equal (status.message,
                         "kj.RegisterEnterpriseRequest."
                         "enterprise is sent more than 8 times");
    //  Eight times is still merged, as the protobuf encoding allows
    Kj__RegisterEnterpriseRequest *back = (Kj__RegisterEnterpriseRequest *)
        kj_proto_unpack (&kj__register_enterprise_request__descriptor, data,
                         8 * 4, &status);
    assert_non_null (back);
    assert_int_equal (back->enterprise->n_figures, 8);
    kj__register_enterprise_request__free_unpacked (back, NULL);
    assert_null (kj_proto_unpack (&kj__register_enterprise_request__descriptor,
                                  data, 9 * 4, &status));
    free (data);
}

static void
test_value_size (void **state)
{
    assert_int_equal (kj_proto_value_size (PROTOBUF_C_TYPE_INT32), 4);
    assert_int_equal (kj_proto_value_size (PROTOBUF_C_TYPE_UINT64), 8);
    assert_int_equal (kj_proto_value_size (PROTOBUF_C_TYPE_STRING),
                      sizeof (char *));
    assert_int_equal (kj_proto_value_size (PROTOBUF_C_TYPE_BYTES),
                      sizeof (ProtobufCBinaryData));
    assert_int_equal (kj_proto_value_size (PROTOBUF_C_TYPE_BOOL),
                      sizeof (protobuf_c_boolean));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_status_and_code_names),
        cmocka_unit_test (test_frames_and_headers),
        cmocka_unit_test (test_unpack_valid_and_malformed),
        cmocka_unit_test (test_unpack_size_limit),
        cmocka_unit_test (test_unpack_repeated_limit),
        cmocka_unit_test (test_unpack_depth_limit),
        cmocka_unit_test (test_unpack_memory_limit),
        cmocka_unit_test (test_unpack_refuses_repeated_singular_message),
        cmocka_unit_test (test_value_size),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
