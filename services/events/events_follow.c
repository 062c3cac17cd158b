/*  =========================================================================
    events_follow - kejin-events at a hub serving the cities it mirrors

    One thread publishes, while this copy holds the writer lock (so that
    one copy of kejin-events publishes each city once): every poll_ms it
    reads each city's copy past what it published and sends its rows as
    the city's kejin-events sent them, under "<city>/<topic>", then a
    marker "<city>/$batch" whose counts name the topics without the city,
    as the envelopes do. A subscriber checks a city's batches with the
    same rules as its own log's. On taking the lock, each city starts at
    its head, with a marker at once: what came before is for replay.

    Replay with a city is served by the readers on connections of their
    own to that city's copy, kept in a small pool per city.
    =========================================================================
*/

#include "events_private.h"
#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>

#define BATCH_MAX 1000  //  rows read and published per city per poll
#define IDLE_MAX  8     //  pooled reader connections per city

typedef struct {
    char name [KJ_KEYS_CITY_MAX + 1];
    char *dsn;                 //  db/dsn with dbname=kejin_mirror_<name>
    kj_db_t *db;               //  the publisher's
    bool started;              //  published holds: this city is live
    bool said_down;            //  its copy could not be read: logged
    uint64_t published;        //  last offset published
    int64_t published_at;      //  when anything was (mono us)
    kj_db_t *idle [IDLE_MAX];  //  readers', under the pool lock
    size_t n_idle;
} s_city_t;

struct _events_follow_t {
    events_follow_config_t config;  //  strings owned by the caller
    events_server_t *server;
    s_city_t cities [EVENTS_FOLLOW_MAX];
    size_t n_cities;
    char *list;  //  the cities, as configured, for messages
    pthread_mutex_t pool_lock;
    atomic_bool stop;
    pthread_t thread;
    zsock_t *pub;  //  PUB to the broker's XSUB, the publisher's
};

//  --------------------------------------------------------------------------
//  A city's name as kejin-mirror names its database: a-z first, then a-z,
//  0-9 and _.

static bool
s_name_ok (const char *name, size_t size)
{
    return size > 0 && size <= KJ_KEYS_CITY_MAX
        && islower ((unsigned char) *name)
        && strspn (name, "abcdefghijklmnopqrstuvwxyz0123456789_") >= size;
}

static s_city_t *
s_city_find (events_follow_t *self, const char *name)
{
    for (size_t i = 0; self && i < self->n_cities; i++)
        if (streq (self->cities [i].name, name))
            return &self->cities [i];
    return NULL;
}

//  Parse events/follow into self->cities. 0 or -1 with status set.

static int
s_parse (events_follow_t *self, kj_status_t *status)
{
    const char *item = self->config.cities;
    while (*item) {
        size_t size = strcspn (item, ",");
        const char *start = item;
        while (size && isspace ((unsigned char) *start)) {
            start++;
            size--;
        }
        while (size && isspace ((unsigned char) start [size - 1]))
            size--;
        char name [KJ_KEYS_CITY_MAX + 2] = "";
        if (size <= KJ_KEYS_CITY_MAX)
            memcpy (name, start, size), name [size] = 0;
        if (size
            && (!s_name_ok (name, size) || s_city_find (self, name)
                || self->n_cities == EVENTS_FOLLOW_MAX))
            return kj_status_set (
                status, KJ__CODE__INVALID_ARGUMENT, "events/follow",
                "events/follow: \"%.*s\" is not a mirrored city's name (a-z, "
                "then a-z, 0-9 and _, at most %d bytes; each once, at most "
                "%d cities)",
                (int) (size > 64 ? 64 : size), start, KJ_KEYS_CITY_MAX,
                EVENTS_FOLLOW_MAX);
        if (size) {
            s_city_t *city = &self->cities [self->n_cities++];
            strcpy (city->name, name);
            city->dsn = zsys_sprintf ("%s dbname=kejin_mirror_%s",
                                      self->config.dsn, name);
        }
        item = start + size;
        item += strcspn (item, ",");
        if (*item == ',')
            item++;
    }
    return 0;
}

//  --------------------------------------------------------------------------
//  Publishing, on the thread

//  A marker of city's for first..last (the publisher's, events_publish.c)

