/*  =========================================================================
    registry_server - kejin-registry's state (the options and the stage
    rule set, checked at start), the qualification-expiry job, and the
    enterprise handlers

    Every write handler follows one shape, so that events of one enterprise
    reach the log in the order the changes were made:
      1. lock the enterprise row (SELECT ... FOR UPDATE) or insert it;
      2. check the expected version, validate, apply the change, count a
         new version;
      3. load the enterprise with its parts, recompute its stage and
         tech-SME score (registry_server_refresh);
      4. add the events to the outbox and answer with the enterprise.
    The worker runs the handler in one transaction (KJ_WRITE), so a change
    and its events commit together or not at all.

    The threads, the connections, the relay and the schema's migrations
    are kj_service's (registry_main.c declares them). Handlers share only
    read-only state: the options and the stage rule set, fixed at start.
    =========================================================================
*/

#include "registry_server.h"
#include "registry_check.h"
#include "registry_entry.h"
#include "registry_product.h"
#include "registry_store.h"
#include "registry_techsme.h"
#include "registry_uscc.h"
#include <ctype.h>

//  Enterprises the expiry job takes per pass.
#define EXPIRY_BATCH 500

struct _registry_server_t {
    registry_config_t config;
    registry_stage_rules_t rules;
};

//  --------------------------------------------------------------------------
//  Memory: a handler's comes from its call (kj_call_allocator), the job's
//  from an arena (kj_arena)

static char *
s_dup (ProtobufCAllocator *mem, const char *text)
{
    size_t size = strlen (text ? text : "") + 1;
    char *copy = (char *) mem->alloc (mem->allocator_data, size);
    memcpy (copy, text ? text : "", size);
    return copy;
}

//  --------------------------------------------------------------------------
//  Helpers for handlers

const char *
registry_server_who (kj_call_t *call)
{
    const Kj__RequestHeader *header = kj_call_header (call);
    if (header && header->caller && header->caller->identity
        && *header->caller->identity)
        return header->caller->identity;
    return "operator";
}

int
registry_server_db_failed (kj_call_t *call)
{
    kj_db_t *db = kj_call_db (call);
    int code = kj_db_status_code (kj_db_sqlstate (db));
    if (code != KJ__CODE__UNAVAILABLE)
        return kj_call_fail (call, code, NULL,
                             "the registry's database "
                             "refused a value (%s %s); a retry fails the "
                             "same way",
                             kj_db_sqlstate (db), kj_db_error (db));
    return kj_call_fail (call, KJ__CODE__UNAVAILABLE, NULL,
                         "the registry's database failed (%s %s); retry "
                         "later",
                         kj_db_sqlstate (db), kj_db_error (db));
}

char *
registry_server_trim (kj_call_t *call, const char *text)
{
    char *trimmed = kj_check_trim (text);
    char *copy = kj_call_strdup (call, trimmed);
    free (trimmed);
    return copy;
}

//  --------------------------------------------------------------------------
//  "; did you mean CODE (NAME)?" for the registered enterprises whose codes
//  are one substitution or one swap of neighbours away from a code typed
//  wrong, or "" (also when the database fails: the hint is a courtesy).
//  Only registered codes are named, never a code that merely passes the
//  checks (docs/rules/credit-code.md §3).

#define DID_YOU_MEAN_MAX  3
#define DID_YOU_MEAN_NAME 61

const char *
registry_server_did_you_mean (kj_call_t *call, const char *typed)
{
    char near [REGISTRY_USCC_NEIGHBOURS_MAX][19];
    size_t n = registry_uscc_neighbours (typed ? typed : "", near,
                                         REGISTRY_USCC_NEIGHBOURS_MAX);
    char found [DID_YOU_MEAN_MAX][19];
    char names [DID_YOU_MEAN_MAX * DID_YOU_MEAN_NAME];
    int rows = registry_store_enterprise_names (kj_call_db (call), near, n,
                                                DID_YOU_MEAN_MAX, found, names,
                                                DID_YOU_MEAN_NAME);
    if (rows <= 0)
        return "";
    char text [DID_YOU_MEAN_MAX * (DID_YOU_MEAN_NAME + 40)];
    size_t at = 0;
    for (int i = 0; i < rows && at < sizeof text; i++)
        at += snprintf (text + at, sizeof text - at, "%s%s (%s)",
                        i == 0 ? "" : _ (" or "), found [i],
                        names + i * DID_YOU_MEAN_NAME);
    return kj_call_printf (call, _ ("; did you mean %s?"), text);
}

