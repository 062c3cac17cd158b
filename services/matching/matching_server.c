/*  =========================================================================
    matching_server - the Matching service's handlers

    See the header. Field names in refusals are those of the request as
    the person typed them ("demand.amount_fen", "product_id"). Events:
    matching.demand.posted (Demand), matching.match.proposed (MatchReply),
    matching.application.changed (ApplicationChanged), and for the
    guarantee service matching.loan.disbursed and matching.loan.defaulted
    (ApplicationChanged too).
    =========================================================================
*/

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "matching_application.h"
#include "matching_batch_job.h"
#include "matching_model.h"
#include "matching_rank.h"
#include "matching_registry.h"
#include "matching_server.h"

//  Largest amount a demand may name: 100 billion yuan.
#define AMOUNT_MAX_FEN INT64_C (10000000000000)
#define PURPOSE_MAX    200
#define CODE_MAX       40
#define ID_MAX         40
#define LIMIT_DEFAULT  10
#define LIMIT_MAX      MATCHING_RANK_TOP_MAX

typedef struct {
    matching_registry_t *registry;  //  exact reads for AddDemand, Apply
    matching_model_t *model;        //  what Match reads
    int model_wait_ms;
    matching_changes_t *changes;  //  for re-matching, from the model
    int batch_threads;
    int sla_days;
    matching_weights_t weights;
    char weights_text [80];
    bool match_durable;  //  Match waits for the WAL flush
} server_t;

#define STATE(call) ((server_t *) kj_call_state (call))
#define A(name)     KJ__APPLICATION_STATE__APP_##name

//  --------------------------------------------------------------------------
//  Init and destroy

void *
matching_server_new (kj_service_t *service, kj_db_t *db, kj_status_t *status)
{
    kj_config_t *config = kj_service_config (service);
    server_t *self = calloc (1, sizeof *self);
    assert (self);
    int sla_days = (int) kj_config_int (config, "matching/sla_days");
    self->sla_days = sla_days;
    self->registry = matching_registry_new (kj_config_get (config,
                                                           "node/broker"),
                                            sla_days);
    self->model = matching_model_new (kj_config_get (config, "node/broker"),
                                      kj_config_get (config, "node/pub"),
                                      sla_days);
    self->model_wait_ms = (int) kj_config_int (config,
                                               "matching/model_wait_ms");
    self->match_durable = kj_config_bool (config, "matching/match_durable");
    self->changes = matching_changes_new ();
    matching_model_set_changed (self->model, matching_changes_add,
                                self->changes);
    self->batch_threads = (int) kj_config_int (config,
                                               "matching/batch_threads");
    //  CZMQ sets itself up on the first socket, unsafely from two threads
    //  at once: here, before the model's thread makes any
    zsys_init ();
    matching_model_start (self->model);
    self->weights.rate = (int) kj_config_int (config, "matching/weight_rate");
    self->weights.amount = (int) kj_config_int (config,
                                                "matching/weight_amount");
    self->weights.collateral = (int)
        kj_config_int (config, "matching/weight_collateral");
    self->weights.policy = (int) kj_config_int (config,
                                                "matching/weight_policy");
    self->weights.sla = (int) kj_config_int (config, "matching/weight_sla");
    snprintf (self->weights_text, sizeof self->weights_text,
              "rate=%d amount=%d collateral=%d policy=%d sla=%d",
              self->weights.rate, self->weights.amount,
              self->weights.collateral, self->weights.policy,
              self->weights.sla);
    return self;
}

void
matching_server_destroy (void *state)
{
    server_t *self = state;
    if (!self)
        return;
    matching_model_destroy (&self->model);
    matching_changes_destroy (&self->changes);
    matching_registry_destroy (&self->registry);
    free (self);
}

//  --------------------------------------------------------------------------
//  Helpers

static const char *
s_caller (kj_call_t *call)
{
    const Kj__RequestHeader *header = kj_call_header (call);
    return header && header->caller && header->caller->identity
             ? header->caller->identity
             : "";
}

//  Checks a text field: length 1..max (or 0..max when optional)
static int
s_check_text (kj_call_t *call, const char *text, const char *field, size_t max,
              bool required)
{
    size_t length = text ? strlen (text) : 0;
    if (required && length == 0)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, field,
                             "%s: required", field);
    if (length > max)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, field,
                             "%s: %zu bytes, at most %zu", field, length, max);
    kj_status_t status;
    if (kj_check_text (text, field, max, required, &status))
        return kj_call_fail_status (call, &status);
    return 0;
}

static char *
s_i64 (kj_call_t *call, int64_t value)
{
    return kj_call_printf (call, "%" PRId64, value);
}

//  A demand row (columns of DEMAND_COLUMNS) into a message from the call
#define DEMAND_COLUMNS                                                         \
    "id, enterprise_code, amount_fen, term_months, purpose, instrument, "      \
    "collateral, linkage, renewal, coalesce (renews_matures_on::text, ''), "   \
    "renews_arrears, state, version, "                                         \
    "(extract (epoch FROM created_at) * 1000000)::bigint, entered_by"

//  Lock the entity whose events the call writes (kind "matching.demand",
//  key its id), before its first write: its events then reach the log in
//  the order its transactions ran (kj_db_lock_key). 0, or -1 after
//  failing the call
static int
s_lock (kj_call_t *call, const char *kind, const char *id)
{
    if (kj_db_lock_key (kj_call_db (call), kind, id))
        return kj_call_fail_db (call);
    return 0;
}

static Kj__Demand *
s_demand_row (kj_call_t *call, PGresult *res, int row)
{
    Kj__Demand *d = kj_call_alloc (call, sizeof *d);
    kj__demand__init (d);
    d->id = kj_call_strdup (call, PQgetvalue (res, row, 0));
    d->enterprise_code = kj_call_strdup (call, PQgetvalue (res, row, 1));
    d->amount_fen = atoll (PQgetvalue (res, row, 2));
    d->term_months = atoi (PQgetvalue (res, row, 3));
    d->purpose = kj_call_strdup (call, PQgetvalue (res, row, 4));
    d->instrument = atoi (PQgetvalue (res, row, 5));
    unsigned bits = (unsigned) atoi (PQgetvalue (res, row, 6));
    d->collateral = kj_call_alloc (call, 32 * sizeof (Kj__Collateral));
    for (int i = 1; i < 32; i++)
        if (bits & (1u << i))
            d->collateral [d->n_collateral++] = (Kj__Collateral) i;
    d->linkage = PQgetvalue (res, row, 7) [0] == 't';
    d->renewal = PQgetvalue (res, row, 8) [0] == 't';
    d->renews_matures_on = kj_call_strdup (call, PQgetvalue (res, row, 9));
    d->renews_arrears = PQgetvalue (res, row, 10) [0] == 't';
    d->state = atoi (PQgetvalue (res, row, 11));
    d->version = strtoull (PQgetvalue (res, row, 12), NULL, 10);
    d->created_at_us = atoll (PQgetvalue (res, row, 13));
    d->entered_by = kj_call_strdup (call, PQgetvalue (res, row, 14));
    return d;
}

//  IP pledge loans of the enterprise `code` (an SQL expression) approved
//  or drawn this year, in fen
#define IP_PLEDGED_SQL(code)                                                   \
    "SELECT coalesce (sum (a.amount_fen), 0) FROM application a "              \
    "WHERE a.enterprise_code = " code " AND " MATCHING_IP_PLEDGED_WHERE

//  One demand by id, or NULL after failing the call; *pledged (may be
//  NULL) receives its enterprise's IP pledge loans this year, in the
//  same round trip
static Kj__Demand *
s_demand_load_pledged (kj_call_t *call, const char *id, const char *field,
                       int64_t *pledged)
{
    if (s_check_text (call, id, field, ID_MAX, true))
        return NULL;
    PGresult *res =
        kj_db_exec (kj_call_db (call),
                    pledged ? "SELECT " DEMAND_COLUMNS ", (" IP_PLEDGED_SQL (
                        "d.enterprise_code") ") FROM demand d WHERE d.id = $1"
                            : "SELECT " DEMAND_COLUMNS
                              " FROM demand WHERE id = $1",
                    1, (const char *[]){ id });
    if (!res) {
        kj_call_fail_db (call);
        return NULL;
    }
    Kj__Demand *demand = PQntuples (res) == 1 ? s_demand_row (call, res, 0)
                                              : NULL;
    if (demand && pledged)
        *pledged = atoll (PQgetvalue (res, 0, 15));
    PQclear (res);
    if (!demand)
        kj_call_fail (call, KJ__CODE__NOT_FOUND, field, "%s: no demand %s",
                      field, id);
    return demand;
}

