/*  =========================================================================
    kj_outbox - a service's events, written in the same transaction as the
    change they describe

    The table (created by kj_db_migrate in every service schema):
        kj_outbox (id bigserial, txid xid8 default pg_current_xact_id (),
                   topic, key, payload_type, payload bytea, occurred_at)
    txid is what makes the relay safe: ids are taken before commit, so they
    do not say in which order rows become visible; see kj_relay.

    kj_outbox_add inserts one row; kj_outbox_add_many writes many with one
    COPY (text format, payloads as hex bytea), which is what lets a bulk
    import emit one event per row at the speed of the import itself.

    After the transaction commits, kj_db sends a NOTIFY on the schema's
    channel that wakes the relay at once; outside the transaction, so
    that a full notification queue never fails a commit (kj_db.h). A
    process asks for it at most once per KJ_OUTBOX_WAKE_US a channel
    (s_wake): a relay woken looks again every millisecond for a while, so
    more wake-ups would only cost each commit a transaction of its own.
    =========================================================================
*/

#include "kejin.h"
#include <pthread.h>

//  --------------------------------------------------------------------------
//  A payload encoded, as lowercase hex (NUL-ended, *size_p digits); the
//  caller frees it. NULL payload: "".

static char *
s_hex (const ProtobufCMessage *payload, size_t *size_p)
{
    size_t size = payload ? protobuf_c_message_get_packed_size (payload) : 0;
    uint8_t *packed = (uint8_t *) malloc (size + 1);
    assert (packed);
    if (payload)
        protobuf_c_message_pack (payload, packed);
    char *hex = kj_hex_encode (packed, size);
    free (packed);
    *size_p = 2 * size;
    return hex;
}

//  --------------------------------------------------------------------------
//  The check that a keyed event is ordered: its entity locked
//  (kj_db_lock_key) or its topic (kj_db_lock_topic) in its transaction.
//  Without it, two transactions of one entity can put its events in the
//  log in another order than they ran, which no subscriber can repair: so
//  the event is refused, and with it the transaction (kj_db_refuse; the
//  handler's call fails INTERNAL), logged once per topic and process.
//  keys [i] for i < n, or the one key.

static int
s_check_locked (kj_db_t *db, const char *topic, size_t n,
                const char *const *keys)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static zhashx_t *logged = NULL;
    const char *key = NULL;
    for (size_t i = 0; i < n && !key; i++)
        if (keys [i] && *keys [i] && !kj_db_holds_key (db, topic, keys [i]))
            key = keys [i];
    if (!key)
        return 0;
    pthread_mutex_lock (&lock);
    if (!logged)
        logged = zhashx_new ();  //  lives as long as the process
    bool first = zhashx_insert (logged, topic, (void *) 1) == 0;
    pthread_mutex_unlock (&lock);
    if (first)
        kj_error ("outbox.unlocked",
                  "topic=%s key=%s reason=\"the event's entity is not "
                  "locked in its transaction (kj_db_lock_key, or "
                  "kj_db_lock_topic for a batch): refused, or its events "
                  "could reach the log out of order\"",
                  topic, key);
    kj_db_refuse (db, "outbox: a keyed event whose entity is not locked "
                      "in its transaction (kj_db_lock_key)");
    return -1;
}

//  --------------------------------------------------------------------------
//  The relay's wake-up after commit, asked for at most once per window a
//  channel in this process. Each wake-up is a transaction of its own after
//  COMMIT (kj_db_commit): at 1,500 calls a second about a tenth of
//  PostgreSQL's CPU a call (docs/write-call-cost.md, "Session 27"). A
//  relay woken looks again every KJ_RELAY_PENDING_MS (1 ms) for
//  KJ_RELAY_PENDING_US (20 ms) after each wake-up (kj_relay.c), so the
//  rows of a commit within the window after one that woke it are read
//  within a millisecond or so all the same. A wake-up asked for by a
//  transaction that then fails is not sent: the commits of its window
//  wait for the relay's poll (its idle_ms), as when the queue is full.
//  The window stays well under KJ_RELAY_PENDING_US.

#define KJ_OUTBOX_WAKE_US 5000

static pthread_mutex_t s_wake_lock = PTHREAD_MUTEX_INITIALIZER;
static zhashx_t *s_woken = NULL;  //  channel: mono us it was last asked for
static int64_t s_wake_window_us = KJ_OUTBOX_WAKE_US;

void
kj_outbox_set_wake_window (int64_t us)
{
    pthread_mutex_lock (&s_wake_lock);
    s_wake_window_us = us < 0 ? KJ_OUTBOX_WAKE_US : us;
    if (s_woken)
        zhashx_purge (s_woken);
    pthread_mutex_unlock (&s_wake_lock);
}

static void
s_wake (kj_db_t *db)
{
    char channel [64];
    kj_outbox_channel (kj_db_schema (db), channel);
    int64_t now = kj_mono_us ();
    pthread_mutex_lock (&s_wake_lock);
    if (!s_woken)
        s_woken = zhashx_new ();  //  lives as long as the process
    void *last = zhashx_lookup (s_woken, channel);
    bool wake = !last || now - (int64_t) (intptr_t) last >= s_wake_window_us;
    if (wake)
        zhashx_update (s_woken, channel, (void *) (intptr_t) (now ? now : 1));
    pthread_mutex_unlock (&s_wake_lock);
    if (wake)
        kj_db_notify_after_commit (db, channel);
}

