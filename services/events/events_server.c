/*  =========================================================================
    events_server - kejin-events: the writer election and the ticker;
    the writer's methods are in events_writer.c, the live stream in
    events_publish.c, the readers in events_readers.c

    Threads:
    - writer: competes for the writer lock; while it holds it, serves
      "events.writer" with the head and the producers' cursors in memory,
      on EVENTS_WRITERS workers (this thread and the rest) whose
      concurrent Appends commit together (group commit).
    - ticker: while this copy is the writer, publishes an idle marker when
      nothing was appended for tick_ms, checks that the lock's session is
      alive, runs retention, records the append rate, and audits the
      subscriptions the broker refused (events_refused.c).
    - readers: kj_service's worker threads on "events" (Replay, Info,
      Report, events_reader_methods), each on its own connection; the
      daemon's table is in events_main.c.
    The writer and the ticker share the lock's connection and the PUB
    socket under `lock`: a marker always follows every event it counts.
    =========================================================================
*/

#include "events_private.h"

#define RETAIN_CHUNK 50000
#define RATE_WINDOW  60

//  --------------------------------------------------------------------------
//  Threads

static void
s_sleep (events_server_t *self, int msecs)
{
    for (int slept = 0;
         slept < msecs && !atomic_load (&self->stop) && !kj_stopping ();
         slept += 50)
        zclock_sleep (msecs - slept < 50 ? msecs - slept : 50);
}

static bool
s_stopping (events_server_t *self)
{
    return atomic_load (&self->stop) || kj_stopping ();
}

static void *
s_writer_worker (void *arg)
{
    kj_worker_run ((kj_worker_t *) arg);
    return NULL;
}

static void *
s_writer_thread (void *arg)
{
    events_server_t *self = (events_server_t *) arg;
    bool said_standby = false;
    while (!s_stopping (self)) {
        kj_db_t *db = kj_db_new (self->config.dsn, "events", 0);
        if (!db) {
            s_sleep (self, self->config.lock_retry_ms);
            continue;
        }
        int pid = 0, taken = 0;
        while (!s_stopping (self)
               && (taken = events_store_try_lock (db, &pid)) == 0) {
            if (!said_standby)
                kj_info ("events.standby", "instance=%s",
                         self->config.instance);
            said_standby = true;
            s_sleep (self, self->config.lock_retry_ms);
        }
        uint64_t head = 0;
        pthread_mutex_lock (&self->lock);
        if (taken == 1 && !s_stopping (self)
            && events_store_load (db, self->config.instance, &head,
                                  self->cursors)
                   == 0) {
            kj_worker_config_t wc = {
                .endpoint = self->config.broker,
                .service = "events.writer",
                .descriptor = &kj__events_writer__descriptor,
                .methods = events_writer_methods,
                .state = self,
                .credit = 1,
                .instance = self->config.instance
            };
            for (int index = 0; index < EVENTS_WRITERS; index++)
                self->writers [index] = kj_worker_new (&wc);
            self->wdb = db;
            self->lock_pid = pid;
            self->head = head;
            self->published = head;
            self->published_at = 0;  //  a marker at once: here is the head
            self->is_writer = true;
            self->step_down = false;
            said_standby = false;
            kj_info ("events.writer",
                     "instance=%s head=%" PRIu64 " producers=%zu",
                     self->config.instance, head, zhashx_size (self->cursors));
            pthread_mutex_unlock (&self->lock);

            //  EVENTS_WRITERS workers, so that Appends can meet in one group;
            //  this thread runs the first, and the rest stop with it
            //  (a thread that cannot start leaves fewer workers, said)
            pthread_t threads [EVENTS_WRITERS];
            int started = 1;
            while (started < EVENTS_WRITERS) {
                int rc = pthread_create (&threads [started], NULL,
                                         s_writer_worker,
                                         self->writers [started]);
                if (rc) {
                    kj_error ("events.writer_thread",
                              "workers=%d of %d reason=\"%s\"", started,
                              EVENTS_WRITERS, strerror (rc));
                    break;
                }
                started++;
            }
            kj_worker_run (self->writers [0]);

            pthread_mutex_lock (&self->lock);
            for (int index = 1; index < started; index++)
                kj_worker_stop (self->writers [index]);
            pthread_mutex_unlock (&self->lock);
            for (int index = 1; index < started; index++)
                pthread_join (threads [index], NULL);
            pthread_mutex_lock (&self->lock);
            for (int index = 0; index < EVENTS_WRITERS; index++)
                kj_worker_destroy (&self->writers [index]);
            self->is_writer = false;
            self->wdb = NULL;
        }
        pthread_mutex_unlock (&self->lock);
        //  Closing the session releases the lock for a stand-by
        kj_db_destroy (&db);
        if (!s_stopping (self))
            s_sleep (self, self->config.lock_retry_ms);
    }
    return NULL;
}

