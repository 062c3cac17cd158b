/*  =========================================================================
    guarantee_server - the Guarantee service's method table and the
    helpers its handlers share
    =========================================================================
*/

#include "guarantee_server.h"
#include "kj_check.h"

//  --------------------------------------------------------------------------

const char *
guarantee_server_caller (kj_call_t *call)
{
    const Kj__RequestHeader *header = kj_call_header (call);
    if (header && header->caller && header->caller->identity
        && *header->caller->identity) {
        kj_status_t status;
        if (kj_check_text (header->caller->identity, "caller", 128, true,
                           &status)
            == 0)
            return header->caller->identity;
        kj_call_fail_status (call, &status);
        return NULL;
    }
    kj_call_fail (call, KJ__CODE__PERMISSION_DENIED, "caller",
                  "caller: this step is recorded with the operator who "
                  "takes it, and the request names none (kejin --as NAME)");
    return NULL;
}

//  --------------------------------------------------------------------------

int
guarantee_server_event (kj_call_t *call, const char *topic, const char *key,
                        const ProtobufCMessage *payload)
{
    if (kj_outbox_add (kj_call_db (call), topic, key, payload))
        return kj_call_fail_db (call);
    return 0;
}

//  --------------------------------------------------------------------------
//  The options read once (kj_service checked their kinds and ranges).

void *
guarantee_server_new (kj_service_t *service, kj_db_t *db, kj_status_t *status)
{
    const char *text = kj_config_get (kj_service_config (service),
                                      "guarantee/suspend_loss_ratio_bp");
    char *end = NULL;
    errno = 0;
    long long bp = strtoll (text, &end, 10);
    if (!*text || *end || errno || bp < 0 || bp > 10000) {
        kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                       "guarantee/suspend_loss_ratio_bp",
                       "guarantee/suspend_loss_ratio_bp: '%.40s'; 0 to 10000 "
                       "basis points",
                       text);
        return NULL;
    }
    guarantee_config_t *self = calloc (1, sizeof *self);
    assert (self);
    self->suspend_loss_ratio_bp = bp;
    kj_config_t *config = kj_service_config (service);
    self->pro_rata = streq (kj_config_get (config, "guarantee/shortfall"),
                            "pro_rata");
    const char *guard = kj_config_get (config, "guarantee/budget_guard");
    self->guard = streq (guard, "lock")         ? GUARANTEE_GUARD_LOCK
                : streq (guard, "serializable") ? GUARANTEE_GUARD_SERIALIZABLE
                : streq (guard, "commit")       ? GUARANTEE_GUARD_COMMIT
                : streq (guard, "update")       ? GUARANTEE_GUARD_UPDATE
                                                : GUARANTEE_GUARD_SLICE;
    self->slices = atoi (kj_config_get (config, "guarantee/budget_slices"));
    //  Pro rata reads what is left under the budget row's lock: its slices
    //  are folded back, and payments take from the row
    if (self->pro_rata && self->guard == GUARANTEE_GUARD_SLICE)
        self->guard = GUARANTEE_GUARD_LOCK;
    //  PayClaims that come together are paid together under the commit
    //  guard with queueing (guarantee_pay_batch.c); a worker of any other
    //  guard takes one at a time
    int batch = atoi (kj_config_get (config, "guarantee/pay_batch"));
    kj_service_credit (service, "guarantee",
                       self->guard == GUARANTEE_GUARD_COMMIT && !self->pro_rata
                           ? batch
                           : 1);
    kj_strlcpy (self->city, kj_config_get (config, "node/city"),
                sizeof self->city);
    kj_strlcpy (self->broker, kj_config_get (config, "node/broker"),
                sizeof self->broker);
    kj_strlcpy (self->pub, kj_config_get (config, "node/pub"),
                sizeof self->pub);
    self->backing_expire_s = atoll (
        kj_config_get (config, "guarantee/backing_expire_s"));
    self->disbursement_keep_s = atoll (
        kj_config_get (config, "guarantee/disbursement_keep_s"));
    self->disbursements_max = atoll (
        kj_config_get (config, "guarantee/disbursements_max"));
    if (guarantee_follow_types (
            kj_config_get (config, "guarantee/startup_product_types"),
            &self->startup_types, status)) {
        free (self);
        return NULL;
    }
    //  SERIALIZABLE is the connection's default, set in db/dsn: a handler
    //  runs after its transaction's first statement and cannot set it
    if (self->guard == GUARANTEE_GUARD_SERIALIZABLE && db) {
        PGresult *res = kj_db_exec (db, "SHOW default_transaction_isolation", 0,
                                    NULL);
        bool serializable = res
                         && streq (PQgetvalue (res, 0, 0), "serializable");
        if (res)
            PQclear (res);
        if (!serializable) {
            free (self);
            kj_status_set (status, KJ__CODE__FAILED_PRECONDITION,
                           "guarantee/budget_guard",
                           "guarantee/budget_guard: serializable needs "
                           "db/dsn to carry options='-c "
                           "default_transaction_isolation=serializable'");
            return NULL;
        }
    }
    //  Any other guard takes from the budget row: slices dealt by a slice
    //  daemon before go back into it
    if (self->guard != GUARANTEE_GUARD_SLICE && db
        && kj_db_run (db, "SELECT budget_fold_slices ()", 0, NULL) < 0) {
        free (self);
        kj_status_set (status, KJ__CODE__UNAVAILABLE, "db/dsn",
                       "db/dsn: the budget slices could not be folded back: "
                       "%s",
                       kj_db_error (db));
        return NULL;
    }
    return self;
}

void
guarantee_server_destroy (void *state)
{
    guarantee_follow_stop (state);
    free (state);
}

//  --------------------------------------------------------------------------

const kj_method_t guarantee_methods [] = {
    { "AddGuarantor", guarantee_add_guarantor, KJ_WRITE },
    { "AddAgreement", guarantee_add_agreement, KJ_WRITE },
    { "AddGuarantee", guarantee_add_guarantee, KJ_WRITE },
    { "RecordDaichang", guarantee_record_daichang, KJ_WRITE },
    { "SubmitClaim", guarantee_submit_claim, KJ_WRITE },
    { "ReviewClaim", guarantee_review_claim, KJ_WRITE },
    { "ApproveClaim", guarantee_approve_claim, KJ_WRITE },
    { "PayClaim", guarantee_pay_claim, KJ_WRITE | KJ_BATCH,
      guarantee_pay_batch },
    { "Recover", guarantee_recover, KJ_WRITE },
    { "AllotBudget", guarantee_allot_budget, KJ_WRITE },
    { "GetClaim", guarantee_get_claim, 0 },
    { "ListClaims", guarantee_list_claims, 0 },
    { "GetBudget", guarantee_get_budget, 0 },
    { "ListBudgets", guarantee_list_budgets, 0 },
    { "LedgerCheck", guarantee_ledger_check_handler, 0 },
    { "SetPolicy", guarantee_set_policy, KJ_WRITE },
    { "GetPolicy", guarantee_get_policy, 0 },
    { "Report", guarantee_report, 0 },
    { "ListBackings", guarantee_list_backings, 0 },
    { NULL }
};
