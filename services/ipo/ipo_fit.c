/*  =========================================================================
    ipo_fit - batch board fit in kejin-ipo: the whole registry, or firms a
    caller sends in pages

    See the header. Each firm is fitted against every standard of the
    table (ipo_board_fit, the same code as Fit and `kejin ipo fit`); a
    firm meeting at least one is stored with a bit per standard met and
    the bits it did not meet in the previous batch of the source.
    =========================================================================
*/

#include <pthread.h>

#include "ipo_server.h"
#include "ipo_fit.h"
#include "ipo_store.h"
#include "registry_bulk.pb-c.h"

//  --------------------------------------------------------------------------
//  The figures of a request as the rules read them; see the header.

//  Offset in Kj__IpoFigures of each field of ipo_board_fields, by name
static size_t s_offsets [64];

static void
s_input_offsets (void)
{
    size_t f = 0;
    for (const ipo_board_field_t *field = ipo_board_fields; field->name;
         field++, f++) {
        const ProtobufCFieldDescriptor
            *from = protobuf_c_message_descriptor_get_field_by_name (
                &kj__ipo_figures__descriptor, field->name);
        assert (from && from->type == PROTOBUF_C_TYPE_INT64
                && f < sizeof s_offsets / sizeof s_offsets [0]);
        s_offsets [f] = from->offset;
    }
}

void
ipo_fit_input (const Kj__IpoFigures *figures, ipo_board_input_t *input)
{
    //  Where each field of the input is in the message, looked up by
    //  name once (the table is constant; the same on every thread)
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once (&once, s_input_offsets);
    memset (input, 0, sizeof *input);
    size_t f = 0;
    for (const ipo_board_field_t *field = ipo_board_fields; field->name;
         field++, f++)
        memcpy ((char *) input + field->offset,
                (const char *) figures + s_offsets [f], sizeof (int64_t));
}

//  --------------------------------------------------------------------------
//  The yearly figures of a firm's latest rows into input (ipo_fit.h); a
//  figure not reported is missing, never 0, and so is every figure of a
//  year without a row

void
ipo_fit_years (const ipo_fit_year_t years [3], ipo_board_input_t *input)
{
    const uint32_t year_missing = IPO_MISSING_NP (0) | IPO_MISSING_REV (0)
                                | IPO_MISSING_RD (0) | IPO_MISSING_OCF (0);
    input->missing |= year_missing | year_missing << 1 | year_missing << 2;
    for (int i = 0; i < 3; i++) {
        int t = years [0].year - years [i].year;
        if (!years [i].year || t < 0 || t > 2)
            continue;
        input->np_fen [t] = years [i].np_fen;
        input->rev_fen [t] = years [i].rev_fen;
        input->rd_fen [t] = years [i].rd_fen;
        input->ocf_fen [t] = years [i].ocf_fen;
        //  IPO_MISSING_*(t) is IPO_MISSING_*(0) shifted by t
        input->missing &= ~(year_missing << t);
        input->missing |= years [i].missing << t;
    }
    if (input->rev_fen [1] > 0) {
        __int128 growth = ((__int128) input->rev_fen [0] - input->rev_fen [1])
                        * 10000 / input->rev_fen [1];
        input->rev_growth_t0_bp = growth > 10000000 ? 10000000
                                : growth < -10000   ? -10000
                                                    : (int64_t) growth;
    }
}

//  --------------------------------------------------------------------------
//  The standards input meets, a bit per standard of the table; 0, or -1
//  with status set when a figure is out of range
int
ipo_fit_meets (const ipo_board_rules_t *rules, const ipo_board_input_t *input,
               unsigned *meets, kj_status_t *status)
{
    uint32_t bits;
    int rc = ipo_board_meets (rules, input, IPO_BOARD_ALL, &bits, status);
    *meets = bits;
    return rc;
}

//  The names of the standards of the table, by bit ("STAR-1", ...): made
//  once for a finish or a page shown, not once per firm
typedef char s_names_t [32][16];

