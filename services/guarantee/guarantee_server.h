/*  =========================================================================
    guarantee_server - the Guarantee service's handlers (kejin-guarantee)

    The parties and contracts (guarantee_parties.c: guarantors,
    risk-sharing agreements, guarantees per loan, 代偿) and the money path
    (guarantee_claims.c: claims, reviews, four-eyes approval,
    recoveries; guarantee_pay.c: payment within the budget;
    guarantee_budget.c: budgets and the ledger check; guarantee_follow.c:
    backings), with the
    helpers they share here. The rules are docs/rules/guarantee.md.
    =========================================================================
*/

#ifndef GUARANTEE_SERVER_H_INCLUDED
#define GUARANTEE_SERVER_H_INCLUDED

#include "kejin.h"
#include "guarantee.pb-c.h"
#include "guarantee_policy.h"

//  The methods of the service "guarantee" (proto/guarantee.proto).
extern const kj_method_t guarantee_methods [];

//  The daemon's own options (kj_service's table).
extern const kj_option_t guarantee_options [];

//  What the handlers know of the configuration (kj_call_state).
//  How PayClaim guards the budget (guarantee/budget_guard)
typedef enum {
    GUARANTEE_GUARD_UPDATE,        //  UPDATE ... WHERE remaining >= amount
    GUARANTEE_GUARD_LOCK,          //  SELECT ... FOR UPDATE, then UPDATE
    GUARANTEE_GUARD_SERIALIZABLE,  //  read, then write, SERIALIZABLE
    GUARANTEE_GUARD_COMMIT,        //  the conditional UPDATE at commit
    GUARANTEE_GUARD_SLICE          //  from one of the year's slices
} guarantee_guard_t;

typedef struct {
    //  A guarantor or bank whose loss ratio (代偿 over guaranteed amount)
    //  passes this many basis points is suspended from new claims; 0: off
    int64_t suspend_loss_ratio_bp;
    //  Too little budget left: pay pro rata (true) or queue the claim for
    //  the next year's budget (false) (guarantee/shortfall)
    bool pro_rata;
    guarantee_guard_t guard;
    //  How many slices the slice guard deals a year's budget into
    //  (guarantee/budget_slices)
    int slices;
    //  This node's city (node/city): a guarantee's city when none is given
    char city [65];
    //  Where the follower of matching's loan events reads the log
    //  (node/broker, node/pub) and its subscriber (the job's thread only)
    char broker [256];
    char pub [256];
    struct _guarantee_follow_t *follow;
    //  Backings and remembered disbursements (guarantee_follow.c): a
    //  pending backing expires after backing_expire_s; a disbursement of
    //  an unbacked application is kept disbursement_keep_s, at most
    //  disbursements_max of them
    int64_t backing_expire_s;
    int64_t disbursement_keep_s;
    int64_t disbursements_max;
    //  Product types (bits of Kj__ProductType) that are 创业类
    //  (guarantee/startup_product_types)
    uint32_t startup_types;
} guarantee_config_t;

//  kj_service's init: the options read and checked (INVALID_ARGUMENT
//  naming the option stops the start).
void *
    guarantee_server_new (kj_service_t *service, kj_db_t *db,
                          kj_status_t *status);

void
    guarantee_server_destroy (void *state);

//  --------------------------------------------------------------------------
//  Helpers the handlers share

//  The identity of the operator calling, from the request header; NULL
//  (the call failed PERMISSION_DENIED, field "caller") when there is none,
//  or INVALID_ARGUMENT when it is not text of at most 128 characters: a
//  claim's steps record who took them, and four eyes need names.
const char *
    guarantee_server_caller (kj_call_t *call);

//  Add an event to the outbox in the call's transaction; 0, or -1 with the
//  call failed.
int
    guarantee_server_event (kj_call_t *call, const char *topic, const char *key,
                            const ProtobufCMessage *payload);

//  Handlers of guarantee_parties.c
kj_handler_fn guarantee_add_guarantor;
kj_handler_fn guarantee_add_agreement;
kj_handler_fn guarantee_add_guarantee;
kj_handler_fn guarantee_record_daichang;
kj_handler_fn guarantee_set_policy;
kj_handler_fn guarantee_get_policy;

//  The guarantee of in->loan_id and its event, in db's transaction
//  (guarantee_parties.c): 0; -1 with *status set when a rule refuses it;
//  -2 when the database failed. out points into in, city and reason.
int
    guarantee_parties_insert (kj_db_t *db, const guarantee_policy_t *policy,
                              const Kj__GuaranteeAddRequest *in,
                              const char *city, Kj__LoanGuarantee *out,
                              char *reason, size_t reason_size,
                              kj_status_t *status);

//  AddGuarantee for an application not yet disbursed: the guarantor backs
//  it, and matching's disbursement event makes the guarantee
//  (guarantee_follow.c).
int
    guarantee_follow_back (kj_call_t *call, const guarantee_policy_t *policy,
                           const Kj__GuaranteeAddRequest *in, const char *city,
                           ProtobufCMessage *reply);

//  The job following matching's loan events (guarantee_follow.c).
int
    guarantee_follow_run (void *state, kj_db_t *db);

//  The job expiring pending backings and trimming the disbursements
//  remembered (guarantee_backing.c).
int
    guarantee_follow_expire (void *state, kj_db_t *db);

//  ListBackings (guarantee_backing.c).
kj_handler_fn guarantee_list_backings;

//  The product types of guarantee/startup_product_types as bits of
//  Kj__ProductType: 0, or -1 with *status naming the option.
int
    guarantee_follow_types (const char *text, uint32_t *bits,
                            kj_status_t *status);

//  Close the follower's subscriber (at stop, after the jobs).
void
    guarantee_follow_stop (guarantee_config_t *config);

//  Handlers of guarantee_report.c
kj_handler_fn guarantee_report;

//  A claim id from a request: above 0; 0, or -1 with the call failed
//  (guarantee_claims.c).
int
    guarantee_check_claim_id (kj_call_t *call, int64_t id);

//  Handlers of guarantee_claims.c
kj_handler_fn guarantee_submit_claim;
kj_handler_fn guarantee_review_claim;
kj_handler_fn guarantee_approve_claim;
kj_handler_fn guarantee_recover;
kj_handler_fn guarantee_get_claim;
kj_handler_fn guarantee_list_claims;

//  Handlers of guarantee_pay.c, and of its calls together
//  (guarantee_pay_batch.c)
kj_handler_fn guarantee_pay_claim;
kj_batch_fn guarantee_pay_batch;

//  Handlers of guarantee_budget.c
kj_handler_fn guarantee_allot_budget;
kj_handler_fn guarantee_get_budget;
kj_handler_fn guarantee_list_budgets;
kj_handler_fn guarantee_ledger_check_handler;

#endif
