/*  =========================================================================
    registry_bulk - the MDP service "registry.bulk": CSV import and export
    (ImportCommit and the import's events are registry_bulk_commit.c's)

    Every method keeps its state in the database (registry_bulk_store):
    the chunks of one import may reach any worker thread of any copy of
    kejin-registry, in any order, more than once.

    Import events: one per row changed (registry.<kind>.imported, key the
    entity, payload kj.BulkImported holding that one row), written in the
    commit's transaction with one COPY per 1,000 rows (kj_outbox_add_many),
    so that the log carries every row and a subscriber can rebuild the
    library from it. A figures import's event is one per enterprise
    touched, with its stage after the import and, where it moved, the stage
    before (instead of a registry.enterprise.stage_changed).
    =========================================================================
*/

#include "registry_bulk_private.h"

//  Keep the broker sure that a worker busy with a long statement is alive.
void
registry_bulk_tick (void *arg)
{
    kj_call_keepalive ((kj_call_t *) arg);
}

//  The import id of a request, or fail the call.
int
registry_bulk_import_id (kj_call_t *call, const char *text, int64_t *id)
{
    if (!text || kj_parse_int64 (text, id) || *id <= 0)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "import_id",
                             "import_id: '%.*s' is not an import id (the "
                             "number ImportBegin gave)",
                             kj_utf8_cut (text ? text : "", 40),
                             text ? text : "");
    return 0;
}

//  Load an import, or fail the call: NOT_FOUND "no import ID" and hint.
int
registry_bulk_load_import (kj_call_t *call, int64_t id, bool for_update,
                           const char *hint, registry_bulk_import_t *import)
{
    int rc = registry_bulk_store_load (kj_call_db (call), id, for_update,
                                       import);
    if (rc < 0)
        return registry_server_db_failed (call);
    if (rc == 0)
        return kj_call_fail (call, KJ__CODE__NOT_FOUND, "import_id",
                             "no import %" PRId64 "%s", id, hint);
    return 0;
}

//  Load an import and check it is open, or fail the call.
static int
s_open_import (kj_call_t *call, int64_t id, bool for_update,
               registry_bulk_import_t *import)
{
    if (registry_bulk_load_import (call, id, for_update,
                                   "; start one with ImportBegin", import))
        return -1;
    if (!streq (import->state, "open")) {
        kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "import_id",
                      "import %" PRId64 " is %s: it takes no more chunks; "
                      "start a new import",
                      id, import->state);
        registry_bulk_store_import_free (import);
        return -1;
    }
    return 0;
}

//  A problem of a row as the reply lists it, in the call's memory.
Kj__BulkRowError *
registry_bulk_row_error (kj_call_t *call, const registry_csv_error_t *error)
{
    Kj__BulkRowError *item = (Kj__BulkRowError *)
        kj_call_message (call, &kj__bulk_row_error__descriptor);
    item->line = error->line;
    item->field = kj_call_strdup (call, error->field);
    item->reason = kj_call_strdup (call, error->reason);
    item->value = kj_call_strdup (call, error->value ? error->value : "");
    return item;
}

//  The kind of file a request names, or fail the call (what: more words
//  for the message).
static int
s_check_kind (kj_call_t *call, Kj__BulkKind kind, const char *what)
{
    if (kind < KJ__BULK_KIND__BULK_ENTERPRISES
        || kind > KJ__BULK_KIND__BULK_PRODUCTS)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "kind",
                             "kind: %d is not a kind of file%s", (int) kind,
                             what);
    return 0;
}

//  Move a CSV buffer into a reply's bytes, in the call's memory.
static void
s_reply_data (kj_call_t *call, registry_csv_buf_t *buf,
              ProtobufCBinaryData *data)
{
    data->len = buf->size;
    data->data = (uint8_t *) kj_call_alloc (call, buf->size + 1);
    if (buf->size)
        memcpy (data->data, buf->data, buf->size);
    registry_csv_buf_free (buf);
}

