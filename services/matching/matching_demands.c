/*  =========================================================================
    matching_demands - demands and Match: AddDemand, GetDemand, ListDemands, and
    Match deciding from the read model (filter, rank, record, why-not)

    The state and helpers they share are in matching_handlers.h.
    =========================================================================
*/

#include <pthread.h>

#include "matching_handlers.h"
#include "kj_sql.h"

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
    if (matching_server_model_ready (call))
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
            if (matching_server_enterprise_exact (call, demand->enterprise_code,
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
    matching_server_demand_view (demand, &context->view);
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

int
matching_demands_add_demand (kj_call_t *call, const ProtobufCMessage *request,
                             ProtobufCMessage *reply)
{
    const Kj__Demand *d = ((const Kj__AddDemandRequest *) request)->demand;
    kj_audit_object (call, "enterprise", d ? d->enterprise_code : NULL);
    if (!d)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "demand",
                             "demand: required");
    if (matching_server_check_text (call, d->enterprise_code,
                                    "demand.enterprise_code", CODE_MAX, true)
        || matching_server_check_text (call, d->purpose, "demand.purpose",
                                       PURPOSE_MAX, false))
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
    if (matching_server_model_ready (call))
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
    if (matching_server_enterprise_exact (call, d->enterprise_code,
                                          "demand.enterprise_code",
                                          &enterprise))
        return -1;
    //  The city and stage as posted, for the reports
    const Kj__Enterprise *ent = enterprise->enterprise;
    char *region = kj_call_strdup (call, ent->region ? ent->region : "");
    char *stage = matching_server_i64 (call, ent->stage
                                                 ? (int64_t) ent->stage->stage
                                                 : 0);
    kj__enterprise_reply__free_unpacked (enterprise, NULL);

    char matures_text [32] = "";
    if (matures)
        snprintf (matures_text, sizeof matures_text, "%04d-%02d-%02d",
                  matures / 10000, matures / 100 % 100, matures % 100);
    const char *params [] = { d->enterprise_code,
                              matching_server_i64 (call, d->amount_fen),
                              matching_server_i64 (call, d->term_months),
                              d->purpose ? d->purpose : "",
                              matching_server_i64 (call, d->instrument),
                              matching_server_i64 (call, collateral),
                              d->linkage ? "t" : "f",
                              d->renewal ? "t" : "f",
                              matures ? matures_text : NULL,
                              d->renews_arrears ? "t" : "f",
                              matching_server_caller (call),
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
    int columns [DEMAND_COLUMN_COUNT];
    if (matching_server_demand_columns (call, res, columns)) {
        PQclear (res);
        return -1;
    }
    Kj__Demand *stored = matching_server_demand_row (call, res, columns, 0);
    PQclear (res);
    ((Kj__DemandReply *) reply)->demand = stored;
    //  A new demand: its lock orders nothing yet, and is what the outbox
    //  checks (it costs no round trip)
    if (matching_server_lock (call, "matching.demand", stored->id)
        || kj_outbox_add (kj_call_db (call), "matching.demand.posted",
                          stored->id, &stored->base))
        return kj_call_fail_db (call);
    return 0;
}

//  --------------------------------------------------------------------------
//  GetDemand and ListDemands

int
matching_demands_get_demand (kj_call_t *call, const ProtobufCMessage *request,
                             ProtobufCMessage *reply)
{
    Kj__Demand *demand = matching_server_demand_load (
        call, ((const Kj__GetDemandRequest *) request)->id, "id");
    if (!demand)
        return -1;
    ((Kj__DemandReply *) reply)->demand = demand;
    return 0;
}

int
matching_demands_list_demands (kj_call_t *call, const ProtobufCMessage *request,
                               ProtobufCMessage *reply)
{
    const Kj__ListDemandsRequest *in = (const Kj__ListDemandsRequest *) request;
    uint32_t limit = in->page && in->page->limit ? in->page->limit : 50;
    if (limit > 1000)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "page.limit",
                             "page.limit: at most 1000, not %u", limit);
    const char *after = in->page && in->page->after ? in->page->after : "";
    if (matching_server_check_text (call, after, "page.after", ID_MAX, false)
        || matching_server_check_text (call, in->enterprise_code,
                                       "enterprise_code", CODE_MAX, false))
        return -1;
    const char *params [] = { after,
                              in->enterprise_code ? in->enterprise_code : "",
                              matching_server_i64 (call, limit + 1) };
    PGresult *res = kj_db_exec (
        kj_call_db (call),
        "SELECT " DEMAND_COLUMNS " FROM demand WHERE id > $1 "
        "AND ($2 = '' OR enterprise_code = $2) ORDER BY id LIMIT $3",
        3, params);
    if (!res)
        return kj_call_fail_db (call);
    int columns [DEMAND_COLUMN_COUNT];
    if (matching_server_demand_columns (call, res, columns)) {
        PQclear (res);
        return -1;
    }
    Kj__ListDemandsReply *out = (Kj__ListDemandsReply *) reply;
    int rows = PQntuples (res);
    int shown = rows > (int) limit ? (int) limit : rows;
    out->demands = kj_call_alloc (call, (size_t) (shown + 1) * sizeof (void *));
    for (int i = 0; i < shown; i++)
        out->demands [out->n_demands++] = matching_server_demand_row (call, res,
                                                                      columns,
                                                                      i);
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

//  The passing products of a Match, as indices into the catalogue and as
//  candidates of the ranking: buffers per worker thread, grown with the
//  catalogue and kept (280 kB for 10,000 products, allocated once, not
//  per call); freed when the thread ends
typedef struct {
    matching_candidate_t *items;
    uint32_t *index;
    size_t size;
} passing_t;

static pthread_key_t s_passing_key;
static pthread_once_t s_passing_once = PTHREAD_ONCE_INIT;

static void
s_passing_free (void *arg)
{
    passing_t *passing = arg;
    free (passing->items);
    free (passing->index);
    free (passing);
}

static void
s_passing_key_make (void)
{
    int rc = pthread_key_create (&s_passing_key, s_passing_free);
    assert (rc == 0);
}

//  Room for count products in this thread's buffers
static passing_t *
s_passing (size_t count)
{
    pthread_once (&s_passing_once, s_passing_key_make);
    passing_t *passing = pthread_getspecific (s_passing_key);
    if (!passing) {
        passing = calloc (1, sizeof *passing);
        assert (passing);
        pthread_setspecific (s_passing_key, passing);
    }
    if (passing->size < count + 1) {
        free (passing->items);
        free (passing->index);
        passing->size = count + count / 4 + 1;
        passing->items = malloc (passing->size * sizeof *passing->items);
        passing->index = malloc (passing->size * sizeof *passing->index);
        assert (passing->items && passing->index);
    }
    return passing;
}

//  CPU time of the calling thread so far, in microseconds (load-proof,
//  unlike the wall clock: Match's debug line reports both)
static int64_t
s_cpu_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

//  Match's one read, after the demand's lock (sent with it): the demand,
//  its enterprise's IP pledges this year and the id of the match to
//  record (nextval, so that every write can wait for COMMIT); unless
//  matching/match_durable, the same statement lets the transaction
//  commit without waiting for the WAL flush (docs/rules/matching.md
//  §6.1), one statement fewer than a set_config of its own. NULL after
//  failing the call
#define MATCH_LOAD_SQL(more)                                                   \
    "SELECT " DEMAND_COLUMNS ", (" IP_PLEDGED_SQL (                            \
        "d.enterprise_code") ") AS ip_pledged_fen, "                           \
                             "'M' || lpad (nextval ('match_seq')::text, "      \
                             "6, '0') AS match_id" more                        \
                             " FROM demand d WHERE d.id = $1"

static Kj__Demand *
s_match_load (kj_call_t *call, const char *id, int64_t *pledged,
              char **match_id)
{
    if (matching_server_check_text (call, id, "demand_id", ID_MAX, true)
        || matching_server_lock (call, "matching.demand", id))
        return NULL;
    PGresult
        *res = kj_db_exec (kj_call_db (call),
                           STATE (call)->match_durable
                               ? MATCH_LOAD_SQL ("")
                               : MATCH_LOAD_SQL (
                                   ", set_config ('synchronous_commit', 'off', "
                                   "true)"),
                           1, (const char *[]){ id });
    if (!res) {
        kj_call_fail_db (call);
        return NULL;
    }
    Kj__Demand *demand = NULL;
    int columns [DEMAND_COLUMN_COUNT];
    if (PQntuples (res) == 1
        && (matching_server_demand_columns (call, res, columns)
            || kj_sql_int64 (res, 0, "ip_pledged_fen", pledged)
            || matching_server_text (call, res, 0, "match_id", match_id))) {
        PQclear (res);
        kj_call_fail_db (call);
        return NULL;
    }
    if (PQntuples (res) == 1)
        demand = matching_server_demand_row (call, res, columns, 0);
    PQclear (res);
    if (!demand)
        kj_call_fail (call, KJ__CODE__NOT_FOUND, "demand_id",
                      "%s: no demand %s", "demand_id", id);
    return demand;
}

//  The match with its ranked products (arrays in rank order, which the
//  view match_product gives back as rows: sql/005_match_products.sql), the
//  demand now MATCHED and the event: deferred, so that every write of a
//  Match goes to PostgreSQL with COMMIT, in one round trip
static int
s_match_store (kj_call_t *call, Kj__MatchReply *out, Kj__Demand *demand)
{
    server_t *self = STATE (call);
    kj_db_t *db = kj_call_db (call);
    size_t n = out->n_products;
    const char **column = kj_call_alloc (call, (6 * n + 1) * sizeof (char *));
    for (size_t i = 0; i < n; i++) {
        const Kj__MatchedProduct *p = out->products [i];
        column [i] = p->product_id;
        column [n + i] = matching_server_i64 (call,
                                              (int64_t) p->product_version);
        column [2 * n + i] = matching_server_i64 (call, p->score);
        column [3 * n + i] = p->explanation;
        column [4 * n + i] = p->institution_id;
        column [5 * n + i] = p->intercity ? "t" : "f";
    }
    kj_params_t params = { 0 };
    kj_params_add (&params, out->match_id);
    kj_params_add (&params, demand->id);
    kj_params_add (&params, MATCHING_RULES_VERSION);
    kj_params_add_int (&params, (int64_t) out->enterprise_version);
    kj_params_add (&params, self->weights_text);
    kj_params_add_int (&params, out->candidates);
    for (size_t c = 0; c < 6; c++)
        kj_params_add_array (&params, column + c * n, n);
    int rc = kj_db_defer (db,
                          "INSERT INTO match (id, demand_id, rules_version, "
                          "enterprise_version, weights, candidates, "
                          "product_ids, product_versions, scores, "
                          "explanations, institution_ids, intercity) VALUES "
                          "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
                          "$12)",
                          params.count, params.values)
          || kj_db_defer (db,
                          "UPDATE demand SET state = 2, version = version + 1 "
                          "WHERE id = $1 AND state = 1",
                          1, params.values + 1);
    kj_params_reset (&params);
    if (rc)
        return -1;
    return kj_outbox_add (db, "matching.match.proposed", demand->id,
                          &out->base);
}

//  The audit row's "after" image of a Match: what was decided and on
//  what (the match, the enterprise's and the rules' versions, each
//  product proposed with its version and score, the why-not's codes),
//  not the reply's text for people, which those versions give again
//  (docs/rules/matching.md §6.1): 3 fields a product, not the reply's 11
static void
s_match_audit (kj_call_t *call, const Kj__MatchReply *out)
{
    Kj__MatchAudit *image = kj_call_alloc (call, sizeof *image);
    kj__match_audit__init (image);
    image->match_id = out->match_id;
    image->demand_id = out->demand_id;
    image->candidates = out->candidates;
    image->rules_version = out->rules_version;
    image->enterprise_version = out->enterprise_version;
    image->products = kj_call_alloc (call,
                                     (out->n_products + 1) * sizeof (void *));
    for (size_t i = 0; i < out->n_products; i++) {
        Kj__MatchAuditProduct *p = kj_call_alloc (call, sizeof *p);
        kj__match_audit_product__init (p);
        p->product_id = out->products [i]->product_id;
        p->product_version = out->products [i]->product_version;
        p->score = out->products [i]->score;
        image->products [image->n_products++] = p;
    }
    image->why_not = out->why_not;
    image->why_not_eligible = out->why_not_eligible;
    image->why_not_codes = kj_call_alloc (call, (out->n_why_not_reasons + 1)
                                                    * sizeof (char *));
    for (size_t i = 0; i < out->n_why_not_reasons; i++)
        image->why_not_codes [image->n_why_not_codes++] =
            out->why_not_reasons [i]->code;
    kj_audit_images (call, NULL, &image->base);
}

int
matching_demands_match (kj_call_t *call, const ProtobufCMessage *request,
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
    if (matching_server_check_text (call, in->why_not, "why_not", ID_MAX,
                                    false))
        return -1;
    int64_t at [5], cpu = s_cpu_us ();
    at [0] = kj_mono_us ();
    int64_t pledged = 0;
    char *match_id = NULL;
    Kj__Demand *demand = s_match_load (call, in->demand_id, &pledged,
                                       &match_id);
    if (!demand)
        return -1;
    at [1] = kj_mono_us ();
    context_t context;
    if (s_context (call, demand, pledged, in->why_not, "why_not", &context))
        return -1;
    const matching_enterprise_t *profile = &context.profile;
    const matching_demand_t *view = &context.view;
    ssize_t why_not = context.at;
    const matching_product_t *products = matching_model_products (self->model);
    size_t count = matching_model_count (self->model);

    //  The passing products first, then each with what the ranking reads
    //  of it, then the best `limit` of them kept in a bounded heap
    passing_t *passing = s_passing (count);
    size_t listed = 0;
    size_t passed = matching_filter_all (products, count, profile, view,
                                         passing->index, &listed);
    matching_rank_candidates (passing->items, products, passing->index, passed,
                              &self->weights, demand->amount_fen);
    matching_ranked_t ranked [MATCHING_RANK_TOP_MAX];
    size_t shown = matching_rank_best (passing->items, passed, &self->weights,
                                       demand->amount_fen, ranked, limit);
    at [2] = kj_mono_us ();

    out->demand_id = demand->id;
    out->match_id = match_id;
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
    at [3] = kj_mono_us ();
    if (s_match_store (call, out, demand))
        return kj_call_fail_db (call);
    s_match_audit (call, out);
    at [4] = kj_mono_us ();
    kj_debug ("matching.match",
              "demand=%s read_us=%" PRId64 " decide_us=%" PRId64
              " reply_us=%" PRId64 " store_us=%" PRId64 " cpu_us=%" PRId64,
              demand->id, at [1] - at [0], at [2] - at [1], at [3] - at [2],
              at [4] - at [3], s_cpu_us () - cpu);
    return 0;
}
