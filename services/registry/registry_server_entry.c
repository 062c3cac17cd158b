/*  =========================================================================
    registry_server_entry - the entry's transitions (Transition), code
    checks without registering (CheckCode) and the audit trail of one
    subject (History)

    Part of registry_server (registry_server.h).
    =========================================================================
*/

#include "registry_server.h"
#include "registry_check.h"
#include "registry_entry.h"
#include "registry_product.h"
#include "registry_server_private.h"
#include "registry_store.h"
#include "registry_techsme.h"
#include "registry_uscc.h"
#include <ctype.h>

//  --------------------------------------------------------------------------
//  Transition of the entry

int
registry_server_transition (kj_call_t *call, const ProtobufCMessage *input,
                            ProtobufCMessage *output)
{
    const Kj__TransitionRequest *request = (const Kj__TransitionRequest *)
        input;
    kj_audit_object (call, "enterprise", request->code);
    Kj__EnterpriseReply *reply = (Kj__EnterpriseReply *) output;
    kj_db_t *db = kj_call_db (call);
    char code [19];
    if (registry_server_lock (call, request->code, "code",
                              request->expected_version, code))
        return -1;
    if (request->action <= KJ__ENTRY_ACTION__ACTION_UNSPECIFIED
        || (int) request->action > (int) REGISTRY_ENTRY_ACTIONS)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "action",
                             "action: %d is not an action; one of submit, "
                             "city_approve, province_approve, publicity_pass, "
                             "publicity_objection, return, reject, suspend, "
                             "reinstate, remove",
                             request->action);
    registry_entry_action_t action = (registry_entry_action_t) (request->action
                                                                - 1);
    ProtobufCAllocator mem;
    kj_call_allocator (call, &mem);
    Kj__Enterprise *e = NULL;
    if (registry_store_enterprise_load (db, code, false, &mem, &e) != 1)
        return registry_server_db_failed (call);
    registry_entry_state_t from = (registry_entry_state_t) e->status, to;
    char *reason = registry_server_trim (call, request->reason);
    kj_status_t status;
    if (kj_check_text (reason, "reason", 500, false, &status))
        return kj_call_fail_status (call, &status);
    if (registry_entry_transition (from, action, reason, &to, &status)) {
        //  Say which enterprise, then what the rules say
        return kj_call_fail (call, status.code, status.field,
                             "enterprise %s: %s", code, status.message);
    }
    const char *who = registry_server_who (call);
    if (registry_store_enterprise_status (db, code,
                                          registry_entry_state_name (to))
            != 1
        || registry_store_audit (db, who,
                                 kj_call_printf (call, "transition.%s",
                                                 registry_entry_action_name (
                                                     action)),
                                 "enterprise", code,
                                 registry_entry_state_name (from),
                                 registry_entry_state_name (to), reason)
               < 0)
        return registry_server_db_failed (call);
    if (registry_server_finish (call, code, "registry.enterprise.updated",
                                &reply->enterprise))
        return -1;
    Kj__StatusChanged event = KJ__STATUS_CHANGED__INIT;
    event.code = code;
    event.from = (Kj__EntryStatus) from;
    event.to = (Kj__EntryStatus) to;
    event.action = request->action;
    event.reason = reason;
    event.by = (char *) who;
    event.enterprise_version = reply->enterprise->version;
    kj_info ("registry.transition", "code=%s action=%s from=%s to=%s by=%s",
             code, registry_entry_action_name (action),
             registry_entry_state_name (from), registry_entry_state_name (to),
             who);
    return registry_server_emit (call, "registry.enterprise.status_changed",
                                 code, &event.base);
}

//  --------------------------------------------------------------------------
//  CheckCode: explain a code without registering it

static void
s_explain_authority (kj_call_t *call, const char *code,
                     Kj__CheckCodeReply *reply)
{
    const char *authority, *entity_type;
    registry_uscc_explain (code, &authority, &entity_type);
    reply->authority = authority
                         ? (char *) authority
                         : kj_call_printf (call,
                                           _ ("code %c (not in Kejin's table)"),
                                           code [0]);
    reply->entity_type = entity_type
                           ? (char *) entity_type
                           : kj_call_printf (call,
                                             _ ("code %c (not in Kejin's "
                                                "table)"),
                                             code [1]);
}