static registry_csv_options_t
s_options (kj_call_t *call, kj_date_t today)
{
    registry_server_t *server = (registry_server_t *) kj_call_state (call);
    registry_csv_options_t options = {
        .today = today,
        .allow_outside = registry_server_config (server)->allow_outside,
        .allow_authorities = registry_server_config (server)->allow_authorities
    };
    return options;
}

//  --------------------------------------------------------------------------
//  The stage of an enterprise from the facts a bulk import has at hand
//  (registry_bulk_private.h).

void
registry_bulk_classify (const registry_stage_rules_t *rules,
                        const registry_bulk_stage_facts_t *facts,
                        registry_stage_result_t *result)
{
    registry_stage_input_t input;
    memset (&input, 0, sizeof input);
    input.missing = REGISTRY_STAGE_MISSING_LATEST;
    if (facts->latest) {
        input.year = facts->latest->year;
        input.missing = (facts->has_prev ? 0 : REGISTRY_STAGE_MISSING_PREV)
                      | (facts->has_prev2 ? 0 : REGISTRY_STAGE_MISSING_PREV2);
        input.revenue_fen = facts->latest->revenue_fen;
        input.net_profit_fen = facts->latest->net_profit_fen;
        input.revenue_prev_fen = facts->revenue_prev;
        input.net_profit_prev_fen = facts->net_profit_prev;
        input.revenue_prev2_fen = facts->revenue_prev2;
        input.not_reported = facts->not_reported;
    }
    input.high_tech = facts->high_tech;
    input.srdi = facts->srdi;
    input.little_giant = facts->little_giant;
    input.incubator_resident = facts->incubator_resident;
    input.listing_tutoring = facts->listing_tutoring;
    input.board_standard = facts->board_standard;
    input.round = (registry_round_t) facts->round;
    registry_check_stage (rules, facts->founded_on, facts->today, &input,
                          result);
}

//  --------------------------------------------------------------------------
//  ImportBegin

static int
s_import_begin (kj_call_t *call, const ProtobufCMessage *input,
                ProtobufCMessage *output)
{
    const Kj__ImportBeginRequest *request = (const Kj__ImportBeginRequest *)
        input;
    kj_audit_object (call, "import of", request->file_name);
    Kj__ImportBeginReply *reply = (Kj__ImportBeginReply *) output;
    kj_db_t *db = kj_call_db (call);
    if (s_check_kind (call, request->kind,
                      ": ENTERPRISES, FIGURES, "
                      "INSTITUTIONS or PRODUCTS"))
        return -1;
    kj_status_t status;
    const char *file_name = request->file_name ? request->file_name : "";
    if (kj_check_text (file_name, "file_name", 500, false, &status))
        return kj_call_fail_status (call, &status);
    //  Check the header now: a wrong file is refused before any chunk
    kj_date_t any = { 2000, 1, 1 };
    registry_csv_options_t options = s_options (call, any);
    const char *header = request->header ? request->header : "";
    registry_csv_t *csv = registry_csv_new ((registry_csv_kind_t) request->kind,
                                            header, strlen (header), &options,
                                            &status);
    if (!csv)
        return kj_call_fail_status (call, &status);
    const char *names [64];
    size_t n = registry_csv_columns (csv, names, 64);
    reply->columns = (char **) kj_call_alloc (call, (n + 1) * sizeof (char *));
    for (size_t i = 0; i < n; i++)
        reply->columns [i] = kj_call_strdup (call, names [i]);
    reply->n_columns = n;
    n = registry_csv_ignored (csv, names, 64);
    reply->ignored = (char **) kj_call_alloc (call, (n + 1) * sizeof (char *));
    for (size_t i = 0; i < n; i++)
        reply->ignored [i] = kj_call_strdup (call, names [i]);
    reply->n_ignored = n;
    registry_csv_destroy (&csv);

    if (registry_bulk_store_sweep (db, REGISTRY_BULK_ABANDONED_S) < 0)
        return registry_server_db_failed (call);
    //  Without the byte order mark, so that the stored header reads back
    const char *stored = strncmp (header, "\xEF\xBB\xBF", 3) == 0 ? header + 3
                                                                  : header;
    registry_bulk_import_t import = { 0 };
    if (registry_bulk_store_begin (db, (registry_csv_kind_t) request->kind,
                                   file_name, stored,
                                   (int64_t) request->total_bytes,
                                   registry_server_who (call), &import)
        < 0)
        return registry_server_db_failed (call);
    reply->import_id = kj_call_printf (call, "%" PRId64, import.id);
    reply->max_chunk_bytes = REGISTRY_BULK_MAX_CHUNK;
    kj_info ("bulk.import_begin",
             "import=%" PRId64 " kind=%s file=\"%s\" "
             "bytes=%" PRIu64 " by=%s",
             import.id,
             registry_csv_kind_name ((registry_csv_kind_t) request->kind),
             file_name, request->total_bytes, registry_server_who (call));
    return 0;
}

