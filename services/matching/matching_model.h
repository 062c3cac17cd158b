/*  =========================================================================
    matching_model - the local read model of products, enterprises and
    grades that matching decides with, kept fresh from the event log

    Asking the registry for every Match cost a round trip per request; this
    class holds what the filters read, in memory, so that a Match touches
    no other service. At start a thread subscribes to the registry's events
    from the head of the log (kj_subscriber, gaps repaired by replay), then
    reads every product and enterprise through the broker (ListProducts,
    ListEnterprises, one more ListEnterprises pass per qualification kind,
    since the list leaves qualifications out); then it applies the events:
    a payload with the whole record (kj.Product, kj.Enterprise) is taken as
    it is, any other registry.product.* or registry.enterprise.* event has
    its record read again with GetProduct or GetEnterprise. Grades come
    from scoring.portrait.scored, replayed from the oldest event held.
    A record is replaced only by a newer version, so the order in which
    the load and the events arrive does not matter.

    Freshness: a change is seen once its event is relayed and delivered
    (matching_model_stats: the last event's lag, offsets applied). Writes
    that must be exact (AddDemand, Apply) read the record through the
    broker as well and put it here (matching_model_put_*).

    Readers take the model with matching_model_read and let it go with
    matching_model_done; pointers into it are valid in between only.
    =========================================================================
*/

#ifndef MATCHING_MODEL_H_INCLUDED
#define MATCHING_MODEL_H_INCLUDED

#include "kejin.h"
#include "matching_filter.h"
#include "registry.pb-c.h"

//  Most products and enterprises the model holds; beyond, a load fails
//  and new records are left out (logged).
#define MATCHING_MODEL_MAX_PRODUCTS    100000
#define MATCHING_MODEL_MAX_ENTERPRISES 2000000

typedef struct _matching_model_t matching_model_t;

//  Told of a record the events changed: kind 'p' (product id) or 'e'
//  (enterprise code); called on the model's thread, without the lock.
typedef void (matching_model_fn) (char kind, const char *key, void *arg);

typedef struct {
    bool ready;       //  the full load is done
    size_t products;  //  held, withdrawn included
    size_t enterprises;
    size_t grades;
    uint64_t registry_next;  //  next registry event offset wanted
    uint64_t scoring_next;   //  next scoring event offset wanted
    uint64_t events;         //  events applied since start
    uint64_t refetches;      //  records read again for an event
    int64_t loaded_at_us;    //  wall clock, end of the full load
    int64_t event_at_us;     //  wall clock, last event applied
    int64_t lag_us;          //  that event: applied minus occurred
    uint64_t gaps_repaired;  //  by the subscribers
    //  The grades held are of this scoring model and year (the latest
    //  followed); "" when scoring did not list them and its events were
    //  replayed instead
    char grade_model [64];
    int grade_year;
} matching_model_stats_t;

//  A model reading through broker and following pub; products' decision
//  target sla_days. Nothing runs until matching_model_start.
matching_model_t *
    matching_model_new (const char *broker, const char *pub, int sla_days);

//  Stop the thread and free everything.
void
    matching_model_destroy (matching_model_t **self_p);

//  Start the thread: subscribe, load, follow.
void
    matching_model_start (matching_model_t *self);

//  Call fn for every record the events change.
void
    matching_model_set_changed (matching_model_t *self, matching_model_fn *fn,
                                void *arg);

//  Wait up to timeout_ms for the full load; true once it is done.
bool
    matching_model_wait (matching_model_t *self, int timeout_ms);

void
    matching_model_stats (matching_model_t *self,
                          matching_model_stats_t *stats);

//  --------------------------------------------------------------------------
//  Reading: between read and done, products [0 .. count) are stable.

void
    matching_model_read (matching_model_t *self);

void
    matching_model_done (matching_model_t *self);

size_t
    matching_model_count (matching_model_t *self);

//  The filters' view of every product, in one array.
const matching_product_t *
    matching_model_products (matching_model_t *self);

//  The whole record of product i.
const Kj__Product *
    matching_model_message (matching_model_t *self, size_t i);

//  Index of a product id, or -1.
ssize_t
    matching_model_find (matching_model_t *self, const char *id);

//  The filters' view of an enterprise (grade included), and its version;
//  0, or -1 if the model does not hold it.
int
    matching_model_profile (matching_model_t *self, const char *code,
                            matching_enterprise_t *profile, uint64_t *version);

//  The grade of an enterprise, 0 (none) .. 5 (AAA); takes the lock.
int
    matching_model_grade (matching_model_t *self, const char *code);

//  --------------------------------------------------------------------------
//  Writing (any thread; each takes the lock). A record older than the
//  one held is ignored. Returns true if the model changed.

//  Takes the message (frees it when replaced or ignored).
bool
    matching_model_put_product (matching_model_t *self, Kj__Product *message);

//  Copies what the filters read. qualifications: false when the record
//  lacks its list (ListEnterprises): the held bits are kept.
bool
    matching_model_put_enterprise (matching_model_t *self,
                                   const Kj__Enterprise *enterprise,
                                   bool qualifications);

//  grade "C" .. "AAA" ("" none) of an enterprise.
void
    matching_model_put_grade (matching_model_t *self, const char *code,
                              const char *grade);

#endif