static void
s_marker (events_follow_t *self, s_city_t *city, uint64_t first, uint64_t last,
          uint64_t head, Kj__TopicCount **counts, size_t n_counts)
{
    char topic [KJ_KEYS_CITY_MAX + 16];
    snprintf (topic, sizeof topic, "%s/$batch", city->name);
    events_publish_marker_on (self->pub, topic, first, last, head, counts,
                              n_counts);
    city->published_at = kj_mono_us ();
}

//  Publish first..last of res (rows in offset order) and their marker;
//  nothing (logged) when a column is missing: left for the next poll.

static void
s_publish_rows (events_follow_t *self, s_city_t *city, PGresult *res,
                uint64_t first, uint64_t last, uint64_t head)
{
    //  events_store_mirror_rows: off (8 bytes, binary), topic, envelope
    const char *const names [] = { "off", "topic", "envelope" };
    int col [3];
    if (kj_sql_columns (res, names, col, 3))
        return;
    const int off = col [0], topic_col = col [1], envelope = col [2];
    int rows = PQntuples (res);
    Kj__TopicCount *items = (Kj__TopicCount *) calloc ((size_t) rows + 1,
                                                       sizeof (Kj__TopicCount));
    Kj__TopicCount **pointers = (Kj__TopicCount **)
        calloc ((size_t) rows + 1, sizeof (Kj__TopicCount *));
    assert (items && pointers);
    size_t n_counts = 0;
    char topic [KJ_KEYS_CITY_MAX + 2 + EVENTS_TOPIC_MAX];
    for (int row = 0; row < rows; row++) {
        const char *plain = PQgetvalue (res, row, topic_col);
        snprintf (topic, sizeof topic, "%s/%s", city->name, plain);
        events_publish_frame (self->pub, topic, strlen (topic), true);
        events_publish_frame (self->pub, PQgetvalue (res, row, off), 8, true);
        events_publish_frame (self->pub, PQgetvalue (res, row, envelope),
                              (size_t) PQgetlength (res, row, envelope), false);
        //  Counts per topic: few topics per batch, a linear look-up
        size_t index = 0;
        while (index < n_counts && !streq (items [index].topic, plain))
            index++;
        if (index == n_counts) {
            kj__topic_count__init (&items [index]);
            items [index].topic = (char *) plain;
            pointers [index] = &items [index];
            n_counts++;
        }
        items [index].count++;
    }
    s_marker (self, city, first, last, head, pointers, n_counts);
    city->published = last;
    free (items);
    free (pointers);
}

//  One look at a city's copy: publish what is new, or an idle marker
//  when nothing was for tick_ms.

static void
s_poll_city (events_follow_t *self, s_city_t *city)
{
    if (!city->db)
        city->db = kj_db_new (city->dsn, "events", 0);
    uint64_t head = 0;
    if (!city->db || events_store_mirror_head (city->db, &head)) {
        if (!city->said_down)
            kj_warn ("events.follow_down",
                     "city=%s reason=\"its mirrored log kejin_mirror_%s "
                     "cannot be read (is kejin-mirror linked to it?)\"",
                     city->name, city->name);
        city->said_down = true;
        kj_db_destroy (&city->db);
        return;
    }
    if (city->started && head < city->published) {
        kj_warn ("events.follow_reseeded",
                 "city=%s head=%" PRIu64 " published=%" PRIu64, city->name,
                 head, city->published);
        city->started = false;  //  its copy was made again: from its head
    }
    if (city->said_down || !city->started)
        kj_info ("events.follow", "city=%s head=%" PRIu64, city->name, head);
    city->said_down = false;
    if (!city->started) {
        city->started = true;
        city->published = head;
        city->published_at = 0;  //  a marker at once: here is the head
    }
    if (head > city->published) {
        uint64_t first = city->published + 1;
        uint64_t last = head - city->published > BATCH_MAX
                          ? city->published + BATCH_MAX
                          : head;
        PGresult *res = events_store_mirror_rows (city->db, first, last);
        if (res) {
            s_publish_rows (self, city, res, first, last, head);
            PQclear (res);
        }
    }
    else if (kj_mono_us () - city->published_at
             >= (int64_t) self->config.tick_ms * 1000)
        s_marker (self, city, city->published + 1, city->published, head, NULL,
                  0);
}

