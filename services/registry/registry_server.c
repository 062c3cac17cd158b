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

    Split by entity: this file holds the state, the helpers every handler
    uses (registry_server_private.h), the method table, start and stop;
    registry_server_enterprise.c, _parts.c and _entry.c hold the handlers,
    _jobs.c the expiry and restage jobs.
    =========================================================================
*/

#include "registry_server.h"
#include "registry_server_private.h"
#include "registry_check.h"
#include "registry_entry.h"
#include "registry_product.h"
#include "registry_store.h"
#include "registry_techsme.h"
#include "registry_uscc.h"
#include <ctype.h>

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
    return kj_call_who (call, "operator");
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
int
registry_server_code (kj_call_t *call, const char *input, const char *field,
                      char out [19])
{
    kj_status_t status;
    if (registry_uscc_normalize (input ? input : "", out, &status) == 0)
        return 0;
    return kj_call_fail (call, status.code, field, "%s: %s%s", field,
                         status.message,
                         registry_server_did_you_mean (call, input));
}

int
registry_server_not_found (kj_call_t *call, const char *code)
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
                             _ (what), key, version, expected);
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

int
registry_server_city (kj_call_t *call, const char *region)
{
    if (kj_region_city_valid (region))
        return 0;
    return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "region",
                         "region: '%.*s' is not a city code "
                         "(210100 .. 211400) or SFDZ",
                         kj_utf8_cut (region, 24), region);
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
    //  The founding date as stored (the row just loaded), read once here
    kj_date_t founded = { 0 };
    kj_check_date (e->founded_on, "founded_on", &founded, &(kj_status_t){ 0 });
    registry_check_stage (&self->rules, founded, today, &input, result);
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
int
registry_server_load_refreshed (kj_call_t *call, const char *code,
                                Kj__Enterprise **e, registry_refresh_t *refresh)
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

//  Load e with its parts and refresh it (registry_server_load_refreshed), then add
//  `topic` with it, plus stage_changed when its stage moved: from before
//  (the stage before the caller's change), or from the stage it had on
//  file when before is -1.
int
registry_server_finish_from (kj_call_t *call, const char *code,
                             const char *topic, int before,
                             Kj__Enterprise **out)
{
    Kj__Enterprise *e = NULL;
    registry_refresh_t refresh;
    if (registry_server_load_refreshed (call, code, &e, &refresh)
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
int
registry_server_finish (kj_call_t *call, const char *code, const char *topic,
                        Kj__Enterprise **out)
{
    return registry_server_finish_from (call, code, topic, -1, out);
}

//  Lock an enterprise named by a code as typed, checking its version.
int
registry_server_lock (kj_call_t *call, const char *input, const char *field,
                      uint64_t expected, char code [19])
{
    if (registry_server_code (call, input, field, code))
        return -1;
    uint64_t version;
    int rc = registry_store_enterprise_lock (kj_call_db (call), code, &version);
    if (rc < 0)
        return registry_server_db_failed (call);
    if (rc == 0)
        return registry_server_not_found (call, code);
    return registry_server_check_version (call, N_ ("enterprise"), code,
                                          expected, version);
}

//  --------------------------------------------------------------------------
//  The service's methods

const kj_method_t registry_methods [] = {
    { "RegisterEnterprise", registry_server_register, KJ_WRITE },
    { "GetEnterprise", registry_server_get, 0 },
    { "ListEnterprises", registry_server_list, 0 },
    { "UpdateEnterprise", registry_server_update, KJ_WRITE },
    { "SetFigures", registry_server_set_figures, KJ_WRITE },
    { "Qualify", registry_server_qualify, KJ_WRITE },
    { "OverrideStage", registry_server_override_stage, KJ_WRITE },
    { "RecomputeStage", registry_server_recompute_stage, KJ_WRITE },
    { "Transition", registry_server_transition, KJ_WRITE },
    { "CheckCode", registry_server_check_code, 0 },
    { "History", registry_server_history, 0 },
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
    self->config.catalogue_check = kj_config_bool (config,
                                                   "registry/catalogue_check");
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
