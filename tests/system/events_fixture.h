/*  =========================================================================
    events_fixture - what the event log's system tests and benchmark share:
    a fresh database, a broker, copies of kejin-events, producers, and a
    check of the whole log against the producers' tables

    Static functions in a header: included by test_events*.c and
    bench_events.c only.
    =========================================================================
*/

#ifndef EVENTS_FIXTURE_H_INCLUDED
#define EVENTS_FIXTURE_H_INCLUDED

#include "kejin.h"
#include "kj_test.h"
#include "kj_node.h"

#define FX_EVENTS_MAX 3

typedef struct {
    char *dsn;  //  the test's own database
    kj_broker_t broker;
    pid_t events [FX_EVENTS_MAX];
    kj_client_t *client;
    int spawned;  //  for log names
} fx_t;

//  Start kejin-events copy `index` with more "-s" "path=value" args.
static inline pid_t
    fx_events_start (fx_t *fx, int index, const char *const *extra)
{
    char log [512], broker [256], publish [256], dsn [600], instance [64];
    snprintf (log, sizeof log, "%s/events-%d.log", kj_test_tmpdir (), index);
    snprintf (broker, sizeof broker, "node/broker=%s", fx->broker.endpoint);
    snprintf (publish, sizeof publish, "node/sub=%s", fx->broker.sub);
    snprintf (dsn, sizeof dsn, "db/dsn=%s", fx->dsn);
    snprintf (instance, sizeof instance, "events/instance=events.%d", index);
    const char *argv [40] = { kj_test_bin ("kejin-events"),
                              "-s",
                              broker,
                              "-s",
                              publish,
                              "-s",
                              dsn,
                              "-s",
                              instance,
                              "-s",
                              "events/lock_retry_ms=200" };
    int argc = 11;
    for (int i = 0; extra && extra [i] && argc < 39; i++)
        argv [argc++] = extra [i];
    argv [argc] = NULL;
    fx->events [index] = kj_test_spawn (argv, NULL, log);
    return fx->events [index];
}

//  True once some copy serves events.writer (a Cursor call answers).
static inline bool
    fx_writer_up (fx_t *fx, int timeout_ms)
{
    int64_t end = kj_mono_us () + (int64_t) timeout_ms * 1000;
    while (kj_mono_us () < end) {
        Kj__CursorRequest request = KJ__CURSOR_REQUEST__INIT;
        request.producer = (char *) "probe";
        Kj__CursorReply *reply = NULL;
        kj_status_t status;
        kj_call_opts_t opts = { .read_only = true,
                                .timeout_ms = 500,
                                .retries = -1 };
        if (kj_client_call (fx->client, "events.writer", "Cursor",
                            &request.base, &kj__cursor_reply__descriptor,
                            (ProtobufCMessage **) &reply, &status, &opts)
            == 0) {
            kj__cursor_reply__free_unpacked (reply, NULL);
            return true;
        }
        zclock_sleep (50);
    }
    return false;
}

//  A fresh database, a broker and `copies` copies of kejin-events, the
//  first of which is the writer when this returns.
static inline void
    fx_start (fx_t *fx, const char *name, int copies, const char *const *extra)
{
    memset (fx, 0, sizeof *fx);
    fx->dsn = kj_test_db_new (name);
    assert_int_equal (kj_broker_start (&fx->broker, 0, NULL), 0);
    fx->client = kj_client_new (fx->broker.endpoint);
    fx_events_start (fx, 0, extra);
    assert_true (fx_writer_up (fx, 15000));
    for (int index = 1; index < copies; index++)
        fx_events_start (fx, index, extra);
}

static inline void
    fx_stop (fx_t *fx)
{
    for (int index = 0; index < FX_EVENTS_MAX; index++)
        if (fx->events [index] > 0)
            kj_test_kill (fx->events [index], SIGTERM, 10000);
    kj_client_destroy (&fx->client);
    kj_broker_stop (&fx->broker, SIGTERM);
    free (fx->dsn);
}

//  Start tests/tools/events_producer for schema with more arguments.
static inline pid_t
    fx_producer (fx_t *fx, const char *schema, const char *const *extra)
{
    char log [512];
    snprintf (log, sizeof log, "%s/producer-%s-%d.log", kj_test_tmpdir (),
              schema, fx->spawned++);
    const char *argv [40] = { kj_tool_path ("events_producer"),
                              "--dsn",
                              fx->dsn,
                              "--schema",
                              schema,
                              "--broker",
                              fx->broker.endpoint };
    int argc = 7;
    for (int i = 0; extra && extra [i] && argc < 39; i++)
        argv [argc++] = extra [i];
    argv [argc] = NULL;
    return kj_test_spawn (argv, NULL, log);
}

