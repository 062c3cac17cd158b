/*  =========================================================================
    fuzz_proto - every Kejin message type through kj_proto_unpack, the one
    decoder of every request a worker serves, every reply a client reads
    and every header the broker and the workers read

    Input: a type name ("kj.EchoRequest"), a NUL, then the wire bytes; when
    the name is unknown or missing, the first byte picks a type of the
    table of every message (kj_all_types) and the rest is the wire. Checks:
    - bytes the limit scan calls malformed are bytes protobuf-c refuses
      too (the scan never refuses a valid message for its form; field
      number 0 is refused on purpose, see kj_proto.c);
    - a decoded message packs, decodes again and packs to the same bytes;
    - it converts to JSON (an Envelope's payload is decoded by its type).
    =========================================================================
*/

#include "kejin.h"

extern const ProtobufCMessageDescriptor *const kj_all_types [];

static size_t
s_type_count (void)
{
    static size_t count;
    if (!count)
        while (kj_all_types [count])
            count++;
    return count;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const ProtobufCMessageDescriptor *type = NULL;
    const uint8_t *nul = memchr (data, 0, size < 64 ? size : 64);
    if (nul) {
        char name [64];
        memcpy (name, data, (size_t) (nul - data) + 1);
        type = kj_json_type (name);
    }
    if (type) {
        size -= (size_t) (nul - data) + 1;
        data = nul + 1;
    }
    else {
        type = kj_all_types [data [0] % s_type_count ()];
        data++;
        size--;
    }
    kj_status_t status;
    ProtobufCMessage *message = kj_proto_unpack (type, data, size, &status);
    if (!message) {
        assert (status.code == KJ__CODE__INVALID_ARGUMENT
                || status.code == KJ__CODE__OUT_OF_RANGE);
        char plain [128];
        snprintf (plain, sizeof plain, "not a valid %s", type->name);
        if (streq (status.message, plain)) {
            //  Malformed: protobuf-c must agree
            ProtobufCMessage *raw = protobuf_c_message_unpack (type, NULL, size,
                                                               data);
            if (raw) {
                fprintf (stderr, "kj_proto_unpack refused a valid %s: %s\n",
                         type->name, status.message);
                abort ();
            }
        }
        return 0;
    }
    size_t packed_size = protobuf_c_message_get_packed_size (message);
    uint8_t *packed = (uint8_t *) malloc (packed_size + 1);
    assert (protobuf_c_message_pack (message, packed) == packed_size);
    ProtobufCMessage *again = kj_proto_unpack (type, packed, packed_size,
                                               &status);
    if (!again) {
        fprintf (stderr, "%s did not decode after packing: %s\n", type->name,
                 status.message);
        abort ();
    }
    size_t again_size = protobuf_c_message_get_packed_size (again);
    uint8_t *repacked = (uint8_t *) malloc (again_size + 1);
    protobuf_c_message_pack (again, repacked);
    if (again_size != packed_size
        || memcmp (packed, repacked, packed_size) != 0) {
        fprintf (stderr, "%s packed differently after a round trip\n",
                 type->name);
        abort ();
    }
    char *json = kj_json_string (message, false);
    free (json);
    free (repacked);
    free (packed);
    protobuf_c_message_free_unpacked (again, NULL);
    protobuf_c_message_free_unpacked (message, NULL);
    return 0;
}