static Kj__Demand *
s_demand_load (kj_call_t *call, const char *id, const char *field)
{
    return s_demand_load_pledged (call, id, field, NULL);
}

//  The filters' view of a demand
static void
s_demand_view (const Kj__Demand *d, matching_demand_t *view)
{
    memset (view, 0, sizeof *view);
    view->amount_fen = d->amount_fen;
    view->term_months = d->term_months;
    view->instrument = (matching_instrument_t) d->instrument;
    for (size_t i = 0; i < d->n_collateral; i++)
        view->collateral |= 1u << d->collateral [i];
    view->renewal = d->renewal;
    view->renew_maturity = matching_registry_date (d->renews_matures_on);
    view->renew_arrears = d->renews_arrears;
    view->on = matching_today ();
}

//  IP pledge loans of an enterprise approved or drawn this year, in fen;
//  -1 if the database failed
static int64_t
s_ip_pledged (kj_call_t *call, const char *code)
{
    PGresult *res = kj_db_exec (kj_call_db (call), IP_PLEDGED_SQL ("$1"), 1,
                                (const char *[]){ code });
    if (!res)
        return -1;
    int64_t sum = atoll (PQgetvalue (res, 0, 0));
    PQclear (res);
    return sum;
}

//  The enterprise read through the broker (exact, for decisions that
//  are stored), put into the model too; reply to free. 0 or -1 (failed)
static int
s_enterprise_exact (kj_call_t *call, const char *code, const char *field,
                    Kj__EnterpriseReply **reply_p)
{
    server_t *self = STATE (call);
    kj_status_t status;
    if (matching_registry_enterprise (self->registry, code, field, reply_p,
                                      &status))
        return kj_call_fail_status (call, &status);
    matching_model_put_enterprise (self->model, (*reply_p)->enterprise, true);
    return 0;
}

//  The model, loaded; or -1 after failing the call (UNAVAILABLE)
static int
s_model_ready (kj_call_t *call)
{
    server_t *self = STATE (call);
    if (matching_model_wait (self->model, self->model_wait_ms))
        return 0;
    return kj_call_fail (call, KJ__CODE__UNAVAILABLE, NULL,
                         "matching is still loading products and "
                         "enterprises from the registry; retry");
}

//  What Match decides with, from the model (read lock held until
//  s_context_done): the product named (at; -1 when none named), the
//  enterprise and the demand as the filters read them
typedef struct {
    matching_model_t *model;
    ssize_t at;
    uint64_t enterprise_version;
    matching_enterprise_t profile;
    matching_demand_t view;
} context_t;

//  0 with the model read-locked, or -1 after failing the call (NOT_FOUND
//  at field for a product id the registry does not have). A record the
//  model lacks yet (just added) is read through the broker and put in.
static int
s_context (kj_call_t *call, const Kj__Demand *demand, int64_t pledged,
           const char *product_id, const char *field, context_t *context)
{
    server_t *self = STATE (call);
    memset (context, 0, sizeof *context);
    context->at = -1;
    context->model = self->model;
    if (s_model_ready (call))
        return -1;
    bool named = product_id && product_id [0];
    for (int attempt = 0; attempt < 2; attempt++) {
        matching_model_read (self->model);
        bool known = matching_model_profile (self->model,
                                             demand->enterprise_code,
                                             &context->profile,
                                             &context->enterprise_version)
                  == 0;
        if (named)
            context->at = matching_model_find (self->model, product_id);
        bool found = !named || context->at >= 0;
        if (known && found)
            break;
        matching_model_done (self->model);
        if (attempt == 1)
            return kj_call_fail (call, KJ__CODE__UNAVAILABLE, NULL,
                                 "the read model lost a record; retry");
        if (!known) {
            Kj__EnterpriseReply *reply = NULL;
            if (s_enterprise_exact (call, demand->enterprise_code,
                                    "enterprise_code", &reply))
                return -1;
            kj__enterprise_reply__free_unpacked (reply, NULL);
        }
        if (!found) {
            Kj__ProductReply *reply = NULL;
            kj_status_t status;
            if (matching_registry_get_product (self->registry, product_id,
                                               field, &reply, &status))
                return kj_call_fail_status (call, &status);
            matching_model_put_product (self->model, reply->product);
            reply->product = NULL;
            kj__product_reply__free_unpacked (reply, NULL);
        }
    }
    context->profile.ip_pledged_year_fen = pledged;
    s_demand_view (demand, &context->view);
    return 0;
}

static void
s_context_done (context_t *context)
{
    matching_model_done (context->model);
}

//  --------------------------------------------------------------------------
//  AddDemand: check every field, check the enterprise with the registry,
//  store, announce

static int
s_add_demand (kj_call_t *call, const ProtobufCMessage *request,
              ProtobufCMessage *reply)
{
    const Kj__Demand *d = ((const Kj__AddDemandRequest *) request)->demand;
    kj_audit_object (call, "enterprise", d ? d->enterprise_code : NULL);
    if (!d)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "demand",
                             "demand: required");
    if (s_check_text (call, d->enterprise_code, "demand.enterprise_code",
                      CODE_MAX, true)
        || s_check_text (call, d->purpose, "demand.purpose", PURPOSE_MAX,
                         false))
        return -1;
    if (d->amount_fen <= 0)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT,
                             "demand.amount_fen",
                             "demand.amount_fen: more than 0 fen, not %" PRId64,
                             d->amount_fen);
    if (d->amount_fen > AMOUNT_MAX_FEN)
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "demand.amount_fen",
                             "demand.amount_fen: at most %" PRId64
                             " fen, not %" PRId64,
                             AMOUNT_MAX_FEN, d->amount_fen);
    if (d->term_months < 1 || d->term_months > 360)
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "demand.term_months",
                             "demand.term_months: 1 to 360 months, not %d",
                             d->term_months);
    if (!matching_filter_instrument_name (
            (matching_instrument_t) d->instrument) [0])
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT,
                             "demand.instrument",
                             "demand.instrument: loan, equity, leasing, "
                             "factoring, guarantee, insurance or bond");
    unsigned collateral = 0;
    for (size_t i = 0; i < d->n_collateral; i++) {
        if (d->collateral [i] < KJ__COLLATERAL__COLLATERAL_IP
            || d->collateral [i] > KJ__COLLATERAL__COLLATERAL_REAL_ESTATE)
            return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT,
                                 "demand.collateral",
                                 "demand.collateral: %d is not a kind of "
                                 "collateral (IP, receivables, guarantee, "
                                 "real estate)",
                                 (int) d->collateral [i]);
        collateral |= 1u << d->collateral [i];
    }
    int matures = matching_registry_date (d->renews_matures_on);
    if (d->renewal && !matures)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT,
                             "demand.renews_matures_on",
                             "demand.renews_matures_on: a renewal gives the "
                             "maturity of the loan renewed, YYYY-MM-DD");
    if (!d->renewal && d->renews_matures_on && d->renews_matures_on [0])
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT,
                             "demand.renews_matures_on",
                             "demand.renews_matures_on: only for a renewal");

    //  The amount must fit some listed product, and the enterprise must
    //  exist
    server_t *self = STATE (call);
    if (s_model_ready (call))
        return -1;
    int64_t largest = 0;
    matching_model_read (self->model);
    const matching_product_t *products = matching_model_products (self->model);
    for (size_t i = 0; i < matching_model_count (self->model); i++)
        if (products [i].listed && products [i].max_amount_fen > largest)
            largest = products [i].max_amount_fen;
    matching_model_done (self->model);
    if (largest > 0 && d->amount_fen > largest)
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "demand.amount_fen",
                             "demand.amount_fen: %" PRId64 " fen is beyond "
                             "every product (the largest lends %" PRId64
                             " fen)",
                             d->amount_fen, largest);
    Kj__EnterpriseReply *enterprise = NULL;
    if (s_enterprise_exact (call, d->enterprise_code, "demand.enterprise_code",
                            &enterprise))
        return -1;
    //  The city and stage as posted, for the reports
    const Kj__Enterprise *ent = enterprise->enterprise;
    char *region = kj_call_strdup (call, ent->region ? ent->region : "");
    char *stage = s_i64 (call, ent->stage ? (int64_t) ent->stage->stage : 0);
    kj__enterprise_reply__free_unpacked (enterprise, NULL);

    char matures_text [32] = "";
    if (matures)
        snprintf (matures_text, sizeof matures_text, "%04d-%02d-%02d",
                  matures / 10000, matures / 100 % 100, matures % 100);
    const char *params [] = { d->enterprise_code,
                              s_i64 (call, d->amount_fen),
                              s_i64 (call, d->term_months),
                              d->purpose ? d->purpose : "",
                              s_i64 (call, d->instrument),
                              s_i64 (call, collateral),
                              d->linkage ? "t" : "f",
                              d->renewal ? "t" : "f",
                              matures ? matures_text : NULL,
                              d->renews_arrears ? "t" : "f",
                              s_caller (call),
                              region,
                              stage };
    PGresult *res = kj_db_exec (
        kj_call_db (call),
        "INSERT INTO demand (id, enterprise_code, amount_fen, term_months, "
        "purpose, instrument, collateral, linkage, renewal, "
        "renews_matures_on, renews_arrears, state, entered_by, region, "
        "stage) VALUES ('D' || lpad (nextval ('demand_seq')::text, 6, '0'), "
        "$1, $2, $3, $4, $5, $6, $7, $8, $9::date, $10, 1, $11, $12, $13) "
        "RETURNING " DEMAND_COLUMNS,
        13, params);
    if (!res)
        return kj_call_fail_db (call);
    Kj__Demand *stored = s_demand_row (call, res, 0);
    PQclear (res);
    ((Kj__DemandReply *) reply)->demand = stored;
    //  A new demand: its lock orders nothing yet, and is what the outbox
    //  checks (it costs no round trip)
    if (s_lock (call, "matching.demand", stored->id)
        || kj_outbox_add (kj_call_db (call), "matching.demand.posted",
                          stored->id, &stored->base))
        return kj_call_fail_db (call);
    return 0;
}

