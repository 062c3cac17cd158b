/*  =========================================================================
    matching_server - the Matching service's state, its shared helpers
    and its method table

    The handlers live by concern in matching_demands.c,
    matching_applications.c, matching_roadshows.c and matching_reports.c
    (matching_handlers.h). See the header. Field names in refusals are those of the request as
    the person typed them ("demand.amount_fen", "product_id"). Events:
    matching.demand.posted (Demand), matching.match.proposed (MatchReply),
    matching.application.changed (ApplicationChanged), and for the
    guarantee service matching.loan.disbursed and matching.loan.defaulted
    (ApplicationChanged too).
    =========================================================================
*/

#include "matching_handlers.h"

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

const char *
matching_server_caller (kj_call_t *call)
{
    return kj_call_who (call, "");
}

//  Checks a text field: length 1..max (or 0..max when optional)
int
matching_server_check_text (kj_call_t *call, const char *text,
                            const char *field, size_t max, bool required)
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

char *
matching_server_i64 (kj_call_t *call, int64_t value)
{
    return kj_call_printf (call, "%" PRId64, value);
}

//  Lock the entity whose events the call writes (kind "matching.demand",
//  key its id), before its first write: its events then reach the log in
//  the order its transactions ran (kj_db_lock_key). 0, or -1 after
//  failing the call
int
matching_server_lock (kj_call_t *call, const char *kind, const char *id)
{
    if (kj_db_lock_key (kj_call_db (call), kind, id))
        return kj_call_fail_db (call);
    return 0;
}

//  A demand row's column names, by matching_demand_column_t
static const char *const s_demand_names [DEMAND_COLUMN_COUNT] = {
    [DEMAND_ID] = "id",
    [DEMAND_ENTERPRISE_CODE] = "enterprise_code",
    [DEMAND_AMOUNT_FEN] = "amount_fen",
    [DEMAND_TERM_MONTHS] = "term_months",
    [DEMAND_PURPOSE] = "purpose",
    [DEMAND_INSTRUMENT] = "instrument",
    [DEMAND_COLLATERAL] = "collateral",
    [DEMAND_LINKAGE] = "linkage",
    [DEMAND_RENEWAL] = "renewal",
    [DEMAND_RENEWS_MATURES_ON] = "renews_matures_on",
    [DEMAND_RENEWS_ARREARS] = "renews_arrears",
    [DEMAND_STATE] = "state",
    [DEMAND_VERSION] = "version",
    [DEMAND_CREATED_US] = "created_us",
    [DEMAND_ENTERED_BY] = "entered_by",
};

//  The indexes of a result's DEMAND_COLUMNS, once per result: 0, or -1
//  after failing the call
int
matching_server_demand_columns (kj_call_t *call, const PGresult *res,
                                int columns [DEMAND_COLUMN_COUNT])
{
    if (kj_sql_columns (res, s_demand_names, columns, DEMAND_COLUMN_COUNT))
        return kj_call_fail_db (call);
    return 0;
}

//  A demand row (columns of DEMAND_COLUMNS, resolved by
//  matching_server_demand_columns; all NOT NULL by the schema) into a
//  message from the call
Kj__Demand *
matching_server_demand_row (kj_call_t *call, const PGresult *res,
                            const int columns [DEMAND_COLUMN_COUNT], int row)
{
#define V(column) PQgetvalue (res, row, columns [DEMAND_##column])
    Kj__Demand *d = kj_call_alloc (call, sizeof *d);
    kj__demand__init (d);
    d->id = kj_call_strdup (call, V (ID));
    d->enterprise_code = kj_call_strdup (call, V (ENTERPRISE_CODE));
    d->amount_fen = atoll (V (AMOUNT_FEN));
    d->term_months = atoi (V (TERM_MONTHS));
    d->purpose = kj_call_strdup (call, V (PURPOSE));
    d->instrument = atoi (V (INSTRUMENT));
    unsigned bits = (unsigned) atoi (V (COLLATERAL));
    d->collateral = kj_call_alloc (call, 32 * sizeof (Kj__Collateral));
    for (int i = 1; i < 32; i++)
        if (bits & (1u << i))
            d->collateral [d->n_collateral++] = (Kj__Collateral) i;
    d->linkage = V (LINKAGE) [0] == 't';
    d->renewal = V (RENEWAL) [0] == 't';
    d->renews_matures_on = kj_call_strdup (call, V (RENEWS_MATURES_ON));
    d->renews_arrears = V (RENEWS_ARREARS) [0] == 't';
    d->state = atoi (V (STATE));
    d->version = strtoull (V (VERSION), NULL, 10);
    d->created_at_us = atoll (V (CREATED_US));
    d->entered_by = kj_call_strdup (call, V (ENTERED_BY));
    return d;
#undef V
}

