/*  =========================================================================
    events_audit_sink - "events.audit": the broker's refusals on record

    A call the broker refuses for the caller's rights is recorded by the
    service it was for, when that service has a worker. The others (a
    service with no worker, a plain MDP call, a name the broker answers
    itself) the broker sends here: without a body, the refusal stamped in
    the caller, the method named SERVICE/METHOD. kj_worker writes each to
    the event log's audit trail (events_audit, the service "events.audit")
    and answers PERMISSION_DENIED with the broker's reason, before the
    caller hears of it; `kejin audit verify` checks it with the rest.
    Nothing else is served: a call that is not a stamped refusal is
    refused, and recorded as such. docs/security.md says why.
    =========================================================================
*/

#include "events_server.h"

//  --------------------------------------------------------------------------
//  Refused, called by anyone but the broker's stamp: refused in turn.

static int
s_refused (kj_call_t *call, const ProtobufCMessage *request,
           ProtobufCMessage *reply)
{
    (void) request;
    (void) reply;
    kj_call_fail (call, KJ__CODE__PERMISSION_DENIED, "method",
                  "events.audit records the calls the broker refused; it "
                  "takes nothing else");
    return -1;
}

const kj_method_t events_audit_sink_methods [] = { { "Refused", s_refused, 0 },
                                                   { NULL } };