//  --------------------------------------------------------------------------
//  GetDemand and ListDemands

static int
s_get_demand (kj_call_t *call, const ProtobufCMessage *request,
              ProtobufCMessage *reply)
{
    Kj__Demand *demand =
        s_demand_load (call, ((const Kj__GetDemandRequest *) request)->id,
                       "id");
    if (!demand)
        return -1;
    ((Kj__DemandReply *) reply)->demand = demand;
    return 0;
}

static int
s_list_demands (kj_call_t *call, const ProtobufCMessage *request,
                ProtobufCMessage *reply)
{
    const Kj__ListDemandsRequest *in = (const Kj__ListDemandsRequest *) request;
    uint32_t limit = in->page && in->page->limit ? in->page->limit : 50;
    if (limit > 1000)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "page.limit",
                             "page.limit: at most 1000, not %u", limit);
    const char *after = in->page && in->page->after ? in->page->after : "";
    if (s_check_text (call, after, "page.after", ID_MAX, false)
        || s_check_text (call, in->enterprise_code, "enterprise_code", CODE_MAX,
                         false))
        return -1;
    const char *params [] = { after,
                              in->enterprise_code ? in->enterprise_code : "",
                              s_i64 (call, limit + 1) };
    PGresult *res = kj_db_exec (
        kj_call_db (call),
        "SELECT " DEMAND_COLUMNS " FROM demand WHERE id > $1 "
        "AND ($2 = '' OR enterprise_code = $2) ORDER BY id LIMIT $3",
        3, params);
    if (!res)
        return kj_call_fail_db (call);
    Kj__ListDemandsReply *out = (Kj__ListDemandsReply *) reply;
    int rows = PQntuples (res);
    int shown = rows > (int) limit ? (int) limit : rows;
    out->demands = kj_call_alloc (call, (size_t) (shown + 1) * sizeof (void *));
    for (int i = 0; i < shown; i++)
        out->demands [out->n_demands++] = s_demand_row (call, res, i);
    out->page_info = kj_call_alloc (call, sizeof *out->page_info);
    kj__page_info__init (out->page_info);
    if (rows > (int) limit)
        out->page_info->next = out->demands [shown - 1]->id;
    PQclear (res);
    return 0;
}

//  --------------------------------------------------------------------------
//  Match: filter the catalogue, rank, record the match with the versions
//  relied on, answer a why-not

//  The rows of match_product for n products in one statement: a
//  multi-row INSERT, 7 parameters a row, each naming the match just
//  inserted (currval: the same session)
static const char *
s_match_rows_sql (kj_call_t *call, size_t n)
{
    static const char head [] =
        "INSERT INTO match_product (match_id, rank, product_id, "
        "product_version, score, explanation, institution_id, intercity) "
        "VALUES ";
    static const char id [] = "'M' || lpad (currval ('match_seq')::text, "
                              "6, '0')";
    size_t size = sizeof head + n * (sizeof id + 64);
    char *sql = kj_call_alloc (call, size);
    size_t at = (size_t) snprintf (sql, size, "%s", head);
    for (size_t i = 0; i < n; i++)
        at += (size_t) snprintf (sql + at, size - at,
                                 "%s(%s, $%zu, $%zu, $%zu, $%zu, $%zu, "
                                 "$%zu, $%zu)",
                                 i ? ", " : "", id, 7 * i + 1, 7 * i + 2,
                                 7 * i + 3, 7 * i + 4, 7 * i + 5, 7 * i + 6,
                                 7 * i + 7);
    return sql;
}

//  The match, its rows and the demand now MATCHED in one pipelined round
//  trip, then its event. Unless matching/match_durable, the transaction
//  commits without waiting for the WAL flush (docs/rules/matching.md §6.1)
static int
s_match_store (kj_call_t *call, Kj__MatchReply *out, Kj__Demand *demand)
{
    server_t *self = STATE (call);
    kj_db_t *db = kj_call_db (call);
    const char *params [] = { demand->id, MATCHING_RULES_VERSION,
                              s_i64 (call, (int64_t) out->enterprise_version),
                              self->weights_text,
                              s_i64 (call, out->candidates) };
    size_t n = out->n_products;
    const char **rows = kj_call_alloc (call, (7 * n + 1) * sizeof (char *));
    for (size_t i = 0; i < n; i++) {
        const Kj__MatchedProduct *p = out->products [i];
        const char **row = rows + 7 * i;
        row [0] = s_i64 (call, (int64_t) i + 1);
        row [1] = p->product_id;
        row [2] = s_i64 (call, (int64_t) p->product_version);
        row [3] = s_i64 (call, p->score);
        row [4] = p->explanation;
        row [5] = p->institution_id;
        row [6] = p->intercity ? "t" : "f";
    }
    kj_db_query_t queries [4];
    PGresult *results [4];
    int count = 0;
    if (!self->match_durable)
        queries [count++] = (kj_db_query_t){
            "SELECT set_config ('synchronous_commit', 'off', true)", 0, NULL
        };
    int first = count;
    queries [count++] = (kj_db_query_t){
        "INSERT INTO match (id, demand_id, rules_version, enterprise_version, "
        "weights, candidates) VALUES ('M' || lpad (nextval ('match_seq')::"
        "text, 6, '0'), $1, $2, $3, $4, $5) RETURNING id",
        5, params
    };
    if (n > 0)
        queries [count++] = (kj_db_query_t){ s_match_rows_sql (call, n),
                                             (int) (7 * n), rows };
    queries [count++] = (kj_db_query_t){
        "UPDATE demand SET state = 2, version = version + 1 "
        "WHERE id = $1 AND state = 1",
        1, params
    };
    if (kj_db_exec_many (db, queries, count, results))
        return -1;
    out->match_id = kj_call_strdup (call, PQgetvalue (results [first], 0, 0));
    for (int i = 0; i < count; i++)
        PQclear (results [i]);
    return kj_outbox_add (db, "matching.match.proposed", demand->id,
                          &out->base);
}

