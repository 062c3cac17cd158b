/*  =========================================================================
    matching_reports - the read model's state (Model), batches (MatchBatch,
    GetBatch) and the reports (Report)

    The state and helpers they share are in matching_handlers.h.
    =========================================================================
*/

#include "matching_handlers.h"

//  --------------------------------------------------------------------------
//  Model: how fresh the read model is

int
matching_reports_model (kj_call_t *call, const ProtobufCMessage *request,
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

//  A batch row (BATCH_COLUMNS, all NOT NULL by the schema) into a message
//  from the call; NULL after failing the call
static Kj__Batch *
s_batch_row (kj_call_t *call, PGresult *res)
{
    Kj__Batch *b = kj_call_alloc (call, sizeof *b);
    kj__batch__init (b);
    int top, state, demands, matched;
    int64_t proposals;
    if (matching_server_text (call, res, 0, "id", &b->id)
        || matching_server_text (call, res, 0, "region", &b->region)
        || kj_sql_int (res, 0, "top", &top)
        || kj_sql_int (res, 0, "state", &state)
        || kj_sql_int (res, 0, "demands", &demands)
        || kj_sql_int (res, 0, "matched", &matched)
        || kj_sql_int64 (res, 0, "proposals", &proposals)
        || kj_sql_int64 (res, 0, "ms", &b->ms)
        || matching_server_text (call, res, 0, "requested_by",
                                 &b->requested_by)) {
        kj_call_fail_db (call);
        return NULL;
    }
    b->top = (uint32_t) top;
    b->state = state;
    b->demands = (uint32_t) demands;
    b->matched = (uint32_t) matched;
    b->proposals = (uint64_t) proposals;
    b->source = "batch";
    return b;
}

int
matching_reports_match_batch (kj_call_t *call, const ProtobufCMessage *request,
                              ProtobufCMessage *reply)
{
    const Kj__Batch *in = ((const Kj__BatchRequest *) request)->batch;
    kj_audit_object (call, "region", in ? in->region : NULL);
    const char *region = in && in->region ? in->region : "";
    uint32_t top = in && in->top ? in->top : 10;
    if (matching_server_check_text (call, region, "batch.region", 20, false))
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
    const char *params [] = { region, matching_server_i64 (call, top),
                              matching_server_caller (call) };
    PGresult *res = kj_db_exec (
        kj_call_db (call),
        "INSERT INTO batch (id, region, top, requested_by) VALUES ('B' || "
        "lpad (nextval ('batch_seq')::text, 6, '0'), $1, $2, $3) "
        "RETURNING " BATCH_COLUMNS,
        3, params);
    if (!res)
        return kj_call_fail_db (call);
    Kj__Batch *batch = s_batch_row (call, res);
    PQclear (res);
    if (!batch)
        return -1;
    ((Kj__BatchReply *) reply)->batch = batch;
    return 0;
}

int
matching_reports_get_batch (kj_call_t *call, const ProtobufCMessage *request,
                            ProtobufCMessage *reply)
{
    const char *id = ((const Kj__GetBatchRequest *) request)->id;
    if (matching_server_check_text (call, id, "id", ID_MAX, true))
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
    Kj__Batch *batch = s_batch_row (call, res);
    PQclear (res);
    if (!batch)
        return -1;
    ((Kj__BatchReply *) reply)->batch = batch;
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

int
matching_reports_report (kj_call_t *call, const ProtobufCMessage *request,
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
                              matching_server_i64 (call, sla_days) };
    char *matches_sql = kj_call_printf (
        call,
        "SELECT %s AS key, count (*) AS matches, count (*) FILTER (WHERE "
        "mp.intercity) AS intercity "
        "FROM match m CROSS JOIN LATERAL unnest (m.institution_ids, "
        "m.intercity) AS mp (institution_id, intercity) "
        "JOIN demand d ON d.id = m.demand_id WHERE ($1::date IS NULL OR "
        "m.created_at >= $1::date) AND ($2::date IS NULL OR m.created_at < "
        "$2::date) GROUP BY 1",
        match_key);
    char *applications_sql = kj_call_printf (
        call,
        "SELECT %s AS key, count (*) AS applications, count (*) FILTER "
        "(WHERE mv.approved) AS approvals, count (*) FILTER (WHERE "
        "mv.disbursed) AS disbursed, count (*) FILTER (WHERE mv.disbursed "
        "AND a.product_type = %d) AS first_loans, count (mv.decided) AS "
        "decisions, coalesce ((avg (extract (epoch FROM mv.decided - "
        "a.created_at)) / 3600)::bigint, 0) AS decision_hours, count (*) "
        "FILTER (WHERE mv.decided - a.created_at <= make_interval (days => "
        "$3::int)) AS within_sla "
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
    //  Each result's columns, once for its rows
    enum { M_KEY, M_MATCHES, M_INTERCITY, M_COLUMNS };
    static const char *const m_names [M_COLUMNS] = { "key", "matches",
                                                     "intercity" };
    enum {
        A_KEY,
        A_APPLICATIONS,
        A_APPROVALS,
        A_DISBURSED,
        A_FIRST_LOANS,
        A_DECISIONS,
        A_DECISION_HOURS,
        A_WITHIN_SLA,
        A_COLUMNS
    };
    static const char *const a_names [A_COLUMNS] = {
        "key",         "applications", "approvals",      "disbursed",
        "first_loans", "decisions",    "decision_hours", "within_sla"
    };
    int m [M_COLUMNS], c [A_COLUMNS];
    if (kj_sql_columns (results [0], m_names, m, M_COLUMNS)
        || kj_sql_columns (results [1], a_names, c, A_COLUMNS)) {
        PQclear (results [0]);
        PQclear (results [1]);
        return kj_call_fail_db (call);
    }
    zhashx_t *rows = zhashx_new ();
    Kj__MatchingReportReply *out = (Kj__MatchingReportReply *) reply;
    out->total = kj_call_alloc (call, sizeof *out->total);
    kj__matching_report_row__init (out->total);
    out->total->key = "";
    Kj__MatchingReportRow *total = out->total;
    for (int r = 0; r < PQntuples (results [0]); r++) {
        PGresult *res = results [0];
        Kj__MatchingReportRow *row = s_report_row (call, rows,
                                                   PQgetvalue (res, r,
                                                               m [M_KEY]));
        row->matches = strtoull (PQgetvalue (res, r, m [M_MATCHES]), NULL, 10);
        row->intercity = strtoull (PQgetvalue (res, r, m [M_INTERCITY]), NULL,
                                   10);
        total->matches += row->matches;
        total->intercity += row->intercity;
    }
    int64_t hours = 0;
    for (int r = 0; r < PQntuples (results [1]); r++) {
        PGresult *res = results [1];
#define V(column) PQgetvalue (res, r, c [A_##column])
        Kj__MatchingReportRow *row = s_report_row (call, rows, V (KEY));
        row->applications = strtoull (V (APPLICATIONS), NULL, 10);
        row->approvals = strtoull (V (APPROVALS), NULL, 10);
        row->disbursed = strtoull (V (DISBURSED), NULL, 10);
        row->first_loans = strtoull (V (FIRST_LOANS), NULL, 10);
        row->decisions = strtoull (V (DECISIONS), NULL, 10);
        row->decision_hours = atoll (V (DECISION_HOURS));
        row->within_sla = strtoull (V (WITHIN_SLA), NULL, 10);
#undef V
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
