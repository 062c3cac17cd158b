/*  =========================================================================
    registry_server_enterprise - the enterprise handlers: RegisterEnterprise,
    GetEnterprise, ListEnterprises, UpdateEnterprise, with the region and
    the date checks they need

    Part of registry_server (registry_server.h); each write follows the
    shape that file describes.
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
//  Region of an enterprise: from its code, or set by hand where the code
//  cannot say (沈抚示范区, a province-level code). Writes the region code
//  to out (8 bytes) or fills status naming field.

static int
s_region (registry_server_t *self, const char *code, const char *asked,
          const char *field, char *out, kj_status_t *status)
{
    kj_region_t derived;
    kj_status_t why;
    registry_uscc_region_result_t kind = registry_uscc_region (code, &derived,
                                                               &why);
    kj_region_t wanted = KJ_REGION_NONE;
    if (asked && *asked) {
        wanted = kj_region_by_code (asked);
        const kj_region_info_t *info = kj_region_info (wanted);
        if (!info || strcasecmp (info->code, asked) != 0)
            wanted = kj_region_by_name (asked);
        if (wanted == KJ_REGION_NONE
            && !(kind == REGISTRY_USCC_REGION_OUTSIDE
                 && strncmp (asked, code + 2, 6) == 0 && strlen (asked) == 6))
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                                  "%s: '%.*s' is not a region: use a city "
                                  "code (210100 .. 211400), SFDZ for "
                                  "沈抚示范区, or a city's name",
                                  field, kj_utf8_cut (asked, 40), asked);
    }
    if (kind == REGISTRY_USCC_REGION_OUTSIDE) {
        if (!self->config.allow_outside)
            return kj_status_set (status, KJ__CODE__FAILED_PRECONDITION, "code",
                                  "%s; this node registers Liaoning "
                                  "enterprises only (registry/allow_outside "
                                  "is off)",
                                  why.message);
        if (wanted != KJ_REGION_NONE)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                                  "%s: a code from outside Liaoning keeps "
                                  "its own region %.6s; leave the region "
                                  "empty",
                                  field, code + 2);
        snprintf (out, 8, "%.6s", code + 2);
        return 0;
    }
    if (kind == REGISTRY_USCC_REGION_PROVINCE) {
        if (wanted == KJ_REGION_NONE)
            return kj_status_set (status, KJ__CODE__FAILED_PRECONDITION, field,
                                  "%s: required: %s", field, why.message);
        snprintf (out, 8, "%s", kj_region_info (wanted)->code);
        return 0;
    }
    if (kind != REGISTRY_USCC_REGION_CITY)
        return kj_status_set (status, why.code, "code", "%s", why.message);
    const kj_region_info_t *own = kj_region_info (derived);
    if (wanted == KJ_REGION_NONE || wanted == derived) {
        snprintf (out, 8, "%s", own->code);
        return 0;
    }
    if (wanted == KJ_REGION_SHENFU
        && (derived == KJ_REGION_SHENYANG || derived == KJ_REGION_FUSHUN)) {
        snprintf (out, 8, "%s", KJ_REGION_SHENFU_CODE);
        return 0;
    }
    const kj_region_info_t *info = kj_region_info (wanted);
    return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                          "%s: %s (%s) does not match the code's region %s "
                          "(%s); only SFDZ (沈抚示范区) may be set over a "
                          "Shenyang or Fushun code",
                          field, info->code, info->name_zh, own->code,
                          own->name_zh);
}

//  --------------------------------------------------------------------------
//  Checks that need today: nothing founded, figured or qualified in the
//  future, no qualification that has already expired. The dates are those
//  the check read (registry_check_enterprise_dated): a founding date the
//  request does not give is not checked again.

static int
s_check_today (const Kj__Enterprise *e, const registry_check_dates_t *dates,
               bool all, kj_date_t today, kj_status_t *status)
{
    char now [11];
    kj_check_date_format (today, now);
    if (dates->founded_on.year
        && kj_check_date_compare (dates->founded_on, today) > 0)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                              "enterprise.founded_on",
                              "enterprise.founded_on: "
                              "%s is after today (%s)",
                              e->founded_on, now);
    if (!all)
        return 0;
    for (size_t i = 0; i < e->n_figures; i++)
        if (e->figures [i]->year > today.year) {
            char field [64];
            snprintf (field, sizeof field, "enterprise.figures[%zu].year", i);
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                                  "%s: %d has not begun yet (today is %s)",
                                  field, e->figures [i]->year, now);
        }
    for (size_t i = 0; i < e->n_qualifications; i++)
        if (kj_check_date_compare (dates->expires_on [i], today) < 0) {
            char field [64];
            snprintf (field, sizeof field,
                      "enterprise.qualifications[%zu].expires_on", i);
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field,
                                  "%s: %s has passed (today is %s); record "
                                  "only a qualification valid today",
                                  field, e->qualifications [i]->expires_on,
                                  now);
        }
    return 0;
}

//  Chain links with normalised leader codes, none the enterprise itself.
static int
s_normalize_links (kj_call_t *call, Kj__Enterprise *e)
{
    if (e->n_chain_links == 0)
        return 0;
    Kj__ChainLink **links = (Kj__ChainLink **)
        kj_call_alloc (call, e->n_chain_links * sizeof (void *));
    for (size_t i = 0; i < e->n_chain_links; i++) {
        Kj__ChainLink *link = (Kj__ChainLink *) kj_call_alloc (call,
                                                               sizeof *link);
        kj__chain_link__init (link);
        char code [19], field [64];
        snprintf (field, sizeof field,
                  "enterprise.chain_links[%zu].leader_code", i);
        if (registry_server_code (call, e->chain_links [i]->leader_code, field,
                                  code))
            return -1;
        if (streq (code, e->code))
            return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, field,
                                 "%s: the enterprise itself; a chain link "
                                 "names another enterprise, its chain leader",
                                 field);
        link->leader_code = kj_call_strdup (call, code);
        link->chain = registry_server_trim (call, e->chain_links [i]->chain);
        links [i] = link;
    }
    e->chain_links = links;
    return 0;
}

//  --------------------------------------------------------------------------
//  RegisterEnterprise

int
registry_server_register (kj_call_t *call, const ProtobufCMessage *input,
                          ProtobufCMessage *output)
{
    registry_server_t *self = (registry_server_t *) kj_call_state (call);
    const Kj__RegisterEnterpriseRequest
        *request = (const Kj__RegisterEnterpriseRequest *) input;
    kj_audit_object (call, "enterprise",
                     request->enterprise ? request->enterprise->code : NULL);
    Kj__EnterpriseReply *reply = (Kj__EnterpriseReply *) output;
    kj_db_t *db = kj_call_db (call);
    if (!request->enterprise)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "enterprise",
                             "enterprise: missing; give at least its code "
                             "and name");
    Kj__Enterprise e = *request->enterprise;
    char code [19];
    if (registry_server_code (call, e.code, "enterprise.code", code))
        return -1;
    e.code = kj_call_strdup (call, code);
    e.name = registry_server_trim (call, e.name);
    e.industry = registry_server_trim (call, e.industry);
    e.founded_on = registry_server_trim (call, e.founded_on);
    if (s_normalize_links (call, &e))
        return -1;
    kj_status_t status;
    char region [8];
    registry_check_dates_t dates;
    if (registry_check_enterprise_dated (&e, NULL, 0, &dates, &status)
        || s_region (self, code, e.region, "enterprise.region", region,
                     &status))
        return kj_call_fail_status (call, &status);
    if (registry_uscc_check_enterprise (code, self->config.allow_authorities,
                                        &status))
        return kj_call_fail (call, status.code, "enterprise.code",
                             "enterprise.code: %s", status.message);
    e.region = region;
    kj_date_t today;
    if (registry_store_today (db, &today) < 0)
        return registry_server_db_failed (call);
    if (s_check_today (&e, &dates, true, today, &status))
        return kj_call_fail_status (call, &status);

    const char *who = registry_server_who (call);
    int rc = registry_store_enterprise_insert (db, &e, who);
    if (rc < 0)
        return registry_server_db_failed (call);
    if (rc == 0)
        return kj_call_fail (call, KJ__CODE__ALREADY_EXISTS, "enterprise.code",
                             "enterprise %s already exists; `kejin "
                             "enterprise show %s` shows it",
                             code, code);
    for (size_t i = 0; i < e.n_qualifications; i++)
        if (registry_store_qualification_put (db, code, e.qualifications [i])
            < 0)
            return registry_server_db_failed (call);
    if (registry_store_figures_put (db, code, e.figures, e.n_figures) < 0
        || registry_store_awards_replace (db, code, e.awards, e.n_awards) < 0
        || registry_store_rounds_replace (db, code, e.rounds, e.n_rounds) < 0
        || registry_store_loans_replace (db, code, e.loans, e.n_loans) < 0
        || registry_store_links_replace (db, code, e.chain_links,
                                         e.n_chain_links)
               < 0)
        return registry_server_db_failed (call);

    Kj__Enterprise *done;
    if (registry_server_finish (call, code, "registry.enterprise.registered",
                                &done))
        return -1;
    for (size_t i = 0; i < done->n_qualifications; i++) {
        Kj__QualificationChanged event = KJ__QUALIFICATION_CHANGED__INIT;
        event.code = done->code;
        event.qualification = done->qualifications [i];
        event.by = (char *) who;
        event.enterprise_version = done->version;
        if (registry_server_emit (call,
                                  "registry.enterprise.qualification_added",
                                  code, &event.base))
            return -1;
    }
    reply->enterprise = done;
    kj_info ("registry.registered", "code=%s region=%s stage=%s by=%s", code,
             region,
             registry_stage_name ((registry_stage_t) done->stage->stage), who);
    return 0;
}

//  --------------------------------------------------------------------------
//  GetEnterprise, ListEnterprises

int
registry_server_get (kj_call_t *call, const ProtobufCMessage *input,
                     ProtobufCMessage *output)
{
    const Kj__GetEnterpriseRequest *request = (const Kj__GetEnterpriseRequest *)
        input;
    Kj__EnterpriseReply *reply = (Kj__EnterpriseReply *) output;
    char code [19];
    if (registry_server_code (call, request->code, "code", code))
        return -1;
    ProtobufCAllocator mem;
    kj_call_allocator (call, &mem);
    int rc = registry_store_enterprise_load (kj_call_db (call), code, true,
                                             &mem, &reply->enterprise);
    if (rc < 0)
        return registry_server_db_failed (call);
    if (rc == 0)
        return registry_server_not_found (call, code);
    return 0;
}

int
registry_server_list (kj_call_t *call, const ProtobufCMessage *input,
                      ProtobufCMessage *output)
{
    const Kj__ListEnterprisesRequest
        *request = (const Kj__ListEnterprisesRequest *) input;
    Kj__ListEnterprisesReply *reply = (Kj__ListEnterprisesReply *) output;
    registry_store_enterprise_filter_t filter;
    memset (&filter, 0, sizeof filter);
    if (registry_server_page (call, request->page, &filter.after,
                              &filter.limit))
        return -1;
    //  Region tokens: a city, SFDZ, SHENYANG_METRO, PROVINCE, or (for the
    //  enterprises a node takes from outside Liaoning) a six-digit code
    if (request->n_regions > 20)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "regions",
                             "regions: at most 20");
    filter.regions = (char **) kj_call_alloc (call, 20 * 15 * sizeof (char *));
    for (size_t i = 0; i < request->n_regions; i++) {
        const char *covered [15];
        const char *token = request->regions [i];
        size_t count = kj_region_covered (token, covered);
        bool digits = strlen (token) == 6;
        for (int c = 0; c < 6 && digits; c++)
            digits = isdigit ((unsigned char) token [c]);
        if (count == 0 && digits) {
            covered [0] = token;
            count = 1;
        }
        if (count == 0)
            return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "regions",
                                 "regions[%zu]: '%.*s' is not a region: a "
                                 "city code (210100 .. 211400), SFDZ, "
                                 "SHENYANG_METRO or PROVINCE",
                                 i, kj_utf8_cut (token, 24), token);
        for (size_t c = 0; c < count; c++)
            filter.regions [filter.n_regions++] = (char *) covered [c];
    }
    if (registry_server_enum_names (call, &kj__stage__descriptor, "STAGE_",
                                    (const int *) request->stages,
                                    request->n_stages, "stages", true,
                                    &filter.stages)
        || registry_server_enum_names (call, &kj__entry_status__descriptor,
                                       "ENTRY_",
                                       (const int *) request->statuses,
                                       request->n_statuses, "statuses", true,
                                       &filter.statuses)
        || registry_server_enum_names (call,
                                       &kj__qualification_kind__descriptor,
                                       "QUAL_",
                                       (const int *) request->qualifications,
                                       request->n_qualifications,
                                       "qualifications", false,
                                       &filter.qualifications))
        return -1;
    filter.n_stages = request->n_stages;
    filter.n_statuses = request->n_statuses;
    filter.n_qualifications = request->n_qualifications;
    kj_status_t status;
    if (kj_check_text (request->name_contains, "name_contains", 200, false,
                       &status)
        || kj_check_text (request->industry, "industry", 100, false, &status))
        return kj_call_fail_status (call, &status);
    filter.name_contains = request->name_contains;
    filter.industry = request->industry;
    ProtobufCAllocator mem;
    kj_call_allocator (call, &mem);
    uint64_t total;
    bool more;
    if (registry_store_enterprise_list (kj_call_db (call), &filter, &mem,
                                        &reply->enterprises,
                                        &reply->n_enterprises, &total, &more)
        < 0)
        return registry_server_db_failed (call);
    reply->page_info = registry_server_page_info (
        call, total, more,
        reply->n_enterprises
            ? reply->enterprises [reply->n_enterprises - 1]->code
            : NULL);
    return 0;
}

//  --------------------------------------------------------------------------
//  UpdateEnterprise

int
registry_server_update (kj_call_t *call, const ProtobufCMessage *input,
                        ProtobufCMessage *output)
{
    registry_server_t *self = (registry_server_t *) kj_call_state (call);
    const Kj__UpdateEnterpriseRequest
        *request = (const Kj__UpdateEnterpriseRequest *) input;
    kj_audit_object (call, "enterprise",
                     request->enterprise ? request->enterprise->code : NULL);
    Kj__EnterpriseReply *reply = (Kj__EnterpriseReply *) output;
    kj_db_t *db = kj_call_db (call);
    if (!request->enterprise)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "enterprise",
                             "enterprise: missing; give its code and the "
                             "fields named in update_mask");
    char code [19];
    if (registry_server_lock (call, request->enterprise->code,
                              "enterprise.code", request->expected_version,
                              code))
        return -1;
    kj_status_t status;
    char **mask = request->update_mask;
    size_t n_mask = request->n_update_mask;
    if (kj_check_mask (mask, n_mask, registry_check_enterprise_fields, &status))
        return kj_call_fail_status (call, &status);
    Kj__Enterprise asked = *request->enterprise;
    asked.code = code;
    asked.name = registry_server_trim (call, asked.name);
    asked.industry = registry_server_trim (call, asked.industry);
    asked.founded_on = registry_server_trim (call, asked.founded_on);
    if (kj_check_masked (mask, n_mask, "chain_links")
        && s_normalize_links (call, &asked))
        return -1;
    registry_check_dates_t dates;
    if (registry_check_enterprise_dated (&asked, mask, n_mask, &dates, &status))
        return kj_call_fail_status (call, &status);

    ProtobufCAllocator mem;
    kj_call_allocator (call, &mem);
    Kj__Enterprise *e = NULL;
    if (registry_store_enterprise_load (db, code, false, &mem, &e) != 1)
        return registry_server_db_failed (call);
#define MASKED(name) kj_check_masked (mask, n_mask, name)
    if (MASKED ("name"))
        e->name = asked.name;
    if (MASKED ("industry"))
        e->industry = asked.industry;
    if (MASKED ("founded_on"))
        e->founded_on = asked.founded_on;
    if (MASKED ("size_class"))
        e->size_class = asked.size_class;
    //  The flags and counts, through the field table (a part not sent
    //  reads as false or 0)
    registry_check_enterprise_merge (e, &asked, mask, n_mask);
    if (MASKED ("credit.tax_grade"))
        e->credit->tax_grade = asked.credit && asked.credit->tax_grade
                                 ? asked.credit->tax_grade
                                 : "";
    if (MASKED ("region")) {
        char region [8];
        if (s_region (self, code, asked.region, "enterprise.region", region,
                      &status))
            return kj_call_fail_status (call, &status);
        e->region = kj_call_strdup (call, region);
    }
    kj_date_t today;
    if (registry_store_today (db, &today) < 0)
        return registry_server_db_failed (call);
    if (s_check_today (e, &dates, false, today, &status))
        return kj_call_fail_status (call, &status);
    if (registry_store_enterprise_save (db, e) != 1
        || (MASKED ("awards")
            && registry_store_awards_replace (db, code, asked.awards,
                                              asked.n_awards)
                   < 0)
        || (MASKED ("rounds")
            && registry_store_rounds_replace (db, code, asked.rounds,
                                              asked.n_rounds)
                   < 0)
        || (MASKED ("loans")
            && registry_store_loans_replace (db, code, asked.loans,
                                             asked.n_loans)
                   < 0)
        || (MASKED ("chain_links")
            && registry_store_links_replace (db, code, asked.chain_links,
                                             asked.n_chain_links)
                   < 0))
        return registry_server_db_failed (call);
#undef MASKED
    return registry_server_finish (call, code, "registry.enterprise.updated",
                                   &reply->enterprise);
}
