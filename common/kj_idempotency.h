/*  =========================================================================
    kj_idempotency - a write's idempotency key, inside its transaction

    Used by kj_worker around every KJ_WRITE call with a key, alone or in a
    batch (kj_worker.h).
    =========================================================================
*/

#ifndef KJ_IDEMPOTENCY_H_INCLUDED
#define KJ_IDEMPOTENCY_H_INCLUDED

#include <czmq.h>
#include "kj_worker.h"

//  Claim the call's key in the open transaction: its lock (other calls
//  with the key wait until this transaction ends), then its row, in one
//  round trip with what waits to be sent. 1 if the key was seen before
//  (*stored_p the first reply's payload, or NULL with the call failed:
//  the key was used for another request), 0 the first time, -1 when the
//  database failed. hash receives the request's digest (method and
//  payload), for kj_idempotency_store.
int
    kj_idempotency_claim (kj_call_t *call, const char *method,
                          zframe_t *payload, char hash [41],
                          zframe_t **stored_p);

//  Store reply under the call's key, with the change (deferred to COMMIT).
//  0 or -1.
int
    kj_idempotency_store (kj_call_t *call, const char *method, const char *hash,
                          zframe_t *reply);

#endif
