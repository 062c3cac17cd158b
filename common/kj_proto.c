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
    vsnprintf (status->message, sizeof status->message, _ (format), args);
    va_end (args);
    kj_utf8_trim (status->message);  //  a long message is cut whole
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
    return (Kj__RequestHeader *)
        kj_proto_unpack (&kj__request_header__descriptor,
                         (const uint8_t *) data + KJ_MAGIC_SIZE,
                         size - KJ_MAGIC_SIZE, NULL);
}

Kj__ReplyHeader *
kj_proto_reply_header (const void *data, size_t size)
{
    if (!s_has_magic (data, size))
        return NULL;
    return (Kj__ReplyHeader *) kj_proto_unpack (&kj__reply_header__descriptor,
                                                (const uint8_t *) data
                                                    + KJ_MAGIC_SIZE,
                                                size - KJ_MAGIC_SIZE, NULL);
}

//  --------------------------------------------------------------------------
//  Decoding within limits. The scan below reads the wire format exactly as
//  protobuf-c 1.4 does (tags of at most 5 bytes, varints of at most 10,
//  length prefixes of at most 5 and 2^31 - 1), so that bytes it calls
//  "not a valid" message are bytes protobuf-c would refuse too;
//  tests/fuzz/fuzz_proto checks that. One exception: field number 0,
//  which protobuf-c accepts when written in more than one byte. It allocates nothing and recurses only into fields its
//  descriptor says are messages, as protobuf-c does.

//  What one allocation costs beyond its size, for the memory estimate
#define ALLOC_OVERHEAD 16

//  A field that is not repeated but sent several times is merged by
//  protobuf-c, copying every repeated field inside it each time: quadratic
//  in the count. Encoders send such a field once.
#define MAX_OCCURRENCES 8

//  Fields of one message type at most (for the counts on the stack)
#define MAX_FIELDS 256

typedef struct {
    const kj_proto_limits_t *limits;
    const ProtobufCMessageDescriptor *type;  //  the top level
    size_t memory;
    kj_status_t *status;
} scan_t;

//  --------------------------------------------------------------------------
//  The limits every peer's message is decoded within

void
kj_proto_limits_default (kj_proto_limits_t *limits)
{
    limits->max_size = KJ_PROTO_MAX_SIZE;
    limits->max_depth = KJ_PROTO_MAX_DEPTH;
    limits->max_repeated = KJ_PROTO_MAX_REPEATED;
    limits->max_memory = KJ_PROTO_MAX_MEMORY;
}

//  --------------------------------------------------------------------------
//  One value's size in a repeated field's array, as protobuf-c lays it out

size_t
kj_proto_value_size (ProtobufCType type)
{
    switch (type) {
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_SINT64:
        case PROTOBUF_C_TYPE_SFIXED64:
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_FIXED64:
        case PROTOBUF_C_TYPE_DOUBLE:
            return 8;
        case PROTOBUF_C_TYPE_BOOL:
            return sizeof (protobuf_c_boolean);
        case PROTOBUF_C_TYPE_STRING:
        case PROTOBUF_C_TYPE_MESSAGE:
            return sizeof (void *);
        case PROTOBUF_C_TYPE_BYTES:
            return sizeof (ProtobufCBinaryData);
        case PROTOBUF_C_TYPE_ENUM:
            return sizeof (int);
        default:
            return 4;
    }
}

//  --------------------------------------------------------------------------
//  Bytes of a varint of at most max bytes at data [0 .. size), its value in
//  *value; 0 if it does not end within them.

static size_t
s_varint (const uint8_t *data, size_t size, size_t max, uint64_t *value)
{
    uint64_t result = 0;
    size_t limit = size < max ? size : max;
    for (size_t i = 0; i < limit; i++) {
        result |= (uint64_t) (data [i] & 0x7f) << (7 * i);
        if (!(data [i] & 0x80)) {
            *value = result;
            return i + 1;
        }
    }
    return 0;
}

