/*  =========================================================================
    matching_registry - enterprises and products from kejin-registry

    See the header.
    =========================================================================
*/

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matching_registry.h"
#include "scoring.pb-c.h"

//  Products asked per page (the registry's page maximum).
#define PAGE 1000
//  Per attempt, and attempts after the first.
#define CALL_TIMEOUT_MS 3000
#define CALL_RETRIES    1

struct _matching_registry_t {
    char *endpoint;
    int sla_days;
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
matching_registry_new (const char *endpoint, int sla_days)
{
    assert (endpoint);
    matching_registry_t *self = calloc (1, sizeof *self);
    assert (self);
    self->endpoint = strdup (endpoint);
    self->sla_days = sla_days;
    return self;
}

void
matching_registry_destroy (matching_registry_t **self_p)
{
    assert (self_p);
    matching_registry_t *self = *self_p;
    if (!self)
        return;
    free (self->endpoint);
    free (self);
    *self_p = NULL;
}

//  --------------------------------------------------------------------------
//  A list call failed: UNAVAILABLE (retry), whatever the registry said

static int
s_list_failed (const char *method, kj_status_t *status)
{
    kj_warn ("matching.registry", "%s: %s", method, status->message);
    if (status->code == KJ__CODE__UNAVAILABLE
        || status->code == KJ__CODE__DEADLINE_EXCEEDED) {
        status->code = KJ__CODE__UNAVAILABLE;
        return -1;
    }
    char message [sizeof status->message];
    snprintf (message, sizeof message, "%s", status->message);
    return kj_status_set (status, KJ__CODE__UNAVAILABLE, NULL,
                          "the registry did not list its records (%s); "
                          "retry",
                          message);
}

//  --------------------------------------------------------------------------
//  Every listed product, page by page

int
matching_registry_each_product (matching_registry_t *self,
                                matching_registry_fn *fn, void *arg,
                                kj_status_t *status)
{
    char after [128] = "";
    kj_call_opts_t opts = { .read_only = true };
    do {
        Kj__Page page = KJ__PAGE__INIT;
        page.limit = PAGE;
        page.after = after;
        Kj__SearchProductsRequest request = KJ__SEARCH_PRODUCTS_REQUEST__INIT;
        request.page = &page;
        Kj__SearchProductsReply *reply = NULL;
        if (kj_client_call (s_client (self), "registry", "ListProducts",
                            &request.base,
                            &kj__search_products_reply__descriptor,
                            (ProtobufCMessage **) &reply, status, &opts))
            return s_list_failed ("ListProducts", status);
        int stop = 0;
        for (size_t i = 0; i < reply->n_products && !stop; i++)
            stop = fn (&reply->products [i]->base, arg);
        const char *next = reply->page_info ? reply->page_info->next : "";
        snprintf (after, sizeof after, "%s", next && !stop ? next : "");
        kj__search_products_reply__free_unpacked (reply, NULL);
    } while (after [0]);
    return 0;
}

//  --------------------------------------------------------------------------
//  Every enterprise, or those holding a qualification

int
matching_registry_each_enterprise (matching_registry_t *self, int qualification,
                                   matching_registry_fn *fn, void *arg,
                                   kj_status_t *status)
{
    char after [128] = "";
    kj_call_opts_t opts = { .read_only = true };
    Kj__QualificationKind kinds [] = { (Kj__QualificationKind) qualification };
    do {
        Kj__Page page = KJ__PAGE__INIT;
        page.limit = PAGE;
        page.after = after;
        Kj__ListEnterprisesRequest request = KJ__LIST_ENTERPRISES_REQUEST__INIT;
        request.page = &page;
        if (qualification > 0) {
            request.qualifications = kinds;
            request.n_qualifications = 1;
        }
        Kj__ListEnterprisesReply *reply = NULL;
        if (kj_client_call (s_client (self), "registry", "ListEnterprises",
                            &request.base,
                            &kj__list_enterprises_reply__descriptor,
                            (ProtobufCMessage **) &reply, status, &opts))
            return s_list_failed ("ListEnterprises", status);
        int stop = 0;
        for (size_t i = 0; i < reply->n_enterprises && !stop; i++)
            stop = fn (&reply->enterprises [i]->base, arg);
        const char *next = reply->page_info ? reply->page_info->next : "";
        snprintf (after, sizeof after, "%s", next && !stop ? next : "");
        kj__list_enterprises_reply__free_unpacked (reply, NULL);
    } while (after [0]);
    return 0;
}

//  --------------------------------------------------------------------------
//  Every grade of scoring's default model in its latest year

int
matching_registry_each_grade (matching_registry_t *self, int wait_ms, int *year,
                              char *model, size_t size,
                              matching_registry_fn *fn, void *arg,
                              kj_status_t *status)
{
    char after [64] = "";
    *year = 0;
    model [0] = 0;
    kj_call_opts_t first = { .read_only = true,
                             .timeout_ms = wait_ms,
                             .retries = -1 },
                   next = { .read_only = true };
    do {
        Kj__ScoringListGradesRequest request =
            KJ__SCORING_LIST_GRADES_REQUEST__INIT;
        request.year = *year;
        request.model = model;
        request.after = after;
        request.limit = PAGE;
        Kj__ScoringListGradesReply *reply = NULL;
        if (kj_client_call (s_client (self), "scoring", "ListGrades",
                            &request.base,
                            &kj__scoring_list_grades_reply__descriptor,
                            (ProtobufCMessage **) &reply, status,
                            after [0] ? &next : &first))
            return s_list_failed ("ListGrades", status);
        *year = reply->year;
        snprintf (model, size, "%s", reply->model ? reply->model : "");
        int stop = 0;
        for (size_t i = 0; i < reply->n_grades && !stop; i++)
            stop = fn (&reply->grades [i]->base, arg);
        snprintf (after, sizeof after, "%s",
                  reply->next && !stop ? reply->next : "");
        kj__scoring_list_grades_reply__free_unpacked (reply, NULL);
    } while (after [0]);
    return 0;
}

//  --------------------------------------------------------------------------
//  One institution.

int
matching_registry_institution (matching_registry_t *self, const char *id,
                               const char *field,
                               Kj__InstitutionReply **reply_p,
                               kj_status_t *status)
{
    Kj__GetInstitutionRequest request = KJ__GET_INSTITUTION_REQUEST__INIT;
    request.id = (char *) id;
    kj_call_opts_t opts = { .read_only = true };
    *reply_p = NULL;
    int rc = kj_client_call (s_client (self), "registry", "GetInstitution",
                             &request.base, &kj__institution_reply__descriptor,
                             (ProtobufCMessage **) reply_p, status, &opts);
    if (rc == KJ__CODE__OK && *reply_p && (*reply_p)->institution)
        return 0;
    if (*reply_p)
        kj__institution_reply__free_unpacked (*reply_p, NULL);
    *reply_p = NULL;
    if (rc == KJ__CODE__NOT_FOUND || rc == KJ__CODE__INVALID_ARGUMENT)
        return kj_status_set (status, KJ__CODE__NOT_FOUND, field,
                              "%s: no institution %.40s in the registry", field,
                              id);
    return kj_status_set (status, KJ__CODE__UNAVAILABLE, NULL,
                          "the registry did not answer for institution "
                          "%.40s; retry",
                          id);
}

//  --------------------------------------------------------------------------
//  One product.

int
matching_registry_get_product (matching_registry_t *self, const char *id,
                               const char *field, Kj__ProductReply **reply_p,
                               kj_status_t *status)
{
    Kj__GetProductRequest request = KJ__GET_PRODUCT_REQUEST__INIT;
    request.id = (char *) id;
    kj_call_opts_t opts = { .read_only = true };
    *reply_p = NULL;
    int rc = kj_client_call (s_client (self), "registry", "GetProduct",
                             &request.base, &kj__product_reply__descriptor,
                             (ProtobufCMessage **) reply_p, status, &opts);
    if (rc == KJ__CODE__OK && *reply_p && (*reply_p)->product)
        return 0;
    if (*reply_p)
        kj__product_reply__free_unpacked (*reply_p, NULL);
    *reply_p = NULL;
    if (rc == KJ__CODE__NOT_FOUND || rc == KJ__CODE__INVALID_ARGUMENT)
        return kj_status_set (status, KJ__CODE__NOT_FOUND, field,
                              "%s: no product %.40s in the registry", field,
                              id);
    return kj_status_set (status, KJ__CODE__UNAVAILABLE, NULL,
                          "the registry did not answer for product %.40s; "
                          "retry",
                          id);
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
    if (!text || strlen (text) != 10
        || sscanf (text, "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3 || y < 1900
        || m < 1 || m > 12 || d < 1)
        return 0;
    static const int days [] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > days [m - 1] + (m == 2 && leap))
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

int
matching_registry_grade (const char *text)
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
    profile->serving_bits = matching_filter_region_bits (profile->serving,
                                                         profile->n_serving);
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
    p->min_grade = matching_registry_grade (m->min_grade);
    p->regions = (const char *const *) m->regions;
    p->n_regions = m->n_regions < MATCHING_MAX_REGIONS ? m->n_regions
                                                       : MATCHING_MAX_REGIONS;
    p->region_bits = matching_filter_region_bits (p->regions, p->n_regions);
    p->valid_from = matching_registry_date (m->valid_from);
    p->valid_to = matching_registry_date (m->valid_to);
    p->listed = m->state == KJ__LISTING_STATE__LISTING_LISTED;
    p->sla_days = sla_days;
}