//  --------------------------------------------------------------------------
//  ImportChunk

typedef struct {
    kj_call_t *call;
    const registry_bulk_import_t *import;
    const registry_stage_rules_t *rules;
    uint32_t seq;
    registry_csv_buf_t staged;    //  COPY rows of the staging table
    registry_csv_buf_t problems;  //  COPY rows of bulk_error
    registry_bulk_chunk_t counts;
    uint32_t last_error_line;
    zlistx_t *errors;  //  Kj__BulkRowError * in call memory
} s_chunk_t;

static void
s_chunk_row (const registry_csv_row_t *row, void *arg)
{
    s_chunk_t *self = (s_chunk_t *) arg;
    self->counts.accepted++;
    registry_stage_result_t stage;
    if (row->kind == REGISTRY_CSV_ENTERPRISES) {
        //  No figures yet: a new enterprise is classified by its age, its
        //  round, its flags and the qualifications in the row
        const Kj__Enterprise *e = row->enterprise;
        registry_bulk_stage_facts_t facts = {
            .founded_on = row->founded_on,
            .today = self->import->today,
            .listing_tutoring = e->listing_tutoring,
            .board_standard = e->board_standard,
            .round = e->n_rounds ? e->rounds [0]->round : 0
        };
        for (size_t q = 0; q < e->n_qualifications; q++)
            switch (e->qualifications [q]->kind) {
                case KJ__QUALIFICATION_KIND__QUAL_HIGH_TECH:
                    facts.high_tech = true;
                    break;
                case KJ__QUALIFICATION_KIND__QUAL_SRDI:
                    facts.srdi = true;
                    break;
                case KJ__QUALIFICATION_KIND__QUAL_LITTLE_GIANT:
                    facts.little_giant = true;
                    break;
                case KJ__QUALIFICATION_KIND__QUAL_INCUBATOR_RESIDENT:
                    facts.incubator_resident = true;
                    break;
                default:
                    break;
            }
        registry_bulk_classify (self->rules, &facts, &stage);
    }
    registry_bulk_store_stage_row (&self->staged, self->import->id, row,
                                   row->kind == REGISTRY_CSV_ENTERPRISES
                                       ? &stage
                                       : NULL);
    if ((self->counts.accepted & 1023) == 0)
        kj_call_keepalive (self->call);
}