static void
s_name_table (const ipo_board_rules_t *rules, s_names_t table)
{
    for (size_t i = 0; i < 32; i++)
        if (i < rules->count)
            ipo_board_standard_name (&rules->standards [i], table [i], 16);
        else
            table [i][0] = 0;
}

//  A result of ipo_store_fit_results, read by name: its columns' indexes
//  resolved once a page
enum { S_FIRM, S_CITY, S_MEETS, S_NEWLY, S_RESULT_COLUMNS };
static const char *const s_result_names [S_RESULT_COLUMNS] = {
    [S_FIRM] = "firm",
    [S_CITY] = "city",
    [S_MEETS] = "meets",
    [S_NEWLY] = "newly"
};

//  A firm's bits (meets and newly are NOT NULL): 0, or -1 logged
static int
s_result_bits (const PGresult *res, int row, const int col [], unsigned *meets,
               unsigned *newly)
{
    int m, n;
    if (kj_sql_int_at (res, row, col [S_MEETS], &m)
        || kj_sql_int_at (res, row, col [S_NEWLY], &n))
        return -1;
    *meets = (unsigned) m;
    *newly = (unsigned) n;
    return 0;
}

//  The names of the standards in bits, pointing into table, into names;
//  their count
static size_t
s_names (s_names_t table, unsigned bits, char **names)
{
    size_t count = 0;
    for (size_t i = 0; i < 32; i++)
        if ((bits & (1u << i)) && table [i][0])
            names [count++] = table [i];
    return count;
}

//  --------------------------------------------------------------------------
//  A batch as a message; strings point into batch
static void
s_batch_fill (Kj__IpoFitBatch *msg, const ipo_store_batch_t *batch)
{
    msg->id = (uint64_t) batch->id;
    msg->source = (char *) batch->source;
    msg->state = (char *) batch->state;
    msg->firms = (uint64_t) batch->firms;
    msg->meeting = (uint64_t) batch->meeting;
    msg->newly = (uint64_t) batch->newly;
    msg->pages = (uint32_t) batch->pages;
    msg->previous = (uint64_t) batch->previous;
    msg->started_us = batch->started_us;
    msg->finished_us = batch->finished_us;
    msg->error = (char *) batch->error;
    msg->version = (char *) batch->version;
    msg->by = (char *) batch->by;
}

//  A batch's events are keyed by its source: the source's lock, before
//  the transaction's first write
int
ipo_fit_lock (kj_db_t *db, const ipo_store_batch_t *batch)
{
    return kj_db_lock_key (db, "ipo.fit", batch->source);
}

//  An event of the batch as it stands
int
ipo_fit_batch_event (kj_db_t *db, const char *topic,
                     const ipo_store_batch_t *batch)
{
    Kj__IpoFitBatch msg = KJ__IPO_FIT_BATCH__INIT;
    s_batch_fill (&msg, batch);
    return kj_outbox_add (db, topic, batch->source, &msg.base);
}

//  --------------------------------------------------------------------------
//  A text as an element of an array literal: quoted, a backslash or a
//  quote escaped (texts hold no control characters: they are checked, or
//  codes of the registry's)
static void
s_element (zchunk_t *out, const char *text)
{
    zchunk_extend (out, zchunk_size (out) > 1 ? ",\"" : "\"",
                   zchunk_size (out) > 1 ? 2 : 1);
    for (const char *c = text; *c; c++) {
        if (*c == '\\' || *c == '"')
            zchunk_extend (out, "\\", 1);
        zchunk_extend (out, c, 1);
    }
    zchunk_extend (out, "\"", 1);
}

//  A text as a field of COPY text: a backslash, tab, newline or carriage
//  return escaped (texts hold none but the backslash: they are checked)
static void
s_copy_field (zchunk_t *out, const char *text)
{
    for (const char *c = text; *c; c++) {
        const char *escape = *c == '\\' ? "\\\\"
                           : *c == '\t' ? "\\t"
                           : *c == '\n' ? "\\n"
                           : *c == '\r' ? "\\r"
                                        : NULL;
        if (escape)
            zchunk_extend (out, escape, 2);
        else
            zchunk_extend (out, c, 1);
    }
}

