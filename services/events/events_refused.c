/*  =========================================================================
    events_refused - refused live subscriptions into the audit trail

    The broker reports each live subscription it refused up its XSUB
    (KJ_REFUSAL_FRAME and a SubscriptionRefused, kj_keys.h); the log's
    XPUB receives them, with the subscriptions the broker passes on, which
    are dropped here. The ticker drains the socket every pass on every
    copy, so that nothing piles up; the writer alone writes rows, in one
    transaction a pass, coalesced by events_refusals: method "Subscribe",
    the object "topic T", PERMISSION_DENIED, the key, role and city the
    ZAP handler gave the subscriber.
    =========================================================================
*/

#include "events_private.h"

#define DRAIN_MAX 2000  //  reports taken per pass

typedef struct {
    events_server_t *server;
    kj_db_t *db;
    int failed;
} s_writing_t;

//  --------------------------------------------------------------------------
//  Text a stranger chose, made safe for a row: any byte of a string that
//  is not valid UTF-8 without control characters becomes '?'.

static void
s_clean (char *text)
{
    if (kj_utf8_valid (text))
        return;
    for (char *c = text; *c; c++)
        if ((unsigned char) *c < 0x20 || (unsigned char) *c >= 0x7f)
            *c = '?';
}

//  --------------------------------------------------------------------------
//  One row of the trail.

static void
s_row (s_writing_t *writing, const char *key, const char *role,
       const char *city, const char *topic, const char *message)
{
    char object [KJ_AUDIT_OBJECT_MAX];
    snprintf (object, sizeof object, "topic %s", topic ? topic : "*");
    kj_utf8_trim (object);
    kj_audit_row_t row = { .service = "events",
                           .method = "Subscribe",
                           .key = key,
                           .role = role,
                           .city = city,
                           .object = object,
                           .request_id = "",
                           .code = KJ__CODE__PERMISSION_DENIED,
                           .message = message };
    if (kj_audit_write (writing->server->audit, writing->db, &row))
        writing->failed++;
}

//  A closing window's row: a pair refused again, or the overflow.

static void
s_closing_row (const char *key, const char *role, const char *city,
               const char *topic, uint64_t count, void *arg)
{
    char message [256];
    if (topic)
        snprintf (message, sizeof message,
                  "refused %" PRIu64 " more times within %lld s of the first",
                  count, EVENTS_REFUSAL_WINDOW_US / 1000000);
    else
        snprintf (message, sizeof message,
                  "%" PRIu64 " more subscriptions refused within %lld s, "
                  "past %d keys and topics: not itemised",
                  count, EVENTS_REFUSAL_WINDOW_US / 1000000,
                  EVENTS_REFUSAL_PAIRS);
    s_row ((s_writing_t *) arg, key, role, city, topic, message);
}

//  --------------------------------------------------------------------------
//  Take what waits on the XPUB (under the server's lock): the refusal
//  reports, unpacked, into reports; the rest dropped. The reports taken.

static size_t
s_drain (events_server_t *self, Kj__SubscriptionRefused **reports, size_t max)
{
    size_t count = 0;
    void *sock = zsock_resolve (self->pub);
    for (size_t taken = 0; taken < DRAIN_MAX; taken++) {
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&msg);
            break;
        }
        const uint8_t *data = (const uint8_t *) zmq_msg_data (&msg);
        size_t size = zmq_msg_size (&msg);
        if (size > 1 && data [0] == KJ_REFUSAL_FRAME && !zmq_msg_more (&msg)
            && count < max) {
            reports [count] = kj__subscription_refused__unpack (NULL, size - 1,
                                                                data + 1);
            if (reports [count])
                count++;
        }
        zmq_msg_close (&msg);
    }
    return count;
}

//  --------------------------------------------------------------------------
//  Every pass of the ticker: drain the reports; as the writer, write the
//  rows due, on *db_p (opened when needed).

void
events_refused_tick (events_server_t *self, kj_db_t **db_p, int64_t now)
{
    Kj__SubscriptionRefused *reports [DRAIN_MAX];
    pthread_mutex_lock (&self->lock);
    size_t count = s_drain (self, reports, DRAIN_MAX);
    bool writer = self->is_writer && !self->step_down;
    pthread_mutex_unlock (&self->lock);
    bool due = events_refusals_due (self->refusals, now);
    if (!writer || (!count && !due)) {
        for (size_t i = 0; i < count; i++)
            kj__subscription_refused__free_unpacked (reports [i], NULL);
        return;
    }
    if (!*db_p)
        *db_p = kj_db_new (self->config.dsn, "events", 0);
    s_writing_t writing = { self, *db_p, 0 };
    bool open = writing.db && self->audit && kj_db_begin (writing.db) == 0;
    for (size_t i = 0; i < count; i++) {
        Kj__SubscriptionRefused *report = reports [i];
        s_clean (report->key);
        s_clean (report->topic);
        s_clean (report->allowed);
        if (open
            && events_refusals_note (self->refusals, report->key, report->role,
                                     report->city, report->topic, now)) {
            char message [KJ_REFUSAL_TOPIC_MAX * 2 + 128];
            snprintf (message, sizeof message,
                      "a live subscription to '%s' refused: the key %s "
                      "(role %s) may read only '%s'",
                      report->topic, report->key, report->role,
                      report->allowed);
            kj_utf8_trim (message);
            s_row (&writing, report->key, report->role, report->city,
                   report->topic, message);
        }
        kj__subscription_refused__free_unpacked (report, NULL);
    }
    if (open) {
        events_refusals_close (self->refusals, now, s_closing_row, &writing);
        if (writing.failed || kj_db_commit (writing.db)) {
            kj_warn ("events.refusal_audit_failed", "rows=%d reason=\"%s\"",
                     writing.failed, kj_db_error (writing.db));
            kj_db_rollback (writing.db);
        }
    }
    else
        kj_warn ("events.refusal_audit_failed",
                 "refusals=%zu reason=\"no database\"", count);
}