static void *
s_ticker_thread (void *arg)
{
    events_server_t *self = (events_server_t *) arg;
    kj_db_t *db = NULL;  //  for retention and the rate
    int64_t health_at = 0, retain_at = 0, rate_at = 0;
    uint64_t samples [RATE_WINDOW];
    int64_t sampled_at = 0;
    size_t n_samples = 0;
    while (!s_stopping (self)) {
        zclock_sleep (20);
        int64_t now = kj_mono_us ();
        pthread_mutex_lock (&self->lock);
        bool writer = self->is_writer && !self->step_down;
        if (writer
            && now - self->published_at
                   >= (int64_t) self->config.tick_ms * 1000)
            events_publish_marker (self, self->published + 1, self->published,
                                   NULL, 0);
        if (writer && now >= health_at) {
            //  A session that dropped took the lock with it; kj_db would
            //  reconnect quietly, so compare the backend
            PGresult *res = kj_db_exec (self->wdb, "SELECT 1", 0, NULL);
            if (!res || PQbackendPID (kj_db_conn (self->wdb)) != self->lock_pid)
                events_writer_step_down (self, "the lock's session ended");
            PQclear (res);
            health_at = now + 1000000;
        }
        uint64_t head = self->head;
        pthread_mutex_unlock (&self->lock);
        events_refused_tick (self, &db, now);
        if (!writer) {
            n_samples = 0;
            continue;
        }
        if (now - sampled_at >= 1000000) {
            if (n_samples == RATE_WINDOW) {
                memmove (samples, samples + 1,
                         (RATE_WINDOW - 1) * sizeof samples [0]);
                n_samples--;
            }
            samples [n_samples++] = head;
            sampled_at = now;
        }
        if (now >= retain_at) {
            retain_at = now + (int64_t) self->config.retention_check_ms * 1000;
            if (!db)
                db = kj_db_new (self->config.dsn, "events", 0);
            if (db
                && (self->config.retention_s > 0
                    || self->config.retention_bytes > 0)) {
                uint64_t tail;
                int64_t removed =
                    events_store_retain (db, self->config.retention_s,
                                         self->config.retention_bytes,
                                         RETAIN_CHUNK, &tail);
                if (removed > 0) {
                    kj_info ("events.retained",
                             "removed=%" PRId64 " tail=%" PRIu64, removed,
                             tail);
                    retain_at = now;  //  more may be due: go on at once
                }
            }
        }
        if (db && now >= rate_at && n_samples > 1) {
            uint64_t rate = (samples [n_samples - 1] - samples [0])
                          / (n_samples - 1);
            events_store_set_rate (db, rate);
            rate_at = now + 5000000;
        }
    }
    kj_db_destroy (&db);
    return NULL;
}

//  --------------------------------------------------------------------------

