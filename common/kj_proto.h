/*  =========================================================================
    kj_proto - Kejin's body frames on top of MDP/0.1

    A Kejin request body is two frames: a header (the bytes "KJ\x01" and a
    kj.RequestHeader) and the payload (the method's input message). A reply
    body is a header ("KJ\x01" and a kj.ReplyHeader) and, on OK, the
    method's output message. The magic lets the broker tell Kejin bodies
    from opaque ones; it never changes either.
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

//  A reply header frame for request_id with the given status.
zframe_t *
    kj_proto_reply_frame (uint64_t request_id, const kj_status_t *status);

#endif
