/*  =========================================================================
    kj_stub - a stand-in for the broker and one Kejin service together, for
    unit tests of the classes that call services (kj_subscriber, kj_relay)

    A thread answers every Kejin request that reaches a ROUTER on a
    loopback port: it decodes the header and hands the method, the header
    and the payload frame to the test's handler, which returns the reply
    payload (or NULL with a status); the stub sends the reply as the broker
    would. The handler runs on the stub's thread.
    =========================================================================
*/

#ifndef KJ_STUB_H_INCLUDED
#define KJ_STUB_H_INCLUDED

#include "kejin.h"

typedef zframe_t *(kj_stub_fn) (const char *service,
                                const Kj__RequestHeader *header, zframe_t *body,
                                kj_status_t *status, void *arg);

typedef struct _kj_stub_t kj_stub_t;

//  Bind and start answering. Asserts on failure (a test's programming
//  error or a machine without loopback).
kj_stub_t *
    kj_stub_new (kj_stub_fn *handler, void *arg);

//  Stop the thread and close the socket.
void
    kj_stub_destroy (kj_stub_t **self_p);

//  "tcp://127.0.0.1:<port>"
const char *
    kj_stub_endpoint (kj_stub_t *self);

#endif
