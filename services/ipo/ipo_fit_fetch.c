/*  =========================================================================
    ipo_fit_fetch - the job "fit" of kejin-ipo: a batch of the whole
    registry fetched from its export (registry.bulk Export) of
    enterprises, then of their yearly figures, page by page, each page
    fitted and stored in a transaction of its own (ipo_fit.c's pages and
    finish), under a session advisory lock on the batch

    See ipo_fit.h; docs/rules/ipo.md, "Batch fit".
    =========================================================================
*/

#include "ipo_server.h"
#include "ipo_fit.h"
#include "ipo_store.h"
#include "registry_bulk.pb-c.h"

//  --------------------------------------------------------------------------
//  The registry's export, as the fit job reads it

//  An enterprise of the export (not rejected or suspended): its city and
//  flags, whether it had figures
typedef struct {
    char city [33];
    bool specialized, innovative_sme, fitted;
} s_firm_t;

typedef struct {
    const ipo_fit_config_t *config;
    kj_db_t *db;
    ipo_store_batch_t *batch;
    zhashx_t *firms;  //  code -> s_firm_t
    int columns [8];  //  of the current export's header
    bool have_header;
    bool figures;     //  reading the figures export
    char today [16];  //  qualifications held on it
    char code [65];   //  the firm whose years are being read
    //  The latest three years of figures of the firm being read, newest
    //  first; an empty cell of the export is a figure not reported
    ipo_fit_year_t years [3];
    ipo_fit_item_t *items;  //  fitted, to store
    size_t count;
    char error [256];
} s_fetch_t;

static const char *s_enterprise_columns [] = { "code", "region", "status",
                                               "qualifications", NULL };
static const char *s_figure_columns [] = {
    "code",        "year",    "net_profit_fen",
    "revenue_fen", "rnd_fen", "operating_cash_flow_fen",
    NULL
};

//  Store the items fitted so far, in a transaction of their own; 0 or -1
static int
s_flush (s_fetch_t *self)
{
    if (self->count == 0)
        return 0;
    char dup [65];
    if (kj_db_begin (self->db))
        return -1;
    int64_t meeting, newly;
    int rc = ipo_fit_lock (self->db, self->batch)
               ? -1
               : ipo_fit_page_store (self->db, self->batch, self->items,
                                     self->count, &meeting, &newly, dup,
                                     sizeof dup);
    if (rc == 1
        && ipo_fit_page_count (self->db, self->batch, self->count, meeting,
                               newly))
        rc = -1;
    if (rc == 1 && kj_db_commit (self->db) == 0) {
        self->count = 0;
        return 0;
    }
    kj_db_rollback (self->db);
    snprintf (self->error, sizeof self->error, "%s",
              rc == 0 ? "a firm came twice in the registry's export"
                      : "the database failed storing a page");
    return -1;
}

//  Fit one firm from its years (NULL: none) and flags; add it to the
//  items, stored a page at a time
static int
s_fit_firm (s_fetch_t *self, const char *code, s_firm_t *firm,
            const ipo_fit_year_t *years)
{
    static const ipo_fit_year_t none [3];
    ipo_board_input_t input;
    memset (&input, 0, sizeof input);
    ipo_fit_years (years ? years : none, &input);
    input.specialized = firm->specialized;
    input.innovative_sme = firm->innovative_sme;
    firm->fitted = true;
    ipo_fit_item_t *item = &self->items [self->count];
    kj_status_t status;
    if (ipo_fit_meets (self->config->board, &input, &item->meets, &status)) {
        //  A figure out of the rules' range: the firm cannot be fitted
        kj_warn ("ipo.fit", "firm %s: %s", code, status.message);
        item->meets = 0;
    }
    snprintf (item->firm, sizeof item->firm, "%s", code);
    snprintf (item->city, sizeof item->city, "%s", firm->city);
    self->count++;
    return self->count >= (size_t) self->config->page ? s_flush (self) : 0;
}

//  The firm whose years were read, fitted; 0 or -1
static int
s_fit_current (s_fetch_t *self)
{
    if (!*self->code)
        return 0;
    s_firm_t *firm = (s_firm_t *) zhashx_lookup (self->firms, self->code);
    int rc = firm ? s_fit_firm (self, self->code, firm, self->years) : 0;
    *self->code = 0;
    memset (self->years, 0, sizeof self->years);
    return rc;
}

//  Whether a list of qualifications "kind:expiry|..." holds kind on today
static bool
s_holds (const char *list, const char *kind, const char *today)
{
    size_t length = strlen (kind);
    for (const char *at = list; at && *at;) {
        if (strncmp (at, kind, length) == 0 && at [length] == ':'
            && strncmp (at + length + 1, today, 10) >= 0)
            return true;
        at = strchr (at, '|');
        at = at ? at + 1 : NULL;
    }
    return false;
}

