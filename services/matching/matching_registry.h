/*  =========================================================================
    matching_registry - enterprises and products, read from kejin-registry
    through the broker, in the form the filters read

    The one door to another service's data: kj_client calls (one client
    per thread), never the registry's schema. matching_model loads and
    refreshes itself through it; AddDemand and Apply read the one record
    they decide on through it.
    =========================================================================
*/

#ifndef MATCHING_REGISTRY_H_INCLUDED
#define MATCHING_REGISTRY_H_INCLUDED

#include "kejin.h"
#include "matching_filter.h"
#include "registry.pb-c.h"

typedef struct _matching_registry_t matching_registry_t;

//  Called with each record of a list, in order; nonzero stops.
typedef int (matching_registry_fn) (const ProtobufCMessage *record, void *arg);

matching_registry_t *
    matching_registry_new (const char *endpoint, int sla_days);

void
    matching_registry_destroy (matching_registry_t **self_p);

//  --------------------------------------------------------------------------
//  Every listed product (kj.Product), page by page. 0, or -1 with status
//  (UNAVAILABLE when the registry does not answer).

int
    matching_registry_each_product (matching_registry_t *self,
                                    matching_registry_fn *fn, void *arg,
                                    kj_status_t *status);

//  Every enterprise (kj.Enterprise without its lists), or with
//  qualification > 0 those holding it unexpired. 0, or -1 with status.

int
    matching_registry_each_enterprise (matching_registry_t *self,
                                       int qualification,
                                       matching_registry_fn *fn, void *arg,
                                       kj_status_t *status);

//  --------------------------------------------------------------------------
//  Every enterprise's grade from scoring (kj.ScoringGrade, its latest
//  portrait) under scoring's default model for its latest year scored,
//  page by page (scoring ListGrades); *year (0: none scored) and model
//  (size bytes) say which. The first page waits at most wait_ms, once.
//  0, or -1 with status (UNAVAILABLE when scoring does not answer).

int
    matching_registry_each_grade (matching_registry_t *self, int wait_ms,
                                  int *year, char *model, size_t size,
                                  matching_registry_fn *fn, void *arg,
                                  kj_status_t *status);

//  --------------------------------------------------------------------------
//  One product by id (reply to free with kj__product_reply__free_unpacked).
//  0, or -1 with status: NOT_FOUND naming field when there is none.

int
    matching_registry_get_product (matching_registry_t *self, const char *id,
                                   const char *field,
                                   Kj__ProductReply **reply_p,
                                   kj_status_t *status);

//  --------------------------------------------------------------------------
//  One institution by id (reply to free with
//  kj__institution_reply__free_unpacked). 0, or -1 with status:
//  NOT_FOUND naming field when there is none.

int
    matching_registry_institution (matching_registry_t *self, const char *id,
                                   const char *field,
                                   Kj__InstitutionReply **reply_p,
                                   kj_status_t *status);

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
//  The filters' view of an enterprise and of a product (pure). The
//  product's view points into the message (id, regions ...): valid while
//  the message is.

void
    matching_registry_profile (const Kj__Enterprise *enterprise,
                               matching_enterprise_t *profile);

void
    matching_registry_product (const Kj__Product *message, int sla_days,
                               matching_product_t *product);

//  A grade "C" .. "AAA" as 1 .. 5; 0 if none or not a grade.
int
    matching_registry_grade (const char *text);

//  A date "YYYY-MM-DD" as yyyymmdd; 0 if empty or not a date.
int
    matching_registry_date (const char *text);

#endif