static int
s_match (kj_call_t *call, const ProtobufCMessage *request,
         ProtobufCMessage *reply)
{
    const Kj__MatchRequest *in = (const Kj__MatchRequest *) request;
    kj_audit_object (call, "demand", in->demand_id);
    Kj__MatchReply *out = (Kj__MatchReply *) reply;
    server_t *self = STATE (call);
    uint32_t limit = in->limit ? in->limit : LIMIT_DEFAULT;
    if (limit > LIMIT_MAX)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "limit",
                             "limit: at most %d products, not %u", LIMIT_MAX,
                             limit);
    if (s_check_text (call, in->why_not, "why_not", ID_MAX, false))
        return -1;
    int64_t pledged = 0;
    Kj__Demand *demand = s_demand_load_pledged (call, in->demand_id,
                                                "demand_id", &pledged);
    if (!demand || s_lock (call, "matching.demand", demand->id))
        return -1;
    context_t context;
    if (s_context (call, demand, pledged, in->why_not, "why_not", &context))
        return -1;
    const matching_enterprise_t *profile = &context.profile;
    const matching_demand_t *view = &context.view;
    ssize_t why_not = context.at;
    const matching_product_t *products = matching_model_products (self->model);
    size_t count = matching_model_count (self->model);

    //  The passing products first, then the best `limit` of them kept
    //  in a bounded heap: nothing copied per product
    const matching_product_t **passing = malloc ((count + 1) * sizeof *passing);
    assert (passing);
    size_t passed = 0, listed = 0;
    for (size_t i = 0; i < count; i++) {
        listed += products [i].listed;
        if (matching_filter_check (&products [i], profile, view, NULL))
            passing [passed++] = &products [i];
    }
    matching_ranked_t ranked [MATCHING_RANK_TOP_MAX];
    size_t shown = matching_rank_best (passing, passed, &self->weights,
                                       demand->amount_fen, ranked, limit);
    free (passing);

    out->demand_id = demand->id;
    out->candidates = (uint32_t) listed;
    out->rules_version = MATCHING_RULES_VERSION;
    out->enterprise_version = context.enterprise_version;
    out->products = kj_call_alloc (call, (shown + 1) * sizeof (void *));
    for (size_t i = 0; i < shown; i++) {
        size_t at = (size_t) (ranked [i].product - products);
        const Kj__Product *m = matching_model_message (self->model, at);
        Kj__MatchedProduct *p = kj_call_alloc (call, sizeof *p);
        kj__matched_product__init (p);
        p->product_id = kj_call_strdup (call, m->id);
        p->product_name = kj_call_strdup (call, m->name);
        p->institution_id = kj_call_strdup (call, m->institution_id);
        p->institution_name = kj_call_strdup (call, m->institution_name);
        p->type = m->type;
        p->rate_bp = m->rate_bp;
        p->score = ranked [i].score;
        p->explanation = kj_call_strdup (call, ranked [i].why);
        p->product_version = m->version;
        //  Intercity: it names neither the enterprise's city nor PROVINCE
        p->intercity = true;
        for (size_t r = 0; r < m->n_regions; r++)
            if ((profile->region
                 && strcmp (m->regions [r], profile->region) == 0)
                || strcmp (m->regions [r], KJ_REGION_PROVINCE) == 0)
                p->intercity = false;
        p->regions = kj_call_alloc (call, (m->n_regions + 1) * sizeof (void *));
        for (size_t r = 0; r < m->n_regions; r++)
            p->regions [p->n_regions++] = kj_call_strdup (call, m->regions [r]);
        out->products [out->n_products++] = p;
    }
    if (why_not >= 0) {
        matching_verdict_t verdict;
        out->why_not = kj_call_strdup (call, in->why_not);
        out->why_not_eligible = matching_filter_check (&products [why_not],
                                                       profile, view, &verdict);
        out->why_not_reasons = kj_call_alloc (call, (verdict.count + 1)
                                                        * sizeof (void *));
        for (size_t i = 0; i < verdict.count; i++) {
            Kj__MatchReason *reason = kj_call_alloc (call, sizeof *reason);
            kj__match_reason__init (reason);
            reason->code = (char *) matching_filter_code_name (
                verdict.reasons [i].code);
            reason->text = kj_call_strdup (call, verdict.reasons [i].text);
            out->why_not_reasons [out->n_why_not_reasons++] = reason;
        }
    }
    s_context_done (&context);
    if (s_match_store (call, out, demand))
        return kj_call_fail_db (call);
    return 0;
}

//  --------------------------------------------------------------------------
//  Applications

#define APPLICATION_COLUMNS                                                    \
    "id, demand_id, product_id, institution_id, enterprise_code, state, "      \
    "version, amount_fen, rate_bp, term_months, reason, "                      \
    "coalesce (renews_id, ''), product_version, rules_version, "               \
    "(extract (epoch FROM updated_at) * 1000000)::bigint, product_max_fen"

static Kj__Application *
s_application_row (kj_call_t *call, PGresult *res, int row)
{
    Kj__Application *a = kj_call_alloc (call, sizeof *a);
    kj__application__init (a);
    a->id = kj_call_strdup (call, PQgetvalue (res, row, 0));
    a->demand_id = kj_call_strdup (call, PQgetvalue (res, row, 1));
    a->product_id = kj_call_strdup (call, PQgetvalue (res, row, 2));
    a->institution_id = kj_call_strdup (call, PQgetvalue (res, row, 3));
    a->enterprise_code = kj_call_strdup (call, PQgetvalue (res, row, 4));
    a->state = atoi (PQgetvalue (res, row, 5));
    a->version = strtoull (PQgetvalue (res, row, 6), NULL, 10);
    a->amount_fen = atoll (PQgetvalue (res, row, 7));
    a->rate_bp = atoi (PQgetvalue (res, row, 8));
    a->term_months = atoi (PQgetvalue (res, row, 9));
    a->reason = kj_call_strdup (call, PQgetvalue (res, row, 10));
    a->renews_id = kj_call_strdup (call, PQgetvalue (res, row, 11));
    a->product_version = strtoull (PQgetvalue (res, row, 12), NULL, 10);
    a->rules_version = kj_call_strdup (call, PQgetvalue (res, row, 13));
    a->updated_at_us = atoll (PQgetvalue (res, row, 14));
    return a;
}

//  One application by id; NULL after failing the call. *max_fen (may be
//  NULL) receives the product's maximum at the time of applying.
static Kj__Application *
s_application_load (kj_call_t *call, const char *id, const char *field,
                    int64_t *max_fen)
{
    if (s_check_text (call, id, field, ID_MAX, true))
        return NULL;
    PGresult *res = kj_db_exec (kj_call_db (call),
                                "SELECT " APPLICATION_COLUMNS
                                " FROM application WHERE id = $1",
                                1, (const char *[]){ id });
    if (!res) {
        kj_call_fail_db (call);
        return NULL;
    }
    Kj__Application *a = NULL;
    if (PQntuples (res) == 1) {
        a = s_application_row (call, res, 0);
        if (max_fen)
            *max_fen = atoll (PQgetvalue (res, 0, 15));
    }
    PQclear (res);
    if (!a)
        kj_call_fail (call, KJ__CODE__NOT_FOUND, field, "%s: no application %s",
                      field, id);
    return a;
}

//  The move's row and its events, in the call's transaction
static int
s_announce (kj_call_t *call, Kj__Application *a, Kj__ApplicationState from,
            const char *reason)
{
    kj_db_t *db = kj_call_db (call);
    const char *params [] = { a->id,
                              s_i64 (call, (int64_t) a->version),
                              s_i64 (call, from),
                              s_i64 (call, a->state),
                              s_caller (call),
                              reason ? reason : "" };
    PGresult *res = kj_db_exec (
        db,
        "INSERT INTO application_move (application_id, version, from_state, "
        "to_state, actor, reason) VALUES ($1, $2, $3, $4, $5, $6)",
        6, params);
    if (!res)
        return -1;
    PQclear (res);
    Kj__ApplicationChanged changed = KJ__APPLICATION_CHANGED__INIT;
    changed.application = a;
    changed.from = from;
    if (kj_outbox_add (db, "matching.application.changed", a->id,
                       &changed.base))
        return -1;
    if (a->state == A (ACTIVE) && from == A (APPROVED))
        return kj_outbox_add (db, "matching.loan.disbursed", a->id,
                              &changed.base);
    if (a->state == A (DEFAULTED))
        return kj_outbox_add (db, "matching.loan.defaulted", a->id,
                              &changed.base);
    return 0;
}