//  Normalise a code as typed into out, or fail the call naming field.
static int
s_code (kj_call_t *call, const char *input, const char *field, char out [19])
{
    kj_status_t status;
    if (registry_uscc_normalize (input ? input : "", out, &status) == 0)
        return 0;
    return kj_call_fail (call, status.code, field, "%s: %s%s", field,
                         status.message,
                         registry_server_did_you_mean (call, input));
}

static int
s_not_found (kj_call_t *call, const char *code)
{
    return kj_call_fail (call, KJ__CODE__NOT_FOUND, "code",
                         "enterprise %s is not registered; `kejin "
                         "enterprise add` registers it",
                         code);
}

int
registry_server_check_version (kj_call_t *call, const char *what,
                               const char *key, uint64_t expected,
                               uint64_t version)
{
    if (expected && expected != version)
        return kj_call_fail (call, KJ__CODE__ABORTED, "expected_version",
                             "%s %s was changed meanwhile (version %" PRIu64
                             ", you had %" PRIu64 "): show it again and "
                             "retry",
                             what, key, version, expected);
    return 0;
}

int
registry_server_emit (kj_call_t *call, const char *topic, const char *key,
                      const ProtobufCMessage *payload)
{
    if (kj_outbox_add (kj_call_db (call), topic, key, payload))
        return registry_server_db_failed (call);
    return 0;
}

int
registry_server_enum_names (kj_call_t *call,
                            const ProtobufCEnumDescriptor *descriptor,
                            const char *prefix, const int *values, size_t n,
                            const char *field, bool zero_ok,
                            const char ***names)
{
    if (n > 32)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, field,
                             "%s: %zu values, at most 32", field, n);
    *names = n ? (const char **) kj_call_alloc (call, n * sizeof (char *))
               : NULL;
    for (size_t i = 0; i < n; i++) {
        char buffer [48];
        const char *name = kj_check_enum_name (descriptor, prefix, values [i],
                                               buffer, sizeof buffer);
        if (!name || (values [i] == 0 && !zero_ok))
            return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, field,
                                 "%s[%zu]: %d is not a %s", field, i,
                                 values [i], descriptor->short_name);
        (*names) [i] = kj_call_strdup (call, name);
    }
    return 0;
}

int
registry_server_page (kj_call_t *call, const Kj__Page *page, const char **after,
                      int *limit)
{
    if (page && page->limit > REGISTRY_STORE_PAGE_MAX)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "page.limit",
                             "page.limit: %u, at most %d a page", page->limit,
                             REGISTRY_STORE_PAGE_MAX);
    kj_status_t status;
    if (page && kj_check_text (page->after, "page.after", 64, false, &status))
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "page.after",
                             "page.after: not a cursor of this list; pass "
                             "back PageInfo.next as it came");
    *after = page && page->after ? page->after : "";
    *limit = page ? (int) page->limit : 0;
    return 0;
}

Kj__PageInfo *
registry_server_page_info (kj_call_t *call, uint64_t total, bool more,
                           const char *last)
{
    Kj__PageInfo *info = (Kj__PageInfo *)
        kj_call_message (call, &kj__page_info__descriptor);
    info->total = total;
    info->next = more && last ? (char *) last : "";
    return info;
}

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
//  future, no qualification that has already expired.