static void
s_cursor_destroy (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

events_server_t *
events_server_new (const events_config_t *config)
{
    events_server_t *self = (events_server_t *) zmalloc (
        sizeof (events_server_t));
    self->config = *config;
    atomic_init (&self->stop, false);
    if (self->config.tick_ms < 10)
        self->config.tick_ms = 1000;
    if (self->config.lock_retry_ms < 10)
        self->config.lock_retry_ms = 500;
    if (self->config.retention_check_ms < 10)
        self->config.retention_check_ms = 10000;
    pthread_mutex_init (&self->lock, NULL);
    pthread_mutex_init (&self->queue_lock, NULL);
    self->cursors = zhashx_new ();
    zhashx_set_destructor (self->cursors, s_cursor_destroy);

    //  An XPUB, which publishes as a PUB does and also hands over what
    //  comes up from the broker: its reports of refused subscriptions
    self->pub = zsock_new (ZMQ_XPUB);
    assert (self->pub);
    self->audit = kj_audit_new ("events");
    self->refusals = events_refusals_new (EVENTS_REFUSAL_WINDOW_US,
                                          EVENTS_REFUSAL_PAIRS);
    zsock_set_sndhwm (self->pub,
                      config->pub_hwm > 0 ? config->pub_hwm : 100000);
    zsock_set_linger (self->pub, 1000);
    //  Only a service key may publish: the daemon's (KEJIN_KEY, "events")
    kj_keys_client_env (self->pub, "events");
    if (zsock_connect (self->pub, "%s", config->publish_endpoint)) {
        kj_error ("events.publish_endpoint", "endpoint=%s reason=\"%s\"",
                  config->publish_endpoint, zmq_strerror (zmq_errno ()));
        zsock_destroy (&self->pub);
        kj_audit_destroy (&self->audit);
        events_refusals_destroy (&self->refusals);
        zhashx_destroy (&self->cursors);
        free (self);
        return NULL;
    }
    int rc = pthread_create (&self->ticker_thread, NULL, s_ticker_thread, self);
    self->ticker_running = rc == 0;
    if (rc == 0)
        rc = pthread_create (&self->writer_thread, NULL, s_writer_thread, self);
    if (rc) {
        kj_error ("events.thread_failed", "reason=\"%s\"", strerror (rc));
        atomic_store (&self->stop, true);
        if (self->ticker_running)
            pthread_join (self->ticker_thread, NULL);
        zsock_destroy (&self->pub);
        kj_audit_destroy (&self->audit);
        events_refusals_destroy (&self->refusals);
        zhashx_destroy (&self->cursors);
        pthread_mutex_destroy (&self->lock);
        free (self);
        return NULL;
    }
    kj_info ("events.started", "instance=%s publish=%s", self->config.instance,
             config->publish_endpoint);
    return self;
}

void
events_server_destroy (events_server_t **self_p)
{
    if (*self_p) {
        events_server_t *self = *self_p;
        events_follow_destroy (&self->follow);
        pthread_mutex_lock (&self->lock);
        atomic_store (&self->stop, true);
        for (int index = 0; index < EVENTS_WRITERS; index++)
            if (self->writers [index])
                kj_worker_stop (self->writers [index]);
        pthread_mutex_unlock (&self->lock);
        pthread_join (self->writer_thread, NULL);
        pthread_join (self->ticker_thread, NULL);
        zsock_destroy (&self->pub);
        kj_audit_destroy (&self->audit);
        events_refusals_destroy (&self->refusals);
        zhashx_destroy (&self->cursors);
        pthread_mutex_destroy (&self->lock);
        pthread_mutex_destroy (&self->queue_lock);
        free (self);
        *self_p = NULL;
    }
}

void
events_server_set_follow (events_server_t *self, events_follow_t *follow)
{
    self->follow = follow;
}

bool
events_server_is_writer (events_server_t *self)
{
    pthread_mutex_lock (&self->lock);
    bool writer = self->is_writer && !self->step_down;
    pthread_mutex_unlock (&self->lock);
    return writer;
}