//  Apply: the product must pass the filters now; one open application per
//  demand and product
static int
s_apply (kj_call_t *call, const ProtobufCMessage *request,
         ProtobufCMessage *reply)
{
    const Kj__ApplyRequest *in = (const Kj__ApplyRequest *) request;
    kj_audit_object (call, "demand", in->demand_id);
    if (s_check_text (call, in->product_id, "product_id", ID_MAX, true)
        || s_check_text (call, in->renews_id, "renews_id", ID_MAX, false))
        return -1;
    Kj__Demand *demand = s_demand_load (call, in->demand_id, "demand_id");
    if (!demand)
        return -1;
    if (in->renews_id && in->renews_id [0]) {
        Kj__Application *old = s_application_load (call, in->renews_id,
                                                   "renews_id", NULL);
        if (!old)
            return -1;
        if (old->state != A (ACTIVE)
            || strcmp (old->enterprise_code, demand->enterprise_code) != 0
            || !demand->renewal)
            return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION,
                                 "renews_id",
                                 "renews_id: a renewal renews an ACTIVE loan "
                                 "of the same enterprise from a renewal "
                                 "demand; %s is %s",
                                 old->id,
                                 matching_application_state_name (old->state));
    }
    //  Decided on the records as the registry has them now, not the model
    server_t *self = STATE (call);
    kj_status_t status;
    Kj__ProductReply *product = NULL;
    if (matching_registry_get_product (self->registry, in->product_id,
                                       "product_id", &product, &status))
        return kj_call_fail_status (call, &status);
    const Kj__Product *m = product->product;
    Kj__EnterpriseReply *enterprise = NULL;
    int64_t pledged = s_ip_pledged (call, demand->enterprise_code);
    if (pledged < 0
        || s_enterprise_exact (call, demand->enterprise_code, "enterprise_code",
                               &enterprise)) {
        kj__product_reply__free_unpacked (product, NULL);
        return pledged < 0 ? kj_call_fail_db (call) : -1;
    }
    matching_product_t view;
    matching_registry_product (m, 0, &view);
    matching_enterprise_t profile;
    matching_registry_profile (enterprise->enterprise, &profile);
    profile.grade = matching_model_grade (self->model, demand->enterprise_code);
    profile.ip_pledged_year_fen = pledged;
    matching_demand_t wanted;
    s_demand_view (demand, &wanted);
    matching_verdict_t verdict;
    bool ok = matching_filter_check (&view, &profile, &wanted, &verdict);
    kj__enterprise_reply__free_unpacked (enterprise, NULL);
    //  Copies: the reply is freed below
    char *product_id = kj_call_strdup (call, m->id);
    const char *params [] = { demand->id,
                              product_id,
                              s_i64 (call, m->type),
                              s_i64 (call, (int64_t) m->version),
                              s_i64 (call, m->max_amount_fen),
                              kj_call_strdup (call, m->institution_id),
                              demand->enterprise_code,
                              MATCHING_RULES_VERSION,
                              in->renews_id && in->renews_id [0] ? in->renews_id
                                                                 : NULL };
    kj__product_reply__free_unpacked (product, NULL);
    if (!ok)
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "product_id",
                             "product_id: %s does not serve "
                             "this demand: %s",
                             product_id, verdict.reasons [0].text);
    PGresult *res = kj_db_exec (
        kj_call_db (call),
        "SELECT id FROM application WHERE demand_id = $1 AND product_id = $2 "
        "AND state NOT IN (6, 7, 8, 14, 15, 16)",
        2, (const char *[]){ demand->id, product_id });
    if (!res)
        return kj_call_fail_db (call);
    if (PQntuples (res) > 0) {
        char *open = kj_call_strdup (call, PQgetvalue (res, 0, 0));
        PQclear (res);
        return kj_call_fail (call, KJ__CODE__ALREADY_EXISTS, "product_id",
                             "product_id: application %s for this demand "
                             "and product is still open",
                             open);
    }
    PQclear (res);
    res = kj_db_exec (
        kj_call_db (call),
        "INSERT INTO application (id, demand_id, product_id, product_type, "
        "product_version, product_max_fen, institution_id, enterprise_code, "
        "rules_version, state, renews_id) "
        "VALUES ('A' || lpad (nextval ('application_seq')::text, 6, '0'), "
        "$1, $2, $3, $4, $5, $6, $7, $8, 3, $9) RETURNING " APPLICATION_COLUMNS,
        9, params);
    if (!res)
        return kj_call_fail_db (call);
    Kj__Application *a = s_application_row (call, res, 0);
    PQclear (res);
    ((Kj__ApplicationReply *) reply)->application = a;
    if (s_lock (call, "matching.application", a->id))
        return -1;
    if (s_announce (call, a, A (MATCHED), NULL))
        return kj_call_fail_db (call);
    return 0;
}

//  Act: a legal move from the state the application is in, applied only
//  if nobody moved it since the version the actor saw
static int
s_act (kj_call_t *call, const ProtobufCMessage *request,
       ProtobufCMessage *reply)
{
    const Kj__ActRequest *in = (const Kj__ActRequest *) request;
    kj_audit_object (call, "application", in->id);
    if (s_check_text (call, in->reason, "reason", PURPOSE_MAX, false))
        return -1;
    int64_t max_fen = 0;
    Kj__Application *a = s_application_load (call, in->id, "id", &max_fen);
    if (!a || s_lock (call, "matching.application", a->id))
        return -1;
    if (in->expected_version && in->expected_version != a->version)
        return kj_call_fail (call, KJ__CODE__ABORTED, "expected_version",
                             "expected_version: application %s was moved "
                             "meanwhile; it is now %s (version %" PRIu64
                             "): read it again",
                             a->id, matching_application_state_name (a->state),
                             a->version);
    kj_status_t status;
    if (matching_application_check (a->state, in, max_fen, &status))
        return kj_call_fail_status (call, &status);

    bool approve = in->to == A (APPROVED);
    const char *params [] = { a->id,
                              s_i64 (call, (int64_t) a->version),
                              s_i64 (call, in->to),
                              approve ? s_i64 (call, in->amount_fen) : NULL,
                              approve ? s_i64 (call, in->rate_bp) : NULL,
                              approve ? s_i64 (call, in->term_months) : NULL,
                              in->to == A (REJECTED) ? in->reason : NULL };
    PGresult *res = kj_db_exec (
        kj_call_db (call),
        "UPDATE application SET state = $3, version = version + 1, "
        "amount_fen = coalesce ($4::bigint, amount_fen), "
        "rate_bp = coalesce ($5::int, rate_bp), "
        "term_months = coalesce ($6::int, term_months), "
        "reason = coalesce ($7, reason), updated_at = now () "
        "WHERE id = $1 AND version = $2 RETURNING " APPLICATION_COLUMNS,
        7, params);
    if (!res)
        return kj_call_fail_db (call);
    if (PQntuples (res) == 0) {
        //  Another actor moved it between our read and our write
        PQclear (res);
        Kj__Application *now = s_application_load (call, in->id, "id", NULL);
        if (!now)
            return -1;
        return kj_call_fail (call, KJ__CODE__ABORTED, "expected_version",
                             "expected_version: application %s was moved "
                             "meanwhile; it is now %s (version %" PRIu64
                             "): read it again",
                             now->id,
                             matching_application_state_name (now->state),
                             now->version);
    }
    Kj__Application *moved = s_application_row (call, res, 0);
    PQclear (res);
    ((Kj__ApplicationReply *) reply)->application = moved;
    if (s_announce (call, moved, a->state, in->reason))
        return kj_call_fail_db (call);
    return 0;
}

static int
s_get_application (kj_call_t *call, const ProtobufCMessage *request,
                   ProtobufCMessage *reply)
{
    Kj__Application *a =
        s_application_load (call,
                            ((const Kj__GetApplicationRequest *) request)->id,
                            "id", NULL);
    if (!a)
        return -1;
    ((Kj__ApplicationReply *) reply)->application = a;
    return 0;
}

//  --------------------------------------------------------------------------
//  Model: how fresh the read model is

static int
s_model (kj_call_t *call, const ProtobufCMessage *request,
         ProtobufCMessage *reply)
{
    (void) request;
    matching_model_stats_t stats;
    matching_model_stats (STATE (call)->model, &stats);
    Kj__ModelReply *out = (Kj__ModelReply *) reply;
    out->ready = stats.ready;
    out->products = stats.products;
    out->enterprises = stats.enterprises;
    out->grades = stats.grades;
    out->registry_next = stats.registry_next;
    out->scoring_next = stats.scoring_next;
    out->events = stats.events;
    out->refetches = stats.refetches;
    out->loaded_at_us = stats.loaded_at_us;
    out->event_at_us = stats.event_at_us;
    out->lag_us = stats.lag_us;
    out->gaps_repaired = stats.gaps_repaired;
    out->rematch_pending = matching_changes_pending (STATE (call)->changes);
    return 0;
}

//  --------------------------------------------------------------------------
//  MatchBatch: queue a batch for the "batch" job; GetBatch: how it went

#define BATCH_COLUMNS                                                          \
    "id, region, top, state, demands, matched, proposals, ms, requested_by"

static Kj__Batch *
s_batch_row (kj_call_t *call, PGresult *res)
{
    Kj__Batch *b = kj_call_alloc (call, sizeof *b);
    kj__batch__init (b);
    b->id = kj_call_strdup (call, PQgetvalue (res, 0, 0));
    b->region = kj_call_strdup (call, PQgetvalue (res, 0, 1));
    b->top = (uint32_t) atoi (PQgetvalue (res, 0, 2));
    b->state = atoi (PQgetvalue (res, 0, 3));
    b->demands = (uint32_t) atoi (PQgetvalue (res, 0, 4));
    b->matched = (uint32_t) atoi (PQgetvalue (res, 0, 5));
    b->proposals = strtoull (PQgetvalue (res, 0, 6), NULL, 10);
    b->ms = atoll (PQgetvalue (res, 0, 7));
    b->requested_by = kj_call_strdup (call, PQgetvalue (res, 0, 8));
    b->source = "batch";
    return b;
}

