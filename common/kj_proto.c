/*  =========================================================================
    kj_proto - Kejin's body frames on top of MDP/0.1
    =========================================================================
*/

#include "kejin.h"

int
kj_status_set (kj_status_t *status, int code, const char *field,
               const char *format, ...)
{
    status->code = code;
    kj_strlcpy (status->field, field ? field : "", sizeof status->field);
    va_list args;
    va_start (args, format);
    vsnprintf (status->message, sizeof status->message, format, args);
    va_end (args);
    kj_utf8_trim (status->message);     //  a long message is cut whole
    return -1;
}

void
kj_status_ok (kj_status_t *status)
{
    status->code = KJ__CODE__OK;
    status->field [0] = 0;
    status->message [0] = 0;
}

const char *
kj_code_name (int code)
{
    const ProtobufCEnumValue *value =
        protobuf_c_enum_descriptor_get_value (&kj__code__descriptor, code);
    if (value)
        return value->name;
    static __thread char name [32];
    snprintf (name, sizeof name, "CODE_%d", code);
    return name;
}

zframe_t *
kj_proto_frame (const ProtobufCMessage *message, bool magic)
{
    size_t offset = magic ? KJ_MAGIC_SIZE : 0;
    size_t size = protobuf_c_message_get_packed_size (message);
    zframe_t *frame = zframe_new (NULL, size + offset);
    byte *data = zframe_data (frame);
    if (magic)
        memcpy (data, KJ_MAGIC, KJ_MAGIC_SIZE);
    protobuf_c_message_pack (message, data + offset);
    return frame;
}

static bool
s_has_magic (const void *data, size_t size)
{
    return size >= KJ_MAGIC_SIZE && memcmp (data, KJ_MAGIC, KJ_MAGIC_SIZE) == 0;
}

Kj__RequestHeader *
kj_proto_request_header (const void *data, size_t size)
{
    if (!s_has_magic (data, size))
        return NULL;
    return kj__request_header__unpack (NULL, size - KJ_MAGIC_SIZE,
                                       (const uint8_t *) data + KJ_MAGIC_SIZE);
}

Kj__ReplyHeader *
kj_proto_reply_header (const void *data, size_t size)
{
    if (!s_has_magic (data, size))
        return NULL;
    return kj__reply_header__unpack (NULL, size - KJ_MAGIC_SIZE,
                                     (const uint8_t *) data + KJ_MAGIC_SIZE);
}

zframe_t *
kj_proto_reply_frame (uint64_t request_id, const kj_status_t *status)
{
    Kj__Status st = KJ__STATUS__INIT;
    st.code = (Kj__Code) status->code;
    st.message = (char *) status->message;
    st.field = (char *) status->field;
    Kj__ReplyHeader header = KJ__REPLY_HEADER__INIT;
    header.request_id = request_id;
    header.status = &st;
    return kj_proto_frame (&header.base, true);
}
