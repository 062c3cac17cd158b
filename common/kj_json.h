/*  =========================================================================
    kj_json - any Kejin protobuf message as JSON, through its descriptor

    For `--json` output and for integrators' tools. Field names as in the
    .proto file; enums by name; int64/uint64 as JSON integers; bytes as
    base64, except an Envelope's payload, which is decoded through its
    payload_type and shown as an object.
    =========================================================================
*/

#ifndef KJ_JSON_H_INCLUDED
#define KJ_JSON_H_INCLUDED

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

//  A new JSON object for message (caller json_decref's it).
json_t *
    kj_json_from_message (const ProtobufCMessage *message);

//  The message as one line of JSON, or indented when pretty; caller frees.
char *
    kj_json_string (const ProtobufCMessage *message, bool pretty);

//  The descriptor of a message type of proto/ by its full name
//  ("kj.Enterprise"), or NULL.
const ProtobufCMessageDescriptor *
    kj_json_type (const char *name);

#endif