static int
s_check_today (const Kj__Enterprise *e, bool all, kj_date_t today,
               kj_status_t *status)
{
    kj_date_t date;
    char now [11];
    kj_check_date_format (today, now);
    if (e->founded_on && *e->founded_on
        && kj_check_date (e->founded_on, "enterprise.founded_on", &date, status)
               == 0
        && kj_check_date_compare (date, today) > 0)
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
        if (kj_check_date (e->qualifications [i]->expires_on, "x", &date,
                           status)
                == 0
            && kj_check_date_compare (date, today) < 0) {
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
        if (s_code (call, e->chain_links [i]->leader_code, field, code))
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
//  Stage and tech-SME score of an enterprise loaded with its parts

static const Kj__YearFigures *
s_figures_of (const Kj__Enterprise *e, int year)
{
    for (size_t i = 0; i < e->n_figures; i++)
        if (e->figures [i]->year == year)
            return e->figures [i];
    return NULL;
}

static bool
s_holds (const Kj__Enterprise *e, Kj__QualificationKind kind)
{
    for (size_t i = 0; i < e->n_qualifications; i++)
        if (e->qualifications [i]->kind == kind
            && !e->qualifications [i]->expired)
            return true;
    return false;
}

//  What the rules say of e today.
static void
s_classify (registry_server_t *self, const Kj__Enterprise *e, kj_date_t today,
            registry_stage_result_t *result)
{
    registry_stage_input_t input;
    memset (&input, 0, sizeof input);
    const Kj__YearFigures *latest = e->n_figures ? e->figures [e->n_figures - 1]
                                                 : NULL;
    input.missing = REGISTRY_STAGE_MISSING_LATEST;
    if (latest) {
        //  A year not reported is unknown, not zero (docs/rules/stages.md)
        const Kj__YearFigures *prev = s_figures_of (e, latest->year - 1);
        const Kj__YearFigures *prev2 = s_figures_of (e, latest->year - 2);
        input.year = latest->year;
        input.missing = (prev ? 0 : REGISTRY_STAGE_MISSING_PREV)
                      | (prev2 ? 0 : REGISTRY_STAGE_MISSING_PREV2);
        input.revenue_fen = latest->revenue_fen;
        input.net_profit_fen = latest->net_profit_fen;
        input.revenue_prev_fen = prev ? prev->revenue_fen : 0;
        input.net_profit_prev_fen = prev ? prev->net_profit_fen : 0;
        input.revenue_prev2_fen = prev2 ? prev2->revenue_fen : 0;
        input.not_reported = registry_check_stage_not_reported (latest, 0)
                           | (prev ? registry_check_stage_not_reported (prev, 1)
                                   : 0)
                           | (prev2
                                  ? registry_check_stage_not_reported (prev2, 2)
                                  : 0);
    }
    input.high_tech = s_holds (e, KJ__QUALIFICATION_KIND__QUAL_HIGH_TECH);
    input.srdi = s_holds (e, KJ__QUALIFICATION_KIND__QUAL_SRDI);
    input.little_giant = s_holds (e, KJ__QUALIFICATION_KIND__QUAL_LITTLE_GIANT);
    input.incubator_resident =
        s_holds (e, KJ__QUALIFICATION_KIND__QUAL_INCUBATOR_RESIDENT);
    input.listing_tutoring = e->listing_tutoring;
    input.board_standard = e->board_standard;
    input.round = (registry_round_t) e->latest_round;
    registry_check_stage (&self->rules, e->founded_on, today, &input, result);
}

int
registry_server_refresh (registry_server_t *self, kj_db_t *db,
                         Kj__Enterprise *e, ProtobufCAllocator *mem,
                         registry_refresh_t *refresh)
{
    memset (refresh, 0, sizeof *refresh);
    kj_date_t today;
    if (registry_store_today (db, &today) < 0)
        return -1;
    registry_stage_result_t result;
    s_classify (self, e, today, &result);

    Kj__StageInfo *old = e->stage;
    Kj__StageInfo *info = (Kj__StageInfo *) mem->alloc (mem->allocator_data,
                                                        sizeof *info);
    memset (info, 0, sizeof *info);
    kj__stage_info__init (info);
    *info = *old;
    info->computed = (Kj__Stage) result.stage;
    info->version = s_dup (mem, result.version);
    if (!old->overridden) {
        info->stage = (Kj__Stage) result.stage;
        info->rule = s_dup (mem, result.rule);
        info->reason = s_dup (mem, result.reason);
        info->needs_review = result.needs_review;
    }
    refresh->from = old->stage;
    refresh->moved = info->stage != old->stage;
    refresh->changed = refresh->moved || info->computed != old->computed
                    || !streq (info->rule, old->rule)
                    || !streq (info->version, old->version)
                    || info->needs_review != old->needs_review;
    if ((refresh->changed || !streq (info->reason, old->reason))
        && registry_store_enterprise_stage (db, e->code, info, refresh->moved)
               < 0)
        return -1;
    if (refresh->moved)
        info->changed_at_us = kj_wall_us ();
    e->stage = info;

    //  The tech-SME grid on the latest year of figures
    const Kj__YearFigures *latest = e->n_figures ? e->figures [e->n_figures - 1]
                                                 : NULL;
    if (!latest) {
        e->techsme = NULL;
        return registry_store_techsme_put (db, e->code, 0, NULL) < 0 ? -1 : 0;
    }
    registry_techsme_input_t input = registry_techsme_input (e, latest);
    registry_techsme_result_t score;
    kj_status_t status;
    if (registry_techsme_evaluate (&input, &score, &status)) {
        kj_warn ("registry.techsme_skipped", "code=%s reason=\"%s\"", e->code,
                 status.message);
        e->techsme = NULL;
        return registry_store_techsme_put (db, e->code, 0, NULL) < 0 ? -1 : 0;
    }
    if (registry_store_techsme_put (db, e->code, latest->year, &score) < 0)
        return -1;
    Kj__TechSmeScore *t = (Kj__TechSmeScore *) mem->alloc (mem->allocator_data,
                                                           sizeof *t);
    registry_techsme_message (&score, latest->year, s_dup (mem, score.reason),
                              t);
    e->techsme = t;
    return 0;
}

int
registry_server_stage_event (kj_db_t *db, const Kj__Enterprise *e,
                             Kj__Stage from, const char *by)
{
    Kj__StageChanged event = KJ__STAGE_CHANGED__INIT;
    event.code = e->code;
    event.from = from;
    event.to = e->stage->stage;
    event.rule = e->stage->rule;
    event.reason = e->stage->overridden ? e->stage->override_reason
                                        : e->stage->reason;
    event.by = (char *) by;
    event.version = e->stage->version;
    event.overridden = e->stage->overridden;
    event.enterprise_version = e->version;
    if (kj_outbox_add (db, "registry.enterprise.stage_changed", e->code,
                       &event.base))
        return -1;
    return registry_store_audit (db, by, "stage_changed", "enterprise", e->code,
                                 registry_stage_name ((registry_stage_t) from),
                                 registry_stage_name (
                                     (registry_stage_t) e->stage->stage),
                                 event.reason)
                 < 0
             ? -1
             : 0;
}

//  Load an enterprise with its parts (it exists: the caller holds its
//  lock) into the call's memory, and refresh its stage and score.
static int
s_load_refreshed (kj_call_t *call, const char *code, Kj__Enterprise **e,
                  registry_refresh_t *refresh)
{
    registry_server_t *self = (registry_server_t *) kj_call_state (call);
    kj_db_t *db = kj_call_db (call);
    ProtobufCAllocator mem;
    kj_call_allocator (call, &mem);
    if (registry_store_enterprise_load (db, code, true, &mem, e) != 1
        || registry_server_refresh (self, db, *e, &mem, refresh))
        return registry_server_db_failed (call);
    return 0;
}

//  Load e with its parts and refresh it (s_load_refreshed), then add
//  `topic` with it, plus stage_changed when its stage moved: from before
//  (the stage before the caller's change), or from the stage it had on
//  file when before is -1.
static int
s_finish_from (kj_call_t *call, const char *code, const char *topic, int before,
               Kj__Enterprise **out)
{
    Kj__Enterprise *e = NULL;
    registry_refresh_t refresh;
    if (s_load_refreshed (call, code, &e, &refresh)
        || registry_server_emit (call, topic, e->code, &e->base))
        return -1;
    Kj__Stage from = before < 0 ? refresh.from : (Kj__Stage) before;
    if (e->stage->stage != from
        && registry_server_stage_event (kj_call_db (call), e, from,
                                        registry_server_who (call)))
        return registry_server_db_failed (call);
    *out = e;
    return 0;
}

//  The same, for a change that leaves the stage to the rules.
static int
s_finish (kj_call_t *call, const char *code, const char *topic,
          Kj__Enterprise **out)
{
    return s_finish_from (call, code, topic, -1, out);
}

//  Lock an enterprise named by a code as typed, checking its version.
static int
s_lock (kj_call_t *call, const char *input, const char *field,
        uint64_t expected, char code [19])
{
    if (s_code (call, input, field, code))
        return -1;
    uint64_t version;
    int rc = registry_store_enterprise_lock (kj_call_db (call), code, &version);
    if (rc < 0)
        return registry_server_db_failed (call);
    if (rc == 0)
        return s_not_found (call, code);
    return registry_server_check_version (call, "enterprise", code, expected,
                                          version);
}

//  --------------------------------------------------------------------------
//  RegisterEnterprise

static int
s_register (kj_call_t *call, const ProtobufCMessage *input,
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
    if (s_code (call, e.code, "enterprise.code", code))
        return -1;
    e.code = kj_call_strdup (call, code);
    e.name = registry_server_trim (call, e.name);
    e.industry = registry_server_trim (call, e.industry);
    e.founded_on = registry_server_trim (call, e.founded_on);
    kj_status_t status;
    char region [8];
    if (registry_check_enterprise (&e, NULL, 0, &status)
        || s_region (self, code, e.region, "enterprise.region", region,
                     &status))
        return kj_call_fail_status (call, &status);
    if (registry_uscc_check_enterprise (code, self->config.allow_authorities,
                                        &status))
        return kj_call_fail (call, status.code, "enterprise.code",
                             "enterprise.code: %s", status.message);
    e.region = region;
    if (s_normalize_links (call, &e))
        return -1;
    kj_date_t today;
    if (registry_store_today (db, &today) < 0)
        return registry_server_db_failed (call);
    if (s_check_today (&e, true, today, &status))
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
    if (s_finish (call, code, "registry.enterprise.registered", &done))
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

static int
s_get (kj_call_t *call, const ProtobufCMessage *input, ProtobufCMessage *output)
{
    const Kj__GetEnterpriseRequest *request = (const Kj__GetEnterpriseRequest *)
        input;
    Kj__EnterpriseReply *reply = (Kj__EnterpriseReply *) output;
    char code [19];
    if (s_code (call, request->code, "code", code))
        return -1;
    ProtobufCAllocator mem;
    kj_call_allocator (call, &mem);
    int rc = registry_store_enterprise_load (kj_call_db (call), code, true,
                                             &mem, &reply->enterprise);
    if (rc < 0)
        return registry_server_db_failed (call);
    if (rc == 0)
        return s_not_found (call, code);
    return 0;
}

static int
s_list (kj_call_t *call, const ProtobufCMessage *input,
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

static int
s_update (kj_call_t *call, const ProtobufCMessage *input,
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
    if (s_lock (call, request->enterprise->code, "enterprise.code",
                request->expected_version, code))
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
    if (registry_check_enterprise (&asked, mask, n_mask, &status))
        return kj_call_fail_status (call, &status);
    if (kj_check_masked (mask, n_mask, "chain_links")
        && s_normalize_links (call, &asked))
        return -1;

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
    if (MASKED ("listing_tutoring"))
        e->listing_tutoring = asked.listing_tutoring;
    if (MASKED ("board_standard"))
        e->board_standard = asked.board_standard;
    if (MASKED ("chain_leader"))
        e->chain_leader = asked.chain_leader;
    if (MASKED ("credit.dishonest"))
        e->credit->dishonest = asked.credit && asked.credit->dishonest;
    if (MASKED ("credit.abnormal"))
        e->credit->abnormal = asked.credit && asked.credit->abnormal;
    if (MASKED ("credit.tax_grade"))
        e->credit->tax_grade = asked.credit && asked.credit->tax_grade
                                 ? asked.credit->tax_grade
                                 : "";
    if (MASKED ("ip.invention_patents"))
        e->ip->invention_patents = asked.ip ? asked.ip->invention_patents : 0;
    if (MASKED ("ip.class2_ip"))
        e->ip->class2_ip = asked.ip ? asked.ip->class2_ip : 0;
    if (MASKED ("ip.pledged_ip"))
        e->ip->pledged_ip = asked.ip ? asked.ip->pledged_ip : 0;
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
    if (s_check_today (e, false, today, &status))
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
    return s_finish (call, code, "registry.enterprise.updated",
                     &reply->enterprise);
}

//  --------------------------------------------------------------------------
//  SetFigures

static int
s_set_figures (kj_call_t *call, const ProtobufCMessage *input,
               ProtobufCMessage *output)
{
    const Kj__SetFiguresRequest *request = (const Kj__SetFiguresRequest *)
        input;
    kj_audit_object (call, "enterprise", request->code);
    Kj__EnterpriseReply *reply = (Kj__EnterpriseReply *) output;
    kj_db_t *db = kj_call_db (call);
    char code [19];
    if (s_lock (call, request->code, "code", request->expected_version, code))
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
    return s_finish (call, code, "registry.enterprise.updated",
                     &reply->enterprise);
}

//  --------------------------------------------------------------------------
//  Qualify: add, renew or revoke one qualification

static int
s_qualify (kj_call_t *call, const ProtobufCMessage *input,
           ProtobufCMessage *output)
{
    const Kj__QualifyRequest *request = (const Kj__QualifyRequest *) input;
    kj_audit_object (call, "enterprise", request->code);
    Kj__EnterpriseReply *reply = (Kj__EnterpriseReply *) output;
    kj_db_t *db = kj_call_db (call);
    char code [19];
    if (s_lock (call, request->code, "code", 0, code))
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
        if (rc == 0)
            return kj_call_fail (call, KJ__CODE__NOT_FOUND,
                                 "qualification.kind",
                                 "enterprise %s holds "
                                 "no %s qualification",
                                 code, kind);
        if (registry_store_enterprise_touch (db, code) != 1
            || registry_store_audit (db, registry_server_who (call),
                                     "qualification_revoked", "enterprise",
                                     code, kind, "", "")
                   < 0)
            return registry_server_db_failed (call);
        return s_finish (call, code, "registry.enterprise.updated",
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
    if (s_finish (call, code, "registry.enterprise.updated",
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

static int
s_override_stage (kj_call_t *call, const ProtobufCMessage *input,
                  ProtobufCMessage *output)
{
    const Kj__OverrideStageRequest *request = (const Kj__OverrideStageRequest *)
        input;
    kj_audit_object (call, "enterprise", request->code);
    Kj__EnterpriseReply *reply = (Kj__EnterpriseReply *) output;
    kj_db_t *db = kj_call_db (call);
    char code [19];
    if (s_lock (call, request->code, "code", 0, code))
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
    if (s_finish_from (call, code, "registry.enterprise.updated",
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

static int
s_recompute_stage (kj_call_t *call, const ProtobufCMessage *input,
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
    if (s_lock (call, request->code, "code", 0, code)
        || s_load_refreshed (call, code, &e, &refresh))
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

//  --------------------------------------------------------------------------
//  Transition of the entry

static int
s_transition (kj_call_t *call, const ProtobufCMessage *input,
              ProtobufCMessage *output)
{
    const Kj__TransitionRequest *request = (const Kj__TransitionRequest *)
        input;
    kj_audit_object (call, "enterprise", request->code);
    Kj__EnterpriseReply *reply = (Kj__EnterpriseReply *) output;
    kj_db_t *db = kj_call_db (call);
    char code [19];
    if (s_lock (call, request->code, "code", request->expected_version, code))
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
    if (s_finish (call, code, "registry.enterprise.updated",
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

static int
s_check_code (kj_call_t *call, const ProtobufCMessage *input,
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

static int
s_history (kj_call_t *call, const ProtobufCMessage *input,
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
        if (s_code (call, subject, "subject", code))
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

//  --------------------------------------------------------------------------
//  The service's methods

const kj_method_t registry_methods [] = {
    { "RegisterEnterprise", s_register, KJ_WRITE },
    { "GetEnterprise", s_get, 0 },
    { "ListEnterprises", s_list, 0 },
    { "UpdateEnterprise", s_update, KJ_WRITE },
    { "SetFigures", s_set_figures, KJ_WRITE },
    { "Qualify", s_qualify, KJ_WRITE },
    { "OverrideStage", s_override_stage, KJ_WRITE },
    { "RecomputeStage", s_recompute_stage, KJ_WRITE },
    { "Transition", s_transition, KJ_WRITE },
    { "CheckCode", s_check_code, 0 },
    { "History", s_history, 0 },
    { "AddInstitution", registry_supermarket_add_institution, KJ_WRITE },
    { "GetInstitution", registry_supermarket_get_institution, 0 },
    { "ListInstitutions", registry_supermarket_list_institutions, 0 },
    { "UpdateInstitution", registry_supermarket_update_institution, KJ_WRITE },
    { "WithdrawInstitution", registry_supermarket_withdraw_institution,
      KJ_WRITE },
    { "AddProduct", registry_supermarket_add_product, KJ_WRITE },
    { "GetProduct", registry_supermarket_get_product, 0 },
    { "ListProducts", registry_supermarket_list_products, 0 },
    { "SearchProducts", registry_supermarket_search_products, 0 },
    { "UpdateProduct", registry_supermarket_update_product, KJ_WRITE },
    { "WithdrawProduct", registry_supermarket_withdraw_product, KJ_WRITE },
    { NULL }
};

//  --------------------------------------------------------------------------
//  Qualification expiry: one transaction per enterprise, its row locked
//  first like any write, so that two copies of the daemon running the job
//  at once announce each expiry once.

static int
s_expire_one (registry_server_t *self, kj_db_t *db, const char *code,
              kj_arena_t *arena)
{
    ProtobufCAllocator mem = *kj_arena_allocator (arena);
    if (kj_db_begin (db))
        return -1;
    Kj__Qualification **expired = NULL;
    size_t n = 0;
    Kj__Enterprise *e = NULL;
    registry_refresh_t refresh;
    int rc = registry_store_enterprise_lock (db, code, NULL);
    if (rc == 1)
        rc = registry_store_expire (db, code, &mem, &expired, &n);
    if (rc == 1
        && (registry_store_enterprise_touch (db, code) != 1
            || registry_store_enterprise_load (db, code, true, &mem, &e) != 1
            || registry_server_refresh (self, db, e, &mem, &refresh)))
        rc = -1;
    for (size_t i = 0; rc == 1 && i < n; i++) {
        Kj__QualificationChanged event = KJ__QUALIFICATION_CHANGED__INIT;
        event.code = e->code;
        event.qualification = expired [i];
        event.by = "expiry";
        event.enterprise_version = e->version;
        char kind [48];
        kj_check_enum_name (&kj__qualification_kind__descriptor, "QUAL_",
                            expired [i]->kind, kind, sizeof kind);
        if (kj_outbox_add (db, "registry.enterprise.qualification_expired",
                           code, &event.base)
            || registry_store_audit (db, "expiry", "qualification_expired",
                                     "enterprise", code, kind,
                                     expired [i]->expires_on, "")
                   < 0)
            rc = -1;
    }
    if (rc == 1
        && (kj_outbox_add (db, "registry.enterprise.updated", code, &e->base)
            || (refresh.moved
                && registry_server_stage_event (db, e, refresh.from,
                                                "expiry"))))
        rc = -1;
    if (rc == 1 && kj_db_commit (db))
        rc = -1;
    if (rc != 1)
        kj_db_rollback (db);
    if (rc == 1)
        kj_info ("registry.qualification_expired", "code=%s count=%zu", code,
                 n);
    int count = rc == 1 ? (int) n : rc;
    kj_arena_reset (arena);
    return count;
}

int
registry_server_expire (void *state, kj_db_t *db)
{
    registry_server_t *self = (registry_server_t *) state;
    zlist_t *codes = zlist_new ();
    zlist_autofree (codes);
    kj_arena_t *arena = kj_arena_new ();
    int total = 0;
    if (registry_store_expiry_due (db, EXPIRY_BATCH, codes) < 0)
        total = -1;
    for (char *code = (char *) zlist_first (codes); code && total >= 0;
         code = (char *) zlist_next (codes)) {
        int count = s_expire_one (self, db, code, arena);
        if (count < 0) {
            kj_warn ("registry.expiry_failed",
                     "code=%s sqlstate=%s "
                     "reason=\"%s\"",
                     code, kj_db_sqlstate (db), kj_db_error (db));
            //  Go on with the others; this one comes back next pass
            continue;
        }
        total += count;
    }
    zlist_destroy (&codes);
    kj_arena_destroy (&arena);
    return total;
}

//  --------------------------------------------------------------------------
//  The restage job: after the stage rules change (a new version), the
//  stage of every enterprise still computed by older rules is recomputed,
//  RESTAGE_CHUNK enterprises a transaction, each move a stage_changed
//  event naming the new version (by "restage"). The work list is the data
//  (stage_version), so a pass killed at any moment resumes after the last
//  commit and no enterprise is done twice; copies share the work through
//  SKIP LOCKED. Progress: the restage row and a log line a chunk.

#define RESTAGE_CHUNK   100
#define RESTAGE_PASS_US 5000000  //  then hand the thread back

//  One chunk in one transaction: the number recomputed, 0 when none is
//  left to claim, -1 when the database failed.
static int
s_restage_chunk (registry_server_t *self, kj_db_t *db, kj_arena_t *arena)
{
    const char *version = self->rules.version;
    ProtobufCAllocator mem = *kj_arena_allocator (arena);
    zlist_t *codes = zlist_new ();
    zlist_autofree (codes);
    int moved = 0;
    int rc = kj_db_begin (db) ? -1 : 0;
    if (rc == 0)
        rc = registry_store_restage_claim (db, version, RESTAGE_CHUNK, codes);
    for (char *code = (char *) zlist_first (codes); code && rc > 0;
         code = (char *) zlist_next (codes)) {
        Kj__Enterprise *e = NULL;
        registry_refresh_t refresh;
        if (registry_store_enterprise_load (db, code, true, &mem, &e) != 1
            || registry_server_refresh (self, db, e, &mem, &refresh)
            || (refresh.moved
                && registry_server_stage_event (db, e, refresh.from,
                                                "restage")))
            rc = -1;
        moved += refresh.moved;
    }
    if (rc > 0
        && (registry_store_restage_progress (db, version, rc, moved, false)
            || kj_db_commit (db)))
        rc = -1;
    if (rc <= 0)
        kj_db_rollback (db);
    if (rc > 0)
        kj_info ("registry.restage", "version=%s chunk=%d moved=%d", version,
                 rc, moved);
    zlist_destroy (&codes);
    kj_arena_reset (arena);
    return rc;
}

int
registry_server_restage (void *state, kj_db_t *db)
{
    registry_server_t *self = (registry_server_t *) state;
    const char *version = self->rules.version;
    int64_t left = registry_store_restage_left (db, version);
    if (left < 0)
        return -1;
    if (left > 0 && registry_store_restage_start (db, version, left) == 1)
        kj_info ("registry.restage_started", "version=%s enterprises=%" PRId64,
                 version, left);
    kj_arena_t *arena = kj_arena_new ();
    int total = 0, rc = 0;
    int64_t start = kj_mono_us ();
    while (left > 0 && kj_mono_us () - start < RESTAGE_PASS_US
           && (rc = s_restage_chunk (self, db, arena)) > 0)
        total += rc;
    kj_arena_destroy (&arena);
    if (rc < 0) {
        kj_warn ("registry.restage_failed",
                 "version=%s sqlstate=%s "
                 "reason=\"%s\"",
                 version, kj_db_sqlstate (db), kj_db_error (db));
        return -1;
    }
    //  Done when nothing is left, even if locked rows were skipped before
    if (left > 0 && registry_store_restage_left (db, version) == 0
        && registry_store_restage_progress (db, version, 0, 0, true) == 0)
        kj_info ("registry.restage_finished", "version=%s", version);
    return total;
}

//  --------------------------------------------------------------------------
//  Start and stop

//  Split a comma- or space-separated list into a NULL-ended array.
static char **
s_split (const char *text, size_t *count)
{
    char *copy = strdup (text ? text : "");
    size_t size = 1;
    for (char *c = copy; *c; c++)
        size += *c == ',' || *c == ' ';
    char **items = (char **) zmalloc ((size + 1) * sizeof (char *));
    *count = 0;
    char *save = NULL;
    for (char *item = strtok_r (copy, ", \t", &save); item;
         item = strtok_r (NULL, ", \t", &save))
        items [(*count)++] = strdup (item);
    free (copy);
    return items;
}

static void
s_split_free (char **items, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free (items [i]);
    free (items);
}

//  The stage rules text from the file (read whole, at most 1 MiB) or the
//  inline option ("" for the built-in set); NULL with status set when the
//  file cannot be read. The caller frees it.
#define STAGE_RULES_MAX (1024 * 1024)

static char *
s_stage_rules (kj_config_t *config, kj_status_t *status)
{
    const char *path = kj_config_get (config, "registry/stage_rules_file");
    if (!*path) {
        char *text = strdup (kj_config_get (config, "registry/stage_rules"));
        for (char *c = text; *c; c++)
            if (*c == ';')
                *c = '\n';
        return text;
    }
    FILE *file = fopen (path, "r");
    char *text = file ? (char *) zmalloc (STAGE_RULES_MAX + 2) : NULL;
    size_t size = file ? fread (text, 1, STAGE_RULES_MAX + 1, file) : 0;
    if (!file || ferror (file) || size > STAGE_RULES_MAX) {
        kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "stage_rules_file",
                       "registry/stage_rules_file: %s: "
                       "%s",
                       path,
                       !file || ferror (file) ? strerror (errno)
                                              : "longer than 1 MiB");
        free (text);
        text = NULL;
    }
    if (file)
        fclose (file);
    return text;
}

//  Fail the start with the reason in status, prefixed by what it was about.
static void *
s_refuse (kj_status_t *status, const char *field, const char *what)
{
    char why [sizeof status->message];
    memcpy (why, status->message, sizeof why);
    kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, field, "%s: %s", what,
                   why);
    return NULL;
}

void *
registry_server_new (kj_service_t *service, kj_db_t *db, kj_status_t *status)
{
    kj_config_t *config = kj_service_config (service);
    registry_stage_rules_t rules;
    registry_stage_rules_default (&rules);
    char *text = s_stage_rules (config, status);
    if (!text)
        return NULL;
    int rc = *text ? registry_stage_rules_parse (&rules, text, status) : 0;
    free (text);
    if (rc)
        return s_refuse (status, "stage_rules", "stage rules");
    size_t count;
    char **codes = s_split (kj_config_get (config, "registry/uscc_exceptions"),
                            &count);
    rc = registry_uscc_set_exceptions ((const char *const *) codes, status);
    s_split_free (codes, count);
    if (rc)
        return s_refuse (status, "uscc_exceptions", "registry/uscc_exceptions");

    if (registry_uscc_check_authorities (
            kj_config_get (config, "registry/allow_authorities"), status))
        return s_refuse (status, "allow_authorities",
                         "registry/allow_authorities");

    char format [2048];
    registry_stage_rules_format (&rules, format, sizeof format);
    rc = registry_store_stage_rules (db, rules.version, format);
    if (rc == 0)
        kj_status_set (status, KJ__CODE__FAILED_PRECONDITION, "stage_rules",
                       "stage rule set version '%s' is recorded already "
                       "with other rules; give the changed rules a new "
                       "version",
                       rules.version);
    else if (rc < 0)
        kj_status_set (status, KJ__CODE__UNAVAILABLE, "dsn",
                       "could not record the stage rules: %s",
                       kj_db_error (db));
    if (rc != 1)
        return NULL;

    registry_server_t *self = (registry_server_t *) zmalloc (
        sizeof (registry_server_t));
    self->config.allow_outside = kj_config_bool (config,
                                                 "registry/allow_outside");
    snprintf (self->config.allow_authorities,
              sizeof self->config.allow_authorities, "%s",
              kj_config_get (config, "registry/allow_authorities"));
    self->rules = rules;
    kj_info ("registry.rules", "stage_rules=%s allow_outside=%d", rules.version,
             self->config.allow_outside);
    return self;
}

void
registry_server_destroy (void *self)
{
    free (self);
}

const registry_stage_rules_t *
registry_server_rules (registry_server_t *self)
{
    return &self->rules;
}

const registry_config_t *
registry_server_config (registry_server_t *self)
{
    return &self->config;
}