//  Values in the body of a packed repeated field, counted as protobuf-c
//  counts them; false if the body cannot be one.
static bool
s_packed_count (ProtobufCType type, const uint8_t *data, size_t size,
                size_t *count)
{
    switch (type) {
        case PROTOBUF_C_TYPE_SFIXED32:
        case PROTOBUF_C_TYPE_FIXED32:
        case PROTOBUF_C_TYPE_FLOAT:
            *count = size / 4;
            return size % 4 == 0;
        case PROTOBUF_C_TYPE_SFIXED64:
        case PROTOBUF_C_TYPE_FIXED64:
        case PROTOBUF_C_TYPE_DOUBLE:
            *count = size / 8;
            return size % 8 == 0;
        case PROTOBUF_C_TYPE_BOOL:
            *count = size;
            return true;
        default:
            *count = 0;
            for (size_t i = 0; i < size; i++)
                if (!(data [i] & 0x80))
                    (*count)++;
            return true;
    }
}

static bool
s_packable (ProtobufCType type)
{
    return type != PROTOBUF_C_TYPE_STRING && type != PROTOBUF_C_TYPE_BYTES
        && type != PROTOBUF_C_TYPE_MESSAGE;
}

static int
s_malformed (scan_t *scan)
{
    if (scan->status)
        kj_status_set (scan->status, KJ__CODE__INVALID_ARGUMENT, NULL,
                       "not a valid %s", scan->type->name);
    return -1;
}

