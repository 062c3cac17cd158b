/*  =========================================================================
    registry_server - kejin-registry's state, its qualification-expiry job
    and the handlers of the Registry service

    kj_service runs the daemon (registry_main.c is its table): it makes
    the server with registry_server_new once the schema is migrated, and
    every handler of every MDP service the daemon serves gets the server
    as kj_call_state. Writes are KJ_WRITE methods: one transaction
    with idempotency, the row of the enterprise (institution, product)
    locked first, the events added with kj_outbox_add in the same
    transaction.
    =========================================================================
*/

#ifndef REGISTRY_SERVER_H_INCLUDED
#define REGISTRY_SERVER_H_INCLUDED

#include "kejin.h"
#include "registry.pb-c.h"
#include "registry_stage.h"

//  The options handlers read (registry/...), fixed at start.
typedef struct {
    bool allow_outside;  //  take codes from outside Liaoning
    //  authority characters other than 9 whose codes may be registered
    //  (registry/allow_authorities)
    char allow_authorities [32];
    //  SearchProducts answers from the catalogue also run the statement
    //  and fail INTERNAL if the two differ (registry/catalogue_check)
    bool catalogue_check;
} registry_config_t;

typedef struct _registry_server_t registry_server_t;

//  kj_service's init (see kj_service_init_fn): read and check the
//  registry's options (stage rules, credit code exceptions), record the
//  stage rule set with db. The server, or NULL with status set (the
//  reason for people).
kj_service_init_fn registry_server_new;

//  kj_service's destroy of what registry_server_new made.
kj_service_destroy_fn registry_server_destroy;

//  The qualification-expiry job (a kj_job_fn, state the server): run it
//  once; returns the qualifications it marked expired, or -1 if the
//  database failed.
kj_job_fn registry_server_expire;

//  The stage rule set in use.
const registry_stage_rules_t *
    registry_server_rules (registry_server_t *self);

const registry_config_t *
    registry_server_config (registry_server_t *self);

//  kj_service job: recompute the stages of enterprises computed by older
//  stage rules than the set in force, resumably (docs/rules/stages.md §3).
kj_job_fn registry_server_restage;

//  The methods of the service "registry" (proto/registry.proto).
extern const kj_method_t registry_methods [];

//  --------------------------------------------------------------------------
//  "; did you mean CODE (NAME)?" naming the registered enterprises one
//  substitution or one swap of neighbours away from a code typed wrong, or
//  "" when there are none. In the call's memory.

const char *
    registry_server_did_you_mean (kj_call_t *call, const char *typed);

//  --------------------------------------------------------------------------
//  For handlers (this class's, registry_supermarket's, the bulk service's)

//  Who called: the caller's identity when the broker vouched for one,
//  else "operator".
const char *
    registry_server_who (kj_call_t *call);

//  Fail the call for a database error: a value the database refuses gets
//  the status kj_db_status_code gives (INVALID_ARGUMENT, OUT_OF_RANGE,
//  ...), anything else UNAVAILABLE with the reason (the worker retries
//  the transaction when PostgreSQL says it may).
int
    registry_server_db_failed (kj_call_t *call);

//  Copy text without white space at either end into the call's memory.
char *
    registry_server_trim (kj_call_t *call, const char *text);

//  Add an event to the outbox in the call's transaction; fail the call
//  (database error) if it cannot.
int
    registry_server_emit (kj_call_t *call, const char *topic, const char *key,
                          const ProtobufCMessage *payload);

//  Fail the call (ABORTED) when the caller expected another version of
//  what key names (N_ ("enterprise"), its code: what is translated into
//  the caller's language); expected 0 takes any.
int
    registry_server_check_version (kj_call_t *call, const char *what,
                                   const char *key, uint64_t expected,
                                   uint64_t version);

//  The stored names of a repeated enum field of the request (at most 32,
//  0 only when zero_ok), each checked, in the call's memory.
int
    registry_server_enum_names (kj_call_t *call,
                                const ProtobufCEnumDescriptor *descriptor,
                                const char *prefix, const int *values, size_t n,
                                const char *field, bool zero_ok,
                                const char ***names);

//  A page asked for: the limit at most REGISTRY_STORE_PAGE_MAX, the
//  cursor one a list gave. Sets *after ("" for the first page) and *limit
//  (0 for the default).
int
    registry_server_page (kj_call_t *call, const Kj__Page *page,
                          const char **after, int *limit);

//  A city a request names in its region field: 0 when it is a city code
//  (210100 .. 211400) or SFDZ, else the call fails naming "region".
int
    registry_server_city (kj_call_t *call, const char *region);

//  The PageInfo of a page: total matching rows, and the cursor of the
//  next page (last, the key of the page's last row) when there are more.
Kj__PageInfo *
    registry_server_page_info (kj_call_t *call, uint64_t total, bool more,
                               const char *last);

//  What registry_server_refresh changed.
typedef struct {
    bool moved;      //  the stage in force changed
    bool changed;    //  stage, rule, version or review moved
    Kj__Stage from;  //  stage in force before
} registry_refresh_t;

//  Recompute the stage (unless overridden, then only `computed`) and the
//  tech-SME grid of e, which was loaded with its parts inside the
//  transaction; write them and update e to match. 0, or -1 on a database
//  error.
int
    registry_server_refresh (registry_server_t *self, kj_db_t *db,
                             Kj__Enterprise *e, ProtobufCAllocator *mem,
                             registry_refresh_t *refresh);

//  Add registry.enterprise.stage_changed for e (after the change) to the
//  outbox, and the audit row; by is the caller, "rules" or "expiry".
int
    registry_server_stage_event (kj_db_t *db, const Kj__Enterprise *e,
                                 Kj__Stage from, const char *by);

//  The institution and product handlers (registry_supermarket.c).
kj_handler_fn registry_supermarket_add_institution;
kj_handler_fn registry_supermarket_get_institution;
kj_handler_fn registry_supermarket_list_institutions;
kj_handler_fn registry_supermarket_update_institution;
kj_handler_fn registry_supermarket_withdraw_institution;
kj_handler_fn registry_supermarket_add_product;
kj_handler_fn registry_supermarket_get_product;
kj_handler_fn registry_supermarket_list_products;
kj_handler_fn registry_supermarket_search_products;
kj_handler_fn registry_supermarket_update_product;
kj_handler_fn registry_supermarket_withdraw_product;

//  Every option of kejin-registry (registry_options.c), { NULL } ended; the
//  CLI's `kejin config` knows it too.
extern const kj_option_t registry_options [];

#endif
