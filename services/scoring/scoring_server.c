/*  =========================================================================
    scoring_server - the Scoring service's handlers

    WhatIf scores figures given in the request (nothing stored); Show reads
    a stored portrait; Run starts (or joins) a batch that the job of every
    copy then works on (scoring_batch.c); Progress and Dist read batches
    and portraits. docs/scoring.md.
    =========================================================================
*/

#include "scoring_server.h"
#include "scoring_list.h"

//  --------------------------------------------------------------------------
//  The daemon's state, from its options

void *
scoring_server_new (kj_service_t *service, kj_db_t *db, kj_status_t *status)
{
    (void) db;
    kj_config_t *config = kj_service_config (service);
    scoring_server_t *self = calloc (1, sizeof *self);
    assert (self);
    snprintf (self->broker, sizeof self->broker, "%s",
              kj_config_get (config, "node/broker"));
    snprintf (self->model, sizeof self->model, "%s",
              kj_config_get (config, "scoring/model"));
    self->chunk = (int) kj_config_int (config, "scoring/chunk");
    self->page = (int) kj_config_int (config, "scoring/page");
    self->fetchers = (int) kj_config_int (config, "scoring/fetchers");
    self->pause_ms = (int) kj_config_int (config, "scoring/pause_ms");
    self->interval_s = (int) kj_config_int (config, "scoring/batch_interval_s");
    scoring_model_t *model = scoring_server_model (self, "", status);
    if (!model) {
        free (self);
        return NULL;
    }
    scoring_model_destroy (&model);
    return self;
}

void
scoring_server_destroy (void *state)
{
    scoring_server_t *self = (scoring_server_t *) state;
    if (self) {
        scoring_batch_cache_destroy (&self->cache);
        scoring_kept_destroy (&self->kept);
    }
    free (self);
}

//  --------------------------------------------------------------------------
//  A shipped model by name; files are for the offline CLI only

scoring_model_t *
scoring_server_model (scoring_server_t *self, const char *name,
                      kj_status_t *status)
{
    return scoring_request_model (name, self->model, status);
}

//  --------------------------------------------------------------------------
//  Reasons as stored: "column:lost_micro:missing|..."

void
scoring_reasons_format (scoring_model_t *model,
                        const scoring_portrait_t *portrait, char *buf,
                        size_t size)
{
    char *at = buf, *end = buf + size;
    if (size == 0)
        return;
    for (int r = 0; r < portrait->reason_count; r++) {
        const scoring_reason_t *reason = &portrait->reasons [r];
        const char *code = scoring_model_column (model, (size_t) reason->column)
                               ->code;
        size_t length = strlen (code);
        if (end - at < (ptrdiff_t) (length + 26))
            break;  //  "|", code, ":", 20 digits, ":", 0 or 1, NUL
        if (r)
            *at++ = '|';
        memcpy (at, code, length);
        at += length;
        *at++ = ':';
        at = scoring_put_int (at, reason->lost_micro);
        *at++ = ':';
        *at++ = reason->missing ? '1' : '0';
    }
    *at = 0;
}

//  The label of a model column by its code, or the code
static const char *
s_label (scoring_model_t *model, const char *code)
{
    for (size_t c = 0; c < scoring_model_columns (model); c++)
        if (streq (scoring_model_column (model, c)->code, code))
            return scoring_model_column (model, c)->label;
    return code;
}

//  Stored reasons back into the reply
static void
s_reasons_parse (kj_call_t *call, scoring_model_t *model, const char *text,
                 Kj__ScoringPortrait *out)
{
    out->reasons = kj_call_alloc (call, SCORING_REASONS
                                            * sizeof (Kj__ScoringReason *));
    while (*text && out->n_reasons < SCORING_REASONS) {
        size_t length = strcspn (text, "|");
        char item [128];
        snprintf (item, sizeof item, "%.*s", (int) length, text);
        char *lost = strchr (item, ':');
        char *missing = lost ? strchr (lost + 1, ':') : NULL;
        if (missing) {
            *lost++ = 0;
            *missing++ = 0;
            Kj__ScoringReason *reason =
                kj_call_message (call, &kj__scoring_reason__descriptor);
            reason->code = kj_call_strdup (call, item);
            reason->label = kj_call_strdup (call, s_label (model, item));
            reason->lost_micro = strtoll (lost, NULL, 10);
            reason->missing = streq (missing, "1");
            out->reasons [out->n_reasons++] = reason;
        }
        text += length;
        if (*text)
            text++;
    }
}