static int
s_match_batch (kj_call_t *call, const ProtobufCMessage *request,
               ProtobufCMessage *reply)
{
    const Kj__Batch *in = ((const Kj__BatchRequest *) request)->batch;
    kj_audit_object (call, "region", in ? in->region : NULL);
    const char *region = in && in->region ? in->region : "";
    uint32_t top = in && in->top ? in->top : 10;
    if (s_check_text (call, region, "batch.region", 20, false))
        return -1;
    if (!matching_batch_job_region_valid (region))
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "batch.region",
                             "batch.region: a city code (210100 ...), SFDZ, "
                             "SHENYANG_METRO or empty for every city, not "
                             "%s",
                             region);
    if (top > MATCHING_BATCH_TOP_MAX)
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "batch.top",
                             "batch.top: at most %d products per demand, "
                             "not %u",
                             MATCHING_BATCH_TOP_MAX, top);
    const char *params [] = { region, s_i64 (call, top), s_caller (call) };
    PGresult *res = kj_db_exec (
        kj_call_db (call),
        "INSERT INTO batch (id, region, top, requested_by) VALUES ('B' || "
        "lpad (nextval ('batch_seq')::text, 6, '0'), $1, $2, $3) "
        "RETURNING " BATCH_COLUMNS,
        3, params);
    if (!res)
        return kj_call_fail_db (call);
    ((Kj__BatchReply *) reply)->batch = s_batch_row (call, res);
    PQclear (res);
    return 0;
}

static int
s_get_batch (kj_call_t *call, const ProtobufCMessage *request,
             ProtobufCMessage *reply)
{
    const char *id = ((const Kj__GetBatchRequest *) request)->id;
    if (s_check_text (call, id, "id", ID_MAX, true))
        return -1;
    PGresult *res = kj_db_exec (kj_call_db (call),
                                "SELECT " BATCH_COLUMNS
                                " FROM batch WHERE id = $1",
                                1, (const char *[]){ id });
    if (!res)
        return kj_call_fail_db (call);
    if (PQntuples (res) == 0) {
        PQclear (res);
        return kj_call_fail (call, KJ__CODE__NOT_FOUND, "id", "id: no batch %s",
                             id);
    }
    ((Kj__BatchReply *) reply)->batch = s_batch_row (call, res);
    PQclear (res);
    return 0;
}

//  --------------------------------------------------------------------------
//  Link: an equity investor's offer bundled with a loan application

static int
s_link (kj_call_t *call, const ProtobufCMessage *request,
        ProtobufCMessage *reply)
{
    const Kj__Linkage *in = ((const Kj__LinkRequest *) request)->linkage;
    kj_audit_object (call, "application", in ? in->application_id : NULL);
    if (!in)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "linkage",
                             "linkage: required");
    if (s_check_text (call, in->investor_id, "linkage.investor_id", ID_MAX,
                      true)
        || s_check_text (call, in->note, "linkage.note", PURPOSE_MAX, false))
        return -1;
    if (in->equity_fen <= 0 || in->equity_fen > AMOUNT_MAX_FEN)
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "linkage.equity_fen",
                             "linkage.equity_fen: 1 to %" PRId64
                             " fen, not %" PRId64,
                             AMOUNT_MAX_FEN, in->equity_fen);
    if (in->stake_bp < 1 || in->stake_bp > 10000)
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "linkage.stake_bp",
                             "linkage.stake_bp: 1 to 10000 basis points, "
                             "not %d",
                             in->stake_bp);
    Kj__Application *a = s_application_load (call, in->application_id,
                                             "linkage.application_id", NULL);
    if (!a)
        return -1;
    if (a->state < A (APPLIED) || a->state > A (APPROVED)
        || a->state == A (REJECTED))
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION,
                             "linkage.application_id",
                             "linkage.application_id: %s is %s; an "
                             "investor joins a loan applied for, under "
                             "review or approved",
                             a->id, matching_application_state_name (a->state));
    Kj__Demand *demand = s_demand_load (call, a->demand_id,
                                        "linkage.application_id");
    if (!demand)
        return -1;
    if (!demand->linkage)
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION,
                             "linkage.application_id",
                             "linkage.application_id: demand %s does not "
                             "seek investment-loan linkage",
                             demand->id);
    //  The stage and the investor as the registry has them now
    server_t *self = STATE (call);
    Kj__EnterpriseReply *enterprise = NULL;
    if (s_enterprise_exact (call, a->enterprise_code, "linkage.application_id",
                            &enterprise))
        return -1;
    int stage = enterprise->enterprise->stage
                  ? (int) enterprise->enterprise->stage->stage
                  : 0;
    kj__enterprise_reply__free_unpacked (enterprise, NULL);
    if (stage != KJ__STAGE__STAGE_STARTUP && stage != KJ__STAGE__STAGE_GROWTH)
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION,
                             "linkage.application_id",
                             "linkage.application_id: linkage serves "
                             "start-up and growth enterprises (measure 1); "
                             "%s is not at either stage",
                             a->enterprise_code);
    Kj__InstitutionReply *investor = NULL;
    kj_status_t status;
    if (matching_registry_institution (self->registry, in->investor_id,
                                       "linkage.investor_id", &investor,
                                       &status))
        return kj_call_fail_status (call, &status);
    int type = investor->institution->type;
    bool listed = investor->institution->state
               == KJ__LISTING_STATE__LISTING_LISTED;
    kj__institution_reply__free_unpacked (investor, NULL);
    if (!listed
        || (type != KJ__INSTITUTION_TYPE__INSTITUTION_ANGEL_FUND
            && type != KJ__INSTITUTION_TYPE__INSTITUTION_VC
            && type != KJ__INSTITUTION_TYPE__INSTITUTION_PE))
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION,
                             "linkage.investor_id",
                             "linkage.investor_id: %s is not a listed angel "
                             "fund, venture capital or private equity "
                             "investor",
                             in->investor_id);
    const char *params [] = { a->id,
                              in->investor_id,
                              s_i64 (call, in->equity_fen),
                              s_i64 (call, in->stake_bp),
                              in->note ? in->note : "",
                              a->enterprise_code,
                              s_caller (call) };
    PGresult *res = kj_db_exec (
        kj_call_db (call),
        "INSERT INTO linkage (id, application_id, investor_id, equity_fen, "
        "stake_bp, note, enterprise_code, offered_by) VALUES ('L' || lpad "
        "(nextval ('linkage_seq')::text, 6, '0'), $1, $2, $3, $4, $5, $6, "
        "$7) ON CONFLICT (application_id, investor_id) DO NOTHING RETURNING "
        "id, (extract (epoch FROM created_at) * 1000000)::bigint",
        7, params);
    if (!res)
        return kj_call_fail_db (call);
    if (PQntuples (res) == 0) {
        PQclear (res);
        return kj_call_fail (call, KJ__CODE__ALREADY_EXISTS,
                             "linkage.investor_id",
                             "linkage.investor_id: %s has an offer on "
                             "application %s already",
                             in->investor_id, a->id);
    }
    Kj__Linkage *out = kj_call_alloc (call, sizeof *out);
    kj__linkage__init (out);
    out->id = kj_call_strdup (call, PQgetvalue (res, 0, 0));
    out->created_at_us = atoll (PQgetvalue (res, 0, 1));
    PQclear (res);
    out->application_id = a->id;
    out->investor_id = kj_call_strdup (call, in->investor_id);
    out->equity_fen = in->equity_fen;
    out->stake_bp = in->stake_bp;
    out->note = kj_call_strdup (call, in->note ? in->note : "");
    out->enterprise_code = a->enterprise_code;
    out->offered_by = (char *) s_caller (call);
    ((Kj__LinkageReply *) reply)->linkage = out;
    if (s_lock (call, "matching.linkage", out->id)
        || kj_outbox_add (kj_call_db (call), "matching.linkage.offered",
                          out->id, &out->base))
        return kj_call_fail_db (call);
    return 0;
}

//  --------------------------------------------------------------------------
//  Roadshows

#define ROADSHOW_INVITEES_MAX 50

