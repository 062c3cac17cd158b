/*  =========================================================================
    matching_batch_job - batch matching and re-matching on change, with
    their SQL

    See the header. The demands come from one query (their current
    proposals beside them, for re-matching after a product change), the
    year's IP pledges per enterprise from another; they are matched under
    the model's read lock, and the proposals go back with one COPY into a
    temporary table and one upsert, in one transaction with the batch's
    row and its event.
    =========================================================================
*/

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "matching_batch_job.h"
#include "matching_registry.h"

#define TOP_DEFAULT 10
//  More changed products than this in one pass: re-match every demand.
#define REMATCH_ALL_PRODUCTS 64

struct _matching_changes_t {
    pthread_mutex_t lock;
    zhashx_t *keys;  //  "p:ID", "e:CODE"
    bool all;        //  too many: re-match everything
    bool busy;       //  a pass runs
};

//  --------------------------------------------------------------------------
//  Changes

matching_changes_t *
matching_changes_new (void)
{
    matching_changes_t *self = calloc (1, sizeof *self);
    assert (self);
    pthread_mutex_init (&self->lock, NULL);
    self->keys = zhashx_new ();
    return self;
}

void
matching_changes_destroy (matching_changes_t **self_p)
{
    assert (self_p);
    matching_changes_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->keys);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

void
matching_changes_add (char kind, const char *key, void *arg)
{
    matching_changes_t *self = arg;
    if (!key || strlen (key) > 64)
        return;
    char entry [72];
    snprintf (entry, sizeof entry, "%c:%s", kind, key);
    pthread_mutex_lock (&self->lock);
    if (zhashx_size (self->keys) >= MATCHING_CHANGES_MAX)
        self->all = true;
    else
        zhashx_update (self->keys, entry, (void *) 1);
    pthread_mutex_unlock (&self->lock);
}

size_t
matching_changes_pending (matching_changes_t *self)
{
    pthread_mutex_lock (&self->lock);
    size_t pending = zhashx_size (self->keys) + self->all + self->busy;
    pthread_mutex_unlock (&self->lock);
    return pending;
}

//  Take what was recorded (the pass then runs); *all if everything is to
//  be re-matched
static zhashx_t *
s_changes_take (matching_changes_t *self, bool *all)
{
    pthread_mutex_lock (&self->lock);
    zhashx_t *keys = self->keys;
    *all = self->all;
    self->keys = zhashx_new ();
    self->all = false;
    self->busy = true;
    pthread_mutex_unlock (&self->lock);
    return keys;
}

static void
s_changes_done (matching_changes_t *self, bool failed)
{
    pthread_mutex_lock (&self->lock);
    self->busy = false;
    if (failed)
        self->all = true;  //  again next time, all of it
    pthread_mutex_unlock (&self->lock);
}

//  --------------------------------------------------------------------------
//  Regions

bool
matching_batch_job_region_valid (const char *region)
{
    return !region || !region [0] || strcmp (region, KJ_REGION_METRO) == 0
        || kj_region_city_valid (region);
}

//  True if an enterprise of `city` is in the batch's region
static bool
s_in_region (const char *region, const char *city)
{
    if (!region || !region [0])
        return true;
    if (!city)
        return false;
    if (strcmp (region, KJ_REGION_METRO) == 0) {
        const kj_region_info_t *info = kj_region_info (
            kj_region_city_valid (city) ? kj_region_by_code (city)
                                        : KJ_REGION_NONE);
        return info && info->in_shenyang_metro;
    }
    return strcmp (region, city) == 0;
}