static void
s_chunk_error (const registry_csv_error_t *error, void *arg)
{
    s_chunk_t *self = (s_chunk_t *) arg;
    if (error->line != self->last_error_line) {
        self->counts.rejected++;
        self->last_error_line = error->line;
    }
    self->counts.errors++;
    if (self->counts.errors > REGISTRY_BULK_CHUNK_ERRORS_MAX)
        return;
    //  A code typed wrong: "did you mean CODE (NAME)?" for registered
    //  enterprises near it, as at the desk; stored so with the row
    registry_csv_error_t hinted = *error;
    if (error->bad_code) {
        const char *hint = registry_server_did_you_mean (self->call,
                                                         error->bad_code);
        if (*hint)
            hinted.reason = kj_call_printf (self->call, "%s%s", error->reason,
                                            hint);
    }
    error = &hinted;
    registry_bulk_store_error_row (&self->problems, self->import->id,
                                   (int32_t) self->seq, error);
    zlistx_add_end (self->errors, registry_bulk_row_error (self->call, error));
}

//  A chunk's errors read back (a chunk sent again).
static void
s_chunk_error_read (const registry_csv_error_t *error, void *arg)
{
    s_chunk_t *self = (s_chunk_t *) arg;
    zlistx_add_end (self->errors, registry_bulk_row_error (self->call, error));
}

//  Move the listed errors into the reply.
static void
s_chunk_reply (s_chunk_t *self, Kj__ImportChunkReply *reply)
{
    size_t n = zlistx_size (self->errors);
    reply->errors = (Kj__BulkRowError **)
        kj_call_alloc (self->call, (n + 1) * sizeof (Kj__BulkRowError *));
    for (void *item = zlistx_first (self->errors); item;
         item = zlistx_next (self->errors))
        reply->errors [reply->n_errors++] = (Kj__BulkRowError *) item;
    reply->seq = self->seq;
    reply->rows = self->counts.rows;
    reply->accepted = self->counts.accepted;
    reply->rejected = self->counts.rejected;
    reply->last_line = self->counts.last_line;
}

static int
s_import_chunk (kj_call_t *call, const ProtobufCMessage *input,
                ProtobufCMessage *output)
{
    const Kj__ImportChunkRequest *request = (const Kj__ImportChunkRequest *)
        input;
    kj_audit_object (call, "import", request->import_id);
    Kj__ImportChunkReply *reply = (Kj__ImportChunkReply *) output;
    registry_server_t *server = (registry_server_t *) kj_call_state (call);
    kj_db_t *db = kj_call_db (call);
    int64_t id;
    if (registry_bulk_import_id (call, request->import_id, &id))
        return -1;
    if (request->data.len > REGISTRY_BULK_MAX_CHUNK)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "data",
                             "data: %zu bytes, at most %d in one chunk",
                             request->data.len, REGISTRY_BULK_MAX_CHUNK);
    if (request->first_line < 2)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "first_line",
                             "first_line: %u; rows start on line 2, after "
                             "the header",
                             request->first_line);
    registry_bulk_import_t import;
    if (s_open_import (call, id, false, &import))
        return -1;
    s_chunk_t self = { .call = call,
                       .import = &import,
                       .seq = request->seq,
                       .rules = registry_server_rules (server),
                       .errors = zlistx_new () };
    int rc = registry_bulk_store_chunk_claim (db, id, request->seq,
                                              request->first_line,
                                              (uint32_t) request->data.len);
    if (rc == 0) {
        //  Staged before: the first answer again
        if (registry_bulk_store_chunk_get (db, id, request->seq, &self.counts)
                != 1
            || registry_bulk_store_errors_get (db, id, (int32_t) request->seq,
                                               REGISTRY_BULK_CHUNK_ERRORS_MAX,
                                               s_chunk_error_read, &self)
                   < 0)
            rc = -1;
        else {
            s_chunk_reply (&self, reply);
            reply->replayed = true;
        }
    }
    else if (rc == 1) {
        registry_csv_options_t options = s_options (call, import.today);
        kj_status_t status;
        registry_csv_t *csv = registry_csv_new (import.kind, import.header,
                                                strlen (import.header),
                                                &options, &status);
        if (!csv)
            rc = kj_call_fail_status (call, &status) - 1;
        else {
            self.counts.rows =
                registry_csv_parse (csv, (const char *) request->data.data,
                                    request->data.len, request->first_line,
                                    s_chunk_row, s_chunk_error, &self);
            uint32_t next = registry_csv_next_line (csv);
            self.counts.last_line = next > request->first_line ? next - 1
                                                               : next;
            registry_csv_destroy (&csv);
            kj_call_keepalive (call);
            if (registry_bulk_store_stage (db, import.kind, &self.staged) < 0
                || registry_bulk_store_errors_put (db, &self.problems) < 0
                || registry_bulk_store_chunk_done (db, id, request->seq,
                                                   &self.counts)
                       < 0)
                rc = -1;
            else
                s_chunk_reply (&self, reply);
        }
    }
    registry_csv_buf_free (&self.staged);
    registry_csv_buf_free (&self.problems);
    zlistx_destroy (&self.errors);
    registry_bulk_store_import_free (&import);
    if (rc == -1)
        return registry_server_db_failed (call);
    return rc < 0 ? -1 : 0;
}