int
registry_server_check_code (kj_call_t *call, const ProtobufCMessage *input,
                            ProtobufCMessage *output)
{
    registry_server_t *self = (registry_server_t *) kj_call_state (call);
    const Kj__CheckCodeRequest *request = (const Kj__CheckCodeRequest *) input;
    Kj__CheckCodeReply *reply = (Kj__CheckCodeReply *) output;
    char code [19];
    kj_status_t status;
    if (registry_uscc_normalize (request->code ? request->code : "", code,
                                 &status)) {
        Kj__Status *problem = (Kj__Status *)
            kj_call_message (call, &kj__status__descriptor);
        problem->code = status.code;
        problem->field = "code";
        problem->message =
            kj_call_printf (call, "%s%s", status.message,
                            registry_server_did_you_mean (call, request->code));
        reply->problem = problem;
        reply->note = (char *) _ ("not a valid unified social credit code: "
                                  "compare it with the business licence "
                                  "(营业执照) and check again");
        return 0;
    }
    reply->valid = true;
    reply->code = kj_call_strdup (call, code);
    reply->region_code = kj_call_printf (call, "%.6s", code + 2);
    reply->organisation_code = kj_call_printf (call, "%.9s", code + 8);
    s_explain_authority (call, code, reply);
    kj_region_t region;
    registry_uscc_region_result_t kind = registry_uscc_region (code, &region,
                                                               &status);
    reply->liaoning = kind != REGISTRY_USCC_REGION_OUTSIDE;
    if (kind == REGISTRY_USCC_REGION_CITY) {
        const kj_region_info_t *info = kj_region_info (region);
        reply->region = (char *) info->code;
        reply->region_name = kj_call_printf (call, "%s %s", info->name_zh,
                                             info->name_en);
        reply->in_shenyang_metro = info->in_shenyang_metro;
        reply->accepted = true;
        if (region == KJ_REGION_SHENYANG || region == KJ_REGION_FUSHUN)
            reply->note = (char *) _ ("if the enterprise is in 沈抚示范区, "
                                      "register it with region SFDZ");
    }
    else if (kind == REGISTRY_USCC_REGION_PROVINCE) {
        reply->accepted = true;
        reply->note = kj_call_strdup (call, status.message);
    }
    else {
        reply->accepted = self->config.allow_outside;
        reply->note = kj_call_printf (call, "%s%s", status.message,
                                      self->config.allow_outside
                                          ? _ ("; this node takes such codes")
                                          : _ ("; this node registers Liaoning "
                                               "enterprises only"));
    }
    if (reply->accepted
        && registry_uscc_check_enterprise (code, self->config.allow_authorities,
                                           &status)) {
        reply->accepted = false;
        reply->note = kj_call_strdup (call, status.message);
    }
    int rc = registry_store_enterprise_exists (kj_call_db (call), code);
    if (rc < 0)
        return registry_server_db_failed (call);
    reply->registered = rc == 1;
    return 0;
}

//  --------------------------------------------------------------------------
//  History: the audit trail of one subject

int
registry_server_history (kj_call_t *call, const ProtobufCMessage *input,
                         ProtobufCMessage *output)
{
    const Kj__HistoryRequest *request = (const Kj__HistoryRequest *) input;
    Kj__HistoryReply *reply = (Kj__HistoryReply *) output;
    const char *kind = request->kind && *request->kind ? request->kind
                                                       : "enterprise";
    if (!streq (kind, "enterprise") && !streq (kind, "institution")
        && !streq (kind, "product"))
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "kind",
                             "kind: '%.*s' is not one of enterprise, "
                             "institution, product",
                             kj_utf8_cut (kind, 24), kind);
    const char *subject = request->subject;
    char code [19];
    kj_status_t status;
    if (streq (kind, "enterprise")) {
        if (registry_server_code (call, subject, "subject", code))
            return -1;
        subject = code;
    }
    else if (kj_check_id (subject, "subject", &status))
        return kj_call_fail_status (call, &status);
    const char *cursor;
    int limit;
    if (registry_server_page (call, request->page, &cursor, &limit))
        return -1;
    int64_t after = 0;
    if (*cursor && (kj_parse_int64 (cursor, &after) || after < 0))
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "page.after",
                             "page.after: '%.*s' is not a cursor of this "
                             "list",
                             kj_utf8_cut (cursor, 24), cursor);
    ProtobufCAllocator mem;
    kj_call_allocator (call, &mem);
    int64_t last = 0;
    uint64_t total;
    bool more;
    if (registry_store_history (kj_call_db (call), kind, subject, after, limit,
                                &mem, &reply->entries, &reply->n_entries, &last,
                                &total, &more)
        < 0)
        return registry_server_db_failed (call);
    reply->page_info =
        registry_server_page_info (call, total, more,
                                   more
                                       ? kj_call_printf (call, "%" PRId64, last)
                                       : NULL);
    return 0;
}