//  Store a page of fitted firms (those meeting a standard, with what they
//  newly meet against the batch's previous one) in the caller's
//  transaction; *meeting and *newly get their counts. 1, 0 when a firm of
//  the page is in the batch already (named in dup), -1 when the database
//  failed.
int
ipo_fit_page_store (kj_db_t *db, const ipo_store_batch_t *batch,
                    const ipo_fit_item_t *items, size_t count, int64_t *meeting,
                    int64_t *newly, char *dup, size_t dup_size)
{
    zchunk_t *firms = zchunk_new ("{", 1), *cities = zchunk_new ("{", 1),
             *meets = zchunk_new ("{", 1);
    //  The first batch of a source: the rows as COPY text instead, every
    //  firm newly meeting all it meets
    zchunk_t *rows = batch->previous ? NULL : zchunk_new (NULL, 65536);
    assert (firms && cities && meets);
    *meeting = 0;
    for (size_t i = 0; i < count; i++) {
        if (!items [i].meets)
            continue;
        char bits [32];
        s_element (firms, items [i].firm);
        if (rows) {
            int length = snprintf (bits, sizeof bits, "%lld\t",
                                   (long long) batch->id);
            zchunk_extend (rows, bits, (size_t) length);
            s_copy_field (rows, items [i].firm);
            zchunk_extend (rows, "\t", 1);
            s_copy_field (rows, items [i].city);
            length = snprintf (bits, sizeof bits, "\t%u\t%u\n", items [i].meets,
                               items [i].meets);
            zchunk_extend (rows, bits, (size_t) length);
        }
        else {
            int length = snprintf (bits, sizeof bits, *meeting ? ",%u" : "%u",
                                   items [i].meets);
            s_element (cities, items [i].city);
            zchunk_extend (meets, bits, (size_t) length);
        }
        (*meeting)++;
    }
    zchunk_extend (firms, "}", 2);  //  and a NUL
    zchunk_extend (cities, "}", 2);
    zchunk_extend (meets, "}", 2);
    int rc = 1;
    *newly = 0;
    if (*meeting && rows) {
        rc = ipo_store_fit_copy (db, batch->id,
                                 (const char *) zchunk_data (firms),
                                 (const char *) zchunk_data (rows),
                                 zchunk_size (rows), dup, dup_size);
        *newly = *meeting;
    }
    else if (*meeting)
        rc = ipo_store_fit_page (db, batch->id, batch->previous,
                                 (const char *) zchunk_data (firms),
                                 (const char *) zchunk_data (cities),
                                 (const char *) zchunk_data (meets), newly, dup,
                                 dup_size);
    zchunk_destroy (&firms);
    zchunk_destroy (&cities);
    zchunk_destroy (&meets);
    zchunk_destroy (&rows);
    return rc;
}

//  Count a stored page into the batch, with its progress event, in the
//  caller's transaction; 0 or -1
int
ipo_fit_page_count (kj_db_t *db, ipo_store_batch_t *batch, size_t count,
                    int64_t meeting, int64_t newly)
{
    batch->firms += (int64_t) count;
    batch->meeting += meeting;
    batch->newly += newly;
    batch->pages++;
    return ipo_store_batch_save (db, batch) < 0
                || ipo_fit_batch_event (db, "ipo.fit.progress", batch)
             ? -1
             : 0;
}

//  Finish a batch in the caller's transaction: its state, an event per
//  firm whose fit changed against the previous batch (ipo.fit.newly,
//  S_EVENTS at a time, read from what the pages stored; none for the
//  first batch of a source, which changes nothing: docs/rules/ipo.md,
//  "Events of a batch"), the finished event, and the batches before its
//  previous dropped. 0 or -1.
#define S_EVENTS 10000