//  --------------------------------------------------------------------------
//  WhatIf: score members given in the request; nothing is stored

//  A computed portrait into the reply
static Kj__ScoringPortrait *
s_portrait (kj_call_t *call, scoring_model_t *model, scoring_cohort_t *cohort,
            size_t m)
{
    const scoring_portrait_t *p = scoring_cohort_portrait (cohort, m);
    Kj__ScoringPortrait
        *out = kj_call_message (call, &kj__scoring_portrait__descriptor);
    out->id = kj_call_strdup (call, scoring_cohort_id (cohort, m));
    out->model = kj_call_strdup (call, scoring_model_name (model));
    out->version = scoring_model_version (model);
    out->stage = kj_call_strdup (call, scoring_stage_name (
                                           scoring_cohort_stage (cohort, m)));
    out->region = "";
    out->points_milli = p->points_milli;
    out->bonus_milli = p->bonus_milli;
    out->scorecard_milli = p->scorecard_milli;
    out->flags_milli = p->flags_milli;
    out->score_milli = p->score_milli;
    out->percentile_milli = p->percentile_milli;
    out->grade = kj_call_strdup (call, scoring_grade_name (p->grade));
    out->stop = p->stop >= 0 ? kj_call_strdup (
                    call, scoring_model_column (model, (size_t) p->stop)->code)
                             : "";
    out->line_known = p->line_known;
    out->line_fen = p->line_fen;
    out->missing_count = p->missing_count;
    out->previous_grade = "";
    char reasons [1024];
    scoring_reasons_format (model, p, reasons, sizeof reasons);
    s_reasons_parse (call, model, reasons, out);
    return out;
}

static int
s_whatif (kj_call_t *call, const ProtobufCMessage *request,
          ProtobufCMessage *reply)
{
    const Kj__ScoringWhatIfRequest *in = (const Kj__ScoringWhatIfRequest *)
        request;
    kj_status_t status;
    if (scoring_request_member_count (in->n_members, &status))
        return kj_call_fail_status (call, &status);
    scoring_model_t *model = scoring_server_model (kj_call_state (call),
                                                   in->model, &status);
    if (!model)
        return kj_call_fail_status (call, &status);
    scoring_cohort_t *cohort = scoring_cohort_new (model);
    int rc = scoring_request_members (cohort, in->members, in->n_members,
                                      &status)
               ? kj_call_fail_status (call, &status)
               : 0;
    if (rc == 0) {
        scoring_cohort_score (cohort);
        ((Kj__ScoringWhatIfReply *) reply)->portrait = s_portrait (call, model,
                                                                   cohort, 0);
    }
    scoring_cohort_destroy (&cohort);
    scoring_model_destroy (&model);
    return rc;
}

//  --------------------------------------------------------------------------
//  A read's year (0: the latest) and model (""; the default), checked;
//  NULL after failing the call

static scoring_model_t *
s_year_and_model (kj_call_t *call, int year, const char *name)
{
    kj_status_t status;
    if (scoring_request_year (year, &status)) {
        kj_call_fail_status (call, &status);
        return NULL;
    }
    scoring_model_t *model = scoring_server_model (kj_call_state (call), name,
                                                   &status);
    if (!model)
        kj_call_fail_status (call, &status);
    return model;
}

//  --------------------------------------------------------------------------
//  Show: one enterprise's stored portrait

#define S_PORTRAIT_COLUMNS                                                     \
    "code, year, model, version, stage, region, points_milli, "                \
    "bonus_milli, scorecard_milli, flags_milli, score_milli, "                 \
    "percentile_milli, grade, stop, line_known, line_fen, reasons, "           \
    "missing_count, previous_grade, batch_id"