//  One row of an export page
static int
s_export_row (uint32_t row, const char *const *fields, size_t count, void *arg)
{
    (void) row;
    s_fetch_t *self = (s_fetch_t *) arg;
    const char **names = self->figures ? s_figure_columns
                                       : s_enterprise_columns;
    if (!self->have_header) {
        for (int c = 0; names [c]; c++) {
            self->columns [c] = -1;
            for (size_t f = 0; f < count; f++)
                if (streq (fields [f], names [c]))
                    self->columns [c] = (int) f;
            if (self->columns [c] < 0) {
                snprintf (self->error, sizeof self->error,
                          "the registry's export has no column %s", names [c]);
                return -1;
            }
        }
        self->have_header = true;
        return 0;
    }
    const char *cell [8];
    for (int c = 0; names [c]; c++)
        cell [c] = (size_t) self->columns [c] < count
                     ? fields [self->columns [c]]
                     : "";
    if (!self->figures) {
        //  Every enterprise of the library, not one refused or suspended
        if (streq (cell [2], "rejected") || streq (cell [2], "suspended")
            || strlen (cell [0]) > 64)
            return 0;
        s_firm_t *firm = (s_firm_t *) calloc (1, sizeof *firm);
        assert (firm);
        snprintf (firm->city, sizeof firm->city, "%s", cell [1]);
        firm->specialized = s_holds (cell [3], "srdi", self->today)
                         || s_holds (cell [3], "little_giant", self->today);
        firm->innovative_sme = s_holds (cell [3], "innovative_sme",
                                        self->today);
        zhashx_update (self->firms, cell [0], firm);
        return 0;
    }
    if (strcmp (cell [0], self->code) && s_fit_current (self))
        return -1;
    snprintf (self->code, sizeof self->code, "%s", cell [0]);
    //  Years come in order: keep the latest three, newest first
    ipo_fit_year_t *y = self->years;
    memmove (&y [1], &y [0], 2 * sizeof y [0]);
    y->year = atoi (cell [1]);
    y->missing = (*cell [2] ? 0 : IPO_MISSING_NP (0))
               | (*cell [3] ? 0 : IPO_MISSING_REV (0))
               | (*cell [4] ? 0 : IPO_MISSING_RD (0))
               | (*cell [5] ? 0 : IPO_MISSING_OCF (0));
    y->np_fen = strtoll (cell [2], NULL, 10);
    y->rev_fen = strtoll (cell [3], NULL, 10);
    y->rd_fen = strtoll (cell [4], NULL, 10);
    y->ocf_fen = strtoll (cell [5], NULL, 10);
    return 0;
}

//  Every page of one export; 0 or -1 (why in self->error)
static int
s_export (s_fetch_t *self, kj_client_t *client, bool figures)
{
    self->figures = figures;
    self->have_header = false;
    char after [256] = "";
    do {
        Kj__BulkExportRequest request = KJ__BULK_EXPORT_REQUEST__INIT;
        request.kind = figures ? KJ__BULK_KIND__BULK_FIGURES
                               : KJ__BULK_KIND__BULK_ENTERPRISES;
        request.after = after;
        request.limit = (uint32_t) self->config->page;
        Kj__BulkExportReply *reply = NULL;
        kj_status_t status;
        //  One attempt, waited for long: a page the registry is slow to
        //  give is only slower when asked again while it still works on it
        kj_call_opts_t opts = { .read_only = true,
                                .timeout_ms = 300000,
                                .retries = -1 };
        if (kj_client_call (client, "registry.bulk", "Export", &request.base,
                            &kj__bulk_export_reply__descriptor,
                            (ProtobufCMessage **) &reply, &status, &opts)) {
            snprintf (self->error, sizeof self->error,
                      "the registry's export: %.200s", status.message);
            return -1;
        }
        int rc = 0;
        if (reply->data.len > 0) {
            FILE *file = fmemopen (reply->data.data, reply->data.len, "r");
            char error [256];
            rc = file
                   ? kj_csv_read (file, s_export_row, self, error, sizeof error)
                   : -1;
            if (file)
                fclose (file);
            if (rc && !*self->error)
                snprintf (self->error, sizeof self->error,
                          "the registry's export is not CSV: %.200s", error);
        }
        snprintf (after, sizeof after, "%s", reply->next);
        kj__bulk_export_reply__free_unpacked (reply, NULL);
        if (rc)
            return -1;
        if (kj_stopping ()) {
            snprintf (self->error, sizeof self->error, "stopped");
            return -1;
        }
    } while (*after);
    return 0;
}

