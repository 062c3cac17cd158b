/*  =========================================================================
    matching_model - the local read model of products, enterprises and
    grades, kept fresh from the event log

    See the header. One read-write lock (writers preferred, so a stream of
    Matches cannot hold an event back); products in one array of filter
    views beside their messages, found by id through a hash; enterprises
    and grades in hashes by credit code.
    =========================================================================
*/

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kj_subscriber.h"
#include "matching_model.h"
#include "matching_registry.h"
#include "scoring.pb-c.h"

//  Between two load attempts, and per poll of each subscriber.
#define RETRY_MS 1000
#define POLL_MS  20
//  How long the start waits for the head of the log before loading.
#define HEAD_WAIT_MS 3000
//  How long a load waits for scoring's first page of grades before
//  replaying its events instead.
#define GRADES_WAIT_MS 1000

typedef struct {
    char code [24];
    char region [16];
    uint64_t version;
    matching_enterprise_t profile;  //  code and region point here
} s_enterprise_t;

struct _matching_model_t {
    char *broker, *pub;
    int sla_days;
    matching_registry_t *registry;
    pthread_rwlock_t lock;
    //  products [i] and messages [i]: the same product
    matching_product_t *products;
    Kj__Product **messages;
    size_t count, room;
    zhashx_t *product_index;  //  id -> index + 1
    zhashx_t *enterprises;    //  code -> s_enterprise_t
    zhashx_t *grades;         //  code -> grade 1..5 (as a pointer)
    //  the thread
    pthread_t thread;
    bool started;
    atomic_bool stop;
    pthread_mutex_t ready_lock;
    pthread_cond_t ready_cond;
    matching_model_stats_t stats;  //  under ready_lock
    matching_model_fn *changed;
    void *changed_arg;
    bool loading;  //  the model's thread only: no change hook yet
    //  The model's thread only: the grades loaded are of this model and
    //  year, so events of others are ignored; "" when they come from
    //  replaying every scoring event instead (scoring did not answer)
    char grade_model [64];
    int grade_year;
};

//  --------------------------------------------------------------------------
//  Constructor and destructor

static void
s_entry_free (void **item)
{
    free (*item);
    *item = NULL;
}