//  The portrait of row 0 (S_PORTRAIT_COLUMNS, all NOT NULL by the schema)
//  into out: 0, or -1 (logged) when a column is NULL or missing
static int
s_portrait_row (kj_call_t *call, scoring_model_t *model, PGresult *res,
                Kj__ScoringPortrait *out)
{
    const char *code = kj_sql_text (res, 0, "code");
    const char *name = kj_sql_text (res, 0, "model");
    const char *region = kj_sql_text (res, 0, "region");
    const char *grade = kj_sql_text (res, 0, "grade");
    const char *stop = kj_sql_text (res, 0, "stop");
    const char *reasons = kj_sql_text (res, 0, "reasons");
    const char *previous = kj_sql_text (res, 0, "previous_grade");
    int year, version, stage, missing;
    bool line_known;
    int64_t batch_id;
    if (!code || !name || !region || !grade || !stop || !reasons || !previous
        || kj_sql_int (res, 0, "year", &year)
        || kj_sql_int (res, 0, "version", &version)
        || kj_sql_int (res, 0, "stage", &stage)
        || kj_sql_int64 (res, 0, "points_milli", &out->points_milli)
        || kj_sql_int64 (res, 0, "bonus_milli", &out->bonus_milli)
        || kj_sql_int64 (res, 0, "scorecard_milli", &out->scorecard_milli)
        || kj_sql_int64 (res, 0, "flags_milli", &out->flags_milli)
        || kj_sql_int64 (res, 0, "score_milli", &out->score_milli)
        || kj_sql_int64 (res, 0, "percentile_milli", &out->percentile_milli)
        || kj_sql_bool (res, 0, "line_known", &line_known)
        || kj_sql_int64 (res, 0, "line_fen", &out->line_fen)
        || kj_sql_int (res, 0, "missing_count", &missing)
        || kj_sql_int64 (res, 0, "batch_id", &batch_id)) {
        kj_error ("scoring.portrait", "a portrait row cannot be read");
        return -1;
    }
    out->id = kj_call_strdup (call, code);
    out->year = year;
    out->model = kj_call_strdup (call, name);
    out->version = version;
    out->stage = kj_call_strdup (call, scoring_stage_name (stage));
    out->region = kj_call_strdup (call, region);
    out->grade = kj_call_strdup (call, grade);
    out->stop = kj_call_strdup (call, stop);
    out->line_known = line_known;
    s_reasons_parse (call, model, reasons, out);
    out->missing_count = missing;
    out->previous_grade = kj_call_strdup (call, previous);
    out->batch_id = (uint64_t) batch_id;
    return 0;
}

static int
s_show (kj_call_t *call, const ProtobufCMessage *request,
        ProtobufCMessage *reply)
{
    const Kj__ScoringShowRequest *in = (const Kj__ScoringShowRequest *) request;
    char code [24];
    kj_status_t status;
    if (scoring_request_code (in->code, code, &status))
        return kj_call_fail_status (call, &status);
    scoring_model_t *model = s_year_and_model (call, in->year, in->model);
    if (!model)
        return -1;
    char year [16];
    snprintf (year, sizeof year, "%d", in->year);
    PGresult *res =
        kj_db_exec (kj_call_db (call),
                    "SELECT " S_PORTRAIT_COLUMNS
                    " FROM portrait WHERE code = $1 "
                    "AND model = $2 AND ($3::int = 0 OR year = $3::int) "
                    "ORDER BY year DESC, version DESC LIMIT 1",
                    3,
                    (const char *[]){ code, scoring_model_name (model), year });
    if (!res) {
        scoring_model_destroy (&model);
        return kj_call_fail_db (call);
    }
    int rc = 0;
    if (PQntuples (res) == 0)
        rc = kj_call_fail (call, KJ__CODE__NOT_FOUND, "code",
                           "code: %s has no portrait under %s; kejin score "
                           "run scores a year",
                           code, scoring_model_name (model));
    else {
        Kj__ScoringPortrait
            *out = kj_call_message (call, &kj__scoring_portrait__descriptor);
        if (s_portrait_row (call, model, res, out))
            rc = kj_call_fail_db (call);
        else
            ((Kj__ScoringShowReply *) reply)->portrait = out;
    }
    PQclear (res);
    scoring_model_destroy (&model);
    return rc;
}