//  Fetch, fit and finish one batch of the registry (this copy holds its
//  lock). 0, or -1 with the batch marked FAILED and why.
static int
s_fetch (const ipo_fit_config_t *config, void *state, kj_db_t *db,
         ipo_store_batch_t *batch)
{
    s_fetch_t self = { .config = config, .db = db, .batch = batch };
    char today [16];
    ipo_date_text (ipo_server_today (state), today, sizeof today);
    snprintf (self.today, sizeof self.today, "%s", today);
    self.firms = zhashx_new ();
    zhashx_set_destructor (self.firms, (zhashx_destructor_fn *) zstr_free);
    self.items = (ipo_fit_item_t *) calloc ((size_t) config->page + 1,
                                            sizeof (ipo_fit_item_t));
    assert (self.items);
    kj_client_t *client = kj_client_new (config->broker);
    int rc = ipo_store_batch_reset (db, batch) < 0 ? -1 : 0;
    if (rc)
        snprintf (self.error, sizeof self.error, "the database failed");
    if (rc == 0)
        rc = s_export (&self, client, false);
    if (rc == 0)
        rc = s_export (&self, client, true);
    if (rc == 0)
        rc = s_fit_current (&self);
    //  Firms without figures: their flags alone may meet a standard
    for (s_firm_t *firm = (s_firm_t *) zhashx_first (self.firms);
         rc == 0 && firm; firm = (s_firm_t *) zhashx_next (self.firms))
        if (!firm->fitted)
            rc = s_fit_firm (&self, (const char *) zhashx_cursor (self.firms),
                             firm, NULL);
    if (rc == 0)
        rc = s_flush (&self);
    if (rc == 0) {
        rc = kj_db_begin (db) == 0
                  && ipo_fit_finish (db, config->board, batch) == 0
                  && kj_db_commit (db) == 0
               ? 0
               : -1;
        if (rc) {
            kj_db_rollback (db);
            snprintf (self.error, sizeof self.error,
                      "the database failed finishing it");
        }
    }
    kj_client_destroy (&client);
    zhashx_destroy (&self.firms);
    free (self.items);
    if (rc == 0) {
        kj_info ("ipo.fit",
                 "batch %lld: %lld firms, %lld meet a standard, %lld newly",
                 (long long) batch->id, (long long) batch->firms,
                 (long long) batch->meeting, (long long) batch->newly);
        return 0;
    }
    kj_warn ("ipo.fit", "batch %lld failed: %s", (long long) batch->id,
             self.error);
    if (kj_stopping ())
        return -1;  //  another copy, or this one restarted, takes it up
    snprintf (batch->state, sizeof batch->state, "FAILED");
    snprintf (batch->error, sizeof batch->error, "%s", self.error);
    if (ipo_store_batch_save (db, batch) < 0 || kj_db_begin (db)
        || ipo_fit_lock (db, batch)
        || ipo_fit_batch_event (db, "ipo.fit.finished", batch)
        || kj_db_commit (db))
        kj_db_rollback (db);
    return -1;
}

//  A session lock on a batch: held by the copy fetching it, released by
//  its end or its death
static bool
s_lock (kj_db_t *db, int64_t id, bool take)
{
    char text [24];
    snprintf (text, sizeof text, "%lld", (long long) id);
    const char *params [] = { text };
    PGresult *res =
        kj_db_exec (db,
                    take ? "SELECT pg_try_advisory_lock (" KJ_LOCK_IPO_FIT
                           ", $1::int)"
                         : "SELECT pg_advisory_unlock (" KJ_LOCK_IPO_FIT
                           ", $1::int)",
                    1, params);
    bool held = res && streq (PQgetvalue (res, 0, 0), "t");
    if (res)
        PQclear (res);
    return held;
}

//  --------------------------------------------------------------------------
//  The job; see the header.
int
ipo_fit_work (void *state, kj_db_t *db)
{
    const ipo_fit_config_t *config = ipo_server_fit_config (state);
    PGresult *res = ipo_store_batch_fetching (db);
    if (!res)
        return -1;
    int done = 0;
    const char *const names [] = { "id" };
    int col;
    if (kj_sql_columns (res, names, &col, 1)) {
        PQclear (res);
        return -1;
    }
    for (int row = 0; row < PQntuples (res) && !kj_stopping (); row++) {
        int64_t id;
        if (kj_sql_int64_at (res, row, col, &id)) {
            PQclear (res);
            return -1;
        }
        if (!s_lock (db, id, true))
            continue;
        ipo_store_batch_t batch;
        //  Still waiting, now that it is ours?
        if (ipo_store_batch_load (db, id, false, &batch) == 1
            && streq (batch.state, "FETCHING")
            && s_fetch (config, state, db, &batch) == 0)
            done++;
        s_lock (db, id, false);
    }
    PQclear (res);
    return done;
}