matching_model_t *
matching_model_new (const char *broker, const char *pub, int sla_days)
{
    assert (broker && pub);
    matching_model_t *self = calloc (1, sizeof *self);
    assert (self);
    self->broker = strdup (broker);
    self->pub = strdup (pub);
    self->sla_days = sla_days;
    self->registry = matching_registry_new (broker, sla_days);
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init (&attr);
    pthread_rwlockattr_setkind_np (
        &attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init (&self->lock, &attr);
    pthread_rwlockattr_destroy (&attr);
    pthread_mutex_init (&self->ready_lock, NULL);
    pthread_cond_init (&self->ready_cond, NULL);
    self->product_index = zhashx_new ();
    self->enterprises = zhashx_new ();
    zhashx_set_destructor (self->enterprises, s_entry_free);
    self->grades = zhashx_new ();
    return self;
}

void
matching_model_destroy (matching_model_t **self_p)
{
    assert (self_p);
    matching_model_t *self = *self_p;
    if (!self)
        return;
    if (self->started) {
        atomic_store (&self->stop, true);
        pthread_join (self->thread, NULL);
    }
    for (size_t i = 0; i < self->count; i++)
        kj__product__free_unpacked (self->messages [i], NULL);
    free (self->messages);
    free (self->products);
    zhashx_destroy (&self->product_index);
    zhashx_destroy (&self->enterprises);
    zhashx_destroy (&self->grades);
    pthread_rwlock_destroy (&self->lock);
    pthread_mutex_destroy (&self->ready_lock);
    pthread_cond_destroy (&self->ready_cond);
    matching_registry_destroy (&self->registry);
    free (self->broker);
    free (self->pub);
    free (self);
    *self_p = NULL;
}

void
matching_model_set_changed (matching_model_t *self, matching_model_fn *fn,
                            void *arg)
{
    self->changed = fn;
    self->changed_arg = arg;
}

//  --------------------------------------------------------------------------
//  Reading

void
matching_model_read (matching_model_t *self)
{
    pthread_rwlock_rdlock (&self->lock);
}

void
matching_model_done (matching_model_t *self)
{
    pthread_rwlock_unlock (&self->lock);
}

size_t
matching_model_count (matching_model_t *self)
{
    return self->count;
}

const matching_product_t *
matching_model_products (matching_model_t *self)
{
    return self->products;
}

const Kj__Product *
matching_model_message (matching_model_t *self, size_t i)
{
    assert (i < self->count);
    return self->messages [i];
}

ssize_t
matching_model_find (matching_model_t *self, const char *id)
{
    if (!id)
        return -1;
    uintptr_t at = (uintptr_t) zhashx_lookup (self->product_index, id);
    return at ? (ssize_t) at - 1 : -1;
}

int
matching_model_profile (matching_model_t *self, const char *code,
                        matching_enterprise_t *profile, uint64_t *version)
{
    s_enterprise_t *entry = code ? zhashx_lookup (self->enterprises, code)
                                 : NULL;
    if (!entry)
        return -1;
    *profile = entry->profile;
    profile->grade = (int) (uintptr_t) zhashx_lookup (self->grades, code);
    if (version)
        *version = entry->version;
    return 0;
}

int
matching_model_grade (matching_model_t *self, const char *code)
{
    if (!code)
        return 0;
    pthread_rwlock_rdlock (&self->lock);
    int grade = (int) (uintptr_t) zhashx_lookup (self->grades, code);
    pthread_rwlock_unlock (&self->lock);
    return grade;
}

//  --------------------------------------------------------------------------
//  Writing

bool
matching_model_put_product (matching_model_t *self, Kj__Product *message)
{
    if (!message || !message->id || !message->id [0]) {
        if (message)
            kj__product__free_unpacked (message, NULL);
        return false;
    }
    pthread_rwlock_wrlock (&self->lock);
    ssize_t at = matching_model_find (self, message->id);
    bool changed = true;
    if (at >= 0) {
        Kj__Product *old = self->messages [at];
        if (old->version >= message->version) {
            changed = false;
            old = message;  //  ours is as new: drop theirs
        }
        else {
            self->messages [at] = message;
            matching_registry_product (message, self->sla_days,
                                       &self->products [at]);
        }
        kj__product__free_unpacked (old, NULL);
    }
    else if (self->count >= MATCHING_MODEL_MAX_PRODUCTS) {
        kj_warn ("matching.model", "product %s left out: %d held already",
                 message->id, MATCHING_MODEL_MAX_PRODUCTS);
        kj__product__free_unpacked (message, NULL);
        changed = false;
    }
    else {
        if (self->count == self->room) {
            self->room = self->room ? self->room * 2 : 1024;
            self->products = realloc (self->products,
                                      self->room * sizeof *self->products);
            self->messages = realloc (self->messages,
                                      self->room * sizeof *self->messages);
            assert (self->products && self->messages);
            //  The views' id pointers point into the messages: unchanged
        }
        self->messages [self->count] = message;
        matching_registry_product (message, self->sla_days,
                                   &self->products [self->count]);
        self->count++;
        zhashx_insert (self->product_index, message->id,
                       (void *) (uintptr_t) self->count);
    }
    pthread_rwlock_unlock (&self->lock);
    return changed;
}

bool
matching_model_put_enterprise (matching_model_t *self, const Kj__Enterprise *e,
                               bool qualifications)
{
    if (!e || !e->code || strlen (e->code) >= 24)
        return false;
    pthread_rwlock_wrlock (&self->lock);
    s_enterprise_t *entry = zhashx_lookup (self->enterprises, e->code);
    bool changed = false;
    if (!entry
        && zhashx_size (self->enterprises) >= MATCHING_MODEL_MAX_ENTERPRISES)
        kj_warn ("matching.model", "enterprise %s left out: %d held already",
                 e->code, MATCHING_MODEL_MAX_ENTERPRISES);
    else if (!entry || entry->version < e->version) {
        if (!entry) {
            entry = calloc (1, sizeof *entry);
            assert (entry);
            zhashx_insert (self->enterprises, e->code, entry);
        }
        unsigned held = entry->profile.qualifications;
        matching_registry_profile (e, &entry->profile);
        if (!qualifications)
            entry->profile.qualifications = held;
        snprintf (entry->code, sizeof entry->code, "%s", e->code);
        snprintf (entry->region, sizeof entry->region, "%s",
                  e->region ? e->region : "");
        entry->profile.code = entry->code;
        entry->profile.region = entry->region;
        entry->version = e->version;
        changed = true;
    }
    pthread_rwlock_unlock (&self->lock);
    return changed;
}

//  One qualification held (the load's passes per kind)
static void
s_qualified (matching_model_t *self, const char *code, int kind)
{
    pthread_rwlock_wrlock (&self->lock);
    s_enterprise_t *entry = zhashx_lookup (self->enterprises, code);
    if (entry && kind > 0 && kind < 32)
        entry->profile.qualifications |= 1u << kind;
    pthread_rwlock_unlock (&self->lock);
}

void
matching_model_put_grade (matching_model_t *self, const char *code,
                          const char *grade)
{
    if (!code)
        return;
    int value = matching_registry_grade (grade);
    pthread_rwlock_wrlock (&self->lock);
    if (value)
        zhashx_update (self->grades, code, (void *) (uintptr_t) value);
    else
        zhashx_delete (self->grades, code);
    pthread_rwlock_unlock (&self->lock);
}

//  --------------------------------------------------------------------------
//  The full load

static int
s_load_product (const ProtobufCMessage *record, void *arg)
{
    //  A copy the model owns: the page is freed after
    const Kj__Product *product = (const Kj__Product *) record;
    uint8_t *buffer = malloc (protobuf_c_message_get_packed_size (record));
    assert (buffer);
    size_t size = protobuf_c_message_pack (record, buffer);
    Kj__Product *copy = kj__product__unpack (NULL, size, buffer);
    free (buffer);
    if (!copy) {
        kj_warn ("matching.model", "product %s: copy failed", product->id);
        return 0;
    }
    matching_model_put_product ((matching_model_t *) arg, copy);
    return 0;
}

static int
s_load_enterprise (const ProtobufCMessage *record, void *arg)
{
    matching_model_put_enterprise ((matching_model_t *) arg,
                                   (const Kj__Enterprise *) record, false);
    return 0;
}

typedef struct {
    matching_model_t *model;
    int kind;
} s_pass_t;

static int
s_load_qualified (const ProtobufCMessage *record, void *arg)
{
    s_pass_t *pass = arg;
    s_qualified (pass->model, ((const Kj__Enterprise *) record)->code,
                 pass->kind);
    return 0;
}

//  A grade listed by scoring, into the hash being loaded
static int
s_load_grade (const ProtobufCMessage *record, void *arg)
{
    const Kj__ScoringGrade *grade = (const Kj__ScoringGrade *) record;
    int value = matching_registry_grade (grade->grade);
    if (grade->code && value)
        zhashx_update ((zhashx_t *) arg, grade->code,
                       (void *) (uintptr_t) value);
    return 0;
}

//  The grades from scoring's ListGrades, in place of those held once all
//  are read; if scoring does not answer, grade_model is "" and the
//  caller replays its events instead
static void
s_load_grades (matching_model_t *self)
{
    kj_status_t status;
    int year;
    char model [sizeof self->grade_model];
    self->grade_model [0] = 0;
    self->grade_year = 0;
    zhashx_t *grades = zhashx_new ();
    if (matching_registry_each_grade (self->registry, GRADES_WAIT_MS, &year,
                                      model, sizeof model, s_load_grade, grades,
                                      &status)) {
        kj_warn ("matching.model",
                 "no grades from scoring (%s): replaying its events",
                 status.message);
        zhashx_destroy (&grades);
        return;
    }
    snprintf (self->grade_model, sizeof self->grade_model, "%s", model);
    self->grade_year = year;
    size_t count = zhashx_size (grades);
    pthread_rwlock_wrlock (&self->lock);
    zhashx_destroy (&self->grades);
    self->grades = grades;
    pthread_rwlock_unlock (&self->lock);
    kj_info ("matching.grades_loaded", "model=%s year=%d grades=%zu", model,
             year, count);
}

static int
s_load (matching_model_t *self, kj_status_t *status)
{
    int64_t start = kj_mono_us ();
    if (matching_registry_each_product (self->registry, s_load_product, self,
                                        status)
        || matching_registry_each_enterprise (self->registry, 0,
                                              s_load_enterprise, self, status))
        return -1;
    for (int kind = 1; kind < KJ__QUALIFICATION_KIND__QUAL_LISTING_RESERVE + 1;
         kind++) {
        s_pass_t pass = { self, kind };
        if (matching_registry_each_enterprise (self->registry, kind,
                                               s_load_qualified, &pass, status))
            return -1;
    }
    s_load_grades (self);
    pthread_rwlock_rdlock (&self->lock);
    size_t products = self->count;
    size_t enterprises = zhashx_size (self->enterprises);
    pthread_rwlock_unlock (&self->lock);
    kj_info ("matching.model_loaded", "products=%zu enterprises=%zu ms=%lld",
             products, enterprises,
             (long long) ((kj_mono_us () - start) / 1000));
    return 0;
}

//  --------------------------------------------------------------------------
//  Events

//  Read a record again; true if the model changed
static bool
s_refetch (matching_model_t *self, bool product, const char *key)
{
    kj_status_t status = { .code = KJ__CODE__OK };
    bool changed = false;
    if (product) {
        Kj__ProductReply *reply = NULL;
        if (matching_registry_get_product (self->registry, key, "id", &reply,
                                           &status)
            == 0) {
            changed = matching_model_put_product (self, reply->product);
            reply->product = NULL;
            kj__product_reply__free_unpacked (reply, NULL);
        }
    }
    else {
        Kj__EnterpriseReply *reply = NULL;
        if (matching_registry_enterprise (self->registry, key, "code", &reply,
                                          &status)
            == 0) {
            changed = matching_model_put_enterprise (self, reply->enterprise,
                                                     true);
            kj__enterprise_reply__free_unpacked (reply, NULL);
        }
    }
    if (status.code != KJ__CODE__OK && status.code != KJ__CODE__NOT_FOUND)
        kj_warn ("matching.model", "%s %s not read again: %s",
                 product ? "product" : "enterprise", key, status.message);
    pthread_mutex_lock (&self->ready_lock);
    self->stats.refetches++;
    pthread_mutex_unlock (&self->ready_lock);
    return changed;
}

static void
s_applied (matching_model_t *self, const Kj__Envelope *event, char kind,
           bool changed)
{
    int64_t now = kj_wall_us ();
    pthread_mutex_lock (&self->ready_lock);
    self->stats.events++;
    self->stats.event_at_us = now;
    self->stats.lag_us = event->occurred_at_us ? now - event->occurred_at_us
                                               : 0;
    pthread_mutex_unlock (&self->ready_lock);
    if (changed && kind && self->changed && !self->loading)
        self->changed (kind, event->key, self->changed_arg);
}

static int
s_on_registry (const Kj__Envelope *event, void *arg)
{
    matching_model_t *self = arg;
    const char *type = event->payload_type ? event->payload_type : "";
    bool product = strncmp (event->topic, "registry.product.", 17) == 0;
    bool enterprise = strncmp (event->topic, "registry.enterprise.", 20) == 0;
    bool changed = false;
    if (product && strcmp (type, "kj.Product") == 0) {
        Kj__Product *message = kj__product__unpack (NULL, event->payload.len,
                                                    event->payload.data);
        if (message)
            changed = matching_model_put_product (self, message);
        else
            changed = s_refetch (self, true, event->key);
    }
    else if (enterprise && strcmp (type, "kj.Enterprise") == 0) {
        Kj__Enterprise *message = kj__enterprise__unpack (NULL,
                                                          event->payload.len,
                                                          event->payload.data);
        if (message) {
            changed = matching_model_put_enterprise (self, message, true);
            kj__enterprise__free_unpacked (message, NULL);
        }
        else
            changed = s_refetch (self, false, event->key);
    }
    else if ((product || enterprise) && event->key && event->key [0])
        changed = s_refetch (self, product, event->key);
    s_applied (self, event, product ? 'p' : enterprise ? 'e' : 0, changed);
    return 0;
}

static int
s_on_scoring (const Kj__Envelope *event, void *arg)
{
    matching_model_t *self = arg;
    Kj__ScoringPortraitScored
        *scored = kj__scoring_portrait_scored__unpack (NULL, event->payload.len,
                                                       event->payload.data);
    //  Only the model and year loaded, or a later year of that model
    bool taken = scored
              && (!self->grade_model [0]
                  || (scored->model
                      && strcmp (scored->model, self->grade_model) == 0
                      && scored->year >= self->grade_year));
    if (taken) {
        matching_model_put_grade (self, scored->code, scored->grade);
        self->grade_year = scored->year;
    }
    if (scored)
        kj__scoring_portrait_scored__free_unpacked (scored, NULL);
    s_applied (self, event, 'e', taken);
    return 0;
}

//  --------------------------------------------------------------------------
//  The thread: subscribe from the head, load, follow

static kj_subscriber_t *
s_subscribe (matching_model_t *self, const char *const *prefixes, uint64_t from,
             kj_subscriber_fn *fn)
{
    kj_subscriber_config_t config = { .broker = self->broker,
                                      .pub_endpoint = self->pub,
                                      .prefixes = prefixes,
                                      .from = from,
                                      .callback = fn,
                                      .arg = self };
    kj_subscriber_t *subscriber = kj_subscriber_new (&config);
    assert (subscriber);
    return subscriber;
}

static void
s_stats_offsets (matching_model_t *self, kj_subscriber_t *registry,
                 kj_subscriber_t *scoring)
{
    kj_subscriber_stats_t a, b;
    kj_subscriber_stats (registry, &a);
    kj_subscriber_stats (scoring, &b);
    pthread_rwlock_rdlock (&self->lock);
    size_t products = self->count;
    size_t enterprises = zhashx_size (self->enterprises);
    size_t grades = zhashx_size (self->grades);
    pthread_rwlock_unlock (&self->lock);
    pthread_mutex_lock (&self->ready_lock);
    self->stats.registry_next = a.next;
    self->stats.scoring_next = b.next;
    self->stats.gaps_repaired = a.gaps_repaired + b.gaps_repaired;
    self->stats.products = products;
    self->stats.enterprises = enterprises;
    self->stats.grades = grades;
    snprintf (self->stats.grade_model, sizeof self->stats.grade_model, "%s",
              self->grade_model);
    self->stats.grade_year = self->grade_year;
    pthread_mutex_unlock (&self->ready_lock);
}

//  Load until it works or the model stops
static void
s_load_until (matching_model_t *self, kj_subscriber_t *registry)
{
    kj_status_t status;
    while (!atomic_load (&self->stop) && s_load (self, &status)) {
        kj_warn ("matching.model", "load failed, again in %d ms: %s", RETRY_MS,
                 status.message);
        kj_subscriber_poll (registry, RETRY_MS);
    }
}

//  The scoring events from the head (the grades are loaded after it is
//  known), or every one from the oldest held
static kj_subscriber_t *
s_scoring (matching_model_t *self, bool from_head)
{
    static const char *const topics [] = { "scoring.portrait.scored", NULL };
    return s_subscribe (self, topics, from_head ? KJ_SUBSCRIBER_HEAD : 0,
                        s_on_scoring);
}

//  After a load: scoring did not list its grades, so replay its events
static kj_subscriber_t *
s_scoring_loaded (matching_model_t *self, kj_subscriber_t *scoring)
{
    if (self->grade_model [0])
        return scoring;
    kj_subscriber_destroy (&scoring);
    return s_scoring (self, false);
}

static void *
s_run (void *arg)
{
    matching_model_t *self = arg;
    static const char *const registry_topics [] = { "registry.product.",
                                                    "registry.enterprise.",
                                                    NULL };
    kj_subscriber_t *registry = s_subscribe (self, registry_topics,
                                             KJ_SUBSCRIBER_HEAD, s_on_registry);
    kj_subscriber_t *scoring = s_scoring (self, true);
    //  The heads first: whatever is appended after them comes as an
    //  event. Without kejin-events the model loads anyway, and loads
    //  again once the head is known
    self->loading = true;
    int64_t until = kj_mono_us () + HEAD_WAIT_MS * 1000;
    while (!atomic_load (&self->stop)
           && (kj_subscriber_next (registry) == 0
               || kj_subscriber_next (scoring) == 0)
           && kj_mono_us () < until) {
        kj_subscriber_poll (registry, POLL_MS);
        kj_subscriber_poll (scoring, POLL_MS);
    }
    bool reload = kj_subscriber_next (registry) == 0;
    if (reload)
        kj_warn ("matching.model",
                 "no head of the event log from %s: "
                 "loading without events; again once it answers",
                 self->broker);
    s_load_until (self, registry);
    scoring = s_scoring_loaded (self, scoring);
    self->loading = false;
    s_stats_offsets (self, registry, scoring);
    pthread_mutex_lock (&self->ready_lock);
    self->stats.ready = true;
    self->stats.loaded_at_us = kj_wall_us ();
    pthread_cond_broadcast (&self->ready_cond);
    pthread_mutex_unlock (&self->ready_lock);

    while (!atomic_load (&self->stop)) {
        int rc = kj_subscriber_poll (registry, POLL_MS);
        if (rc == 0)
            rc = kj_subscriber_poll (scoring, POLL_MS);
        if (rc < 0) {
            //  Fell behind what the log holds: start again from the head
            kj_warn ("matching.model", "events lost (%s, %s): loading anew",
                     kj_subscriber_error (registry),
                     kj_subscriber_error (scoring));
            kj_subscriber_destroy (&registry);
            kj_subscriber_destroy (&scoring);
            registry = s_subscribe (self, registry_topics, KJ_SUBSCRIBER_HEAD,
                                    s_on_registry);
            scoring = s_scoring (self, true);
            reload = true;
        }
        if (reload && kj_subscriber_next (registry) > 0) {
            s_load_until (self, registry);
            scoring = s_scoring_loaded (self, scoring);
            reload = false;
        }
        s_stats_offsets (self, registry, scoring);
    }
    kj_subscriber_destroy (&registry);
    kj_subscriber_destroy (&scoring);
    return NULL;
}

void
matching_model_start (matching_model_t *self)
{
    assert (!self->started);
    int rc = pthread_create (&self->thread, NULL, s_run, self);
    assert (rc == 0);
    self->started = true;
}

bool
matching_model_wait (matching_model_t *self, int timeout_ms)
{
    struct timespec until;
    clock_gettime (CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long) (timeout_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock (&self->ready_lock);
    while (
        !self->stats.ready
        && pthread_cond_timedwait (&self->ready_cond, &self->ready_lock, &until)
               == 0)
        ;
    bool ready = self->stats.ready;
    pthread_mutex_unlock (&self->ready_lock);
    return ready;
}

void
matching_model_stats (matching_model_t *self, matching_model_stats_t *stats)
{
    pthread_mutex_lock (&self->ready_lock);
    *stats = self->stats;
    pthread_mutex_unlock (&self->ready_lock);
}
