/*  =========================================================================
    kj_proto - Kejin's body frames on top of MDP/0.1

    A Kejin request body is two frames: a header (the bytes "KJ\x01" and a
    kj.RequestHeader) and the payload (the method's input message). A reply
    body is a header ("KJ\x01" and a kj.ReplyHeader) and, on OK, the
    method's output message. The magic lets the broker tell Kejin bodies
    from opaque ones; it never changes either.

    Every message that comes from another process is decoded through
    kj_proto_unpack. protobuf-c itself has no limits: a few bytes of
    nested or repeated empty fields make it allocate a hundred times their
    size. kj_proto_unpack first walks the wire bytes once, without
    allocating, and refuses a message that is too big, nested too deep,
    has too many values in one repeated field or would take too much
    memory once decoded, with a status naming the field.
    =========================================================================
*/

#ifndef KJ_PROTO_H_INCLUDED
#define KJ_PROTO_H_INCLUDED

#include <czmq.h>
#include <protobuf-c/protobuf-c.h>
#include "common.pb-c.h"

#define KJ_MAGIC      "KJ\x01"
#define KJ_MAGIC_SIZE 3

//  A status as C code handles it: a code from kj.Code, the field at fault
//  (may be empty) and a message for people.
typedef struct {
    int code;
    char field [64];
    char message [512];
} kj_status_t;

//  Set a status; returns -1 so that `return kj_status_set (...)` reads well
//  in functions that fail. `field` may be NULL. The format is translated
//  into the thread's language (kj_i18n) before it is filled in.
int
    kj_status_set (kj_status_t *status, int code, const char *field,
                   const char *format, ...)
        __attribute__ ((format (printf, 4, 5)));

void
    kj_status_ok (kj_status_t *status);

//  "INVALID_ARGUMENT" for 3, and so on; "CODE_<n>" for unknown numbers.
const char *
    kj_code_name (int code);

//  Encode a message into a new frame; with `magic`, prefixed by "KJ\x01".
zframe_t *
    kj_proto_frame (const ProtobufCMessage *message, bool magic);

//  If data starts with the magic and the rest decodes as a request header,
//  return it (free with kj__request_header__free_unpacked); else NULL.
Kj__RequestHeader *
    kj_proto_request_header (const void *data, size_t size);

Kj__ReplyHeader *
    kj_proto_reply_header (const void *data, size_t size);

//  Limits on one decoded message. The defaults (kj_proto_limits_default)
//  are KJ_PROTO_MAX_* below.
typedef struct {
    size_t max_size;      //  wire bytes
    size_t max_depth;     //  messages inside messages; top level is 1
    size_t max_repeated;  //  values of one repeated field, per message
    size_t max_memory;    //  bytes the decoded message may allocate,
                          //  estimated from the wire
} kj_proto_limits_t;

#define KJ_PROTO_MAX_SIZE     (64 * 1024 * 1024)  //  KJ_MAX_MSG_SIZE
#define KJ_PROTO_MAX_DEPTH    32
#define KJ_PROTO_MAX_REPEATED 100000
#define KJ_PROTO_MAX_MEMORY   (256 * 1024 * 1024)

void
    kj_proto_limits_default (kj_proto_limits_t *limits);

//  Decode data [0 .. size) as a message of type, within the default
//  limits. Returns the message (free with protobuf_c_message_free_unpacked,
//  NULL allocator), or NULL with status set: OUT_OF_RANGE (field: the
//  repeated field, or empty) for a message over a limit, INVALID_ARGUMENT
//  for bytes that are not a valid message of type. status may be NULL.
ProtobufCMessage *
    kj_proto_unpack (const ProtobufCMessageDescriptor *type, const void *data,
                     size_t size, kj_status_t *status);

//  The same with explicit limits.
ProtobufCMessage *
    kj_proto_unpack_with (const ProtobufCMessageDescriptor *type,
                          const void *data, size_t size,
                          const kj_proto_limits_t *limits, kj_status_t *status);

//  Bytes one value of a field of this type takes in its C struct (the
//  element size of a repeated field's array).
size_t
    kj_proto_value_size (ProtobufCType type);

//  A reply header frame for request_id with the given status.
zframe_t *
    kj_proto_reply_frame (uint64_t request_id, const kj_status_t *status);

#endif