//  A roadshow with its invitees, or NULL after failing the call
static Kj__Roadshow *
s_roadshow_load (kj_call_t *call, const char *id, const char *field)
{
    if (s_check_text (call, id, field, ID_MAX, true))
        return NULL;
    PGresult *res = kj_db_exec (
        kj_call_db (call),
        "SELECT r.id, r.demand_id, r.on_date::text, r.created_by, "
        "i.institution_id, i.response, i.note, i.recorded_by, coalesce "
        "((extract (epoch FROM i.responded_at) * 1000000)::bigint, 0) "
        "FROM roadshow r JOIN roadshow_invitee i ON i.roadshow_id = r.id "
        "WHERE r.id = $1 ORDER BY i.institution_id",
        1, (const char *[]){ id });
    if (!res) {
        kj_call_fail_db (call);
        return NULL;
    }
    int rows = PQntuples (res);
    if (rows == 0) {
        PQclear (res);
        kj_call_fail (call, KJ__CODE__NOT_FOUND, field, "%s: no roadshow %s",
                      field, id);
        return NULL;
    }
    Kj__Roadshow *r = kj_call_alloc (call, sizeof *r);
    kj__roadshow__init (r);
    r->id = kj_call_strdup (call, PQgetvalue (res, 0, 0));
    r->demand_id = kj_call_strdup (call, PQgetvalue (res, 0, 1));
    r->on_date = kj_call_strdup (call, PQgetvalue (res, 0, 2));
    r->created_by = kj_call_strdup (call, PQgetvalue (res, 0, 3));
    r->invitees = kj_call_alloc (call, (size_t) rows * sizeof (void *));
    for (int row = 0; row < rows; row++) {
        Kj__RoadshowInvitee *i = kj_call_alloc (call, sizeof *i);
        kj__roadshow_invitee__init (i);
        i->institution_id = kj_call_strdup (call, PQgetvalue (res, row, 4));
        i->response = atoi (PQgetvalue (res, row, 5));
        i->note = kj_call_strdup (call, PQgetvalue (res, row, 6));
        i->recorded_by = kj_call_strdup (call, PQgetvalue (res, row, 7));
        i->responded_at_us = atoll (PQgetvalue (res, row, 8));
        r->invitees [r->n_invitees++] = i;
    }
    PQclear (res);
    return r;
}

static int
s_add_roadshow (kj_call_t *call, const ProtobufCMessage *request,
                ProtobufCMessage *reply)
{
    const Kj__Roadshow *in = ((const Kj__AddRoadshowRequest *) request)
                                 ->roadshow;
    kj_audit_object (call, "demand", in ? in->demand_id : NULL);
    if (!in)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "roadshow",
                             "roadshow: required");
    int on = matching_registry_date (in->on_date);
    if (!on)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT,
                             "roadshow.on_date",
                             "roadshow.on_date: a date, YYYY-MM-DD");
    if (on < matching_today ())
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "roadshow.on_date",
                             "roadshow.on_date: %s is past; today or later",
                             in->on_date);
    if (in->n_invitees < 1 || in->n_invitees > ROADSHOW_INVITEES_MAX)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT,
                             "roadshow.invitees",
                             "roadshow.invitees: 1 to %d institutions, not "
                             "%zu",
                             ROADSHOW_INVITEES_MAX, in->n_invitees);
    Kj__Demand *demand = s_demand_load (call, in->demand_id,
                                        "roadshow.demand_id");
    if (!demand)
        return -1;
    if (demand->state != A (DEMAND_POSTED) && demand->state != A (MATCHED))
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION,
                             "roadshow.demand_id",
                             "roadshow.demand_id: %s is no longer open",
                             demand->id);
    //  Every institution known to the registry, none twice
    server_t *self = STATE (call);
    zchunk_t *ids = zchunk_new ("{", 1);
    int rc = 0;
    for (size_t i = 0; i < in->n_invitees && rc == 0; i++) {
        const char *id = in->invitees [i] ? in->invitees [i]->institution_id
                                          : NULL;
        rc = s_check_text (call, id, "roadshow.invitees.institution_id", ID_MAX,
                           true);
        for (size_t j = 0; j < i && rc == 0; j++)
            if (strcmp (in->invitees [j]->institution_id, id) == 0)
                rc = kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT,
                                   "roadshow.invitees.institution_id",
                                   "roadshow.invitees.institution_id: %s "
                                   "twice",
                                   id);
        Kj__InstitutionReply *found = NULL;
        kj_status_t status;
        if (rc == 0
            && matching_registry_institution (self->registry, id,
                                              "roadshow.invitees."
                                              "institution_id",
                                              &found, &status))
            rc = kj_call_fail_status (call, &status);
        if (found)
            kj__institution_reply__free_unpacked (found, NULL);
        if (rc == 0) {
            //  An array literal element, quoted
            zchunk_extend (ids, i ? ",\"" : "\"", i ? 2 : 1);
            for (const char *c = id; *c; c++) {
                if (*c == '"' || *c == '\\')
                    zchunk_extend (ids, "\\", 1);
                zchunk_extend (ids, c, 1);
            }
            zchunk_extend (ids, "\"", 1);
        }
    }
    zchunk_extend (ids, "}", 2);
    char *array = kj_call_strdup (call, (const char *) zchunk_data (ids));
    zchunk_destroy (&ids);
    if (rc)
        return -1;
    const char *params [] = { demand->id, in->on_date, s_caller (call), array };
    PGresult *res = kj_db_exec (
        kj_call_db (call),
        "WITH r AS (INSERT INTO roadshow (id, demand_id, on_date, "
        "created_by) VALUES ('R' || lpad (nextval ('roadshow_seq')::text, "
        "6, '0'), $1, $2::date, $3) RETURNING id) "
        "INSERT INTO roadshow_invitee (roadshow_id, institution_id) "
        "SELECT r.id, unnest ($4::text[]) FROM r RETURNING roadshow_id",
        4, params);
    if (!res)
        return kj_call_fail_db (call);
    char *id = kj_call_strdup (call, PQgetvalue (res, 0, 0));
    PQclear (res);
    Kj__Roadshow *r = s_roadshow_load (call, id, "id");
    if (!r)
        return -1;
    ((Kj__RoadshowReply *) reply)->roadshow = r;
    if (s_lock (call, "matching.roadshow", r->id)
        || kj_outbox_add (kj_call_db (call), "matching.roadshow.scheduled",
                          r->id, &r->base))
        return kj_call_fail_db (call);
    return 0;
}

static int
s_respond (kj_call_t *call, const ProtobufCMessage *request,
           ProtobufCMessage *reply)
{
    const Kj__RespondRequest *in = (const Kj__RespondRequest *) request;
    kj_audit_object (call, "roadshow", in->roadshow_id);
    if (s_check_text (call, in->institution_id, "institution_id", ID_MAX, true)
        || s_check_text (call, in->note, "note", PURPOSE_MAX, false))
        return -1;
    if (in->response < KJ__ROADSHOW_RESPONSE__ROADSHOW_INTERESTED
        || in->response > KJ__ROADSHOW_RESPONSE__ROADSHOW_DECLINED)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "response",
                             "response: interested, needs_info or declined");
    Kj__Roadshow *r = s_roadshow_load (call, in->roadshow_id, "roadshow_id");
    if (!r || s_lock (call, "matching.roadshow", r->id))
        return -1;
    const char *params [] = { r->id, in->institution_id,
                              s_i64 (call, in->response),
                              in->note ? in->note : "", s_caller (call) };
    int64_t rows = kj_db_run (
        kj_call_db (call),
        "UPDATE roadshow_invitee SET response = $3, note = $4, recorded_by "
        "= $5, responded_at = now () WHERE roadshow_id = $1 AND "
        "institution_id = $2",
        5, params);
    if (rows < 0)
        return kj_call_fail_db (call);
    if (rows == 0)
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION,
                             "institution_id",
                             "institution_id: %s is not invited to "
                             "roadshow %s",
                             in->institution_id, r->id);
    r = s_roadshow_load (call, r->id, "roadshow_id");
    if (!r)
        return -1;
    ((Kj__RoadshowReply *) reply)->roadshow = r;
    if (kj_outbox_add (kj_call_db (call), "matching.roadshow.responded", r->id,
                       &r->base))
        return kj_call_fail_db (call);
    return 0;
}

static int
s_get_roadshow (kj_call_t *call, const ProtobufCMessage *request,
                ProtobufCMessage *reply)
{
    Kj__Roadshow *r =
        s_roadshow_load (call, ((const Kj__GetRoadshowRequest *) request)->id,
                         "id");
    if (!r)
        return -1;
    ((Kj__RoadshowReply *) reply)->roadshow = r;
    return 0;
}