//  The text of a column that the schema keeps NOT NULL, copied for the
//  call: 0, or -1 (logged) when it is NULL or the result has no such
//  column
int
matching_server_text (kj_call_t *call, const PGresult *res, int row,
                      const char *name, char **text)
{
    const char *value = kj_sql_text (res, row, name);
    if (!value) {
        kj_error ("sql.null", "column %s of row %d is NULL or missing", name,
                  row);
        return -1;
    }
    *text = kj_call_strdup (call, value);
    return 0;
}

//  One demand by id, or NULL after failing the call
Kj__Demand *
matching_server_demand_load (kj_call_t *call, const char *id, const char *field)
{
    if (matching_server_check_text (call, id, field, ID_MAX, true))
        return NULL;
    PGresult *res = kj_db_exec (kj_call_db (call),
                                "SELECT " DEMAND_COLUMNS
                                " FROM demand WHERE id = $1",
                                1, (const char *[]){ id });
    if (!res) {
        kj_call_fail_db (call);
        return NULL;
    }
    int columns [DEMAND_COLUMN_COUNT];
    if (matching_server_demand_columns (call, res, columns)) {
        PQclear (res);
        return NULL;
    }
    Kj__Demand *demand = PQntuples (res) == 1
                           ? matching_server_demand_row (call, res, columns, 0)
                           : NULL;
    PQclear (res);
    if (!demand)
        kj_call_fail (call, KJ__CODE__NOT_FOUND, field, "%s: no demand %s",
                      field, id);
    return demand;
}

//  The filters' view of a demand
void
matching_server_demand_view (const Kj__Demand *d, matching_demand_t *view)
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
int64_t
matching_server_ip_pledged (kj_call_t *call, const char *code)
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
int
matching_server_enterprise_exact (kj_call_t *call, const char *code,
                                  const char *field,
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
int
matching_server_model_ready (kj_call_t *call)
{
    server_t *self = STATE (call);
    if (matching_model_wait (self->model, self->model_wait_ms))
        return 0;
    return kj_call_fail (call, KJ__CODE__UNAVAILABLE, NULL,
                         "matching is still loading products and "
                         "enterprises from the registry; retry");
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
    { "AddDemand", matching_demands_add_demand, KJ_WRITE },
    { "GetDemand", matching_demands_get_demand, 0 },
    { "ListDemands", matching_demands_list_demands, 0 },
    { "Match", matching_demands_match, KJ_WRITE },
    { "Apply", matching_applications_apply, KJ_WRITE },
    { "Act", matching_applications_act, KJ_WRITE },
    { "GetApplication", matching_applications_get_application, 0 },
    { "Model", matching_reports_model, 0 },
    { "MatchBatch", matching_reports_match_batch, KJ_WRITE },
    { "GetBatch", matching_reports_get_batch, 0 },
    { "Link", matching_applications_link, KJ_WRITE },
    { "AddRoadshow", matching_roadshows_add_roadshow, KJ_WRITE },
    { "Respond", matching_roadshows_respond, KJ_WRITE },
    { "GetRoadshow", matching_roadshows_get_roadshow, 0 },
    { "Report", matching_reports_report, 0 },
    { NULL }
};
