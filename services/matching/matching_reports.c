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
    ((Kj__BatchReply *) reply)->batch = s_batch_row (call, res);
    PQclear (res);
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
    ((Kj__BatchReply *) reply)->batch = s_batch_row (call, res);
    PQclear (res);
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
        "SELECT %s, count (*), count (*) FILTER (WHERE mp.intercity) "
        "FROM match m CROSS JOIN LATERAL unnest (m.institution_ids, "
        "m.intercity) AS mp (institution_id, intercity) "
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
