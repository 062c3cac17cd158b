/*  =========================================================================
    diag - the Diag service's handlers
    =========================================================================
*/

#include "diag.h"

//  --------------------------------------------------------------------------
//  Echo: the data back, and the name of the worker that answered; held
//  sleep_ms first, or failed when asked to, for the broker's tests.

static int
s_echo (kj_call_t *call, const ProtobufCMessage *request,
        ProtobufCMessage *reply)
{
    const Kj__EchoRequest *in = (const Kj__EchoRequest *) request;
    Kj__EchoReply *out = (Kj__EchoReply *) reply;
    if (in->sleep_ms > DIAG_SLEEP_MAX)
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "sleep_ms",
                             "sleep_ms: %u, at most %d", in->sleep_ms,
                             DIAG_SLEEP_MAX);
    if (in->sleep_ms)
        zclock_sleep ((int) in->sleep_ms);
    if (in->fail)
        return kj_call_fail (call, KJ__CODE__INTERNAL, NULL, "failed as asked");
    out->data = in->data;  //  lives until the reply is packed
    out->served_by = (char *) kj_call_instance (call);
    return 0;
}

const kj_method_t diag_methods [] = { { "Echo", s_echo, 0 }, { NULL } };