//  --------------------------------------------------------------------------
//  A batch row into the reply, with its grade counts

#define S_BATCH_COLUMNS                                                        \
    "id, year, model, version, state, total, scored, stored, changed, "        \
    "chunks, chunks_done, (extract (epoch FROM started_at) * "                 \
    "1000000)::bigint AS started_us, "                                         \
    "coalesce ((extract (epoch FROM finished_at) * 1000000)::bigint, 0) "      \
    "AS finished_us"

//  A batch row (S_BATCH_COLUMNS, NOT NULL but finished_at, 0 until the
//  batch finishes) into a message from the call, or NULL (logged)
static Kj__ScoringBatch *
s_batch (kj_call_t *call, PGresult *res)
{
    Kj__ScoringBatch *out = kj_call_message (call,
                                             &kj__scoring_batch__descriptor);
    const char *model = kj_sql_text (res, 0, "model");
    const char *state = kj_sql_text (res, 0, "state");
    int64_t id, total, scored, stored, changed;
    int year, version, chunks, chunks_done;
    if (!model || !state || kj_sql_int64 (res, 0, "id", &id)
        || kj_sql_int (res, 0, "year", &year)
        || kj_sql_int (res, 0, "version", &version)
        || kj_sql_int64 (res, 0, "total", &total)
        || kj_sql_int64 (res, 0, "scored", &scored)
        || kj_sql_int64 (res, 0, "stored", &stored)
        || kj_sql_int64 (res, 0, "changed", &changed)
        || kj_sql_int (res, 0, "chunks", &chunks)
        || kj_sql_int (res, 0, "chunks_done", &chunks_done)
        || kj_sql_int64 (res, 0, "started_us", &out->started_at_us)
        || kj_sql_int64 (res, 0, "finished_us", &out->finished_at_us)) {
        kj_error ("scoring.batch", "a batch row cannot be read");
        return NULL;
    }
    out->id = (uint64_t) id;
    out->year = year;
    out->model = kj_call_strdup (call, model);
    out->version = version;
    out->state = kj_call_strdup (call, state);
    out->total = (uint64_t) total;
    out->scored = (uint64_t) scored;
    out->stored = (uint64_t) stored;
    out->changed = (uint64_t) changed;
    out->chunks = (uint32_t) chunks;
    out->chunks_done = (uint32_t) chunks_done;
    return out;
}

//  Counts per grade of a year's portraits under a model version
static int
s_grades (kj_call_t *call, Kj__ScoringBatch *batch)
{
    char year [16], version [16];
    snprintf (year, sizeof year, "%d", batch->year);
    snprintf (version, sizeof version, "%d", batch->version);
    PGresult
        *res = kj_db_exec (kj_call_db (call),
                           "SELECT grade, count (*) AS portraits FROM portrait "
                           "WHERE year = $1 AND model = $2 AND version = $3 "
                           "GROUP BY grade",
                           3, (const char *[]){ year, batch->model, version });
    if (!res)
        return -1;
    int grade_column = kj_sql_column (res, "grade");
    int count_column = kj_sql_column (res, "portraits");
    if (grade_column < 0 || count_column < 0) {
        PQclear (res);
        return -1;
    }
    batch->grades = kj_call_alloc (call, SCORING_GRADES * sizeof (uint64_t));
    batch->n_grades = SCORING_GRADES;
    for (int r = 0; r < PQntuples (res); r++) {
        int grade = scoring_grade_by_name (PQgetvalue (res, r, grade_column));
        if (grade >= 0)
            batch->grades [grade] = strtoull (PQgetvalue (res, r, count_column),
                                              NULL, 10);
    }
    PQclear (res);
    return 0;
}

//  --------------------------------------------------------------------------
//  Run: start the batch of a year under a model, or join the one running

