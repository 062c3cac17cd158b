/*  =========================================================================
    kj_worker_batch - the calls of a KJ_BATCH method that reach a worker
    together, run in one transaction

    A worker with credit gets what waited for it in one message (KJW01).
    When two or more of those requests are calls of one KJ_BATCH method,
    each with an idempotency key, they are served here:

    1. BEGIN, every key's lock (in the keys' order, so two batches never
       wait for each other in a circle) and then every key's look-up: one
       round trip. A key seen before, a key twice in the batch, a call the
       daemon's admit hook refuses or whose body does not decode: that
       call runs alone, below, and answers as it always would.
    2. The method's batch handler, once for the rest: it pays (say) what
       it can in a few statements for all of them, and leaves any call it
       cannot simply do to run alone.
    3. Each done call's audit row and key row, and COMMIT: one round trip.
       Then the done calls are answered.
    4. Every call left runs alone, in its own transaction, with the
       method's handler (kj_worker_invoke_write), after the commit: it
       sees what the batch wrote, as if the batch's calls had come first.

    Whatever fails (the database, the handler, the COMMIT: a short budget
    at commit, a row the schema refuses), the transaction is rolled back
    and every call of it runs alone, so a batch never answers anything it
    did not commit, and never changes what a call answers: only how many
    transactions the calls took. Why: docs/write-call-cost.md, "Calls
    together (Session 28)".

    Part of kj_worker (kj_worker_private.h).
    =========================================================================
*/

#include "kejin.h"
#include "kj_worker_private.h"

typedef struct {
    kj_batch_item_t *item;
    kj_call_t call;
    ProtobufCMessage *input;
    ProtobufCMessage *output;
    zframe_t *reply;
    char hash [41];
    bool together;  //  in the transaction (else: alone, after it)
    bool done;      //  the handler did it
} s_call_t;

static int
s_by_key (const void *a, const void *b)
{
    const s_call_t *x = *(const s_call_t *const *) a;
    const s_call_t *y = *(const s_call_t *const *) b;
    return strcmp (x->item->header->idempotency_key,
                   y->item->header->idempotency_key);
}

//  Steps 1 to 3 for the calls marked together (count of them, in `order`
//  by key). 0 with the done calls' replies ready to send, or -1: nothing
//  committed, every call to run alone.
static int
s_together (kj_worker_t *self, const ProtobufCMethodDescriptor *md,
            kj_batch_fn *batch, s_call_t **order, int count)
{
    kj_db_t *db = self->config.db;
    if (kj_db_begin (db))
        return -1;
    //  Every lock, then every look-up: each look-up's snapshot follows
    //  every lock, as a call alone takes its key
    kj_db_query_t *queries = (kj_db_query_t *) zmalloc (2 * (size_t) count
                                                        * sizeof *queries);
    PGresult **res = (PGresult **) zmalloc (2 * (size_t) count * sizeof *res);
    for (int i = 0; i < count; i++) {
        const char **key = (const char **) &order [i]
                               ->item->header->idempotency_key;
        queries [i] = (kj_db_query_t){ KJ_WORKER_KEY_LOCK_SQL, 1, key };
        queries [count + i] = (kj_db_query_t){
            "SELECT 1 FROM kj_idempotency WHERE key = $1", 1, key
        };
    }
    int rc = kj_db_exec_many (db, queries, 2 * count, res);
    int fresh = 0;
    for (int i = 0; i < count; i++) {
        if (rc == 0 && PQntuples (res [count + i]) == 1)
            order [i]->together = false;  //  seen: answered alone
        else
            order [fresh++] = order [i];
    }
    for (int i = 0; rc == 0 && i < 2 * count; i++)
        PQclear (res [i]);
    free (queries);
    free (res);
    if (rc || fresh == 0) {
        kj_db_rollback (db);
        return -1;
    }
    //  The handler, once for the calls whose keys are new
    kj_call_t **calls = (kj_call_t **) zmalloc ((size_t) fresh
                                                * sizeof (kj_call_t *));
    const ProtobufCMessage **inputs = (const ProtobufCMessage **) zmalloc (
        (size_t) fresh * sizeof (ProtobufCMessage *));
    ProtobufCMessage **outputs = (ProtobufCMessage **) zmalloc (
        (size_t) fresh * sizeof (ProtobufCMessage *));
    bool *done = (bool *) zmalloc ((size_t) fresh * sizeof (bool));
    for (int i = 0; i < fresh; i++) {
        calls [i] = &order [i]->call;
        inputs [i] = order [i]->input;
        outputs [i] = order [i]->output = (ProtobufCMessage *)
            kj_call_message (calls [i], md->output);
    }
    rc = batch (calls, inputs, outputs, done, fresh);
    int did = 0;
    for (int i = 0; rc == 0 && i < fresh; i++) {
        s_call_t *one = order [i];
        one->done = done [i];
        if (!one->done)
            continue;
        did++;
        one->call.status.code = KJ__CODE__OK;
        one->call.reply = one->output;
        one->reply = kj_proto_frame (one->output, false);
        if (kj_worker_audit (&one->call, md, one->input, KJ__CODE__OK)
            || kj_worker_key_store (&one->call, md->name, one->hash,
                                    one->reply))
            rc = -1;
    }
    free (calls);
    free (inputs);
    free (outputs);
    free (done);
    if (rc == 0 && did > 0 && kj_db_commit (db) == 0)
        return 0;
    if (rc == 0 && did > 0)
        kj_info ("worker.batch_failed", "method=%s calls=%d sqlstate=%s",
                 md->name, did, kj_db_sqlstate (db));
    kj_db_rollback (db);
    return -1;
}

