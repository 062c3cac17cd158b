/*  =========================================================================
    bench_events - the event log beside raw PostgreSQL, in one run

    - append: Appends of synthetic events sent straight to events.writer
      (4 producers, one in flight each), by batch size, beside a raw
      binary COPY and a raw multi-row INSERT of the same rows (same
      columns, same bytes) into a table shaped like the log, each 1,000
      rows per transaction
    - replay: the whole log read back through Replay, 10,000 per request
    - commit->deliver: producers commit 5,000 events/s into an outbox; the
      real relay hands them over; a kj_subscriber receives them live;
      latency from COMMIT's return in the producer to the callback, p50
      and p99, and the same for each hop on the way (the relay's wake-up
      and read, the Append's way, the writer's commit, publication)
    Targets (docs/events-design.md): append >= 50,000 events/s and >= 80%
    of raw COPY at batch 5,000; replay >= 200,000 events/s;
    commit->deliver p99 <= 5 ms at 5,000 events/s.
    =========================================================================
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include "../system/events_fixture.h"

#define PAYLOAD         100
#define PER_SIZE        200000  //  events appended per batch size
#define IN_FLIGHT       4
#define RATE            5000  //  events/s for the latency run
#define LATENCY_S       10
#define LATENCY_THREADS 4
#define LATENCY_PER_TX  5

//  The bench's own (txid, id) sequences, one per producer: the writer
//  takes only txids of finished transactions, so one old one (3, the
//  first normal txid) with ids that grow. Each of the IN_FLIGHT Appends
//  is another producer's, with one Append in flight each, as relays do
#define BENCH_TXID 3
static uint64_t s_id [IN_FLIGHT];

//  --------------------------------------------------------------------------
//  Append throughput: batches of `batch` events, IN_FLIGHT at once

static double
s_bench_append (fx_t *fx, int batch, int total, uint64_t *envelope_size)
{
    uint8_t payload [PAYLOAD];
    memset (payload, 'x', sizeof payload);
    Kj__Envelope *envelopes = (Kj__Envelope *) calloc ((size_t) batch,
                                                       sizeof (Kj__Envelope));
    Kj__OutboxEvent *items = (Kj__OutboxEvent *)
        calloc ((size_t) batch, sizeof (Kj__OutboxEvent));
    Kj__OutboxEvent **pointers = (Kj__OutboxEvent **)
        calloc ((size_t) batch, sizeof (Kj__OutboxEvent *));
    char (*keys) [24] = calloc ((size_t) batch, 24);
    for (int i = 0; i < batch; i++) {
        kj__envelope__init (&envelopes [i]);
        envelopes [i].topic = (char *) "bench.item.created";
        envelopes [i].key = keys [i];
        envelopes [i].origin_city = (char *) "210100";
        envelopes [i].producer = (char *) "bench";
        envelopes [i].payload_type = (char *) "kj.EchoRequest";
        envelopes [i].payload.data = payload;
        envelopes [i].payload.len = PAYLOAD;
        kj__outbox_event__init (&items [i]);
        items [i].event = &envelopes [i];
        pointers [i] = &items [i];
    }
    Kj__AppendRequest request = KJ__APPEND_REQUEST__INIT;
    request.events = pointers;
    request.n_events = (size_t) batch;
    kj_call_opts_t opts = { .read_only = true, .timeout_ms = 30000 };

    uint64_t slots [IN_FLIGHT] = { 0 };  //  request id per producer
    char names [IN_FLIGHT][16];
    int sent = 0, done = 0;
    int64_t start = kj_mono_us ();
    while (done < total) {
        for (int slot = 0; slot < IN_FLIGHT && sent < total; slot++) {
            if (slots [slot])
                continue;
            snprintf (names [slot], sizeof names [slot], "bench%d", slot);
            request.producer = names [slot];
            for (int i = 0; i < batch; i++) {
                items [i].txid = BENCH_TXID;
                items [i].id = ++s_id [slot];
                snprintf (keys [i], 24, "%d.%" PRIu64, slot, s_id [slot]);
                envelopes [i].occurred_at_us = kj_wall_us ();
            }
            slots [slot] = kj_client_send (fx->client, "events.writer",
                                           "Append", &request.base, &opts);
            assert_true (slots [slot] > 0);
            sent += batch;
        }
        uint64_t id;
        Kj__AppendReply *reply = NULL;
        kj_status_t status;
        int code = kj_client_recv (fx->client, 30000, &id,
                                   &kj__append_reply__descriptor,
                                   (ProtobufCMessage **) &reply, &status);
        assert_int_equal (code, 0);
        assert_int_equal (reply->appended, (uint32_t) batch);
        kj__append_reply__free_unpacked (reply, NULL);
        for (int slot = 0; slot < IN_FLIGHT; slot++)
            if (slots [slot] == id)
                slots [slot] = 0;
        done += batch;
    }
    double seconds = (double) (kj_mono_us () - start) / 1e6;
    envelopes [0].offset = 1000000;
    envelopes [0].appended_at_us = kj_wall_us ();
    *envelope_size = kj__envelope__get_packed_size (&envelopes [0]);
    free (envelopes);
    free (items);
    free (pointers);
    free (keys);
    return total / seconds;
}

//  --------------------------------------------------------------------------
//  Raw PostgreSQL baselines, on a table shaped like the log

static void
s_raw_table (PGconn *conn)
{
    PGresult *res = PQexec (
        conn,
        "DROP TABLE IF EXISTS bench_raw; CREATE TABLE bench_raw (off bigint "
        "PRIMARY KEY, topic text NOT NULL, producer text NOT NULL, "
        "envelope bytea NOT NULL, appended_at timestamptz NOT NULL)");
    assert_int_equal (PQresultStatus (res), PGRES_COMMAND_OK);
    PQclear (res);
}

static void
s_put32 (zchunk_t *chunk, uint32_t value)
{
    uint8_t bytes [4] = { (uint8_t) (value >> 24), (uint8_t) (value >> 16),
                          (uint8_t) (value >> 8), (uint8_t) value };
    zchunk_extend (chunk, bytes, 4);
}

static double
s_bench_copy (PGconn *conn, int total, uint64_t size, int batch)
{
    s_raw_table (conn);
    uint8_t *envelope = (uint8_t *) malloc (size);
    memset (envelope, 'e', size);
    int64_t start = kj_mono_us ();
    for (int first = 0; first < total; first += batch) {
        PQclear (PQexec (conn, "BEGIN"));
        PGresult *res = PQexec (conn,
                                "COPY bench_raw FROM STDIN (FORMAT binary)");
        assert_int_equal (PQresultStatus (res), PGRES_COPY_IN);
        PQclear (res);
        zchunk_t *chunk = zchunk_new (NULL, (size_t) batch * (size + 64));
        zchunk_extend (chunk, "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19);
        for (int i = 0; i < batch; i++) {
            uint8_t number [8];
            zchunk_extend (chunk, (uint8_t []){ 0, 5 }, 2);
            s_put32 (chunk, 8);
            kj_put_u64 (number, (uint64_t) (first + i + 1));
            zchunk_extend (chunk, number, 8);
            s_put32 (chunk, 18);
            zchunk_extend (chunk, "bench.item.created", 18);
            s_put32 (chunk, 5);
            zchunk_extend (chunk, "bench", 5);
            s_put32 (chunk, (uint32_t) size);
            zchunk_extend (chunk, envelope, size);
            s_put32 (chunk, 8);
            kj_put_u64 (number,
                        (uint64_t) (kj_wall_us () - INT64_C (946684800000000)));
            zchunk_extend (chunk, number, 8);
        }
        zchunk_extend (chunk, (uint8_t []){ 0xff, 0xff }, 2);
        assert_int_equal (PQputCopyData (conn, (char *) zchunk_data (chunk),
                                         (int) zchunk_size (chunk)),
                          1);
        assert_int_equal (PQputCopyEnd (conn, NULL), 1);
        while ((res = PQgetResult (conn))) {
            assert_int_equal (PQresultStatus (res), PGRES_COMMAND_OK);
            PQclear (res);
        }
        zchunk_destroy (&chunk);
        res = PQexec (conn, "COMMIT");
        assert_int_equal (PQresultStatus (res), PGRES_COMMAND_OK);
        PQclear (res);
    }
    double seconds = (double) (kj_mono_us () - start) / 1e6;
    free (envelope);
    return total / seconds;
}

static double
s_bench_insert (PGconn *conn, int total, uint64_t size, int batch)
{
    s_raw_table (conn);
    //  INSERT ... VALUES ($1..$4, now ()), ... with `batch` rows a
    //  statement (PostgreSQL takes at most 65,535 parameters)
    zchunk_t *sql = zchunk_new (NULL, 64 * 1024);
    zchunk_extend (sql, "INSERT INTO bench_raw VALUES ", 29);
    for (int i = 0; i < batch; i++) {
        char row [128];
        int n = snprintf (row, sizeof row,
                          "%s($%d,$%d,$%d,decode($%d,'hex'),"
                          "now())",
                          i ? "," : "", 4 * i + 1, 4 * i + 2, 4 * i + 3,
                          4 * i + 4);
        zchunk_extend (sql, row, (size_t) n);
    }
    zchunk_extend (sql, "", 1);
    char *hex = (char *) malloc (2 * size + 1);
    for (uint64_t i = 0; i < size; i++)
        memcpy (hex + 2 * i, "65", 2);
    hex [2 * size] = 0;
    const char **params = (const char **) calloc (4 * (size_t) batch,
                                                  sizeof (char *));
    char (*offsets) [24] = calloc ((size_t) batch, 24);
    PGresult *res = PQprepare (conn, "raw_insert", (char *) zchunk_data (sql),
                               4 * batch, NULL);
    assert_int_equal (PQresultStatus (res), PGRES_COMMAND_OK);
    PQclear (res);
    int64_t start = kj_mono_us ();
    for (int first = 0; first < total; first += batch) {
        for (int i = 0; i < batch; i++) {
            snprintf (offsets [i], 24, "%d", first + i + 1);
            params [4 * i] = offsets [i];
            params [4 * i + 1] = "bench.item.created";
            params [4 * i + 2] = "bench";
            params [4 * i + 3] = hex;
        }
        res = PQexecPrepared (conn, "raw_insert", 4 * batch, params, NULL, NULL,
                              0);
        assert_int_equal (PQresultStatus (res), PGRES_COMMAND_OK);
        PQclear (res);
    }
    double seconds = (double) (kj_mono_us () - start) / 1e6;
    res = PQexec (conn, "DROP TABLE bench_raw; DEALLOCATE raw_insert");
    PQclear (res);
    zchunk_destroy (&sql);
    free (hex);
    free (params);
    free (offsets);
    return total / seconds;
}

//  --------------------------------------------------------------------------
//  Replay of the whole log by a client that knows offsets are dense (no
//  prefixes): ranges of 10,000 asked IN_FLIGHT at a time, as a catch-up
//  client would. Every event is decoded by the client.

static double
s_bench_replay (fx_t *fx, uint64_t *events, bool decode)
{
    uint64_t head = 0, tail = 1;
    assert_int_equal (fx_info (fx, &head, &tail), 0);
    uint64_t next = tail, count = 0, expect = 0;
    int in_flight = 0;
    kj_call_opts_t opts = { .read_only = true, .timeout_ms = 30000 };
    int64_t start = kj_mono_us ();
    while (count < head - tail + 1) {
        while (in_flight < IN_FLIGHT && next <= head) {
            Kj__ReplayRequest request = KJ__REPLAY_REQUEST__INIT;
            request.from_offset = next;
            request.to_offset = next + 9999 < head ? next + 9999 : head;
            request.max_events = 10000;
            assert_true (kj_client_send (fx->client, "events", "Replay",
                                         &request.base, &opts)
                         > 0);
            next = request.to_offset + 1;
            in_flight++;
        }
        uint64_t id;
        Kj__ReplayReply *reply = NULL;
        kj_status_t status;
        assert_int_equal (kj_client_recv (fx->client, 30000, &id,
                                          decode ? &kj__replay_reply__descriptor
                                                 : NULL,
                                          (ProtobufCMessage **) &reply,
                                          &status),
                          0);
        if (reply) {
            count += reply->n_events;
            for (size_t i = 0; i < reply->n_events; i++)
                expect += reply->events [i]->offset;
            kj__replay_reply__free_unpacked (reply, NULL);
        }
        else  //  dense ranges, checked when decoding
            count += count + 10000 <= head - tail + 1 ? 10000
                                                      : head - tail + 1 - count;
        in_flight--;
    }
    double seconds = (double) (kj_mono_us () - start) / 1e6;
    //  Every offset once: their sum is the sum of tail..head
    if (decode)
        assert_true (expect == (head * (head + 1) - (tail - 1) * tail) / 2);
    *events = count;
    return count / seconds;
}

//  --------------------------------------------------------------------------
//  Commit -> deliver at a steady rate

//  Each event's way, stage by stage (wall clock, us; 0 not seen): the
//  producer's COMMIT returned, the relay began and ended the read that
//  found it, the writer began its group (the envelope's appended_at),
//  the group committed, the relay had the Append's reply, the subscriber
//  delivered it
enum {
    STAGE_COMMIT,
    STAGE_READ,
    STAGE_READ_DONE,
    STAGE_GROUP,
    STAGE_COMMITTED,
    STAGE_REPLY,
    STAGE_DELIVERED,
    STAGES
};

typedef struct {
    const char *dsn;
    int index;
    int64_t (*at) [STAGES];  //  by sequence number
    volatile int *stop;
} producer_t;

static void *
s_producer (void *arg)
{
    producer_t *self = (producer_t *) arg;
    kj_db_t *db = kj_db_new (self->dsn, "latency", 5000);
    assert_non_null (db);
    int per_second = RATE / LATENCY_THREADS / LATENCY_PER_TX;
    int64_t interval = 1000000 / per_second;
    int64_t next = kj_mono_us ();
    uint8_t data [PAYLOAD];
    memset (data, 'p', sizeof data);
    for (int tx = 0; tx < per_second * LATENCY_S && !*self->stop; tx++) {
        int64_t now = kj_mono_us ();
        if (next > now)
            zclock_sleep ((int) ((next - now) / 1000));
        next += interval;
        assert_int_equal (kj_db_begin (db), 0);
        int seq [LATENCY_PER_TX];
        for (int e = 0; e < LATENCY_PER_TX; e++) {
            seq [e] = (tx * LATENCY_THREADS + self->index) * LATENCY_PER_TX + e;
            char key [24];
            snprintf (key, sizeof key, "%d", seq [e]);
            Kj__EchoRequest payload = KJ__ECHO_REQUEST__INIT;
            payload.data.data = data;
            payload.data.len = PAYLOAD;
            assert_int_equal (kj_db_lock_key (db, "bench", key), 0);
            assert_int_equal (kj_outbox_add (db, "bench.latency", key,
                                             &payload.base),
                              0);
        }
        assert_int_equal (kj_db_commit (db), 0);
        //  Committed: from here on the event is the log's to deliver
        int64_t at = kj_wall_us ();
        for (int e = 0; e < LATENCY_PER_TX; e++)
            self->at [seq [e]][STAGE_COMMIT] = at;
    }
    kj_db_destroy (&db);
    return NULL;
}

#define MAX_READS 200000

typedef struct {
    int64_t (*at) [STAGES];  //  by sequence number
    int total;
    uint64_t received;
    int64_t *reads;  //  when each read began, in order
    bool *deleting;  //  ... and whether the relay's DELETE was running
    int nreads;
} latency_t;

static int
s_on_latency (const Kj__Envelope *event, void *arg)
{
    latency_t *self = (latency_t *) arg;
    if (strcmp (event->topic, "bench.latency"))
        return 0;
    int seq = atoi (event->key);
    if (seq < 0 || seq >= self->total)
        return 0;
    self->at [seq][STAGE_DELIVERED] = kj_wall_us ();
    self->at [seq][STAGE_GROUP] = event->appended_at_us;
    self->received++;
    return 0;
}

//  The relay's times for a batch, on its thread (each event's slots are
//  written by one thread, and read once every thread is done)

static void
s_on_relayed (const kj_relay_trace_t *trace, void *arg)
{
    latency_t *self = (latency_t *) arg;
    if (self->nreads < MAX_READS) {
        self->deleting [self->nreads] = trace->deleting;
        self->reads [self->nreads++] = trace->read_at_us;
    }
    for (size_t row = 0; row < trace->rows; row++) {
        int seq = atoi (trace->keys [row]);
        if (seq < 0 || seq >= self->total)
            continue;
        self->at [seq][STAGE_READ] = trace->read_at_us;
        self->at [seq][STAGE_READ_DONE] = trace->read_done_us;
        self->at [seq][STAGE_COMMITTED] = trace->committed_at_us;
        self->at [seq][STAGE_REPLY] = trace->reply_at_us;
    }
}

//  One hop's p50 and p99 over the events that have both stamps (a stamp
//  before the one it follows counts 0: COMMIT's return is stamped after
//  its round trip, by which time the relay may be reading)

static void
s_print_hop (latency_t *self, const char *name, int from, int to,
             int64_t slow_us)
{
    kj_hist_t *hist = kj_hist_new ();
    kj_hist_t *slow = kj_hist_new ();
    uint64_t n = 0;
    for (int seq = 0; seq < self->total; seq++) {
        int64_t a = self->at [seq][from], b = self->at [seq][to];
        if (!a || !b)
            continue;
        int64_t commit = self->at [seq][STAGE_COMMIT];
        int64_t delivered = self->at [seq][STAGE_DELIVERED];
        if (commit && delivered && delivered - commit >= slow_us)
            kj_hist_record (slow, b > a ? (uint64_t) (b - a) : 0);
        kj_hist_record (hist, b > a ? (uint64_t) (b - a) : 0);
        n++;
    }
    printf ("    %-40s p50 %6.2f ms  p99 %6.2f ms  slowest 1%%: p50 %6.2f "
            "ms  (%" PRIu64 ")\n",
            name, kj_hist_percentile (hist, 500) / 1000.0,
            kj_hist_percentile (hist, 990) / 1000.0,
            kj_hist_percentile (slow, 500) / 1000.0, n);
    kj_hist_destroy (&hist);
    kj_hist_destroy (&slow);
}

//  Why a slow event waited for the relay: the reads between its COMMIT
//  and the read that found it. None: it waited for the relay's turn
//  only; some: a running transaction (xmin) held it back, and if the
//  relay's DELETE ran at one of them, perhaps that one

static void
s_print_passed (latency_t *self, int64_t slow_us)
{
    uint64_t slow = 0, held = 0, passed = 0, deleting = 0;
    int64_t first = 0, slow_first = 0, slow_last = 0;
    for (int seq = 0; seq < self->total; seq++) {
        int64_t commit = self->at [seq][STAGE_COMMIT];
        if (commit && (!first || commit < first))
            first = commit;
    }
    int from = 0;
    for (int seq = 0; seq < self->total; seq++) {
        int64_t commit = self->at [seq][STAGE_COMMIT];
        int64_t read = self->at [seq][STAGE_READ];
        int64_t delivered = self->at [seq][STAGE_DELIVERED];
        if (!commit || !read || !delivered || delivered - commit < slow_us)
            continue;
        slow++;
        if (!slow_first || commit < slow_first)
            slow_first = commit;
        if (commit > slow_last)
            slow_last = commit;
        //  reads are in time order; so are commits, nearly: search
        while (from > 0 && self->reads [from - 1] > commit)
            from--;
        while (from < self->nreads && self->reads [from] <= commit)
            from++;
        int n = 0;
        bool by_delete = false;
        for (int r = from; r < self->nreads && self->reads [r] < read; r++) {
            n++;
            by_delete |= self->deleting [r];
        }
        if (n)
            held++;
        if (by_delete)
            deleting++;
        passed += (uint64_t) n;
    }
    printf ("    slowest 1%%: %" PRIu64 " events, %" PRIu64 " passed over by "
            "reads (%.1f reads each), %" PRIu64 " while the relay's DELETE "
            "ran\n",
            slow, held, held ? (double) passed / held : 0, deleting);
    printf ("    slowest 1%% committed between %.2f and %.2f s into the run\n",
            (slow_first - first) / 1e6, (slow_last - first) / 1e6);
}

static void
s_bench_latency (fx_t *fx, uint64_t *p50, uint64_t *p99, uint64_t *count,
                 double *rate)
{
    kj_db_t *db = kj_db_new (fx->dsn, "latency", 5000);
    static const kj_migration_t none [] = { { 0, NULL, NULL } };
    assert_int_equal (kj_db_migrate (db, none), 0);
    kj_db_destroy (&db);

    int total = RATE * LATENCY_S;
    latency_t latency = { (int64_t (*) [STAGES]) calloc ((size_t) total,
                                                         sizeof *latency.at),
                          total,
                          0,
                          (int64_t *) calloc (MAX_READS, sizeof (int64_t)),
                          (bool *) calloc (MAX_READS, sizeof (bool)),
                          0 };
    assert_non_null (latency.at);
    assert_non_null (latency.reads);
    assert_non_null (latency.deleting);
    kj_subscriber_config_t config = { .broker = fx->broker.endpoint,
                                      .pub_endpoint = fx->broker.pub,
                                      .from = KJ_SUBSCRIBER_HEAD,
                                      .callback = s_on_latency,
                                      .arg = &latency,
                                      .prefixes = (const char *[]){
                                          "bench.latency", NULL } };
    kj_subscriber_t *subscriber = kj_subscriber_new (&config);
    for (int i = 0; i < 20; i++)
        kj_subscriber_poll (subscriber, 50);
    kj_relay_config_t rc = { .dsn = fx->dsn,
                             .schema = "latency",
                             .broker = fx->broker.endpoint,
                             .city = "210100",
                             .trace = s_on_relayed,
                             .trace_arg = &latency };
    kj_relay_t *relay = kj_relay_new (&rc);

    volatile int stop = 0;
    producer_t producers [LATENCY_THREADS];
    pthread_t threads [LATENCY_THREADS];
    int64_t start = kj_mono_us ();
    for (int i = 0; i < LATENCY_THREADS; i++) {
        producers [i] = (producer_t){ fx->dsn, i, latency.at, &stop };
        pthread_create (&threads [i], NULL, s_producer, &producers [i]);
    }
    int64_t end = start + (LATENCY_S + 20) * 1000000LL;
    while (latency.received < (uint64_t) total && kj_mono_us () < end)
        kj_subscriber_poll (subscriber, 10);
    double seconds = (double) (kj_mono_us () - start) / 1e6;
    stop = 1;
    for (int i = 0; i < LATENCY_THREADS; i++)
        pthread_join (threads [i], NULL);
    kj_subscriber_stats_t stats;
    kj_subscriber_stats (subscriber, &stats);
    kj_relay_destroy (&relay);
    kj_subscriber_destroy (&subscriber);

    //  Every thread is done: the stamps are all in
    kj_hist_t *hist = kj_hist_new ();
    for (int seq = 0; seq < total; seq++) {
        int64_t at = latency.at [seq][STAGE_COMMIT];
        int64_t now = latency.at [seq][STAGE_DELIVERED];
        if (now)
            kj_hist_record (hist, at && now > at ? (uint64_t) (now - at) : 0);
    }
    *p50 = kj_hist_percentile (hist, 500);
    *p99 = kj_hist_percentile (hist, 990);
    *count = latency.received;
    *rate = latency.received / seconds;
    printf ("    (subscriber: live %" PRIu64 ", replayed %" PRIu64
            ", gaps found %" PRIu64 ", repaired %" PRIu64 "; max %.1f ms)\n",
            stats.live, stats.replayed, stats.gaps_found, stats.gaps_repaired,
            kj_hist_max (hist) / 1000.0);
    //  Where the slow events' time goes: each stage's median over the
    //  events whose commit->deliver is at or above the p99
    int64_t slow_us = (int64_t) *p99;
    printf ("  commit->deliver by stage (docs/events-design.md):\n");
    s_print_hop (&latency, "commit -> relay reads (wake, turn)", STAGE_COMMIT,
                 STAGE_READ, slow_us);
    s_print_hop (&latency, "relay's read of the outbox", STAGE_READ,
                 STAGE_READ_DONE, slow_us);
    s_print_hop (&latency, "read -> writer's group (Append's way)",
                 STAGE_READ_DONE, STAGE_GROUP, slow_us);
    s_print_hop (&latency, "writer's group -> committed", STAGE_GROUP,
                 STAGE_COMMITTED, slow_us);
    s_print_hop (&latency, "committed -> delivered (pub, subscriber)",
                 STAGE_COMMITTED, STAGE_DELIVERED, slow_us);
    s_print_hop (&latency, "committed -> relay has the reply", STAGE_COMMITTED,
                 STAGE_REPLY, slow_us);
    s_print_hop (&latency, "commit -> appended (writer's group)", STAGE_COMMIT,
                 STAGE_GROUP, slow_us);
    s_print_hop (&latency, "appended -> delivered", STAGE_GROUP,
                 STAGE_DELIVERED, slow_us);
    s_print_passed (&latency, slow_us);
    kj_hist_destroy (&hist);
    free (latency.reads);
    free (latency.deleting);
    free (latency.at);
}

static const char *
s_verdict (bool ok)
{
    return ok ? "ok" : "BELOW TARGET";
}

int
main (void)
{
    kj_log_init ("bench_events", getenv ("KEJIN_LOG_LEVEL")
                                     ? getenv ("KEJIN_LOG_LEVEL")
                                     : "warn");
    //  BENCH_PART=latency: the commit->deliver run only (for profiling)
    bool latency_only = getenv ("BENCH_PART")
                     && streq (getenv ("BENCH_PART"), "latency");
    fx_t fx;
    fx_start (&fx, "bench_events", 1, NULL);
    PGconn *conn = PQconnectdb (fx.dsn);
    assert_int_equal (PQstatus (conn), CONNECTION_OK);
    PQclear (PQexec (conn, "SET client_min_messages = warning"));

    printf ("\nbench_events: kejin-events beside raw PostgreSQL, %d-byte "
            "payloads, 2 cores shared by everything\n\n",
            PAYLOAD);
    printf ("  append: events.writer Append (%d in flight) beside raw COPY "
            "and raw multi-row\n  INSERT of the same rows into a table shaped "
            "like the log, one batch a transaction\n\n",
            IN_FLIGHT);
    printf ("    %6s  %14s  %14s  %14s  %9s\n", "batch", "append ev/s",
            "raw COPY r/s", "raw INSERT r/s", "of COPY");
    int sizes [] = { 100, 1000, 5000 };
    size_t nsizes = latency_only ? 0 : sizeof sizes / sizeof sizes [0];
    int totals [] = { 50000, 200000, 200000 };
    double best = 0, best_copy = 1;
    int best_batch = 0;
    uint64_t size = 0;
    for (size_t i = 0; i < nsizes; i++) {
        double rate = s_bench_append (&fx, sizes [i], totals [i], &size);
        double copy = s_bench_copy (conn, totals [i], size, sizes [i]);
        double insert = s_bench_insert (conn, totals [i], size,
                                        sizes [i] < 10000 ? sizes [i] : 10000);
        printf ("    %6d  %14.0f  %14.0f  %14.0f  %8.0f%%\n", sizes [i], rate,
                copy, insert, 100 * rate / copy);
        fflush (stdout);
        if (rate > best) {
            best = rate;
            best_copy = copy;
            best_batch = sizes [i];
        }
    }
    if (!latency_only) {
        printf ("\n  append best     %9.0f events/s (batch %d, %" PRIu64
                "-byte "
                "envelopes) = %.0f%% of raw COPY\n                  target >= "
                "50000 and >= 80%%: %s\n",
                best, best_batch, size, 100 * best / best_copy,
                s_verdict (best >= 50000 && best >= best_copy * 0.8));

        //  The first read of rows just COPYed also sets their hint bits in
        //  PostgreSQL (it writes); the second is what a catch-up costs later
        uint64_t replayed = 0;
        double cold = s_bench_replay (&fx, &replayed, true);
        double replay = s_bench_replay (&fx, &replayed, true);
        double served = s_bench_replay (&fx, &replayed, false);
        printf ("  replay          %9.0f events/s (%" PRIu64 " events, 10000 a "
                "request, %d in flight, one\n                  client thread "
                "decoding every event; first pass %.0f)\n                  "
                "target >= 200000: %s\n",
                replay, replayed, IN_FLIGHT, cold,
                s_verdict (replay >= 200000));
        printf (
            "  replay served   %9.0f events/s (the same, replies not decoded: "
            "what kejin-events\n                  and the broker deliver)\n",
            served);
    }
    fflush (stdout);

    uint64_t p50, p99, count;
    double rate;
    s_bench_latency (&fx, &p50, &p99, &count, &rate);
    printf ("  commit->deliver at %.0f events/s (%" PRIu64 " events): p50 %.1f "
            "ms, p99 %.1f ms   target p99 <= 5 ms: %s\n",
            rate, count, p50 / 1000.0, p99 / 1000.0, s_verdict (p99 <= 5000));
    PQfinish (conn);
    fx_stop (&fx);
    return 0;
}
