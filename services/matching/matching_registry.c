/*  =========================================================================
    matching_registry - enterprises and products from kejin-registry

    See the header. The catalogue is replaced, never changed: a call that
    holds the old one keeps reading it while the next call loads anew.
    =========================================================================
*/

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matching_registry.h"

//  Products asked per page (the registry's page maximum).
#define PAGE 1000
//  Per attempt, and attempts after the first.
#define CALL_TIMEOUT_MS 3000
#define CALL_RETRIES    1

struct _matching_registry_t {
    char *endpoint;
    int64_t ttl_us;
    int sla_days;
    pthread_mutex_t lock;
    matching_catalogue_t *current;
};

//  One client per thread, destroyed when the thread ends.
static pthread_key_t s_client_key;
static pthread_once_t s_client_once = PTHREAD_ONCE_INIT;

static void
s_client_free (void *client)
{
    kj_client_destroy ((kj_client_t **) &client);
}

static void
s_client_key_make (void)
{
    int rc = pthread_key_create (&s_client_key, s_client_free);
    assert (rc == 0);
}

static kj_client_t *
s_client (matching_registry_t *self)
{
    pthread_once (&s_client_once, s_client_key_make);
    kj_client_t *client = pthread_getspecific (s_client_key);
    if (!client) {
        client = kj_client_new (self->endpoint);
        kj_client_set_timeout (client, CALL_TIMEOUT_MS);
        kj_client_set_retries (client, CALL_RETRIES);
        pthread_setspecific (s_client_key, client);
    }
    return client;
}

//  --------------------------------------------------------------------------
//  Constructor and destructor

matching_registry_t *
matching_registry_new (const char *endpoint, int ttl_ms, int sla_days)
{
    assert (endpoint);
    matching_registry_t *self = calloc (1, sizeof *self);
    assert (self);
    self->endpoint = strdup (endpoint);
    self->ttl_us = (int64_t) ttl_ms * 1000;
    self->sla_days = sla_days;
    pthread_mutex_init (&self->lock, NULL);
    return self;
}

static void
s_catalogue_free (matching_catalogue_t *catalogue)
{
    for (size_t i = 0; i < catalogue->n_pages; i++)
        kj__search_products_reply__free_unpacked (catalogue->pages [i], NULL);
    free (catalogue->pages);
    free (catalogue->messages);
    free (catalogue->products);
    free (catalogue);
}