void
kj_worker_batch (kj_worker_t *self, int index, kj_batch_item_t *items, int n)
{
    const ProtobufCMethodDescriptor *md = &self->config.descriptor
                                               ->methods [index];
    s_call_t *calls = (s_call_t *) zmalloc ((size_t) n * sizeof (s_call_t));
    s_call_t **order = (s_call_t **) zmalloc ((size_t) n * sizeof (s_call_t *));
    int count = 0;
    for (int i = 0; i < n; i++) {
        s_call_t *one = &calls [i];
        one->item = &items [i];
        one->call = (kj_call_t){ .worker = self, .header = items [i].header };
        kj_status_ok (&one->call.status);
        //  What the daemon refuses, or a body that does not decode, is
        //  answered alone, by the request path, which records it
        if (self->config.admit
            && self->config.admit (self->config.hooks, &one->call, md))
            continue;
        kj_status_t bad;
        zframe_t *payload = items [i].payload;
        one->input = kj_proto_unpack (md->input,
                                      payload ? zframe_data (payload) : NULL,
                                      payload ? zframe_size (payload) : 0,
                                      &bad);
        if (!one->input)
            continue;
        kj_worker_key_hash (md->name, payload, one->hash);
        one->together = true;
        order [count++] = one;
    }
    //  A key twice: the later call runs alone, after the commit, and finds
    //  the first one's row
    qsort (order, (size_t) count, sizeof *order, s_by_key);
    int unique = 0;
    for (int i = 0; i < count; i++)
        if (unique
            && streq (order [unique - 1]->item->header->idempotency_key,
                      order [i]->item->header->idempotency_key))
            order [i]->together = false;
        else
            order [unique++] = order [i];
    uint64_t trips = kj_db_round_trips (self->config.db);
    int64_t at = kj_mono_us ();
    int rc = unique > 1
               ? s_together (self, md, self->batches [index], order, unique)
               : -1;
    int done = 0;
    for (int i = 0; i < n; i++) {
        s_call_t *one = &calls [i];
        if (rc == 0 && one->done) {
            done++;
            if (self->config.done)
                self->config.done (self->config.hooks, &one->call, index,
                                   KJ__CODE__OK,
                                   kj_mono_us () - one->item->arrived);
            kj_worker_reply (self, &one->item->address,
                             one->item->header->request_id, one->reply);
            one->reply = NULL;
        }
        zframe_destroy (&one->reply);
        if (one->input)
            protobuf_c_message_free_unpacked (one->input, NULL);
        kj_call_reset (&one->call);
    }
    kj_debug ("worker.batch",
              "method=%s calls=%d together=%d done=%d us=%" PRId64
              " trips=%" PRIu64,
              md->name, n, unique, done, kj_mono_us () - at,
              kj_db_round_trips (self->config.db) - trips);
    //  Every call the batch did not do runs alone, as if it came alone
    for (int i = 0; i < n; i++)
        if (!(rc == 0 && calls [i].done))
            kj_worker_serve (self, &items [i].address, items [i].header,
                             items [i].payload, items [i].arrived);
    free (order);
    free (calls);
}
