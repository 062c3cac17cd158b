/*  =========================================================================
    matching_registry - enterprises and products, read from kejin-registry
    through the broker, in the form the filters read

    The one door to another service's data: kj_client calls (one client
    per worker thread), never the registry's schema. The product catalogue
    (listed products of listed institutions) is kept for a short time to
    live (matching/cache_ttl_ms) and shared by the workers as a snapshot
    that each call holds until it is done; enterprises are read per call.
    =========================================================================
*/

#ifndef MATCHING_REGISTRY_H_INCLUDED
#define MATCHING_REGISTRY_H_INCLUDED

#include "kejin.h"
#include "matching_filter.h"
#include "registry.pb-c.h"

//  Most products the catalogue reads; more is refused (RESOURCE_EXHAUSTED).
#define MATCHING_REGISTRY_MAX_PRODUCTS 50000

typedef struct _matching_registry_t matching_registry_t;

//  The products at one moment: messages [i] and products [i] describe
//  the same product (products point into messages).
typedef struct {
    const Kj__Product **messages;
    matching_product_t *products;
    size_t count;
    //  private
    Kj__SearchProductsReply **pages;
    size_t n_pages;
    int64_t loaded_us;
    int refs;
} matching_catalogue_t;

matching_registry_t *
    matching_registry_new (const char *endpoint, int ttl_ms, int sla_days);

void
    matching_registry_destroy (matching_registry_t **self_p);

//  --------------------------------------------------------------------------
//  The catalogue, fresh within the TTL, held for the caller. 0, or -1
//  with status (UNAVAILABLE when the registry does not answer).

int
    matching_registry_catalogue (matching_registry_t *self,
                                 matching_catalogue_t **catalogue_p,
                                 kj_status_t *status);

void
    matching_registry_release (matching_registry_t *self,
                               matching_catalogue_t **catalogue_p);

//  The product of an id in a catalogue, or -1.
ssize_t
    matching_registry_find (const matching_catalogue_t *catalogue,
                            const char *id);

//  --------------------------------------------------------------------------
//  One enterprise by credit code (reply to free with
//  kj__enterprise_reply__free_unpacked). 0, or -1 with status: NOT_FOUND
//  naming field when the registry has no such enterprise.

int
    matching_registry_enterprise (matching_registry_t *self, const char *code,
                                  const char *field,
                                  Kj__EnterpriseReply **reply_p,
                                  kj_status_t *status);

//  --------------------------------------------------------------------------
//  The filters' view of an enterprise and of a product (pure).

void
    matching_registry_profile (const Kj__Enterprise *enterprise,
                               matching_enterprise_t *profile);

void
    matching_registry_product (const Kj__Product *message, int sla_days,
                               matching_product_t *product);

//  A date "YYYY-MM-DD" as yyyymmdd; 0 if empty or not a date.
int
    matching_registry_date (const char *text);

#endif