//  --------------------------------------------------------------------------
//  ImportAbort

static int
s_import_abort (kj_call_t *call, const ProtobufCMessage *input,
                ProtobufCMessage *output)
{
    const Kj__ImportAbortRequest *request = (const Kj__ImportAbortRequest *)
        input;
    kj_audit_object (call, "import", request->import_id);
    Kj__ImportAbortReply *reply = (Kj__ImportAbortReply *) output;
    int64_t id;
    if (registry_bulk_import_id (call, request->import_id, &id))
        return -1;
    registry_bulk_import_t import;
    if (registry_bulk_load_import (call, id, true, "", &import))
        return -1;
    int rc = 0;
    if (streq (import.state, "open")) {
        rc = registry_bulk_store_finish (kj_call_db (call), &import, "aborted",
                                         0, 0, 0, NULL, 0);
        kj_strlcpy (import.state, "aborted", sizeof import.state);
        kj_info ("bulk.import_aborted", "import=%" PRId64, id);
    }
    reply->state = kj_call_strdup (call, import.state);
    registry_bulk_store_import_free (&import);
    return rc < 0 ? registry_server_db_failed (call) : 0;
}

//  --------------------------------------------------------------------------
//  Export

static int
s_export (kj_call_t *call, const ProtobufCMessage *input,
          ProtobufCMessage *output)
{
    const Kj__BulkExportRequest *request = (const Kj__BulkExportRequest *)
        input;
    Kj__BulkExportReply *reply = (Kj__BulkExportReply *) output;
    if (s_check_kind (call, request->kind, ""))
        return -1;
    registry_csv_kind_t kind = (registry_csv_kind_t) request->kind;
    registry_bulk_export_t filter = { .after = request->after,
                                      .limit = request->limit
                                                 ? (int) request->limit
                                                 : 10000 };
    if (filter.limit > 100000)
        filter.limit = 100000;
    if (request->with_figures_of
        && (kind != REGISTRY_CSV_ENTERPRISES || request->with_figures_of < 1900
            || request->with_figures_of > 9999))
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT,
                             "with_figures_of",
                             "with_figures_of: %d is not a year of figures "
                             "(1900 .. 9999) for an enterprises export",
                             request->with_figures_of);
    filter.with_figures_of = request->with_figures_of;
    if (request->until && *request->until
        && (!request->with_figures_of || strlen (request->until) > 64))
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "until",
                             "until: an end of the range is for an export "
                             "with_figures_of, and a credit code (at most 64 "
                             "characters)");
    filter.until = request->until;
    if (request->city && *request->city) {
        filter.region = registry_csv_region (request->city, false);
        if (!filter.region)
            return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "city",
                                 "city: '%.*s' is not a region: a city code "
                                 "(210100 .. 211400), SFDZ, or a city's name "
                                 "(沈阳, Shenyang)",
                                 kj_utf8_cut (request->city, 40),
                                 request->city);
    }
    if (request->stage && *request->stage) {
        int stage = registry_stage_from_name (request->stage);
        for (int s = 1; stage < 0 && s <= REGISTRY_STAGE_MATURE; s++)
            if (streq (request->stage,
                       registry_stage_label ((registry_stage_t) s)))
                stage = s;
        if (stage <= 0)
            return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "stage",
                                 "stage: '%.*s' is not a stage: incubation, "
                                 "startup, growth or mature (孵化期, 初创期, "
                                 "成长期, 成熟期)",
                                 kj_utf8_cut (request->stage, 40),
                                 request->stage);
        filter.stage = registry_stage_name ((registry_stage_t) stage);
    }
    char type [40];
    if (request->type && *request->type) {
        const ProtobufCEnumDescriptor *d = kind == REGISTRY_CSV_INSTITUTIONS
                                             ? &kj__institution_type__descriptor
                                             : &kj__product_type__descriptor;
        const char *prefix = kind == REGISTRY_CSV_INSTITUTIONS ? "INSTITUTION_"
                                                               : "PRODUCT_";
        int value = kind == REGISTRY_CSV_INSTITUTIONS
                         || kind == REGISTRY_CSV_PRODUCTS
                      ? kj_check_enum_value (d, prefix, request->type)
                      : -1;
        if (value <= 0)
            return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "type",
                                 "type: '%.*s' is not a type of %s",
                                 kj_utf8_cut (request->type, 40), request->type,
                                 registry_csv_kind_name (kind));
        filter.type = kj_check_enum_name (d, prefix, value, type, sizeof type);
    }
    registry_csv_buf_t out = { 0 };
    if ((!filter.after || !*filter.after) && filter.with_figures_of)
        registry_csv_buf_append (&out, registry_bulk_store_facts_header,
                                 strlen (registry_bulk_store_facts_header));
    else if (!filter.after || !*filter.after)
        registry_csv_header (kind, &out);
    char next [64];
    if (registry_bulk_store_export (kj_call_db (call), kind, &filter, &out,
                                    &reply->rows, next, sizeof next)
        < 0) {
        registry_csv_buf_free (&out);
        return registry_server_db_failed (call);
    }
    s_reply_data (call, &out, &reply->data);
    reply->next = kj_call_strdup (call, next);
    return 0;
}