static void *
s_thread (void *arg)
{
    events_follow_t *self = (events_follow_t *) arg;
    while (!atomic_load (&self->stop) && !kj_stopping ()) {
        zclock_sleep (self->config.poll_ms);
        bool writer = events_server_is_writer (self->server);
        for (size_t i = 0; i < self->n_cities; i++) {
            s_city_t *city = &self->cities [i];
            if (writer)
                s_poll_city (self, city);
            else
                city->started = false;  //  from the head when we are again
        }
    }
    return NULL;
}

//  --------------------------------------------------------------------------

events_follow_t *
events_follow_new (const events_follow_config_t *config,
                   events_server_t *server, kj_status_t *status)
{
    assert (config && config->cities && config->dsn && server);
    events_follow_t *self = (events_follow_t *) zmalloc (
        sizeof (events_follow_t));
    self->config = *config;
    self->server = server;
    if (self->config.tick_ms < 10)
        self->config.tick_ms = 1000;
    if (self->config.poll_ms < 1)
        self->config.poll_ms = 50;
    atomic_init (&self->stop, false);
    pthread_mutex_init (&self->pool_lock, NULL);
    self->list = strdup (config->cities);
    if (s_parse (self, status)) {
        events_follow_destroy (&self);
        return NULL;
    }
    if (self->n_cities == 0)
        return self;  //  none: Replay with a city is refused, nothing runs
    self->pub = zsock_new (ZMQ_PUB);
    assert (self->pub);
    zsock_set_sndhwm (self->pub,
                      config->pub_hwm > 0 ? config->pub_hwm : 100000);
    zsock_set_linger (self->pub, 1000);
    kj_keys_client_env (self->pub, "events");
    if (zsock_connect (self->pub, "%s", config->publish_endpoint)
        || pthread_create (&self->thread, NULL, s_thread, self)) {
        kj_status_set (status, KJ__CODE__UNAVAILABLE, "node/sub",
                       "the mirrored cities' publisher could not start");
        zsock_destroy (&self->pub);
        events_follow_destroy (&self);
        return NULL;
    }
    kj_info ("events.follow_started", "cities=%s", self->list);
    return self;
}

void
events_follow_destroy (events_follow_t **self_p)
{
    if (*self_p) {
        events_follow_t *self = *self_p;
        if (self->pub) {
            atomic_store (&self->stop, true);
            pthread_join (self->thread, NULL);
            zsock_destroy (&self->pub);
        }
        for (size_t i = 0; i < self->n_cities; i++) {
            s_city_t *city = &self->cities [i];
            kj_db_destroy (&city->db);
            for (size_t j = 0; j < city->n_idle; j++)
                kj_db_destroy (&city->idle [j]);
            zstr_free (&city->dsn);
        }
        pthread_mutex_destroy (&self->pool_lock);
        free (self->list);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  The readers' connections

kj_db_t *
events_follow_acquire (events_follow_t *self, kj_call_t *call, const char *city)
{
    size_t size = strlen (city);
    if (!s_name_ok (city, size)) {
        kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "city",
                      "city: \"%.*s\" is not a city's name (a-z, then a-z, "
                      "0-9 and _, at most %d bytes)",
                      (int) (size > 64 ? 64 : size), city, KJ_KEYS_CITY_MAX);
        return NULL;
    }
    s_city_t *entry = s_city_find (self, city);
    if (!entry) {
        kj_call_fail (call, KJ__CODE__NOT_FOUND, "city",
                      "city: %s is not a mirrored city this node serves "
                      "(events/follow: %s)",
                      city, self && *self->list ? self->list : "none");
        return NULL;
    }
    kj_db_t *db = NULL;
    pthread_mutex_lock (&self->pool_lock);
    if (entry->n_idle)
        db = entry->idle [--entry->n_idle];
    pthread_mutex_unlock (&self->pool_lock);
    if (!db)
        db = kj_db_new (entry->dsn, "events", 0);
    if (!db)
        kj_call_fail (call, KJ__CODE__UNAVAILABLE, "city",
                      "the mirrored log of %s cannot be read now; retry", city);
    return db;
}

void
events_follow_release (events_follow_t *self, const char *city, kj_db_t **db_p)
{
    s_city_t *entry = s_city_find (self, city);
    if (entry && *db_p) {
        pthread_mutex_lock (&self->pool_lock);
        if (entry->n_idle < IDLE_MAX) {
            entry->idle [entry->n_idle++] = *db_p;
            *db_p = NULL;
        }
        pthread_mutex_unlock (&self->pool_lock);
    }
    kj_db_destroy (db_p);
}
