/*  =========================================================================
    test_events - the event log end to end: a real broker, real
    kejin-events, real PostgreSQL, producers with the real relay

    Appending and replay, topic prefixes, live subscribers in C and in
    Python with frames dropped (S3), retention and its clear error.
    =========================================================================
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "events_fixture.h"

//  --------------------------------------------------------------------------
//  One Append straight to events.writer; its code.

static int
s_append (fx_t *fx, Kj__AppendRequest *request, Kj__AppendReply **reply,
          kj_status_t *status)
{
    return kj_client_call (fx->client, "events.writer", "Append",
                           &request->base, &kj__append_reply__descriptor,
                           (ProtobufCMessage **) reply, status, NULL);
}

//  --------------------------------------------------------------------------
//  Producers append; replay gives every committed row once, in gapless
//  order; the cursor and Info agree; a replay by prefix gives only its
//  topics.

static void
test_append_and_replay (void **state)
{
    fx_t fx;
    fx_start (&fx, "events_basic", 1, NULL);
    const char *args [] = { "--writers", "4",        "--count",
                            "100",       "--topics", "alpha.one,beta.two",
                            NULL };
    pid_t a = fx_producer (&fx, "alpha", args);
    pid_t b = fx_producer (&fx, "beta", args);
    fx_wait_ok (a, 60000);
    fx_wait_ok (b, 60000);
    fx_check_t check;
    fx_check (&fx, (const char *[]){ "alpha", "beta", NULL }, &check);
    fx_assert_whole (&check);
    assert_int_equal (check.events, 800);
    assert_int_equal (check.tail, 1);
    assert_int_equal (check.head, 800);

    //  Replay by prefix, in small batches
    uint64_t from = 1, got = 0, last = 0;
    while (from <= 800) {
        Kj__ReplayRequest request = KJ__REPLAY_REQUEST__INIT;
        char *prefixes [] = { (char *) "beta." };
        request.from_offset = from;
        request.prefixes = prefixes;
        request.n_prefixes = 1;
        request.max_events = 37;
        Kj__ReplayReply *reply = NULL;
        kj_status_t status;
        kj_call_opts_t opts = { .read_only = true };
        assert_int_equal (kj_client_call (fx.client, "events", "Replay",
                                          &request.base,
                                          &kj__replay_reply__descriptor,
                                          (ProtobufCMessage **) &reply, &status,
                                          &opts),
                          0);
        assert_true (reply->n_events <= 37);
        for (size_t i = 0; i < reply->n_events; i++) {
            assert_true (strncmp (reply->events [i]->topic, "beta.", 5) == 0);
            assert_true (reply->events [i]->offset > last);
            assert_string_equal (reply->events [i]->origin_city, "210100");
            assert_string_equal (reply->events [i]->payload_type,
                                 "kj.EchoRequest");
            assert_true (reply->events [i]->appended_at_us > 0);
            last = reply->events [i]->offset;
            got++;
        }
        assert_true (reply->next_offset > from);
        from = reply->next_offset;
        kj__replay_reply__free_unpacked (reply, NULL);
    }
    assert_int_equal (got, 400);

    //  The producer's cursor is where its last row is
    Kj__CursorRequest request = KJ__CURSOR_REQUEST__INIT;
    request.producer = (char *) "alpha";
    Kj__CursorReply *cursor = NULL;
    kj_status_t status;
    assert_int_equal (kj_client_call (fx.client, "events.writer", "Cursor",
                                      &request.base,
                                      &kj__cursor_reply__descriptor,
                                      (ProtobufCMessage **) &cursor, &status,
                                      NULL),
                      0);
    assert_true (cursor->txid > 0 && cursor->id >= 400);
    kj__cursor_reply__free_unpacked (cursor, NULL);

    //  Replay beyond the head: nothing, and "caught up"
    Kj__ReplayRequest beyond = KJ__REPLAY_REQUEST__INIT;
    beyond.from_offset = 801;
    Kj__ReplayReply *reply = NULL;
    kj_call_opts_t opts = { .read_only = true };
    assert_int_equal (kj_client_call (fx.client, "events", "Replay",
                                      &beyond.base,
                                      &kj__replay_reply__descriptor,
                                      (ProtobufCMessage **) &reply, &status,
                                      &opts),
                      0);
    assert_int_equal (reply->n_events, 0);
    assert_true (reply->next_offset > reply->head);
    kj__replay_reply__free_unpacked (reply, NULL);

    //  A prefix that is not UTF-8 can match no topic: INVALID_ARGUMENT
    char *bad [] = { (char *) "alpha.\xe4" };
    beyond.prefixes = bad;
    beyond.n_prefixes = 1;
    reply = NULL;
    assert_int_equal (kj_client_call (fx.client, "events", "Replay",
                                      &beyond.base,
                                      &kj__replay_reply__descriptor,
                                      (ProtobufCMessage **) &reply, &status,
                                      &opts),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "prefixes");
    fx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  An Append sent twice (a relay that crashed before the reply) is stored
//  once; rows out of order are refused with the field named.

static void
test_append_is_idempotent (void **state)
{
    fx_t fx;
    fx_start (&fx, "events_idem", 1, NULL);
    Kj__Envelope envelopes [3];
    Kj__OutboxEvent items [3];
    Kj__OutboxEvent *pointers [3];
    for (int i = 0; i < 3; i++) {
        kj__envelope__init (&envelopes [i]);
        envelopes [i].topic = (char *) "idem.test";
        envelopes [i].key = (char *) "k";
        kj__outbox_event__init (&items [i]);
        items [i].txid = 100 + (uint64_t) (i / 2);
        items [i].id = 10 + (uint64_t) i;
        items [i].event = &envelopes [i];
        pointers [i] = &items [i];
    }
    Kj__AppendRequest request = KJ__APPEND_REQUEST__INIT;
    request.producer = (char *) "idem";
    request.events = pointers;
    request.n_events = 2;
    kj_status_t status;
    Kj__AppendReply *reply = NULL;
    assert_int_equal (s_append (&fx, &request, &reply, &status), 0);
    assert_int_equal (reply->appended, 2);
    assert_int_equal (reply->first_offset, 1);
    assert_int_equal (reply->last_offset, 2);
    kj__append_reply__free_unpacked (reply, NULL);

    //  Again, with one more: the two are duplicates, the third is new
    request.n_events = 3;
    assert_int_equal (s_append (&fx, &request, &reply, &status), 0);
    assert_int_equal (reply->appended, 1);
    assert_int_equal (reply->duplicates, 2);
    assert_int_equal (reply->first_offset, 3);
    assert_int_equal (reply->cursor_txid, 101);
    assert_int_equal (reply->cursor_id, 12);
    kj__append_reply__free_unpacked (reply, NULL);

    //  The whole batch again: every row a duplicate, nothing appended, the
    //  cursor as it was
    assert_int_equal (s_append (&fx, &request, &reply, &status), 0);
    assert_int_equal (reply->appended, 0);
    assert_int_equal (reply->duplicates, 3);
    assert_int_equal (reply->first_offset, 0);
    assert_int_equal (reply->last_offset, 0);
    assert_int_equal (reply->cursor_txid, 101);
    assert_int_equal (reply->cursor_id, 12);
    kj__append_reply__free_unpacked (reply, NULL);

    //  Out of order
    pointers [0] = &items [2];
    pointers [2] = &items [0];
    assert_int_equal (s_append (&fx, &request, &reply, &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "events.txid");
    //  A topic starting with '$' would pass for a marker
    pointers [0] = &items [0];
    pointers [2] = &items [2];
    envelopes [2].topic = (char *) "$batch";
    assert_int_equal (s_append (&fx, &request, &reply, &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "events.event.topic");
    //  A topic that is not UTF-8 can never be stored: INVALID_ARGUMENT,
    //  not UNAVAILABLE (which would have its relay retry for ever)
    envelopes [2].topic = (char *) "idem.\xff";
    assert_int_equal (s_append (&fx, &request, &reply, &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "events.event.topic");
    envelopes [2].topic = (char *) "idem.test";
    uint64_t head, tail;
    assert_int_equal (fx_info (&fx, &head, &tail), 0);
    assert_int_equal (head, 3);
    fx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  The writer's append statement is prepared per session: after the
//  writer's session is ended (a stand-in for a takeover), the new session
//  prepares it again and Appends go on. Each reply says when its group
//  committed, on the writer's clock (bench_events' stages).

static int
s_append_one (fx_t *fx, uint64_t id, Kj__AppendReply **reply)
{
    Kj__Envelope envelope = KJ__ENVELOPE__INIT;
    envelope.topic = (char *) "prep.test";
    envelope.key = (char *) "k";
    Kj__OutboxEvent item = KJ__OUTBOX_EVENT__INIT;
    item.txid = 100;
    item.id = id;
    item.event = &envelope;
    Kj__OutboxEvent *pointers [] = { &item };
    Kj__AppendRequest request = KJ__APPEND_REQUEST__INIT;
    request.producer = (char *) "prep";
    request.events = pointers;
    request.n_events = 1;
    kj_status_t status;
    return s_append (fx, &request, reply, &status);
}

static void
test_append_prepared_per_session (void **state)
{
    fx_t fx;
    fx_start (&fx, "events_prep", 1, NULL);
    Kj__AppendReply *reply = NULL;
    int64_t before = kj_wall_us ();
    assert_int_equal (s_append_one (&fx, 1, &reply), 0);
    int64_t after = kj_wall_us ();
    assert_int_equal (reply->appended, 1);
    assert_true (reply->committed_at_us >= before);
    assert_true (reply->committed_at_us <= after);
    kj__append_reply__free_unpacked (reply, NULL);

    //  End the session that holds the writer lock (19274, 1)
    PGconn *conn = PQconnectdb (fx.dsn);
    assert_int_equal (PQstatus (conn), CONNECTION_OK);
    PGresult *res =
        PQexec (conn, "SELECT count (pg_terminate_backend (pid)) FROM pg_locks "
                      "WHERE locktype = 'advisory' AND classid = 19274 "
                      "AND objid = 1 AND granted");
    assert_int_equal (PQresultStatus (res), PGRES_TUPLES_OK);
    assert_string_equal (PQgetvalue (res, 0, 0), "1");
    PQclear (res);
    PQfinish (conn);

    //  UNAVAILABLE until a writer is back on a new session; then the
    //  one new row is in, once
    int code = -1;
    int64_t end = kj_mono_us () + 15000000;
    while (code != 0 && kj_mono_us () < end) {
        code = s_append_one (&fx, 2, &reply);
        if (code)
            zclock_sleep (100);
    }
    assert_int_equal (code, 0);
    assert_int_equal (reply->appended + reply->duplicates, 1);
    kj__append_reply__free_unpacked (reply, NULL);
    assert_int_equal (s_append_one (&fx, 3, &reply), 0);
    assert_int_equal (reply->appended, 1);
    kj__append_reply__free_unpacked (reply, NULL);
    uint64_t head, tail;
    assert_int_equal (fx_info (&fx, &head, &tail), 0);
    assert_int_equal (head, 3);
    fx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  An Append naming a producer and a transaction that has not happened
//  (2^62) is refused: taken as the producer's cursor, it made the log drop
//  every real row of that producer after it as a duplicate. Five
//  acknowledged writes after it all reach the log.

static void
test_append_refuses_future_txid (void **state)
{
    fx_t fx;
    fx_start (&fx, "events_forged", 1, NULL);
    Kj__Envelope envelope = KJ__ENVELOPE__INIT;
    envelope.topic = (char *) "test.item.created";
    envelope.key = (char *) "forged";
    Kj__OutboxEvent item = KJ__OUTBOX_EVENT__INIT;
    item.txid = UINT64_C (1) << 62;
    item.id = 1;
    item.event = &envelope;
    Kj__OutboxEvent *pointers [] = { &item };
    Kj__AppendRequest request = KJ__APPEND_REQUEST__INIT;
    request.producer = (char *) "alpha";
    request.events = pointers;
    request.n_events = 1;
    kj_status_t status;
    Kj__AppendReply *reply = NULL;
    int code = s_append (&fx, &request, &reply, &status);
    if (reply)
        kj__append_reply__free_unpacked (reply, NULL);

    const char *args [] = { "--writers", "1", "--count", "5", NULL };
    fx_wait_ok (fx_producer (&fx, "alpha", args), 60000);
    fx_check_t check;
    fx_check (&fx, (const char *[]){ "alpha", NULL }, &check);
    fx_assert_whole (&check);
    assert_int_equal (check.events, 5);
    assert_int_equal (code, KJ__CODE__OUT_OF_RANGE);
    assert_string_equal (status.field, "events.txid");

    //  A txid of a finished transaction is taken as before
    item.txid = 3;
    request.producer = (char *) "beta";
    assert_int_equal (s_append (&fx, &request, &reply, &status), 0);
    assert_int_equal (reply->appended, 1);
    kj__append_reply__free_unpacked (reply, NULL);
    fx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  Group commit: sixteen Appends of eight producers sent at once (each
//  producer's rows 1..100 and 101..200), two of them with a position in
//  the future. However they met in groups: the fourteen others are
//  answered OK, their new rows have offsets that cover 1..head once each,
//  and each producer's cursor is its last accepted row; the two get
//  OUT_OF_RANGE and change nothing.

#define GROUP_SENDS 16
#define GROUP_ROWS  100

static void
test_concurrent_appends_group (void **state)
{
    fx_t fx;
    fx_start (&fx, "events_group", 1, NULL);
    static Kj__Envelope envelopes [GROUP_SENDS][GROUP_ROWS];
    static Kj__OutboxEvent items [GROUP_SENDS][GROUP_ROWS];
    static Kj__OutboxEvent *pointers [GROUP_SENDS][GROUP_ROWS];
    static char producers [GROUP_SENDS][16];
    Kj__AppendRequest requests [GROUP_SENDS];
    uint64_t ids [GROUP_SENDS];
    for (int s = 0; s < GROUP_SENDS; s++) {
        //  Sends s and s + 8 are one producer's rows 1..100 and 101..200
        snprintf (producers [s], sizeof producers [s], "group%d", s % 8);
        for (int r = 0; r < GROUP_ROWS; r++) {
            kj__envelope__init (&envelopes [s][r]);
            envelopes [s][r].topic = (char *) "group.test";
            envelopes [s][r].key = producers [s];
            kj__outbox_event__init (&items [s][r]);
            items [s][r].txid = s == 5 || s == 12 ? UINT64_C (1) << 62 : 3;
            items [s][r].id = (uint64_t) (s / 8 * GROUP_ROWS + r + 1);
            items [s][r].event = &envelopes [s][r];
            pointers [s][r] = &items [s][r];
        }
        kj__append_request__init (&requests [s]);
        requests [s].producer = producers [s];
        requests [s].events = pointers [s];
        requests [s].n_events = GROUP_ROWS;
    }
    kj_call_opts_t opts = { .timeout_ms = 10000 };
    for (int s = 0; s < GROUP_SENDS; s++)
        assert_true (
            (ids [s] = kj_client_send (fx.client, "events.writer", "Append",
                                       &requests [s].base, &opts))
            > 0);
    uint64_t covered [GROUP_SENDS * GROUP_ROWS + 1] = { 0 };
    uint64_t appended = 0;
    int ok = 0, refused = 0;
    for (int got = 0; got < GROUP_SENDS; got++) {
        uint64_t id;
        Kj__AppendReply *reply = NULL;
        kj_status_t status;
        int code = kj_client_recv (fx.client, 10000, &id,
                                   &kj__append_reply__descriptor,
                                   (ProtobufCMessage **) &reply, &status);
        int s = 0;
        while (s < GROUP_SENDS && ids [s] != id)
            s++;
        assert_true (s < GROUP_SENDS);
        if (s == 5 || s == 12) {
            assert_int_equal (code, KJ__CODE__OUT_OF_RANGE);
            assert_string_equal (status.field, "events.txid");
            refused++;
            continue;
        }
        assert_int_equal (code, 0);
        //  The second half of group4 and group5 may come first: then the
        //  log takes it whole, and the first half are duplicates
        assert_int_equal (reply->appended + reply->duplicates, GROUP_ROWS);
        for (uint64_t off = reply->first_offset;
             reply->appended && off <= reply->last_offset; off++)
            covered [off]++;
        appended += reply->appended;
        ok++;
        kj__append_reply__free_unpacked (reply, NULL);
    }
    assert_int_equal (ok, GROUP_SENDS - 2);
    assert_int_equal (refused, 2);
    uint64_t head = 0, tail = 0;
    assert_int_equal (fx_info (&fx, &head, &tail), 0);
    assert_int_equal (head, appended);
    assert_true (appended >= 7 * GROUP_ROWS);
    for (uint64_t off = 1; off <= head; off++)
        assert_int_equal (covered [off], 1);
    //  group4's second half was refused: its cursor is its row 100
    for (int p = 0; p < 8; p++) {
        Kj__CursorRequest request = KJ__CURSOR_REQUEST__INIT;
        request.producer = producers [p];
        Kj__CursorReply *cursor = NULL;
        kj_status_t status;
        assert_int_equal (kj_client_call (fx.client, "events.writer", "Cursor",
                                          &request.base,
                                          &kj__cursor_reply__descriptor,
                                          (ProtobufCMessage **) &cursor,
                                          &status, NULL),
                          0);
        assert_int_equal (cursor->txid, 3);
        assert_int_equal (cursor->id, p == 4 ? GROUP_ROWS : 2 * GROUP_ROWS);
        kj__cursor_reply__free_unpacked (cursor, NULL);
    }
    fx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  S3: a live C subscriber that drops a fifth of its frames gets every
//  event once, in order; it found gaps and repaired every one. A second,
//  by prefix, gets exactly its topic.

typedef struct {
    uint64_t last, delivered, disorder;
    const char *prefix;
} seen_t;

static int
s_on_event (const Kj__Envelope *event, void *arg)
{
    seen_t *seen = (seen_t *) arg;
    if (seen->prefix) {
        if (strncmp (event->topic, seen->prefix, strlen (seen->prefix))
            || event->offset <= seen->last)
            seen->disorder++;
    }
    else if (event->offset != seen->last + 1)
        seen->disorder++;
    seen->last = event->offset;
    seen->delivered++;
    return 0;
}

static void
test_live_with_drops (void **state)
{
    fx_t fx;
    fx_start (&fx, "events_s3", 1, NULL);
    seen_t all = { 0 }, some = { .prefix = "gamma.b" };
    kj_subscriber_config_t config = { .broker = fx.broker.endpoint,
                                      .pub_endpoint = fx.broker.pub,
                                      .from = 1,
                                      .callback = s_on_event,
                                      .arg = &all };
    kj_subscriber_t *lossy = kj_subscriber_new (&config);
    kj_subscriber_set_drop (lossy, 200);
    config.prefixes = (const char *[]){ "gamma.b", NULL };
    config.arg = &some;
    kj_subscriber_t *picky = kj_subscriber_new (&config);
    //  Let both reach live before the load starts
    for (int i = 0; i < 10; i++) {
        kj_subscriber_poll (lossy, 50);
        kj_subscriber_poll (picky, 50);
    }
    const char *args [] = { "--writers", "4",        "--count",
                            "1500",      "--topics", "gamma.a,gamma.b,gamma.c",
                            NULL };
    pid_t producer = fx_producer (&fx, "gamma", args);
    int64_t end = kj_mono_us () + 120 * 1000000LL;
    while (kj_mono_us () < end && all.delivered < 6000) {
        assert_int_equal (kj_subscriber_poll (lossy, 20), 0);
        assert_int_equal (kj_subscriber_poll (picky, 0), 0);
    }
    fx_wait_ok (producer, 30000);
    while (kj_mono_us () < end && some.delivered < 2000)
        assert_int_equal (kj_subscriber_poll (picky, 20), 0);
    kj_subscriber_stats_t stats;
    kj_subscriber_stats (lossy, &stats);
    kj_info ("test.s3",
             "delivered=%" PRIu64 " live=%" PRIu64 " replayed=%" PRIu64
             " gaps_found=%" PRIu64 " gaps_repaired=%" PRIu64
             " dropped=%" PRIu64,
             stats.delivered, stats.live, stats.replayed, stats.gaps_found,
             stats.gaps_repaired, stats.dropped);
    assert_int_equal (all.delivered, 6000);
    assert_int_equal (all.disorder, 0);
    assert_true (stats.dropped > 0);
    assert_true (stats.gaps_found > 0);
    assert_int_equal (stats.gaps_found, stats.gaps_repaired);
    assert_true (stats.live > 0);
    assert_int_equal (some.delivered, 2000);
    assert_int_equal (some.disorder, 0);
    kj_subscriber_stats (picky, &stats);
    assert_int_equal (stats.gaps_found, stats.gaps_repaired);

    fx_check_t check;
    fx_check (&fx, (const char *[]){ "gamma", NULL }, &check);
    fx_assert_whole (&check);
    kj_subscriber_destroy (&lossy);
    kj_subscriber_destroy (&picky);
    fx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  The Python example (docs/examples/subscriber.py) with a tenth of its
//  frames dropped gets every event once, in order, and says so.

static void
test_python_subscriber (void **state)
{
    fx_t fx;
    fx_start (&fx, "events_py", 1, NULL);
    const char *root = getenv ("KEJIN_ROOT");
    char py [600], command [4096], out [600], err [600];
    snprintf (py, sizeof py, "%s/py", kj_test_tmpdir ());
    snprintf (out, sizeof out, "%s/py.out", kj_test_tmpdir ());
    snprintf (err, sizeof err, "%s/py.err", kj_test_tmpdir ());
    snprintf (command, sizeof command,
              "cd %s && mkdir -p %s && protoc --python_out=%s -Iproto "
              "proto/*.proto",
              root ? root : ".", py, py);
    assert_int_equal (system (command), 0);

    const char *args [] = { "--writers", "4", "--count", "250", NULL };
    pid_t producer = fx_producer (&fx, "delta", args);
    snprintf (command, sizeof command,
              "cd %s && PYTHONPATH=%s timeout 120 /usr/bin/python3 "
              "docs/examples/subscriber.py --broker %s --pub %s --from 1 "
              "--count 1000 --drop 100 > %s 2> %s",
              root ? root : ".", py, fx.broker.endpoint, fx.broker.pub, out,
              err);
    assert_int_equal (system (command), 0);
    fx_wait_ok (producer, 30000);

    FILE *file = fopen (out, "r");
    assert_non_null (file);
    char line [512];
    uint64_t expect = 1, lines = 0;
    while (fgets (line, sizeof line, file)) {
        assert_int_equal (strtoull (line, NULL, 10), expect);
        expect++;
        lines++;
    }
    fclose (file);
    assert_int_equal (lines, 1000);
    file = fopen (err, "r");
    assert_non_null (file);
    char stats [1024] = "";
    while (fgets (line, sizeof line, file))
        if (line [0] == '{')
            kj_strlcpy (stats, line, sizeof stats);
    fclose (file);
    kj_info ("test.python", "stats=%s", stats);
    unsigned long found = 0, repaired = 0;
    char *at = strstr (stats, "\"gaps_found\": ");
    assert_non_null (at);
    found = strtoul (at + 14, NULL, 10);
    at = strstr (stats, "\"gaps_repaired\": ");
    assert_non_null (at);
    repaired = strtoul (at + 17, NULL, 10);
    assert_int_equal (found, repaired);
    fx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  Retention by size: old events go, the tail moves, and a replay from
//  before it gets OUT_OF_RANGE naming the tail instead of a silent skip; a
//  subscriber that starts there stops with the same error.

static void
test_retention_out_of_range (void **state)
{
    fx_t fx;
    const char *extra [] = { "-s", "events/retention_bytes=20000", "-s",
                             "events/retention_check_ms=100", NULL };
    fx_start (&fx, "events_retention", 1, extra);
    const char *args [] = { "--writers", "2",   "--count", "300",
                            "--payload", "100", NULL };
    fx_wait_ok (fx_producer (&fx, "epsilon", args), 60000);
    uint64_t head = 0, tail = 0;
    int64_t end = kj_mono_us () + 10000000;
    while (kj_mono_us () < end) {
        assert_int_equal (fx_info (&fx, &head, &tail), 0);
        if (tail > 1 && head == 600)
            break;
        zclock_sleep (100);
    }
    assert_int_equal (head, 600);
    assert_true (tail > 1 && tail <= head);

    Kj__ReplayRequest request = KJ__REPLAY_REQUEST__INIT;
    request.from_offset = 1;
    Kj__ReplayReply *reply = NULL;
    kj_status_t status;
    kj_call_opts_t opts = { .read_only = true };
    assert_int_equal (kj_client_call (fx.client, "events", "Replay",
                                      &request.base,
                                      &kj__replay_reply__descriptor,
                                      (ProtobufCMessage **) &reply, &status,
                                      &opts),
                      KJ__CODE__OUT_OF_RANGE);
    assert_string_equal (status.field, "from_offset");
    assert_non_null (strstr (status.message, "before retention"));
    assert_non_null (strstr (status.message, "tail"));

    //  From the tail itself (or 0, "the oldest held"), replay works
    request.from_offset = 0;
    assert_int_equal (kj_client_call (fx.client, "events", "Replay",
                                      &request.base,
                                      &kj__replay_reply__descriptor,
                                      (ProtobufCMessage **) &reply, &status,
                                      &opts),
                      0);
    assert_true (reply->n_events > 0);
    assert_int_equal (reply->events [0]->offset, reply->tail);
    kj__replay_reply__free_unpacked (reply, NULL);

    seen_t seen = { 0 };
    kj_subscriber_config_t config = { .broker = fx.broker.endpoint,
                                      .pub_endpoint = fx.broker.pub,
                                      .from = 1,
                                      .callback = s_on_event,
                                      .arg = &seen };
    kj_subscriber_t *late = kj_subscriber_new (&config);
    assert_int_equal (kj_subscriber_poll (late, 100), -1);
    assert_non_null (strstr (kj_subscriber_error (late), "before retention"));
    assert_int_equal (seen.delivered, 0);
    kj_subscriber_destroy (&late);
    fx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  OffsetForTime finds the first event appended at or after a time;
//  Schemas hands out the descriptor set that bin/kejin.desc ships.

static uint64_t
s_head_when (fx_t *fx, uint64_t want)
{
    uint64_t head = 0, tail;
    for (int i = 0; i < 300 && head < want; i++) {
        if (fx_info (fx, &head, &tail))
            head = 0;
        if (head < want)
            zclock_sleep (100);
    }
    assert_int_equal (head, want);
    return head;
}

static Kj__OffsetForTimeReply *
s_offset_for_time (fx_t *fx, int64_t time_us, kj_status_t *status)
{
    Kj__OffsetForTimeRequest request = KJ__OFFSET_FOR_TIME_REQUEST__INIT;
    request.time_us = time_us;
    Kj__OffsetForTimeReply *reply = NULL;
    kj_call_opts_t opts = { .read_only = true };
    kj_client_call (fx->client, "events", "OffsetForTime", &request.base,
                    &kj__offset_for_time_reply__descriptor,
                    (ProtobufCMessage **) &reply, status, &opts);
    return reply;
}

static void
test_offset_for_time_and_schemas (void **state)
{
    fx_t fx;
    fx_start (&fx, "events_since", 1, NULL);
    const char *args [] = { "--writers", "2", "--count", "50", NULL };
    fx_wait_ok (fx_producer (&fx, "alpha", args), 60000);
    s_head_when (&fx, 100);
    zclock_sleep (20);
    int64_t between = kj_wall_us ();
    zclock_sleep (20);
    fx_wait_ok (fx_producer (&fx, "beta", args), 60000);
    s_head_when (&fx, 200);

    kj_status_t status;
    Kj__OffsetForTimeReply *reply = s_offset_for_time (&fx, between, &status);
    assert_non_null (reply);
    assert_int_equal (reply->offset, 101);
    assert_true (reply->appended_at_us >= between);
    assert_int_equal (reply->head, 200);
    assert_int_equal (reply->tail, 1);
    kj__offset_for_time_reply__free_unpacked (reply, NULL);
    //  Before everything: the tail; after everything: head + 1, no time
    reply = s_offset_for_time (&fx, 0, &status);
    assert_non_null (reply);
    assert_int_equal (reply->offset, 1);
    assert_true (reply->appended_at_us > 0 && reply->appended_at_us < between);
    kj__offset_for_time_reply__free_unpacked (reply, NULL);
    reply = s_offset_for_time (&fx, kj_wall_us () + 3600000000LL, &status);
    assert_non_null (reply);
    assert_int_equal (reply->offset, 201);
    assert_int_equal (reply->appended_at_us, 0);
    kj__offset_for_time_reply__free_unpacked (reply, NULL);
    assert_null (s_offset_for_time (&fx, -1, &status));
    assert_int_equal (status.code, KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "time_us");

    //  The schemas: every proto file, the bytes bin/kejin.desc holds
    Kj__SchemasRequest request = KJ__SCHEMAS_REQUEST__INIT;
    Kj__SchemasReply *schemas = NULL;
    kj_call_opts_t opts = { .read_only = true };
    assert_int_equal (kj_client_call (fx.client, "events", "Schemas",
                                      &request.base,
                                      &kj__schemas_reply__descriptor,
                                      (ProtobufCMessage **) &schemas, &status,
                                      &opts),
                      0);
    bool events = false, bulk = false;
    for (size_t i = 0; i < schemas->n_files; i++) {
        events |= streq (schemas->files [i], "events.proto");
        bulk |= streq (schemas->files [i], "registry_bulk.proto");
    }
    assert_true (events && bulk);
    size_t size = 0;
    char *file = NULL;
    FILE *in = fopen (kj_test_bin ("kejin.desc"), "rb");
    assert_non_null (in);
    file = (char *) malloc (1 << 20);
    size = fread (file, 1, 1 << 20, in);
    fclose (in);
    assert_int_equal (schemas->descriptor_set.len, size);
    assert_memory_equal (schemas->descriptor_set.data, file, size);
    assert_non_null (memmem (file, size, "BulkImported", 12));
    assert_non_null (memmem (file, size, "OffsetForTimeReply", 18));
    free (file);
    kj__schemas_reply__free_unpacked (schemas, NULL);
    fx_stop (&fx);
}

int
main (void)
{
    kj_log_init ("test_events", getenv ("KEJIN_LOG_LEVEL"));
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_append_and_replay),
        cmocka_unit_test (test_append_is_idempotent),
        cmocka_unit_test (test_append_prepared_per_session),
        cmocka_unit_test (test_append_refuses_future_txid),
        cmocka_unit_test (test_concurrent_appends_group),
        cmocka_unit_test (test_live_with_drops),
        cmocka_unit_test (test_python_subscriber),
        cmocka_unit_test (test_offset_for_time_and_schemas),
        cmocka_unit_test (test_retention_out_of_range),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
