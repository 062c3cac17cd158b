/*  =========================================================================
    registry_server - kejin-registry: worker threads serving the Registry
    service, the outbox relay and the qualification-expiry job

    The daemon's main starts the server, then one set of worker threads per
    MDP service it serves (registry_server_add_workers): each thread has its
    own database connection and kj_worker, and every handler gets the
    server as kj_call_state. Writes are KJ_WRITE methods: one transaction
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

typedef struct {
    const char *broker;             //  broker endpoint
    const char *dsn;                //  the service's connection string
    const char *admin_dsn;          //  may create role and schema; "" none
    const char *role;               //  the service's database role
    const char *city;               //  node city, origin of the events
    const char *instance;           //  name in logs, e.g. "registry-4120"
    bool allow_outside;             //  take codes from outside Liaoning
    const char *uscc_exceptions;    //  early pilot codes, comma-separated
    const char *stage_rules;        //  rule set text; "" for the default
    int expiry_interval_ms;         //  qualification expiry job; 0: off
    bool relay;                     //  run the outbox relay thread
} registry_config_t;

typedef struct _registry_server_t registry_server_t;

//  Check the configuration, bootstrap (with admin_dsn) and migrate the
//  schema "registry", record the stage rule set, start the relay and the
//  expiry job. NULL with status set (the reason for people) on failure.
registry_server_t *
    registry_server_new (const registry_config_t *config,
                         kj_status_t *status);

//  Stop every worker thread after the request in hand, the job and the
//  relay; join them.
void
    registry_server_destroy (registry_server_t **self_p);

//  Start `count` worker threads that serve `service` with `methods`.
//  0, or -1 for a count below 0.
int
    registry_server_add_workers (registry_server_t *self, const char *service,
                                 const ProtobufCServiceDescriptor *descriptor,
                                 const kj_method_t *methods, int count);

//  Run the qualification-expiry job once; returns the qualifications it
//  marked expired, or -1 if the database failed.
int
    registry_server_expire (registry_server_t *self, kj_db_t *db);

//  The stage rule set in use.
const registry_stage_rules_t *
    registry_server_rules (registry_server_t *self);

const registry_config_t *
    registry_server_config (registry_server_t *self);

//  The methods of the service "registry" (proto/registry.proto).
extern const kj_method_t registry_methods [];

//  --------------------------------------------------------------------------
//  For handlers (this class's, registry_supermarket's, the bulk service's)

//  Who called: the caller's identity when the broker vouched for one,
//  else "operator".
const char *
    registry_server_who (kj_call_t *call);

//  A protobuf allocator on the call's memory (freed after the reply).
void
    registry_server_allocator (kj_call_t *call, ProtobufCAllocator *mem);

//  Fail the call for a database error: UNAVAILABLE with the reason (the
//  worker retries the transaction when PostgreSQL says it may).
int
    registry_server_db_failed (kj_call_t *call);

//  Copy text without white space at either end into the call's memory.
char *
    registry_server_trim (kj_call_t *call, const char *text);

//  What registry_server_refresh changed.
typedef struct {
    bool moved;                     //  the stage in force changed
    bool changed;                   //  stage, rule, version or review moved
    Kj__Stage from;                 //  stage in force before
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

#endif