int
ipo_fit_finish (kj_db_t *db, const ipo_board_rules_t *rules,
                ipo_store_batch_t *batch)
{
    snprintf (batch->state, sizeof batch->state, "FINISHED");
    batch->finished_us = kj_wall_us ();  //  the row's is the database's
    //  ipo.fit.newly is written by this function alone, thousands of firms
    //  at once: its topic's lock orders it (docs/rules/ipo.md, "Events of
    //  a batch"), taken, as the source's, before the first write of a
    //  transaction that did not take them at its start
    if (ipo_fit_lock (db, batch)
        || kj_db_lock_topic (db, "ipo.fit.newly", false)
        || ipo_store_batch_save (db, batch) < 0)
        return -1;
    s_names_t table;
    s_name_table (rules, table);
    char after [65] = "";
    while (batch->previous) {
        PGresult *res = ipo_store_fit_results (db, batch->id, after, S_EVENTS,
                                               false);
        if (!res)
            return -1;
        int col [S_RESULT_COLUMNS];
        if (kj_sql_columns (res, s_result_names, col, S_RESULT_COLUMNS)) {
            PQclear (res);
            return -1;
        }
        int rows = PQntuples (res);
        Kj__IpoFitNew *events = (Kj__IpoFitNew *) calloc ((size_t) rows + 1,
                                                          sizeof *events);
        char **lists = (char **) calloc ((size_t) rows * 64 + 1,
                                         sizeof (char *));
        const char **keys = (const char **) calloc ((size_t) rows + 1,
                                                    sizeof (char *));
        const ProtobufCMessage **payloads = (const ProtobufCMessage **)
            calloc ((size_t) rows + 1, sizeof (void *));
        assert (events && lists && keys && payloads);
        int rc = 0;
        for (int row = 0; row < rows && rc == 0; row++) {
            Kj__IpoFitNew *e = &events [row];
            kj__ipo_fit_new__init (e);
            e->batch = (uint64_t) batch->id;
            e->firm = PQgetvalue (res, row, col [S_FIRM]);
            e->city = PQgetvalue (res, row, col [S_CITY]);
            unsigned meets, newly;
            if (s_result_bits (res, row, col, &meets, &newly)) {
                rc = -1;
                break;
            }
            e->meets = lists + (size_t) row * 64;
            e->newly = e->meets + 32;
            e->n_meets = s_names (table, meets, e->meets);
            e->n_newly = s_names (table, newly, e->newly);
            keys [row] = e->firm;
            payloads [row] = &e->base;
        }
        if (rc == 0 && rows)
            rc = kj_outbox_add_many (db, "ipo.fit.newly", (size_t) rows, keys,
                                     payloads);
        if (rows)
            snprintf (after, sizeof after, "%s",
                      PQgetvalue (res, rows - 1, col [S_FIRM]));
        free (events);
        free (lists);
        free (keys);
        free (payloads);
        PQclear (res);
        if (rc)
            return -1;
        if (rows < S_EVENTS)
            break;
    }
    if (ipo_fit_batch_event (db, "ipo.fit.finished", batch)
        || ipo_store_batch_prune (db, batch->source, batch->previous) < 0)
        return -1;
    return 0;
}

//  --------------------------------------------------------------------------
//  The refusal of firms for a batch no longer receiving them
static int
s_not_receiving (kj_call_t *call, const ipo_store_batch_t *batch)
{
    return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "batch",
                         "batch: batch %lld is %s; firms are sent only to an "
                         "uploaded batch still RECEIVING",
                         (long long) batch->id, batch->state);
}