static int
s_run (kj_call_t *call, const ProtobufCMessage *request,
       ProtobufCMessage *reply)
{
    const Kj__ScoringRunRequest *in = (const Kj__ScoringRunRequest *) request;
    int year_value;
    kj_status_t status;
    if (scoring_request_run_year (in->year, &year_value, &status))
        return kj_call_fail_status (call, &status);
    scoring_model_t *model = scoring_server_model (kj_call_state (call),
                                                   in->model, &status);
    if (!model)
        return kj_call_fail_status (call, &status);
    char year [16], version [16];
    snprintf (year, sizeof year, "%d", year_value);
    snprintf (version, sizeof version, "%d", scoring_model_version (model));
    const char *params [] = { year, scoring_model_name (model), version };
    kj_db_t *db = kj_call_db (call);
    Kj__ScoringRunReply *out = (Kj__ScoringRunReply *) reply;
    //  scoring.batch.started's key is the model: its lock, before the
    //  first write (it goes with the INSERT)
    if (kj_db_lock_key (db, "scoring.model", scoring_model_name (model)))
        return kj_call_fail_db (call);
    PGresult *res = kj_db_exec (
        db,
        "INSERT INTO batch (year, model, version) VALUES ($1, $2, $3) "
        "ON CONFLICT (year, model, version) WHERE state <> 'finished' "
        "DO NOTHING RETURNING " S_BATCH_COLUMNS,
        3, params);
    if (res && PQntuples (res) == 0) {
        PQclear (res);
        out->joined = true;
        res = kj_db_exec (
            db,
            "SELECT " S_BATCH_COLUMNS " FROM batch WHERE year = $1 "
            "AND model = $2 AND version = $3 AND state <> 'finished'",
            3, params);
    }
    scoring_model_destroy (&model);
    if (!res || PQntuples (res) != 1) {
        if (res)
            PQclear (res);
        return kj_call_fail_db (call);
    }
    out->batch = s_batch (call, res);
    PQclear (res);
    if (!out->batch)
        return kj_call_fail_db (call);
    if (!out->joined
        && kj_outbox_add (db, "scoring.batch.started", out->batch->model,
                          &out->batch->base))
        return kj_call_fail_db (call);
    //  The jobs fetch it now, not at their next pass
    if (!out->joined)
        kj_db_notify_after_commit (db, SCORING_BATCH_CHANNEL);
    return 0;
}

//  --------------------------------------------------------------------------
//  Progress: a batch by id, or the latest

static int
s_progress (kj_call_t *call, const ProtobufCMessage *request,
            ProtobufCMessage *reply)
{
    const Kj__ScoringProgressRequest *in = (const Kj__ScoringProgressRequest *)
        request;
    char id [24];
    snprintf (id, sizeof id, "%" PRIu64, in->batch_id);
    PGresult *res = kj_db_exec (kj_call_db (call),
                                "SELECT " S_BATCH_COLUMNS
                                " FROM batch WHERE $1::bigint = 0 "
                                "OR id = $1::bigint ORDER BY id DESC LIMIT 1",
                                1, (const char *[]){ id });
    if (!res)
        return kj_call_fail_db (call);
    if (PQntuples (res) == 0) {
        PQclear (res);
        return kj_call_fail (call, KJ__CODE__NOT_FOUND, "batch_id",
                             "batch_id: no batch %s; kejin score run "
                             "starts one",
                             id);
    }
    Kj__ScoringBatch *batch = s_batch (call, res);
    PQclear (res);
    if (!batch || s_grades (call, batch))
        return kj_call_fail_db (call);
    ((Kj__ScoringProgressReply *) reply)->batch = batch;
    return 0;
}

//  --------------------------------------------------------------------------
//  Dist: counts per grade of a year's portraits, all, by city or by stage