//  Count what decoding would allocate, in bytes, and fail when over the
//  limit.
static int
s_allocate (scan_t *scan, size_t bytes)
{
    scan->memory += bytes + ALLOC_OVERHEAD;
    if (scan->memory > scan->limits->max_memory) {
        if (scan->status)
            kj_status_set (scan->status, KJ__CODE__OUT_OF_RANGE, NULL,
                           "%s would take more than %zu bytes decoded",
                           scan->type->name, scan->limits->max_memory);
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Scan one message of type desc in data [0 .. size), at depth (1 for the
//  top level). 0 if it is within the limits, else -1 with the status set.

static int
s_scan (scan_t *scan, const ProtobufCMessageDescriptor *desc,
        const uint8_t *data, size_t size, size_t depth)
{
    if (depth > scan->limits->max_depth) {
        if (scan->status)
            kj_status_set (scan->status, KJ__CODE__OUT_OF_RANGE, NULL,
                           "%s is nested more than %zu messages deep",
                           scan->type->name, scan->limits->max_depth);
        return -1;
    }
    assert (desc->n_fields <= MAX_FIELDS);
    size_t counts [MAX_FIELDS];
    memset (counts, 0, desc->n_fields * sizeof (size_t));
    size_t unknown = 0;
    if (s_allocate (scan, desc->sizeof_message))
        return -1;

    size_t at = 0;
    while (at < size) {
        //  Tag: at most 5 bytes, and never field 0 in the first byte
        uint64_t tag;
        if ((data [at] & 0xf8) == 0)
            return s_malformed (scan);
        size_t used = s_varint (data + at, size - at, 5, &tag);
        if (!used)
            return s_malformed (scan);
        at += used;
        unsigned wire = (unsigned) (tag & 7);
        uint32_t number = (uint32_t) (tag >> 3);
        if (number == 0) {
            //  protobuf-c takes field 0 written in two bytes or more, but
            //  packs it in one, which it refuses: refuse it at once
            if (scan->status)
                kj_status_set (scan->status, KJ__CODE__INVALID_ARGUMENT, NULL,
                               "not a valid %s: field number 0",
                               scan->type->name);
            return -1;
        }
        const uint8_t *body = data + at;
        size_t length = 0;
        uint64_t value;
        if (wire == PROTOBUF_C_WIRE_TYPE_VARINT) {
            if (!(used = s_varint (body, size - at, 10, &value)))
                return s_malformed (scan);
            at += used;
        }
        else if (wire == PROTOBUF_C_WIRE_TYPE_64BIT
                 || wire == PROTOBUF_C_WIRE_TYPE_32BIT) {
            used = wire == PROTOBUF_C_WIRE_TYPE_64BIT ? 8 : 4;
            if (size - at < used)
                return s_malformed (scan);
            at += used;
        }
        else if (wire == PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED) {
            if (!(used = s_varint (body, size - at, 5, &value))
                || value > INT_MAX || value > size - at - used)
                return s_malformed (scan);
            body += used;
            length = (size_t) value;
            at += used + length;
        }
        else
            return s_malformed (scan);  //  groups, or no wire type

        const ProtobufCFieldDescriptor
            *field = protobuf_c_message_descriptor_get_field (desc, number);
        if (!field) {
            unknown++;
            if (s_allocate (scan, length))
                return -1;
            continue;
        }
        size_t index = (size_t) (field - desc->fields);
        if (field->label == PROTOBUF_C_LABEL_REPEATED
            && wire == PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED
            && s_packable (field->type)) {
            size_t count;
            if (!s_packed_count (field->type, body, length, &count))
                return s_malformed (scan);
            counts [index] += count;
        }
        else
            counts [index]++;

        if (field->label != PROTOBUF_C_LABEL_REPEATED
            && field->type == PROTOBUF_C_TYPE_MESSAGE
            && counts [index] > MAX_OCCURRENCES) {
            if (scan->status)
                kj_status_set (scan->status, KJ__CODE__INVALID_ARGUMENT,
                               field->name,
                               "%s.%s is sent more than %d "
                               "times",
                               desc->name, field->name, MAX_OCCURRENCES);
            return -1;
        }
        if (wire != PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED)
            continue;
        if (field->type == PROTOBUF_C_TYPE_MESSAGE) {
            if (s_scan (scan, field->descriptor, body, length, depth + 1))
                return -1;
        }
        else if (field->type == PROTOBUF_C_TYPE_STRING
                 || field->type == PROTOBUF_C_TYPE_BYTES) {
            if (s_allocate (scan, length + 1))
                return -1;
        }
    }
    //  The arrays of the repeated fields, and of the unknown fields
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &desc->fields [i];
        if (field->label != PROTOBUF_C_LABEL_REPEATED || !counts [i])
            continue;
        if (counts [i] > scan->limits->max_repeated) {
            if (scan->status)
                kj_status_set (scan->status, KJ__CODE__OUT_OF_RANGE,
                               field->name,
                               "%s.%s has %zu values, at most "
                               "%zu",
                               desc->name, field->name, counts [i],
                               scan->limits->max_repeated);
            return -1;
        }
        if (s_allocate (scan, counts [i] * kj_proto_value_size (field->type)))
            return -1;
    }
    if (unknown
        && s_allocate (scan, unknown * sizeof (ProtobufCMessageUnknownField)))
        return -1;
    return 0;
}

//  --------------------------------------------------------------------------
//  Scan, then decode: protobuf-c only sees bytes within the limits

ProtobufCMessage *
kj_proto_unpack_with (const ProtobufCMessageDescriptor *type, const void *data,
                      size_t size, const kj_proto_limits_t *limits,
                      kj_status_t *status)
{
    assert (type);
    assert (limits);
    if (size > limits->max_size) {
        if (status)
            kj_status_set (status, KJ__CODE__OUT_OF_RANGE, NULL,
                           "%s of %zu bytes is over the limit of %zu",
                           type->name, size, limits->max_size);
        return NULL;
    }
    scan_t scan = { .limits = limits, .type = type, .status = status };
    if (s_scan (&scan, type, size ? data : (const uint8_t *) "", size, 1))
        return NULL;
    ProtobufCMessage *message = protobuf_c_message_unpack (type, NULL, size,
                                                           data);
    if (!message)
        s_malformed (&scan);
    return message;
}

ProtobufCMessage *
kj_proto_unpack (const ProtobufCMessageDescriptor *type, const void *data,
                 size_t size, kj_status_t *status)
{
    kj_proto_limits_t limits;
    kj_proto_limits_default (&limits);
    return kj_proto_unpack_with (type, data, size, &limits, status);
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