void
matching_registry_destroy (matching_registry_t **self_p)
{
    assert (self_p);
    matching_registry_t *self = *self_p;
    if (!self)
        return;
    if (self->current)
        s_catalogue_free (self->current);
    pthread_mutex_destroy (&self->lock);
    free (self->endpoint);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  Read every listed product, page by page.

static matching_catalogue_t *
s_load (matching_registry_t *self, kj_status_t *status)
{
    matching_catalogue_t *catalogue = calloc (1, sizeof *catalogue);
    assert (catalogue);
    size_t room = 0;
    char after [128] = "";
    kj_call_opts_t opts = { .read_only = true };
    do {
        Kj__Page page = KJ__PAGE__INIT;
        page.limit = PAGE;
        page.after = after;
        Kj__SearchProductsRequest request = KJ__SEARCH_PRODUCTS_REQUEST__INIT;
        request.page = &page;
        Kj__SearchProductsReply *reply = NULL;
        int code = kj_client_call (s_client (self), "registry", "ListProducts",
                                   &request.base,
                                   &kj__search_products_reply__descriptor,
                                   (ProtobufCMessage **) &reply, status, &opts);
        if (code != KJ__CODE__OK) {
            kj_warn ("matching.registry", "ListProducts: %s", status->message);
            if (code != KJ__CODE__UNAVAILABLE
                && code != KJ__CODE__DEADLINE_EXCEEDED)
                kj_status_set (status, KJ__CODE__UNAVAILABLE, NULL,
                               "the registry did not list its products "
                               "(%s); retry",
                               status->message);
            else
                status->code = KJ__CODE__UNAVAILABLE;
            s_catalogue_free (catalogue);
            return NULL;
        }
        catalogue->pages = realloc (catalogue->pages,
                                    (catalogue->n_pages + 1) * sizeof (void *));
        assert (catalogue->pages);
        catalogue->pages [catalogue->n_pages++] = reply;
        if (catalogue->count + reply->n_products
            > MATCHING_REGISTRY_MAX_PRODUCTS) {
            kj_status_set (status, KJ__CODE__RESOURCE_EXHAUSTED, NULL,
                           "the registry lists more than %d products",
                           MATCHING_REGISTRY_MAX_PRODUCTS);
            s_catalogue_free (catalogue);
            return NULL;
        }
        if (catalogue->count + reply->n_products > room) {
            room = (catalogue->count + reply->n_products) * 2;
            catalogue->messages = realloc (catalogue->messages,
                                           room * sizeof (void *));
            assert (catalogue->messages);
        }
        for (size_t i = 0; i < reply->n_products; i++)
            catalogue->messages [catalogue->count++] = reply->products [i];
        const char *next = reply->page_info ? reply->page_info->next : "";
        snprintf (after, sizeof after, "%s", next ? next : "");
    } while (after [0]);

    catalogue->products = calloc (catalogue->count + 1,
                                  sizeof (matching_product_t));
    assert (catalogue->products);
    for (size_t i = 0; i < catalogue->count; i++)
        matching_registry_product (catalogue->messages [i], self->sla_days,
                                   &catalogue->products [i]);
    catalogue->loaded_us = kj_mono_us ();
    return catalogue;
}

int
matching_registry_catalogue (matching_registry_t *self,
                             matching_catalogue_t **catalogue_p,
                             kj_status_t *status)
{
    assert (self && catalogue_p);
    pthread_mutex_lock (&self->lock);
    matching_catalogue_t *current = self->current;
    if (current && kj_mono_us () - current->loaded_us < self->ttl_us) {
        current->refs++;
        pthread_mutex_unlock (&self->lock);
        *catalogue_p = current;
        return 0;
    }
    pthread_mutex_unlock (&self->lock);

    //  Load outside the lock: two loads at once are fine, the later wins
    matching_catalogue_t *fresh = s_load (self, status);
    if (!fresh)
        return -1;
    pthread_mutex_lock (&self->lock);
    fresh->refs = 2;  //  the cache's and the caller's
    matching_catalogue_t *old = self->current;
    self->current = fresh;
    if (old && --old->refs == 0)
        s_catalogue_free (old);
    pthread_mutex_unlock (&self->lock);
    *catalogue_p = fresh;
    return 0;
}

void
matching_registry_release (matching_registry_t *self,
                           matching_catalogue_t **catalogue_p)
{
    assert (self && catalogue_p);
    matching_catalogue_t *catalogue = *catalogue_p;
    if (!catalogue)
        return;
    pthread_mutex_lock (&self->lock);
    bool last = --catalogue->refs == 0;
    pthread_mutex_unlock (&self->lock);
    if (last)
        s_catalogue_free (catalogue);
    *catalogue_p = NULL;
}

ssize_t
matching_registry_find (const matching_catalogue_t *catalogue, const char *id)
{
    for (size_t i = 0; id && i < catalogue->count; i++)
        if (strcmp (catalogue->messages [i]->id, id) == 0)
            return (ssize_t) i;
    return -1;
}

//  --------------------------------------------------------------------------
//  One enterprise.

int
matching_registry_enterprise (matching_registry_t *self, const char *code,
                              const char *field, Kj__EnterpriseReply **reply_p,
                              kj_status_t *status)
{
    Kj__GetEnterpriseRequest request = KJ__GET_ENTERPRISE_REQUEST__INIT;
    request.code = (char *) code;
    kj_call_opts_t opts = { .read_only = true };
    *reply_p = NULL;
    int rc = kj_client_call (s_client (self), "registry", "GetEnterprise",
                             &request.base, &kj__enterprise_reply__descriptor,
                             (ProtobufCMessage **) reply_p, status, &opts);
    if (rc == KJ__CODE__OK && *reply_p && (*reply_p)->enterprise)
        return 0;
    if (*reply_p)
        kj__enterprise_reply__free_unpacked (*reply_p, NULL);
    *reply_p = NULL;
    if (rc == KJ__CODE__INVALID_ARGUMENT) {
        char message [sizeof status->message];
        snprintf (message, sizeof message, "%s", status->message);
        return kj_status_set (status, rc, field, "%s: %s", field, message);
    }
    if (rc == KJ__CODE__NOT_FOUND)
        return kj_status_set (status, rc, field,
                              "%s: no enterprise %.40s in the registry", field,
                              code);
    return kj_status_set (status, KJ__CODE__UNAVAILABLE, NULL,
                          "the registry did not answer for enterprise "
                          "%.40s; retry",
                          code);
}

//  --------------------------------------------------------------------------
//  Conversions

int
matching_registry_date (const char *text)
{
    int y, m, d;
    char extra;
    if (!text || sscanf (text, "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3
        || m < 1 || m > 12 || d < 1 || d > 31)
        return 0;
    return y * 10000 + m * 100 + d;
}

static unsigned
s_bits (const int *values, size_t n)
{
    unsigned bits = 0;
    for (size_t i = 0; i < n; i++)
        if (values [i] > 0 && values [i] < 32)
            bits |= 1u << values [i];
    return bits;
}

//  Grade text as 0 (none) .. 5 (AAA)
static int
s_grade (const char *text)
{
    static const char *grades [] = { "C", "B", "A", "AA", "AAA" };
    for (int i = 0; text && i < 5; i++)
        if (strcmp (text, grades [i]) == 0)
            return i + 1;
    return 0;
}

void
matching_registry_profile (const Kj__Enterprise *e,
                           matching_enterprise_t *profile)
{
    memset (profile, 0, sizeof *profile);
    profile->code = e->code;
    profile->region = e->region;
    profile->size = e->size_class;
    profile->stage = e->stage ? (int) e->stage->stage : 0;
    for (size_t i = 0; i < e->n_qualifications; i++)
        if (!e->qualifications [i]->expired && e->qualifications [i]->kind > 0
            && e->qualifications [i]->kind < 32)
            profile->qualifications |= 1u << e->qualifications [i]->kind;
    profile->n_serving = kj_region_serving (e->region, true, profile->serving);
    profile->first_loan = e->first_loan;
    if (e->credit) {
        profile->dishonest = e->credit->dishonest;
        profile->abnormal = e->credit->abnormal;
        profile->tax_grade_d = e->credit->tax_grade
                            && strcmp (e->credit->tax_grade, "D") == 0;
    }
}

void
matching_registry_product (const Kj__Product *m, int sla_days,
                           matching_product_t *p)
{
    memset (p, 0, sizeof *p);
    p->id = m->id;
    p->institution_id = m->institution_id;
    p->type = m->type;
    p->min_amount_fen = m->min_amount_fen;
    p->max_amount_fen = m->max_amount_fen;
    p->min_term_months = m->min_term_months;
    p->max_term_months = m->max_term_months;
    p->rate_bp = m->rate_bp;
    p->collateral = s_bits ((const int *) m->collateral, m->n_collateral);
    p->stages = s_bits ((const int *) m->stages, m->n_stages);
    p->qualifications = s_bits ((const int *) m->qualifications,
                                m->n_qualifications);
    p->any_qualifications = s_bits ((const int *) m->any_qualifications,
                                    m->n_any_qualifications);
    p->min_grade = s_grade (m->min_grade);
    for (size_t i = 0; i < m->n_regions && i < MATCHING_MAX_REGIONS; i++)
        p->regions [p->n_regions++] = m->regions [i];
    p->valid_from = matching_registry_date (m->valid_from);
    p->valid_to = matching_registry_date (m->valid_to);
    p->listed = m->state == KJ__LISTING_STATE__LISTING_LISTED;
    p->sla_days = sla_days;
}
