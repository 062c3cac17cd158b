/*  =========================================================================
    kj_worker_private - what the worker's files share: the worker, the
    call and its memory, and the steps of a call that the call path
    (kj_worker.c) and the write path (kj_worker_write.c) both take

    Private to kj_worker.c, kj_call.c and kj_worker_write.c; nothing else
    includes it. kj_worker.h is the interface.
    =========================================================================
*/

#ifndef KJ_WORKER_PRIVATE_H_INCLUDED
#define KJ_WORKER_PRIVATE_H_INCLUDED

#include <stdatomic.h>

//  Per-call memory: a list of blocks freed after the reply is sent.
typedef struct _block_t {
    struct _block_t *next;
    size_t used, size;
    max_align_t data [];
} block_t;

struct _kj_call_t {
    kj_worker_t *worker;
    const Kj__RequestHeader *header;
    kj_status_t status;
    block_t *blocks;
    void *note;                     //  the hooks' (kj_call_set_note)
    const ProtobufCMessage *reply;  //  the handler's, once it succeeded
};

struct _kj_worker_t {
    kj_worker_config_t config;  //  copy; strings owned by the caller
    kj_handler_fn **handlers;   //  by method index of the descriptor
    kj_batch_fn **batches;      //  by method index: KJ_BATCH's, else NULL
    int *flags;                 //  by method index
    zsock_t *sock;              //  DEALER to the broker, or NULL
    int64_t heartbeat_at;       //  when we next send a heartbeat
    int64_t expiry_at;          //  when we take the broker for dead
    int64_t reconnect_at;       //  when to reconnect, if sock is NULL
    atomic_bool stop;           //  set by kj_worker_stop, from any thread
    uint64_t served;
    int64_t started_us;  //  mono clock at kj_worker_new, for Health
    char instance [64];
    block_t *spare;      //  a first block kept between calls
    zchunk_t *batch;     //  KJW01 replies gathered
    bool batching;       //  replies go into batch (else: MDP REPLY)
    int64_t batch_from;  //  when the first of them was gathered
};

//  Free the call's memory, keeping one standard block for the next call
//  (kj_call.c)
void
    kj_call_reset (kj_call_t *call);

//  Run the handler once: the packed reply payload, or NULL with the
//  call's status saying why (kj_worker.c)
zframe_t *
    kj_worker_invoke (kj_call_t *call, const ProtobufCMethodDescriptor *md,
                      kj_handler_fn *handler, const ProtobufCMessage *input);

//  Record the call in the daemon's audit trail, if it keeps one: 0 or -1
//  (kj_worker.c)
int
    kj_worker_audit (kj_call_t *call, const ProtobufCMethodDescriptor *md,
                     const ProtobufCMessage *input, int code);

//  Serve one decoded request and send its reply (kj_worker.c); takes
//  nothing: the caller frees the frames and the header
void
    kj_worker_serve (kj_worker_t *self, zframe_t **address_p,
                     const Kj__RequestHeader *header, zframe_t *payload,
                     int64_t arrived);

//  Send an OK reply with its payload (taken) to address (taken)
//  (kj_worker.c)
void
    kj_worker_reply (kj_worker_t *self, zframe_t **address_p,
                     uint64_t request_id, zframe_t *payload);

//  A request of a KJ_BATCH method waiting for its batch's turn
typedef struct {
    zframe_t *address;
    Kj__RequestHeader *header;
    zframe_t *payload;
    int64_t arrived;
} kj_batch_item_t;

//  Serve n >= 2 requests of the KJ_BATCH method `index` together, or
//  each alone where they cannot be (kj_worker_batch.c); takes nothing
void
    kj_worker_batch (kj_worker_t *self, int index, kj_batch_item_t *items,
                     int n);

//  The idempotency key's lock ($1 the key): a second call with the key
//  waits for the first to commit
#define KJ_WORKER_KEY_LOCK_SQL                                                 \
    "SELECT pg_advisory_xact_lock (" KJ_LOCK_IDEMPOTENCY ", hashtext ($1))"

//  The request's digest, with its method, for its idempotency key; and
//  the key's row with the reply, deferred to COMMIT (kj_worker_write.c)
void
    kj_worker_key_hash (const char *method, zframe_t *payload, char hash [41]);
int
    kj_worker_key_store (kj_call_t *call, const char *method, const char *hash,
                         zframe_t *reply);

//  A KJ_WRITE method: transaction, idempotency, retries
//  (kj_worker_write.c)
zframe_t *
    kj_worker_invoke_write (kj_call_t *call,
                            const ProtobufCMethodDescriptor *md,
                            kj_handler_fn *handler,
                            const ProtobufCMessage *input, zframe_t *payload);

#endif