//  --------------------------------------------------------------------------
//  Report: matches, applications, approvals, first loans and decision
//  times per city, stage or institution (docs/rules/matching.md §7)

//  The row of key in rows (made when new)
static Kj__MatchingReportRow *
s_report_row (kj_call_t *call, zhashx_t *rows, const char *key)
{
    Kj__MatchingReportRow *row = zhashx_lookup (rows, key);
    if (!row) {
        row = kj_call_alloc (call, sizeof *row);
        kj__matching_report_row__init (row);
        row->key = kj_call_strdup (call, key);
        zhashx_insert (rows, key, row);
    }
    return row;
}

static void
s_report_rates (Kj__MatchingReportRow *row)
{
    row->intercity_bp = row->matches
                          ? (int32_t) (row->intercity * 10000 / row->matches)
                          : 0;
    row->first_loan_bp = row->disbursed ? (int32_t) (row->first_loans * 10000
                                                     / row->disbursed)
                                        : 0;
}

static int
s_report (kj_call_t *call, const ProtobufCMessage *request,
          ProtobufCMessage *reply)
{
    const Kj__MatchingReportRequest *in = (const Kj__MatchingReportRequest *)
        request;
    const char *by = in->by && in->by [0] ? in->by : "city";
    //  Group keys from this fixed table only, never from the request
    const char *match_key, *application_key;
    if (strcmp (by, "city") == 0) {
        match_key = "d.region";
        application_key = "d.region";
    }
    else if (strcmp (by, "stage") == 0) {
        match_key = "d.stage::text";
        application_key = "d.stage::text";
    }
    else if (strcmp (by, "institution") == 0) {
        match_key = "mp.institution_id";
        application_key = "a.institution_id";
    }
    else
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "by",
                             "by: city, stage or institution, not %.20s", by);
    const char *field [] = { "from", "to" };
    const char *dates [] = { in->from, in->to };
    for (int i = 0; i < 2; i++)
        if (dates [i] && dates [i][0] && !matching_registry_date (dates [i]))
            return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, field [i],
                                 "%s: a date, YYYY-MM-DD", field [i]);
    int sla_days = STATE (call)->sla_days;
    const char *params [] = { in->from && in->from [0] ? in->from : NULL,
                              in->to && in->to [0] ? in->to : NULL,
                              s_i64 (call, sla_days) };
    char *matches_sql = kj_call_printf (
        call,
        "SELECT %s, count (*), count (*) FILTER (WHERE mp.intercity) "
        "FROM match_product mp JOIN match m ON m.id = mp.match_id "
        "JOIN demand d ON d.id = m.demand_id WHERE ($1::date IS NULL OR "
        "m.created_at >= $1::date) AND ($2::date IS NULL OR m.created_at < "
        "$2::date) GROUP BY 1",
        match_key);
    char *applications_sql = kj_call_printf (
        call,
        "SELECT %s, count (*), count (*) FILTER (WHERE mv.approved), "
        "count (*) FILTER (WHERE mv.disbursed), count (*) FILTER (WHERE "
        "mv.disbursed AND a.product_type = %d), count (mv.decided), "
        "coalesce ((avg (extract (epoch FROM mv.decided - a.created_at)) "
        "/ 3600)::bigint, 0), count (*) FILTER (WHERE mv.decided - "
        "a.created_at <= make_interval (days => $3::int)) "
        "FROM application a JOIN demand d ON d.id = a.demand_id "
        "LEFT JOIN LATERAL (SELECT min (at) FILTER (WHERE to_state IN "
        "(5, 6)) AS decided, bool_or (to_state = 5) AS approved, bool_or "
        "(to_state = 9) AS disbursed FROM application_move WHERE "
        "application_id = a.id) mv ON true WHERE ($1::date IS NULL OR "
        "a.created_at >= $1::date) AND ($2::date IS NULL OR a.created_at "
        "< $2::date) GROUP BY 1",
        application_key, KJ__PRODUCT_TYPE__PRODUCT_FIRST_LOAN);
    kj_db_query_t queries [] = { { matches_sql, 2, params },
                                 { applications_sql, 3, params } };
    PGresult *results [2];
    if (kj_db_exec_many (kj_call_db (call), queries, 2, results))
        return kj_call_fail_db (call);
    zhashx_t *rows = zhashx_new ();
    Kj__MatchingReportReply *out = (Kj__MatchingReportReply *) reply;
    out->total = kj_call_alloc (call, sizeof *out->total);
    kj__matching_report_row__init (out->total);
    out->total->key = "";
    Kj__MatchingReportRow *total = out->total;
    for (int r = 0; r < PQntuples (results [0]); r++) {
        Kj__MatchingReportRow *row = s_report_row (call, rows,
                                                   PQgetvalue (results [0], r,
                                                               0));
        row->matches = strtoull (PQgetvalue (results [0], r, 1), NULL, 10);
        row->intercity = strtoull (PQgetvalue (results [0], r, 2), NULL, 10);
        total->matches += row->matches;
        total->intercity += row->intercity;
    }
    int64_t hours = 0;
    for (int r = 0; r < PQntuples (results [1]); r++) {
        PGresult *res = results [1];
        Kj__MatchingReportRow *row = s_report_row (call, rows,
                                                   PQgetvalue (res, r, 0));
        row->applications = strtoull (PQgetvalue (res, r, 1), NULL, 10);
        row->approvals = strtoull (PQgetvalue (res, r, 2), NULL, 10);
        row->disbursed = strtoull (PQgetvalue (res, r, 3), NULL, 10);
        row->first_loans = strtoull (PQgetvalue (res, r, 4), NULL, 10);
        row->decisions = strtoull (PQgetvalue (res, r, 5), NULL, 10);
        row->decision_hours = atoll (PQgetvalue (res, r, 6));
        row->within_sla = strtoull (PQgetvalue (res, r, 7), NULL, 10);
        total->applications += row->applications;
        total->approvals += row->approvals;
        total->disbursed += row->disbursed;
        total->first_loans += row->first_loans;
        total->decisions += row->decisions;
        total->within_sla += row->within_sla;
        hours += row->decision_hours * (int64_t) row->decisions;
    }
    PQclear (results [0]);
    PQclear (results [1]);
    total->decision_hours = total->decisions
                              ? hours / (int64_t) total->decisions
                              : 0;
    s_report_rates (total);
    //  Rows in key order
    zlistx_t *keys = zhashx_keys (rows);
    zlistx_set_comparator (keys, (zlistx_comparator_fn *) strcmp);
    zlistx_sort (keys);
    out->rows = kj_call_alloc (call,
                               (zhashx_size (rows) + 1) * sizeof (void *));
    for (const char *key = zlistx_first (keys); key; key = zlistx_next (keys)) {
        Kj__MatchingReportRow *row = zhashx_lookup (rows, key);
        s_report_rates (row);
        out->rows [out->n_rows++] = row;
    }
    zlistx_destroy (&keys);
    zhashx_destroy (&rows);
    out->by = kj_call_strdup (call, by);
    out->sla_days = sla_days;
    return 0;
}

//  --------------------------------------------------------------------------
//  The "batch" job: queued batches, then re-matching what changed

int
matching_server_batch_work (void *state, kj_db_t *db)
{
    server_t *self = state;
    matching_job_t job = { db, self->model, &self->weights,
                           self->batch_threads };
    int done = 0, rc;
    while ((rc = matching_batch_job_run (&job, NULL)) == 1)
        done++;
    if (rc < 0)
        return -1;
    if (!matching_model_wait (self->model, 0))
        return done;
    rc = matching_batch_job_rematch (&job, self->changes);
    return rc < 0 ? -1 : done + rc;
}

const kj_method_t matching_methods [] = {
    { "AddDemand", s_add_demand, KJ_WRITE },
    { "GetDemand", s_get_demand, 0 },
    { "ListDemands", s_list_demands, 0 },
    { "Match", s_match, KJ_WRITE },
    { "Apply", s_apply, KJ_WRITE },
    { "Act", s_act, KJ_WRITE },
    { "GetApplication", s_get_application, 0 },
    { "Model", s_model, 0 },
    { "MatchBatch", s_match_batch, KJ_WRITE },
    { "GetBatch", s_get_batch, 0 },
    { "Link", s_link, KJ_WRITE },
    { "AddRoadshow", s_add_roadshow, KJ_WRITE },
    { "Respond", s_respond, KJ_WRITE },
    { "GetRoadshow", s_get_roadshow, 0 },
    { "Report", s_report, 0 },
    { NULL }
};
