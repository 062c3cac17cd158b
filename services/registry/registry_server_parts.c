/*  =========================================================================
    registry_server_parts - the handlers of an enterprise's figures,
    qualifications and stage: SetFigures, Qualify, OverrideStage,
    RecomputeStage

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
//  SetFigures

int
registry_server_set_figures (kj_call_t *call, const ProtobufCMessage *input,
                             ProtobufCMessage *output)
{
    const Kj__SetFiguresRequest *request = (const Kj__SetFiguresRequest *)
        input;
    kj_audit_object (call, "enterprise", request->code);
    Kj__EnterpriseReply *reply = (Kj__EnterpriseReply *) output;
    kj_db_t *db = kj_call_db (call);
    char code [19];
    if (registry_server_lock (call, request->code, "code",
                              request->expected_version, code))
        return -1;
    kj_status_t status;
    if (request->n_figures == 0)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "figures",
                             "figures: none given; give at least one year");
    if (registry_check_figures_list (request->figures, request->n_figures,
                                     "figures", &status))
        return kj_call_fail_status (call, &status);
    kj_date_t today;
    if (registry_store_today (db, &today) < 0)
        return registry_server_db_failed (call);
    for (size_t i = 0; i < request->n_figures; i++)
        if (request->figures [i]->year > today.year)
            return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT,
                                 kj_call_printf (call, "figures[%zu].year", i),
                                 "figures[%zu].year: %d has not begun yet", i,
                                 request->figures [i]->year);
    if (registry_store_figures_put (db, code, request->figures,
                                    request->n_figures)
            < 0
        || registry_store_enterprise_touch (db, code) != 1)
        return registry_server_db_failed (call);
    return registry_server_finish (call, code, "registry.enterprise.updated",
                                   &reply->enterprise);
}

//  --------------------------------------------------------------------------
//  Qualify: add, renew or revoke one qualification

int
registry_server_qualify (kj_call_t *call, const ProtobufCMessage *input,
                         ProtobufCMessage *output)
{
    const Kj__QualifyRequest *request = (const Kj__QualifyRequest *) input;
    kj_audit_object (call, "enterprise", request->code);
    Kj__EnterpriseReply *reply = (Kj__EnterpriseReply *) output;
    kj_db_t *db = kj_call_db (call);
    char code [19];
    if (registry_server_lock (call, request->code, "code", 0, code))
        return -1;
    const Kj__Qualification *q = request->qualification;
    if (!q)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "qualification",
                             "qualification: missing; give its kind and "
                             "expiry date");
    kj_status_t status;
    char kind [48];
    if (request->revoke) {
        if (!kj_check_enum_name (&kj__qualification_kind__descriptor, "QUAL_",
                                 q->kind, kind, sizeof kind)
            || q->kind == 0)
            return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT,
                                 "qualification.kind",
                                 "qualification.kind: "
                                 "%d is not a QualificationKind",
                                 q->kind);
        int rc = registry_store_qualification_delete (db, code, q->kind);
        if (rc < 0)
            return registry_server_db_failed (call);
        //  The kind as the person reads it (高新技术企业 under Chinese);
        //  the audit row keeps the stored name
        char label [64];
        if (rc == 0)
            return kj_call_fail (
                call, KJ__CODE__NOT_FOUND, "qualification.kind",
                "enterprise %s holds no %s qualification", code,
                kj_check_enum_label (&kj__qualification_kind__descriptor,
                                     "QUAL_", q->kind, label, sizeof label));
        if (registry_store_enterprise_touch (db, code) != 1
            || registry_store_audit (db, registry_server_who (call),
                                     "qualification_revoked", "enterprise",
                                     code, kind, "", "")
                   < 0)
            return registry_server_db_failed (call);
        return registry_server_finish (call, code,
                                       "registry.enterprise.updated",
                                       &reply->enterprise);
    }
    if (registry_check_qualification (q, "qualification", &status))
        return kj_call_fail_status (call, &status);
    kj_date_t today, expires;
    if (registry_store_today (db, &today) < 0)
        return registry_server_db_failed (call);
    kj_check_date (q->expires_on, "qualification.expires_on", &expires,
                   &status);
    if (kj_check_date_compare (expires, today) < 0) {
        char now [11];
        kj_check_date_format (today, now);
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT,
                             "qualification.expires_on",
                             "qualification.expires_on: %s has passed "
                             "(today is %s); record only a qualification "
                             "valid today",
                             q->expires_on, now);
    }
    if (registry_store_qualification_put (db, code, q) < 0
        || registry_store_enterprise_touch (db, code) != 1)
        return registry_server_db_failed (call);
    if (registry_server_finish (call, code, "registry.enterprise.updated",
                                &reply->enterprise))
        return -1;
    Kj__Enterprise *e = reply->enterprise;
    for (size_t i = 0; i < e->n_qualifications; i++)
        if (e->qualifications [i]->kind == q->kind) {
            Kj__QualificationChanged event = KJ__QUALIFICATION_CHANGED__INIT;
            event.code = e->code;
            event.qualification = e->qualifications [i];
            event.by = (char *) registry_server_who (call);
            event.enterprise_version = e->version;
            return registry_server_emit (
                call, "registry.enterprise.qualification_added", code,
                &event.base);
        }
    return 0;
}

//  --------------------------------------------------------------------------
//  OverrideStage, RecomputeStage

int
registry_server_override_stage (kj_call_t *call, const ProtobufCMessage *input,
                                ProtobufCMessage *output)
{
    const Kj__OverrideStageRequest *request = (const Kj__OverrideStageRequest *)
        input;
    kj_audit_object (call, "enterprise", request->code);
    Kj__EnterpriseReply *reply = (Kj__EnterpriseReply *) output;
    kj_db_t *db = kj_call_db (call);
    char code [19];
    if (registry_server_lock (call, request->code, "code", 0, code))
        return -1;
    char *reason = registry_server_trim (call, request->reason);
    kj_status_t status;
    if (kj_check_text (reason, "reason", 500, true, &status))
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "reason",
                             "reason: required: say why the stage is set by "
                             "hand (it goes to the audit trail)");
    if (!request->clear
        && (request->stage <= KJ__STAGE__STAGE_UNKNOWN
            || request->stage > KJ__STAGE__STAGE_MATURE))
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "stage",
                             "stage: %d is not a stage to set; one of "
                             "incubation, startup, growth, mature",
                             request->stage);
    ProtobufCAllocator mem;
    kj_call_allocator (call, &mem);
    Kj__Enterprise *e = NULL;
    if (registry_store_enterprise_load (db, code, true, &mem, &e) != 1)
        return registry_server_db_failed (call);
    Kj__StageInfo info = *e->stage;
    const char *who = registry_server_who (call);
    const char *before = registry_stage_name ((registry_stage_t) info.stage);
    if (request->clear) {
        if (!info.overridden)
            return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "clear",
                                 "enterprise %s has no stage override to "
                                 "clear; its stage follows the rules",
                                 code);
        //  Back to the rules: refresh below puts the computed stage in
        info.overridden = false;
        info.override_reason = "";
        info.rule = "";
    }
    else {
        info.overridden = true;
        info.stage = request->stage;
        info.rule = "manual";
        info.override_reason = reason;
        info.reason = kj_call_printf (call, "%s: set by hand (%s)",
                                      registry_stage_label (
                                          (registry_stage_t) request->stage),
                                      reason);
        info.needs_review = false;
    }
    bool moved = info.stage != e->stage->stage;
    if (registry_store_enterprise_stage (db, code, &info, moved) != 1
        || registry_store_enterprise_touch (db, code) != 1
        || registry_store_audit (db, who,
                                 request->clear ? "stage_override_cleared"
                                                : "stage_override",
                                 "enterprise", code, before,
                                 request->clear
                                     ? "rules"
                                     : registry_stage_name (
                                         (registry_stage_t) request->stage),
                                 reason)
               < 0)
        return registry_server_db_failed (call);

    //  Load again (the new version), refresh, and announce
    if (registry_server_finish_from (call, code, "registry.enterprise.updated",
                                     (int) e->stage->stage, &reply->enterprise))
        return -1;
    kj_info ("registry.stage_override",
             "code=%s from=%s to=%s clear=%d "
             "by=%s",
             code, before,
             registry_stage_name (
                 (registry_stage_t) reply->enterprise->stage->stage),
             request->clear, who);
    return 0;
}

int
registry_server_recompute_stage (kj_call_t *call, const ProtobufCMessage *input,
                                 ProtobufCMessage *output)
{
    const Kj__RecomputeStageRequest
        *request = (const Kj__RecomputeStageRequest *) input;
    kj_audit_object (call, "enterprise", request->code);
    Kj__EnterpriseReply *reply = (Kj__EnterpriseReply *) output;
    kj_db_t *db = kj_call_db (call);
    char code [19];
    Kj__Enterprise *e = NULL;
    registry_refresh_t refresh;
    if (registry_server_lock (call, request->code, "code", 0, code)
        || registry_server_load_refreshed (call, code, &e, &refresh))
        return -1;
    if (refresh.changed) {
        //  Something moved (rules changed version, an age passed a
        //  threshold): a new version, announced
        if (registry_store_enterprise_touch (db, code) != 1)
            return registry_server_db_failed (call);
        e->version++;
        if (registry_server_emit (call, "registry.enterprise.updated", code,
                                  &e->base))
            return -1;
        if (refresh.moved
            && registry_server_stage_event (db, e, refresh.from,
                                            registry_server_who (call)))
            return registry_server_db_failed (call);
    }
    reply->enterprise = e;
    return 0;
}