//  --------------------------------------------------------------------------
//  Counts

static int
s_counts (kj_call_t *call, const ProtobufCMessage *input,
          ProtobufCMessage *output)
{
    Kj__BulkCounts *reply = (Kj__BulkCounts *) output;
    registry_bulk_counts_t counts;
    if (registry_bulk_store_counts (kj_call_db (call), &counts) < 0)
        return registry_server_db_failed (call);
    reply->enterprises = counts.enterprises;
    reply->figures = counts.figures;
    reply->institutions = counts.institutions;
    reply->products = counts.products;
    reply->regions = counts.regions;
    reply->open_imports = counts.open_imports;
    reply->by_stage = (uint64_t *) kj_call_alloc (call, sizeof counts.by_stage);
    memcpy (reply->by_stage, counts.by_stage, sizeof counts.by_stage);
    reply->n_by_stage = 5;
    kj_date_t today;
    if (registry_store_today (kj_call_db (call), &today) < 0)
        return registry_server_db_failed (call);
    char date [11];
    kj_check_date_format (today, date);
    reply->today = kj_call_strdup (call, date);
    return 0;
}

const kj_method_t registry_bulk_methods [] = {
    { "ImportBegin", s_import_begin, KJ_WRITE },
    { "ImportChunk", s_import_chunk, KJ_WRITE },
    { "ImportCommit", registry_bulk_import_commit, KJ_WRITE },
    { "ImportAbort", s_import_abort, KJ_WRITE },
    { "Export", s_export, 0 },
    { "Counts", s_counts, 0 },
    { NULL }
};
