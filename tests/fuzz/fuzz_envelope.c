/*  =========================================================================
    fuzz_envelope - an event as a subscriber and `kejin events --json` read
    it: the Envelope through kj_proto_unpack, then its payload decoded by
    the type it names (kj_json_type) and shown as JSON

    Input: the Envelope's wire bytes, as in the third frame of a published
    event or in a ReplayReply.
    =========================================================================
*/

#include "kejin.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    kj_status_t status;
    Kj__Envelope *event = (Kj__Envelope *)
        kj_proto_unpack (&kj__envelope__descriptor, data, size, &status);
    if (!event)
        return 0;
    //  What kj_subscriber reads of it, then the JSON of it all
    assert (event->topic && event->payload_type);
    const ProtobufCMessageDescriptor *type = kj_json_type (event->payload_type);
    if (type) {
        ProtobufCMessage *payload = kj_proto_unpack (type, event->payload.data,
                                                     event->payload.len,
                                                     &status);
        if (payload)
            protobuf_c_message_free_unpacked (payload, NULL);
    }
    char *json = kj_json_string (&event->base, true);
    free (json);
    kj__envelope__free_unpacked (event, NULL);
    return 0;
}