static int
s_dist (kj_call_t *call, const ProtobufCMessage *request,
        ProtobufCMessage *reply)
{
    const Kj__ScoringDistRequest *in = (const Kj__ScoringDistRequest *) request;
    const char *by = in->by ? in->by : "";
    kj_status_t status;
    if (scoring_request_by (by, &status))
        return kj_call_fail_status (call, &status);
    scoring_model_t *model = s_year_and_model (call, in->year, in->model);
    if (!model)
        return -1;
    Kj__ScoringDistReply *out = (Kj__ScoringDistReply *) reply;
    out->model = kj_call_strdup (call, scoring_model_name (model));
    scoring_model_destroy (&model);
    char year [16];
    snprintf (year, sizeof year, "%d", in->year);
    //  The latest year and version scored, then its counts
    PGresult *res = kj_db_exec (
        kj_call_db (call),
        "WITH v AS (SELECT year, version FROM portrait WHERE model = $1 "
        "AND ($2::int = 0 OR year = $2::int) "
        "ORDER BY year DESC, version DESC LIMIT 1) "
        "SELECT p.year, p.version, CASE $3 WHEN 'city' THEN p.region "
        "WHEN 'stage' THEN p.stage::text ELSE '' END AS k, p.grade, "
        "count (*) AS portraits FROM portrait p JOIN v USING (year, version) "
        "WHERE p.model = $1 GROUP BY 1, 2, 3, 4 ORDER BY 3",
        3, (const char *[]){ out->model, year, by });
    if (!res)
        return kj_call_fail_db (call);
    //  The columns once for the rows
    enum { YEAR, VERSION, KEY, GRADE, COUNT, COLUMNS };
    static const char *const names [COLUMNS] = { "year", "version", "k",
                                                 "grade", "portraits" };
    int col [COLUMNS];
    if (kj_sql_columns (res, names, col, COLUMNS)) {
        PQclear (res);
        return kj_call_fail_db (call);
    }
    int rows = PQntuples (res);
    out->rows = kj_call_alloc (call, ((size_t) rows + 1)
                                         * sizeof (Kj__ScoringDistRow *));
    Kj__ScoringDistRow *row = NULL;
    for (int r = 0; r < rows; r++) {
        out->year = atoi (PQgetvalue (res, r, col [YEAR]));
        out->version = atoi (PQgetvalue (res, r, col [VERSION]));
        const char *key = PQgetvalue (res, r, col [KEY]);
        if (streq (by, "stage"))
            key = scoring_stage_name (atoi (key));
        if (!row || !streq (row->key, key)) {
            row = kj_call_message (call, &kj__scoring_dist_row__descriptor);
            row->key = kj_call_strdup (call, key);
            row->grades = kj_call_alloc (call,
                                         SCORING_GRADES * sizeof (uint64_t));
            row->n_grades = SCORING_GRADES;
            out->rows [out->n_rows++] = row;
        }
        int grade = scoring_grade_by_name (PQgetvalue (res, r, col [GRADE]));
        uint64_t count = strtoull (PQgetvalue (res, r, col [COUNT]), NULL, 10);
        if (grade >= 0)
            row->grades [grade] += count;
        row->total += count;
    }
    PQclear (res);
    return 0;
}

//  --------------------------------------------------------------------------
//  Compare: two models over one year - grade distributions, the migration
//  matrix, the PSI of the grade distributions (docs/scoring.md)

//  Counts per band of each column's share under a model version: counts
//  [column * SCORING_BANDS + band] (bands as scoring_share_band: each
//  10 %, 100 % in the top one, -1 not reported in the last); 0 or -1
static int
s_bands (kj_call_t *call, const char *model, int year, int version,
         size_t columns, uint64_t *counts)
{
    char year_text [16], version_text [16];
    snprintf (year_text, sizeof year_text, "%d", year);
    snprintf (version_text, sizeof version_text, "%d", version);
    PGresult *res = kj_db_exec (
        kj_call_db (call),
        "SELECT u.i AS ordinal, CASE WHEN u.s < 0 THEN 10 "
        "ELSE least (u.s / 1000, 9) END AS band, count (*) AS portraits "
        "FROM portrait p, unnest (p.shares) WITH ORDINALITY "
        "u (s, i) WHERE p.model = $1 AND p.year = $2 AND p.version = $3 "
        "AND u.s >= -1 GROUP BY 1, 2",
        3, (const char *[]){ model, year_text, version_text });
    if (!res)
        return -1;
    //  The columns once for the rows
    enum { ORDINAL, BAND, COUNT, COLUMNS };
    static const char *const names [COLUMNS] = { "ordinal", "band",
                                                 "portraits" };
    int col [COLUMNS];
    if (kj_sql_columns (res, names, col, COLUMNS)) {
        PQclear (res);
        return -1;
    }
    for (int r = 0; r < PQntuples (res); r++) {
        size_t column = strtoull (PQgetvalue (res, r, col [ORDINAL]), NULL, 10)
                      - 1;
        size_t band = strtoull (PQgetvalue (res, r, col [BAND]), NULL, 10);
        if (column < columns && band < SCORING_BANDS)
            counts [column * SCORING_BANDS + band] =
                strtoull (PQgetvalue (res, r, col [COUNT]), NULL, 10);
    }
    PQclear (res);
    return 0;
}