//  The log's head and tail, from Info.
static inline int
    fx_info (fx_t *fx, uint64_t *head, uint64_t *tail)
{
    Kj__EventsInfoRequest request = KJ__EVENTS_INFO_REQUEST__INIT;
    Kj__EventsInfo *info = NULL;
    kj_status_t status;
    kj_call_opts_t opts = { .read_only = true, .timeout_ms = 2000 };
    if (kj_client_call (fx->client, "events", "Info", &request.base,
                        &kj__events_info__descriptor,
                        (ProtobufCMessage **) &info, &status, &opts))
        return -1;
    *head = info->head;
    *tail = info->tail;
    kj__events_info__free_unpacked (info, NULL);
    return 0;
}

//  What a whole-log check found.
typedef struct {
    uint64_t events;  //  in the log
    uint64_t head, tail;
    uint64_t offset_errors;  //  offsets not tail, tail+1, ...
    uint64_t items;          //  committed rows of the producers
    uint64_t missing;        //  committed rows without their event
    uint64_t duplicates;     //  events of one row more than once
    uint64_t strays;         //  events of rows that never committed
} fx_check_t;

//  Replay the whole log and compare with the items of the schemas
//  (NULL-terminated): every committed item once, nothing else.
static inline void
    fx_check (fx_t *fx, const char *const *schemas, fx_check_t *check)
{
    memset (check, 0, sizeof *check);
    zhashx_t *seen = zhashx_new ();  //  "producer/key" -> count
    uint64_t from = 0, expect = 0;
    while (true) {
        Kj__ReplayRequest request = KJ__REPLAY_REQUEST__INIT;
        request.from_offset = from;
        request.max_events = 10000;
        Kj__ReplayReply *reply = NULL;
        kj_status_t status;
        kj_call_opts_t opts = { .read_only = true, .timeout_ms = 5000 };
        int code = kj_client_call (fx->client, "events", "Replay",
                                   &request.base, &kj__replay_reply__descriptor,
                                   (ProtobufCMessage **) &reply, &status,
                                   &opts);
        assert_int_equal (code, 0);
        if (expect == 0)
            expect = reply->tail;
        check->head = reply->head;
        check->tail = reply->tail;
        for (size_t i = 0; i < reply->n_events; i++) {
            Kj__Envelope *event = reply->events [i];
            if (event->offset != expect)
                check->offset_errors++;
            expect = event->offset + 1;
            check->events++;
            char name [300];
            snprintf (name, sizeof name, "%s/%s", event->producer, event->key);
            size_t count = (size_t) zhashx_lookup (seen, name);
            zhashx_update (seen, name, (void *) (count + 1));
            if (count)
                check->duplicates++;
        }
        from = reply->next_offset;
        bool done = reply->next_offset > reply->head;
        kj__replay_reply__free_unpacked (reply, NULL);
        if (done)
            break;
    }
    if (check->head && expect != check->head + 1)
        check->offset_errors++;
    size_t matched = 0;
    for (int s = 0; schemas [s]; s++) {
        kj_db_t *db = kj_db_new (fx->dsn, schemas [s], 2000);
        assert_non_null (db);
        PGresult *res = kj_db_exec (db, "SELECT id FROM items", 0, NULL);
        assert_non_null (res);
        for (int row = 0; row < PQntuples (res); row++) {
            char name [300];
            snprintf (name, sizeof name, "%s/%s", schemas [s],
                      PQgetvalue (res, row, 0));
            check->items++;
            if (zhashx_lookup (seen, name))
                matched++;
            else
                check->missing++;
        }
        PQclear (res);
        kj_db_destroy (&db);
    }
    //  Every distinct row seen that is not a committed item is a stray
    check->strays = zhashx_size (seen) - matched;
    zhashx_destroy (&seen);
    kj_info ("test.check",
             "events=%" PRIu64 " head=%" PRIu64 " tail=%" PRIu64
             " items=%" PRIu64 " missing=%" PRIu64 " duplicates=%" PRIu64
             " strays=%" PRIu64 " offset_errors=%" PRIu64,
             check->events, check->head, check->tail, check->items,
             check->missing, check->duplicates, check->strays,
             check->offset_errors);
}

//  Assert the check found the log whole.
static inline void
    fx_assert_whole (const fx_check_t *check)
{
    assert_true (check->items > 0);
    assert_int_equal (check->missing, 0);
    assert_int_equal (check->duplicates, 0);
    assert_int_equal (check->strays, 0);
    assert_int_equal (check->offset_errors, 0);
    assert_int_equal (check->events, check->items);
}

//  Wait for a spawned tool to exit 0.
static inline void
    fx_wait_ok (pid_t pid, int timeout_ms)
{
    assert_int_equal (kj_test_wait_exit (pid, timeout_ms), 0);
}

#endif