//  --------------------------------------------------------------------------
//  FitBatch: start a batch, or add a page of firms to one; see the header
int
ipo_fit_batch (kj_call_t *call, const ProtobufCMessage *request,
               ProtobufCMessage *reply)
{
    const Kj__IpoFitBatchRequest *in = (const Kj__IpoFitBatchRequest *) request;
    const ipo_fit_config_t *config = ipo_server_fit_config (
        kj_call_state (call));
    kj_db_t *db = kj_call_db (call);
    //  The audit trail's image of the call: the request without its
    //  firms (a page of them as JSON is megabytes, only to be dropped for
    //  its size), and the reply
    Kj__IpoFitBatchRequest image = *in;
    image.firms = NULL;
    image.n_firms = 0;
    char object [48];
    snprintf (object, sizeof object, "%llu: %zu firms",
              (unsigned long long) in->batch, in->n_firms);
    kj_audit_object (call, "fit batch", object);
    kj_audit_images (call, &image.base, NULL);
    if (in->n_firms > IPO_FIT_PAGE_MAX)
        return kj_call_fail (call, KJ__CODE__RESOURCE_EXHAUSTED, "firms",
                             "firms: %zu in one call; at most %d, send the "
                             "rest in further calls",
                             in->n_firms, IPO_FIT_PAGE_MAX);
    ipo_store_batch_t batch = { .id = 0 };
    if (in->batch == 0) {
        if (in->from_registry && (in->n_firms || in->last))
            return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "firms",
                                 "firms: a batch of the registry is fetched "
                                 "by the service; send no firms");
        if (in->from_registry) {
            int rc = ipo_store_batch_running (db, "REGISTRY", &batch);
            if (rc < 0)
                return kj_call_fail_db (call);
            if (rc)
                return kj_call_fail (call, KJ__CODE__ALREADY_EXISTS,
                                     "from_registry",
                                     "from_registry: batch %lld is fitting "
                                     "the registry already; follow it with "
                                     "`kejin ipo fit show %lld`",
                                     (long long) batch.id,
                                     (long long) batch.id);
        }
        snprintf (batch.source, sizeof batch.source, "%s",
                  in->from_registry ? "REGISTRY" : "UPLOAD");
        snprintf (batch.state, sizeof batch.state, "%s",
                  in->from_registry ? "FETCHING" : "RECEIVING");
        snprintf (batch.version, sizeof batch.version, "%s",
                  config->board->version);
        snprintf (batch.by, sizeof batch.by, "%s", ipo_server_who (call));
        if (ipo_fit_lock (db, &batch)
            || ipo_store_batch_insert (db, &batch) <= 0
            || ipo_fit_batch_event (db, "ipo.fit.started", &batch))
            return kj_call_fail_db (call);
    }
    else {
        if (in->from_registry)
            return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT,
                                 "from_registry",
                                 "from_registry: only when a batch starts "
                                 "(batch 0)");
        //  Not locked yet: pages of a batch are fitted and stored side by
        //  side, each taking the batch's row only to count itself in
        int rc = in->batch > INT64_MAX
                   ? 0
                   : ipo_store_batch_load (db, (int64_t) in->batch, false,
                                           &batch);
        if (rc < 0)
            return kj_call_fail_db (call);
        if (!rc || in->batch > INT64_MAX)
            return kj_call_fail (call, KJ__CODE__NOT_FOUND, "batch",
                                 "batch: no batch %llu",
                                 (unsigned long long) in->batch);
        if (strcmp (batch.state, "RECEIVING"))
            return s_not_receiving (call, &batch);
    }
    //  Every firm checked and fitted before anything is stored
    int64_t started = kj_mono_us ();
    ipo_fit_item_t *items = (ipo_fit_item_t *) calloc (in->n_firms + 1,
                                                       sizeof *items);
    //  Keys are the request's own strings: nothing copied per firm
    zhashx_t *seen = zhashx_new ();
    assert (items && seen);
    zhashx_set_key_duplicator (seen, NULL);
    zhashx_set_key_destructor (seen, NULL);
    int rc = 0;
    for (size_t i = 0; i < in->n_firms && rc == 0; i++) {
        const Kj__IpoFitFirm *f = in->firms [i];
        //  Each field's name is written out only for a refusal
        char field [64];
        if (ipo_server_text (NULL, NULL, f->firm, 1, 64)) {
            snprintf (field, sizeof field, "firms[%zu].firm", i);
            rc = ipo_server_text (call, field, f->firm, 1, 64);
            break;
        }
        if (zhashx_insert (seen, f->firm, (void *) 1)) {
            snprintf (field, sizeof field, "firms[%zu].firm", i);
            rc = kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, field,
                               "%s: %s is in this call twice", field, f->firm);
            break;
        }
        if (ipo_server_text (NULL, NULL, f->city, 0, 32)) {
            snprintf (field, sizeof field, "firms[%zu].city", i);
            rc = ipo_server_text (call, field, f->city, 0, 32);
            break;
        }
        if (!f->figures) {
            snprintf (field, sizeof field, "firms[%zu].figures", i);
            rc = kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, field,
                               "%s: required", field);
            break;
        }
        ipo_board_input_t input;
        ipo_fit_input (f->figures, &input);
        kj_status_t status;
        if (ipo_fit_meets (config->board, &input, &items [i].meets, &status)) {
            char name [sizeof status.field];
            memcpy (name, status.field, sizeof name);
            snprintf (status.field, sizeof status.field,
                      "firms[%d].figures.%.32s", (int) i, name);
            rc = kj_call_fail_status (call, &status);
            break;
        }
        snprintf (items [i].firm, sizeof items [i].firm, "%s", f->firm);
        snprintf (items [i].city, sizeof items [i].city, "%s", f->city);
    }
    zhashx_destroy (&seen);
    int64_t fitted = kj_mono_us ();
    char dup [65] = "";
    int64_t meeting = 0, newly = 0;
    //  The locks of what this transaction writes, before its first write:
    //  the source's (its progress event), and on the last page the
    //  topic's of ipo.fit.newly (ipo_fit_finish)
    if (rc == 0
        && (ipo_fit_lock (db, &batch)
            || (in->last && kj_db_lock_topic (db, "ipo.fit.newly", false))))
        rc = kj_call_fail_db (call);
    if (rc == 0 && in->n_firms) {
        int stored = ipo_fit_page_store (db, &batch, items, in->n_firms,
                                         &meeting, &newly, dup, sizeof dup);
        if (stored < 0)
            rc = kj_call_fail_db (call);
        else if (stored == 0)
            rc = kj_call_fail (call, KJ__CODE__ALREADY_EXISTS, "firms",
                               "firms: %s was sent in an earlier call of "
                               "batch %lld",
                               dup, (long long) batch.id);
    }
    free (items);
    if (rc)
        return -1;
    //  The batch's row, locked now, as the pages stored before this one
    //  left it: still RECEIVING, or a call that finished it came first
    if (in->batch) {
        int found = ipo_store_batch_load (db, batch.id, true, &batch);
        if (found < 0)
            return kj_call_fail_db (call);
        if (found == 0)
            snprintf (batch.state, sizeof batch.state, "gone");
        if (strcmp (batch.state, "RECEIVING"))
            return s_not_receiving (call, &batch);
    }
    if (in->n_firms
        && ipo_fit_page_count (db, &batch, in->n_firms, meeting, newly))
        return kj_call_fail_db (call);
    int64_t stored = kj_mono_us ();
    if (in->last && ipo_fit_finish (db, config->board, &batch))
        return kj_call_fail_db (call);
    //  Where a page's time goes (bench_ipo sums these)
    kj_info ("ipo.fit.page",
             "batch=%lld firms=%zu fit_us=%lld store_us=%lld finish_us=%lld",
             (long long) batch.id, in->n_firms, (long long) (fitted - started),
             (long long) (stored - fitted),
             (long long) (kj_mono_us () - stored));
    Kj__IpoFitBatchReply *out = (Kj__IpoFitBatchReply *) reply;
    out->batch = (Kj__IpoFitBatch *)
        kj_call_message (call, &kj__ipo_fit_batch__descriptor);
    ipo_store_batch_t *kept = (ipo_store_batch_t *)
        kj_call_alloc (call, sizeof *kept);
    *kept = batch;
    s_batch_fill (out->batch, kept);
    return 0;
}