static bool
s_has_share (const scoring_column_t *column)
{
    return column->kind == SCORING_INDICATOR || column->kind == SCORING_BONUS;
}

//  The PSI per indicator: each column with a share that both models read,
//  in a's order; skipped when the portraits are of another version than
//  the model served (their columns may differ). 0 or -1 (database).
static int
s_indicators (kj_call_t *call, Kj__ScoringCompareReply *out, scoring_model_t *a,
              scoring_model_t *b)
{
    if (scoring_model_version (a) != out->version_a
        || scoring_model_version (b) != out->version_b)
        return 0;
    size_t columns_a = scoring_model_columns (a);
    size_t columns_b = scoring_model_columns (b);
    uint64_t *bands_a = kj_call_alloc (call, columns_a * SCORING_BANDS
                                                 * sizeof (uint64_t));
    uint64_t *bands_b = kj_call_alloc (call, columns_b * SCORING_BANDS
                                                 * sizeof (uint64_t));
    if (s_bands (call, out->model_a, out->year, out->version_a, columns_a,
                 bands_a)
        || s_bands (call, out->model_b, out->year, out->version_b, columns_b,
                    bands_b))
        return -1;
    out->indicators = kj_call_alloc (call,
                                     (columns_a + 1)
                                         * sizeof (Kj__ScoringIndicatorPsi *));
    for (size_t i = 0; i < columns_a; i++) {
        const scoring_column_t *column = scoring_model_column (a, i);
        size_t j = 0;
        while (j < columns_b
               && !(streq (scoring_model_column (b, j)->code, column->code)
                    && s_has_share (scoring_model_column (b, j))))
            j++;
        if (!s_has_share (column) || j == columns_b)
            continue;
        Kj__ScoringIndicatorPsi *psi =
            kj_call_message (call, &kj__scoring_indicator_psi__descriptor);
        psi->code = kj_call_strdup (call, column->code);
        psi->label = kj_call_strdup (call, column->label);
        psi->bands_a = bands_a + i * SCORING_BANDS;
        psi->bands_b = bands_b + j * SCORING_BANDS;
        psi->n_bands_a = psi->n_bands_b = SCORING_BANDS;
        psi->psi_e4 = scoring_psi_e4 (psi->bands_a, psi->bands_b,
                                      SCORING_BANDS);
        out->indicators [out->n_indicators++] = psi;
    }
    return 0;
}