//  --------------------------------------------------------------------------
//  One event, one INSERT, in the caller's transaction: as a statement of
//  the caller's batch (kj_outbox_row), or on its own (kj_outbox_add).

#define S_INSERT_SQL                                                           \
    "INSERT INTO kj_outbox (topic, key, payload_type, payload) "               \
    "VALUES ($1, $2, $3, decode ($4, 'hex'))"

static kj_db_query_t
s_row (kj_db_t *db, const char *topic, const char *key,
       const ProtobufCMessage *payload, kj_outbox_row_t *row)
{
    size_t size;
    row->hex = s_hex (payload, &size);
    row->params [0] = topic;
    row->params [1] = key ? key : "";
    row->params [2] = payload ? payload->descriptor->name : "";
    row->params [3] = row->hex;
    s_wake (db);
    return (kj_db_query_t){ S_INSERT_SQL, 4, row->params };
}

kj_db_query_t
kj_outbox_row (kj_db_t *db, const char *topic, const char *key,
               const ProtobufCMessage *payload, kj_outbox_row_t *row)
{
    //  An event outside a transaction could commit without its change:
    //  that is a mistake of the caller, not of its input
    assert (kj_db_in_tx (db));
    assert (topic && *topic && *topic != '$');
    //  Refused, the transaction fails, and the batch this row goes into
    s_check_locked (db, topic, 1, &key);
    return s_row (db, topic, key, payload, row);
}

void
kj_outbox_row_free (kj_outbox_row_t *row)
{
    free (row->hex);
    row->hex = NULL;
}

int
kj_outbox_add (kj_db_t *db, const char *topic, const char *key,
               const ProtobufCMessage *payload)
{
    assert (kj_db_in_tx (db));
    assert (topic && *topic && *topic != '$');
    if (s_check_locked (db, topic, 1, &key))
        return -1;
    kj_outbox_row_t row;
    kj_db_query_t query = s_row (db, topic, key, payload, &row);
    //  Goes with the next statement or COMMIT (kj_db_defer), which fail
    //  if it does
    int rc = kj_db_defer (db, query.sql, query.nparams, query.params);
    kj_outbox_row_free (&row);
    if (rc) {
        kj_warn ("outbox.add_failed", "topic=%s sqlstate=%s reason=\"%s\"",
                 topic, kj_db_sqlstate (db), kj_db_error (db));
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Append text to a COPY buffer, escaped for COPY's text format.

static void
s_copy_text (zchunk_t *buf, const char *text)
{
    if (!strpbrk (text, "\\\t\n\r")) {
        zchunk_extend (buf, text, strlen (text));
        return;
    }
    for (const char *c = text; *c; c++) {
        const char *escaped = *c == '\\' ? "\\\\"
                            : *c == '\t' ? "\\t"
                            : *c == '\n' ? "\\n"
                            : *c == '\r' ? "\\r"
                                         : NULL;
        if (escaped)
            zchunk_extend (buf, escaped, 2);
        else
            zchunk_extend (buf, c, 1);
    }
}

//  --------------------------------------------------------------------------
//  One COPY row: topic, key, payload_type, payload as \\x + hex.

static void
s_copy_row (zchunk_t *buf, const char *topic, const char *key,
            const ProtobufCMessage *payload)
{
    s_copy_text (buf, topic);
    zchunk_extend (buf, "\t", 1);
    s_copy_text (buf, key ? key : "");
    zchunk_extend (buf, "\t", 1);
    s_copy_text (buf, payload ? payload->descriptor->name : "");
    zchunk_extend (buf, "\t\\\\x", 4);
    size_t size;
    char *hex = s_hex (payload, &size);
    zchunk_extend (buf, hex, size);
    zchunk_extend (buf, "\n", 1);
    free (hex);
}

//  --------------------------------------------------------------------------
//  n events of one topic with one COPY, in the caller's transaction.

int
kj_outbox_add_many (kj_db_t *db, const char *topic, size_t n,
                    const char *const *keys,
                    const ProtobufCMessage *const *payloads)
{
    assert (kj_db_in_tx (db));
    assert (topic && *topic && *topic != '$');
    if (n == 0)
        return 0;
    if (keys && s_check_locked (db, topic, n, keys))
        return -1;
    zchunk_t *buf = zchunk_new (NULL, n * 128);
    assert (buf);
    for (size_t i = 0; i < n; i++)
        s_copy_row (buf, topic, keys ? keys [i] : NULL,
                    payloads ? payloads [i] : NULL);

    int rc = kj_db_copy (db,
                         "COPY kj_outbox (topic, key, payload_type, "
                         "payload) FROM STDIN",
                         zchunk_data (buf), zchunk_size (buf));
    if (rc)
        kj_warn ("outbox.add_failed",
                 "topic=%s rows=%zu sqlstate=%s "
                 "reason=\"%s\"",
                 topic, n, kj_db_sqlstate (db), kj_db_error (db));
    else {
        char channel [64];
        kj_outbox_channel (kj_db_schema (db), channel);
        kj_db_notify_after_commit (db, channel);
    }
    zchunk_destroy (&buf);
    return rc;
}

//  --------------------------------------------------------------------------
//  Schema names are [a-z_][a-z0-9_]*, so the channel is one too.

void
kj_outbox_channel (const char *schema, char channel [64])
{
    snprintf (channel, 64, "kj_outbox_%s", schema);
}
