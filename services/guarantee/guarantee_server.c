/*  =========================================================================
    guarantee_server - the Guarantee service's method table and the
    helpers its handlers share
    =========================================================================
*/

#include "guarantee_server.h"
#include "registry_check.h"

//  --------------------------------------------------------------------------

const char *
guarantee_server_caller (kj_call_t *call)
{
    const Kj__RequestHeader *header = kj_call_header (call);
    if (header && header->caller && header->caller->identity
    &&  *header->caller->identity) {
        kj_status_t status;
        if (registry_check_text (header->caller->identity, "caller", 128,
                                 true, &status) == 0)
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

const kj_method_t guarantee_methods [] = {
    { "AddGuarantor", guarantee_add_guarantor, KJ_WRITE },
    { "AddAgreement", guarantee_add_agreement, KJ_WRITE },
    { "AddGuarantee", guarantee_add_guarantee, KJ_WRITE },
    { "RecordDaichang", guarantee_record_daichang, KJ_WRITE },
    { "SubmitClaim", guarantee_submit_claim, KJ_WRITE },
    { "ReviewClaim", guarantee_review_claim, KJ_WRITE },
    { "ApproveClaim", guarantee_approve_claim, KJ_WRITE },
    { "PayClaim", guarantee_pay_claim, KJ_WRITE },
    { "Recover", guarantee_recover, KJ_WRITE },
    { "AllotBudget", guarantee_allot_budget, KJ_WRITE },
    { "GetClaim", guarantee_get_claim, 0 },
    { "ListClaims", guarantee_list_claims, 0 },
    { "GetBudget", guarantee_get_budget, 0 },
    { "ListBudgets", guarantee_list_budgets, 0 },
    { "LedgerCheck", guarantee_ledger_check_handler, 0 },
    { NULL }
};