//  Compare's work, with both models loaded
static int
s_compare_models (kj_call_t *call, int year_value, scoring_model_t *a,
                  scoring_model_t *b, Kj__ScoringCompareReply *out)
{
    const char *name_a = kj_call_strdup (call, scoring_model_name (a));
    const char *name_b = kj_call_strdup (call, scoring_model_name (b));
    char year [16];
    snprintf (year, sizeof year, "%d", year_value);
    PGresult *res = kj_db_exec (
        kj_call_db (call),
        "WITH y AS (SELECT coalesce (nullif ($3::int, 0), (SELECT max (year) "
        "FROM portrait WHERE model = $1)) AS year), "
        "va AS (SELECT max (version) AS v FROM portrait, y "
        "WHERE model = $1 AND portrait.year = y.year), "
        "vb AS (SELECT max (version) AS v FROM portrait, y "
        "WHERE model = $2 AND portrait.year = y.year), "
        "a AS (SELECT code, grade FROM portrait, y, va WHERE model = $1 "
        "AND portrait.year = y.year AND version = va.v), "
        "b AS (SELECT code, grade FROM portrait, y, vb WHERE model = $2 "
        "AND portrait.year = y.year AND version = vb.v) "
        "SELECT (SELECT year FROM y) AS year, "
        "coalesce ((SELECT v FROM va), 0) AS version_a, "
        "coalesce ((SELECT v FROM vb), 0) AS version_b, "
        "coalesce (a.grade, '') AS grade_a, coalesce (b.grade, '') AS grade_b, "
        "count (*) AS portraits FROM a FULL JOIN b USING (code) "
        "GROUP BY 4, 5",
        3, (const char *[]){ name_a, name_b, year });
    if (!res)
        return kj_call_fail_db (call);
    //  The columns once for the rows
    enum { YEAR, VERSION_A, VERSION_B, GRADE_A, GRADE_B, COUNT, COLUMNS };
    static const char *const names [COLUMNS] = { "year",      "version_a",
                                                 "version_b", "grade_a",
                                                 "grade_b",   "portraits" };
    int col [COLUMNS];
    if (kj_sql_columns (res, names, col, COLUMNS)) {
        PQclear (res);
        return kj_call_fail_db (call);
    }
    out->model_a = (char *) name_a;
    out->model_b = (char *) name_b;
    out->grades_a = kj_call_alloc (call, SCORING_GRADES * sizeof (uint64_t));
    out->grades_b = kj_call_alloc (call, SCORING_GRADES * sizeof (uint64_t));
    out->migration = kj_call_alloc (call, SCORING_GRADES * SCORING_GRADES
                                              * sizeof (uint64_t));
    out->n_grades_a = out->n_grades_b = SCORING_GRADES;
    out->n_migration = SCORING_GRADES * SCORING_GRADES;
    for (int r = 0; r < PQntuples (res); r++) {
        out->year = atoi (PQgetvalue (res, r, col [YEAR]));
        out->version_a = atoi (PQgetvalue (res, r, col [VERSION_A]));
        out->version_b = atoi (PQgetvalue (res, r, col [VERSION_B]));
        int ga = scoring_grade_by_name (PQgetvalue (res, r, col [GRADE_A]));
        int gb = scoring_grade_by_name (PQgetvalue (res, r, col [GRADE_B]));
        uint64_t count = strtoull (PQgetvalue (res, r, col [COUNT]), NULL, 10);
        if (ga >= 0)
            out->grades_a [ga] += count;
        if (gb >= 0)
            out->grades_b [gb] += count;
        if (ga >= 0 && gb >= 0)
            out->migration [ga * SCORING_GRADES + gb] += count;
        else if (ga >= 0)
            out->only_a += count;
        else if (gb >= 0)
            out->only_b += count;
    }
    PQclear (res);
    if (!out->version_a || !out->version_b)
        return kj_call_fail (call, KJ__CODE__NOT_FOUND, "year",
                             "year %d: %s has no portraits; kejin score run "
                             "--model scores a year",
                             out->year,
                             out->version_a ? out->model_b : out->model_a);
    out->grade_psi_e4 = scoring_psi_e4 (out->grades_a, out->grades_b,
                                        SCORING_GRADES);
    return s_indicators (call, out, a, b) ? kj_call_fail_db (call) : 0;
}

static int
s_compare (kj_call_t *call, const ProtobufCMessage *request,
           ProtobufCMessage *reply)
{
    const Kj__ScoringCompareRequest *in = (const Kj__ScoringCompareRequest *)
        request;
    scoring_model_t *a = s_year_and_model (call, in->year, in->model_a);
    if (!a)
        return -1;
    scoring_model_t *b = s_year_and_model (call, in->year, in->model_b);
    if (!b) {
        scoring_model_destroy (&a);
        return -1;
    }
    int rc = s_compare_models (call, in->year, a, b,
                               (Kj__ScoringCompareReply *) reply);
    scoring_model_destroy (&a);
    scoring_model_destroy (&b);
    return rc;
}

const kj_method_t scoring_methods [] = { { "WhatIf", s_whatif, 0 },
                                         { "Show", s_show, 0 },
                                         { "Run", s_run, KJ_WRITE },
                                         { "Progress", s_progress, 0 },
                                         { "Dist", s_dist, 0 },
                                         { "Compare", s_compare, 0 },
                                         { "ListGrades", scoring_list_grades,
                                           0 },
                                         { NULL } };