int
matching_today (void)
{
    time_t now = time (NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r (&now, &tm);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

//  --------------------------------------------------------------------------
//  The open demands

typedef struct {
    PGresult *res;      //  strings of the items point here
    PGresult *pledged;  //  enterprise_code, fen
    zhashx_t *pledges;  //  code -> row index + 1 in pledged
    matching_batch_item_t *items;
    const char **current;  //  per item: its proposals now ("P1,P2")
    size_t n;
} s_demands_t;

static void
s_demands_free (s_demands_t *demands)
{
    if (demands->res)
        PQclear (demands->res);
    if (demands->pledged)
        PQclear (demands->pledged);
    zhashx_destroy (&demands->pledges);
    free (demands->items);
    free (demands->current);
    memset (demands, 0, sizeof *demands);
}

//  What s_demands_load reads of each open demand, by name
#define DEMANDS_COLUMNS                                                        \
    "d.id, d.enterprise_code, d.amount_fen, d.term_months, d.instrument, "     \
    "d.collateral, d.renewal, coalesce (to_char (d.renews_matures_on, "        \
    "'YYYYMMDD'), '0') AS renews_matures_on, d.renews_arrears, "               \
    "coalesce (m.products, '') AS products"

enum {
    D_ID,
    D_ENTERPRISE_CODE,
    D_AMOUNT_FEN,
    D_TERM_MONTHS,
    D_INSTRUMENT,
    D_COLLATERAL,
    D_RENEWAL,
    D_RENEWS_MATURES_ON,
    D_RENEWS_ARREARS,
    D_PRODUCTS,
    D_COLUMNS
};
static const char *const s_demands_names [D_COLUMNS] = {
    [D_ID] = "id",
    [D_ENTERPRISE_CODE] = "enterprise_code",
    [D_AMOUNT_FEN] = "amount_fen",
    [D_TERM_MONTHS] = "term_months",
    [D_INSTRUMENT] = "instrument",
    [D_COLLATERAL] = "collateral",
    [D_RENEWAL] = "renewal",
    [D_RENEWS_MATURES_ON] = "renews_matures_on",
    [D_RENEWS_ARREARS] = "renews_arrears",
    [D_PRODUCTS] = "products",
};

//  Open demands, of the enterprises in codes (a PostgreSQL array literal)
//  or all (NULL). 0 or -1 (database)
static int
s_demands_load (kj_db_t *db, const char *codes, s_demands_t *demands)
{
    memset (demands, 0, sizeof *demands);
    demands->res = kj_db_exec (
        db,
        codes ? "SELECT " DEMANDS_COLUMNS " FROM demand d "
                "LEFT JOIN demand_match m ON m.demand_id = d.id "
                "WHERE d.state IN (1, 2) "
                "AND d.enterprise_code = ANY ($1::text[]) ORDER BY d.id"
              : "SELECT " DEMANDS_COLUMNS " FROM demand d "
                "LEFT JOIN demand_match m ON m.demand_id = d.id "
                "WHERE d.state IN (1, 2) ORDER BY d.id",
        codes ? 1 : 0, (const char *[]){ codes });
    demands->pledged = kj_db_exec (
        db,
        "SELECT a.enterprise_code, sum (a.amount_fen) AS pledged_fen "
        "FROM application a "
        "WHERE " MATCHING_IP_PLEDGED_WHERE " GROUP BY a.enterprise_code",
        0, NULL);
    //  Each result's columns, once for its rows (100,000s of demands)
    int col [D_COLUMNS], code = -1, fen = -1;
    if (!demands->res || !demands->pledged
        || kj_sql_columns (demands->res, s_demands_names, col, D_COLUMNS)
        || (code = kj_sql_column (demands->pledged, "enterprise_code")) < 0
        || (fen = kj_sql_column (demands->pledged, "pledged_fen")) < 0) {
        s_demands_free (demands);
        return -1;
    }
    demands->pledges = zhashx_new ();
    for (int r = 0; r < PQntuples (demands->pledged); r++)
        zhashx_insert (demands->pledges, PQgetvalue (demands->pledged, r, code),
                       (void *) (uintptr_t) (r + 1));
    PGresult *res = demands->res;
    size_t rows = (size_t) PQntuples (res);
    demands->items = calloc (rows + 1, sizeof *demands->items);
    demands->current = calloc (rows + 1, sizeof *demands->current);
    assert (demands->items && demands->current);
    int today = matching_today ();
    for (size_t r = 0; r < rows; r++) {
        int row = (int) r;
#define V(column) PQgetvalue (res, row, col [D_##column])
        matching_batch_item_t *item = &demands->items [r];
        item->demand_id = V (ID);
        item->enterprise_code = V (ENTERPRISE_CODE);
        item->view.amount_fen = atoll (V (AMOUNT_FEN));
        item->view.term_months = atoi (V (TERM_MONTHS));
        item->view.instrument = (matching_instrument_t) atoi (V (INSTRUMENT));
        item->view.collateral = (unsigned) atoi (V (COLLATERAL));
        item->view.renewal = V (RENEWAL) [0] == 't';
        item->view.renew_maturity = atoi (V (RENEWS_MATURES_ON));
        item->view.renew_arrears = V (RENEWS_ARREARS) [0] == 't';
        item->view.on = today;
        uintptr_t at = (uintptr_t) zhashx_lookup (demands->pledges,
                                                  item->enterprise_code);
        item->ip_pledged_fen = at ? atoll (PQgetvalue (demands->pledged,
                                                       (int) at - 1, fen))
                                  : 0;
        demands->current [r] = V (PRODUCTS);
#undef V
    }
    demands->n = rows;
    return 0;
}

//  --------------------------------------------------------------------------
//  Storing proposals

//  COPY text: tab, newline and backslash escaped
static void
s_copy_text (zchunk_t *data, const char *text)
{
    for (const char *c = text; *c; c++) {
        if (*c == '\\' || *c == '\t' || *c == '\n' || *c == '\r') {
            char escaped [2] = { '\\', *c == '\t'   ? 't'
                                       : *c == '\n' ? 'n'
                                       : *c == '\r' ? 'r'
                                                    : '\\' };
            zchunk_extend (data, escaped, 2);
        }
        else
            zchunk_extend (data, c, 1);
    }
}

static void
s_copy_printf (zchunk_t *data, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_copy_printf (zchunk_t *data, const char *format, ...)
{
    char buffer [64];
    va_list args;
    va_start (args, format);
    int length = vsnprintf (buffer, sizeof buffer, format, args);
    va_end (args);
    assert (length >= 0 && (size_t) length < sizeof buffer);
    zchunk_extend (data, buffer, (size_t) length);
}

//  The COPY rows of the matched items (model read-locked); counts into
//  batch
static zchunk_t *
s_rows (matching_model_t *model, const matching_batch_item_t *items, size_t n,
        const char *source, Kj__Batch *batch)
{
    zchunk_t *data = zchunk_new (NULL, 1 << 16);
    for (size_t i = 0; i < n; i++) {
        const matching_batch_item_t *item = &items [i];
        batch->demands++;
        batch->matched += item->n > 0;
        batch->proposals += item->n;
        s_copy_text (data, item->demand_id);
        zchunk_extend (data, "\t", 1);
        s_copy_text (data, source);
        zchunk_extend (data, "\t", 1);
        for (uint32_t k = 0; k < item->n; k++) {
            if (k)
                zchunk_extend (data, ",", 1);
            s_copy_text (data,
                         matching_model_message (model, item->top [k])->id);
        }
        zchunk_extend (data, "\t", 1);
        for (uint32_t k = 0; k < item->n; k++)
            s_copy_printf (data, "%s%" PRId64, k ? "," : "", item->score [k]);
        zchunk_extend (data, "\t", 1);
        for (uint32_t k = 0; k < item->n; k++)
            s_copy_printf (data, "%s%" PRIu64, k ? "," : "",
                           matching_model_message (model, item->top [k])
                               ->version);
        s_copy_printf (data, "\t%u\t" MATCHING_RULES_VERSION "\n",
                       item->passed);
    }
    return data;
}

//  The proposals, the batch's row (when it has an id) and the event, in
//  one transaction. 0 or -1
static int
s_store (kj_db_t *db, zchunk_t *data, Kj__Batch *batch, const char *topic)
{
    //  The event's entity (the batch, else its source) locked before the
    //  first write, as kj_outbox checks
    if (kj_db_begin (db)
        || kj_db_lock_key (db, "matching.batch",
                           batch->id && batch->id [0] ? batch->id
                                                      : batch->source)) {
        kj_db_rollback (db);
        return -1;
    }
    int rc = kj_db_run (db,
                        "CREATE TEMP TABLE IF NOT EXISTS demand_match_in "
                        "(demand_id text, source text, products text, "
                        "scores text, versions text, passed int, "
                        "rules_version text) ON COMMIT DELETE ROWS",
                        0, NULL)
                   < 0
               ? -1
               : 0;
    if (rc == 0 && zchunk_size (data))
        rc = kj_db_copy (db, "COPY demand_match_in FROM STDIN",
                         zchunk_data (data), zchunk_size (data));
    if (rc == 0)
        rc = kj_db_run (db,
                        "INSERT INTO demand_match (demand_id, source, "
                        "products, scores, versions, passed, rules_version) "
                        "SELECT demand_id, source, products, scores, "
                        "versions, passed, rules_version "
                        "FROM demand_match_in ON CONFLICT (demand_id) DO "
                        "UPDATE SET source = excluded.source, products = "
                        "excluded.products, scores = excluded.scores, "
                        "versions = excluded.versions, passed = "
                        "excluded.passed, rules_version = "
                        "excluded.rules_version, at = now ()",
                        0, NULL)
                   < 0
               ? -1
               : 0;
    if (rc == 0 && batch->id && batch->id [0]) {
        char demands [16], matched [16], proposals [24], ms [24];
        snprintf (demands, sizeof demands, "%u", batch->demands);
        snprintf (matched, sizeof matched, "%u", batch->matched);
        snprintf (proposals, sizeof proposals, "%" PRIu64, batch->proposals);
        snprintf (ms, sizeof ms, "%" PRId64, batch->ms);
        const char *params [] = { batch->id, demands, matched, proposals, ms };
        rc = kj_db_run (db,
                        "UPDATE batch SET state = 3, demands = $2, matched = "
                        "$3, proposals = $4, ms = $5, finished_at = now () "
                        "WHERE id = $1",
                        5, params)
                   < 0
               ? -1
               : 0;
    }
    if (rc == 0)
        rc = kj_outbox_add (db, topic,
                            batch->id && batch->id [0] ? batch->id
                                                       : batch->source,
                            &batch->base);
    if (rc == 0)
        rc = kj_db_commit (db);
    if (rc)
        kj_db_rollback (db);
    return rc;
}

//  Match the items (those out of region left out) and store them
static int
s_match_store (matching_job_t *job, s_demands_t *demands, const char *region,
               size_t top, Kj__Batch *batch, const char *topic)
{
    int64_t start = kj_mono_us ();
    matching_model_read (job->model);
    //  Out of the region: demand_id cleared, matched against nothing
    size_t kept = 0;
    for (size_t i = 0; i < demands->n; i++) {
        matching_batch_item_t *item = &demands->items [i];
        matching_enterprise_t profile;
        if (region && region [0]
            && (matching_model_profile (job->model, item->enterprise_code,
                                        &profile, NULL)
                    != 0
                || !s_in_region (region, profile.region)))
            continue;
        demands->items [kept] = *item;
        demands->current [kept++] = demands->current [i];
    }
    demands->n = kept;
    matching_batch_run (job->model, job->weights, demands->items, kept, top,
                        job->threads);
    batch->ms = (kj_mono_us () - start) / 1000;
    //  Each proposal says where it came from: the batch, or the change
    zchunk_t *data = s_rows (job->model, demands->items, kept,
                             batch->id && batch->id [0] ? batch->id
                                                        : batch->source,
                             batch);
    matching_model_done (job->model);
    int rc = s_store (job->db, data, batch, topic);
    zchunk_destroy (&data);
    return rc;
}

//  --------------------------------------------------------------------------
//  A batch

int
matching_batch_job_run (matching_job_t *job, Kj__Batch **batch_p)
{
    if (batch_p)
        *batch_p = NULL;
    PGresult *res = kj_db_exec (
        job->db,
        "UPDATE batch SET state = 2, started_at = now () WHERE id = "
        "(SELECT id FROM batch WHERE state = 1 OR (state = 2 AND started_at "
        "< now () - interval '10 minutes') ORDER BY id LIMIT 1 "
        "FOR UPDATE SKIP LOCKED) RETURNING id, region, top, requested_by",
        0, NULL);
    if (!res)
        return -1;
    if (PQntuples (res) == 0) {
        PQclear (res);
        return 0;
    }
    Kj__Batch *batch = calloc (1, sizeof *batch);
    assert (batch);
    kj__batch__init (batch);
    //  NOT NULL by the schema
    const char *id = kj_sql_text (res, 0, "id");
    const char *region = kj_sql_text (res, 0, "region");
    const char *requested_by = kj_sql_text (res, 0, "requested_by");
    int top;
    if (!id || !region || !requested_by || kj_sql_int (res, 0, "top", &top)) {
        kj_error ("matching.batch", "a claimed batch cannot be read");
        PQclear (res);
        kj__batch__free_unpacked (batch, NULL);
        return -1;
    }
    batch->id = strdup (id);
    batch->region = strdup (region);
    batch->top = (uint32_t) top;
    batch->requested_by = strdup (requested_by);
    batch->source = strdup ("batch");
    batch->state = KJ__BATCH_STATE__BATCH_DONE;
    PQclear (res);
    if (!matching_model_wait (job->model, 0)) {
        //  Not loaded yet: put it back for the next round
        const char *params [] = { batch->id };
        kj_db_run (job->db, "UPDATE batch SET state = 1 WHERE id = $1", 1,
                   params);
        kj__batch__free_unpacked (batch, NULL);
        return 0;
    }
    s_demands_t demands;
    int rc = s_demands_load (job->db, NULL, &demands);
    if (rc == 0) {
        rc = s_match_store (job, &demands, batch->region,
                            batch->top ? batch->top : TOP_DEFAULT, batch,
                            "matching.batch.finished");
        s_demands_free (&demands);
    }
    if (rc == 0)
        kj_info ("matching.batch_done",
                 "id=%s region=%s demands=%u matched=%u proposals=%" PRIu64
                 " ms=%" PRId64 " threads=%d",
                 batch->id, batch->region, batch->demands, batch->matched,
                 batch->proposals, batch->ms, job->threads);
    if (rc == 0 && batch_p)
        *batch_p = batch;
    else
        kj__batch__free_unpacked (batch, NULL);
    return rc ? -1 : 1;
}

//  --------------------------------------------------------------------------
//  Re-matching

//  True if the item's proposals now name product id
static bool
s_proposes (const char *current, const char *id)
{
    size_t length = strlen (id);
    for (const char *at = strstr (current, id); at; at = strstr (at + 1, id))
        if ((at == current || at [-1] == ',')
            && (at [length] == ',' || at [length] == 0))
            return true;
    return false;
}

int
matching_batch_job_rematch (matching_job_t *job, matching_changes_t *changes)
{
    bool all;
    zhashx_t *keys = s_changes_take (changes, &all);
    if (!all && zhashx_size (keys) == 0) {
        zhashx_destroy (&keys);
        s_changes_done (changes, false);
        return 0;
    }
    //  Enterprises only: their demands; any product: every open demand,
    //  then those the products touch
    zlist_t *products = zlist_new ();
    zchunk_t *codes = zchunk_new ("{", 1);
    size_t n_codes = 0;
    char source [80] = "";
    for (void *item = zhashx_first (keys); item; item = zhashx_next (keys)) {
        const char *key = (const char *) zhashx_cursor (keys);
        if (!source [0])
            snprintf (source, sizeof source, "%s %s",
                      key [0] == 'p' ? "product" : "enterprise", key + 2);
        if (key [0] == 'p')
            zlist_append (products, (void *) (key + 2));
        else {
            //  Credit codes are [0-9A-Z]: safe in an array literal
            if (n_codes++)
                zchunk_extend (codes, ",", 1);
            zchunk_extend (codes, key + 2, strlen (key + 2));
        }
    }
    zchunk_extend (codes, "}", 2);
    if (zhashx_size (keys) > 1 || all)
        snprintf (source, sizeof source, "%zu changes%s", zhashx_size (keys),
                  all ? " and more" : "");
    //  Many products changed at once (an import): re-matching every open
    //  demand costs less than finding the affected ones
    if (zlist_size (products) > REMATCH_ALL_PRODUCTS)
        all = true;
    bool every = all || zlist_size (products) > 0;
    s_demands_t demands;
    int rc = s_demands_load (job->db,
                             every ? NULL : (const char *) zchunk_data (codes),
                             &demands);
    if (rc == 0 && every && !all) {
        //  Keep the demands of a changed enterprise, and those a changed
        //  product serves now or was proposed to
        matching_model_read (job->model);
        size_t kept = 0;
        for (size_t i = 0; i < demands.n; i++) {
            matching_batch_item_t *item = &demands.items [i];
            char key [72];
            snprintf (key, sizeof key, "e:%s", item->enterprise_code);
            bool affected = zhashx_lookup (keys, key) != NULL;
            matching_enterprise_t profile;
            bool known = matching_model_profile (job->model,
                                                 item->enterprise_code,
                                                 &profile, NULL)
                      == 0;
            profile.ip_pledged_year_fen = item->ip_pledged_fen;
            for (const char *id = zlist_first (products); id && !affected;
                 id = zlist_next (products)) {
                ssize_t at = matching_model_find (job->model, id);
                affected = s_proposes (demands.current [i], id)
                        || (known && at >= 0
                            && matching_filter_check (&matching_model_products (
                                                          job->model) [at],
                                                      &profile, &item->view,
                                                      NULL));
            }
            if (affected) {
                demands.items [kept] = *item;
                demands.current [kept++] = demands.current [i];
            }
        }
        demands.n = kept;
        matching_model_done (job->model);
    }
    Kj__Batch batch = KJ__BATCH__INIT;
    batch.source = source;
    batch.state = KJ__BATCH_STATE__BATCH_DONE;
    batch.top = TOP_DEFAULT;
    if (rc == 0) {
        rc = demands.n ? s_match_store (job, &demands, NULL, TOP_DEFAULT,
                                        &batch, "matching.demands.rematched")
                       : 0;
        s_demands_free (&demands);
    }
    if (rc == 0 && batch.demands)
        kj_info ("matching.rematched", "source=\"%s\" demands=%u ms=%" PRId64,
                 source, batch.demands, batch.ms);
    s_changes_done (changes, rc != 0);
    zlist_destroy (&products);
    zchunk_destroy (&codes);
    zhashx_destroy (&keys);
    return rc ? -1 : (int) batch.demands;
}