//  --------------------------------------------------------------------------
//  FitShow: a batch (the latest for 0) and a page of its newly fit firms
//  (or of every firm meeting a standard)
int
ipo_fit_show (kj_call_t *call, const ProtobufCMessage *request,
              ProtobufCMessage *reply)
{
    const Kj__IpoFitShowRequest *in = (const Kj__IpoFitShowRequest *) request;
    const ipo_fit_config_t *config = ipo_server_fit_config (
        kj_call_state (call));
    if (in->limit > IPO_FIT_PAGE_MAX)
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "limit",
                             "limit: %u; at most %d", in->limit,
                             IPO_FIT_PAGE_MAX);
    if (ipo_server_text (call, "after", in->after, 0, 64))
        return -1;
    if (in->batch > INT64_MAX)
        return kj_call_fail (call, KJ__CODE__NOT_FOUND, "batch",
                             "batch: no batch %llu",
                             (unsigned long long) in->batch);
    ipo_store_batch_t *batch = (ipo_store_batch_t *)
        kj_call_alloc (call, sizeof *batch);
    kj_db_t *db = kj_call_db (call);
    int rc = ipo_store_batch_load (db, (int64_t) in->batch, false, batch);
    if (rc < 0)
        return kj_call_fail_db (call);
    if (!rc && in->batch == 0)
        return kj_call_fail (call, KJ__CODE__NOT_FOUND, "batch",
                             "batch: no batch fit yet; start one with "
                             "`kejin ipo fit run`");
    if (!rc)
        return kj_call_fail (call, KJ__CODE__NOT_FOUND, "batch",
                             "batch: no batch %llu",
                             (unsigned long long) in->batch);
    int limit = in->limit ? (int) in->limit : 100;
    PGresult *res = ipo_store_fit_results (db, batch->id,
                                           in->after ? in->after : "", limit,
                                           in->all);
    if (!res)
        return kj_call_fail_db (call);
    Kj__IpoFitShowReply *out = (Kj__IpoFitShowReply *) reply;
    out->batch = (Kj__IpoFitBatch *)
        kj_call_message (call, &kj__ipo_fit_batch__descriptor);
    s_batch_fill (out->batch, batch);
    int col [S_RESULT_COLUMNS];
    if (kj_sql_columns (res, s_result_names, col, S_RESULT_COLUMNS)) {
        PQclear (res);
        return kj_call_fail_db (call);
    }
    int rows = PQntuples (res);
    s_names_t *table = (s_names_t *) kj_call_alloc (call, sizeof *table);
    s_name_table (config->board, *table);
    out->firms = (Kj__IpoFitNew **) kj_call_alloc (call, (size_t) (rows + 1)
                                                             * sizeof (void *));
    for (int row = 0; row < rows; row++) {
        Kj__IpoFitNew *f = (Kj__IpoFitNew *)
            kj_call_message (call, &kj__ipo_fit_new__descriptor);
        f->batch = (uint64_t) batch->id;
        f->firm = kj_call_strdup (call, PQgetvalue (res, row, col [S_FIRM]));
        f->city = kj_call_strdup (call, PQgetvalue (res, row, col [S_CITY]));
        f->meets = (char **) kj_call_alloc (call, 64 * sizeof (char *));
        f->newly = f->meets + 32;
        unsigned meets, newly;
        if (s_result_bits (res, row, col, &meets, &newly)) {
            PQclear (res);
            return kj_call_fail_db (call);
        }
        f->n_meets = s_names (*table, meets, f->meets);
        f->n_newly = s_names (*table, newly, f->newly);
        out->firms [out->n_firms++] = f;
    }
    if (rows == limit && rows > 0)
        out->next = kj_call_strdup (call,
                                    PQgetvalue (res, rows - 1, col [S_FIRM]));
    PQclear (res);
    return 0;
}
