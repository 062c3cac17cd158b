/*  =========================================================================
    registry_bulk_commit - ImportCommit of the MDP service "registry.bulk":
    the staged rows of an import written in one transaction, the stages a
    figures import moves, and the import's events (one per row changed,
    registry.<kind>.imported, a thousand rows to a COPY)

    The rest of the service (begin, chunks, abort, export, counts) is
    registry_bulk.c's.
    =========================================================================
*/

#include "registry_bulk_private.h"

//  --------------------------------------------------------------------------
//  Import events: one per row, written REGISTRY_BULK_EVENT_ITEMS at a time

typedef struct {
    kj_call_t *call;
    const registry_bulk_import_t *import;
    const char *topic;
    uint32_t batch, batches;
    uint32_t events;
} s_events_t;

//  The n items of an event, each initialised (freed by s_emit).
static Kj__BulkImportedItem *
s_items_new (size_t n)
{
    Kj__BulkImportedItem *items = (Kj__BulkImportedItem *)
        calloc (n, sizeof *items);
    assert (items);
    for (size_t i = 0; i < n; i++)
        kj__bulk_imported_item__init (&items [i]);
    return items;
}

//  Add one event per item to the outbox, with one COPY: key the item's
//  entity, payload a BulkImported holding that item, numbered 1..rows of
//  the import; free the items.
static int
s_emit (s_events_t *events, Kj__BulkImportedItem *items, size_t n)
{
    Kj__BulkImported *payloads = (Kj__BulkImported *) calloc (n,
                                                              sizeof *payloads);
    Kj__BulkImportedItem **pointers = (Kj__BulkImportedItem **)
        calloc (n, sizeof *pointers);
    const char **keys = (const char **) calloc (n, sizeof *keys);
    const ProtobufCMessage **messages = (const ProtobufCMessage **)
        calloc (n, sizeof *messages);
    assert (payloads && pointers && keys && messages);
    char id [24];
    snprintf (id, sizeof id, "%" PRId64, events->import->id);
    for (size_t i = 0; i < n; i++) {
        Kj__BulkImported *event = &payloads [i];
        kj__bulk_imported__init (event);
        event->import_id = id;
        event->kind = (Kj__BulkKind) events->import->kind;
        event->batch = ++events->batch;
        event->batches = events->batches;
        event->file_name = events->import->file_name;
        pointers [i] = &items [i];
        event->items = &pointers [i];
        event->n_items = 1;
        keys [i] = items [i].key;
        messages [i] = &event->base;
    }
    int rc = kj_outbox_add_many (kj_call_db (events->call), events->topic, n,
                                 keys, messages);
    free (messages);
    free (keys);
    free (pointers);
    free (payloads);
    free (items);
    if (rc)
        return -1;
    events->events += (uint32_t) n;
    return 0;
}

static int
s_emit_items (const registry_bulk_item_t *rows, size_t n, void *arg)
{
    Kj__BulkImportedItem *items = s_items_new (n);
    for (size_t i = 0; i < n; i++) {
        items [i].key = (char *) rows [i].key;
        items [i].name = (char *) rows [i].name;
        items [i].region = (char *) rows [i].region;
        items [i].stage = (char *) rows [i].stage;
    }
    return s_emit ((s_events_t *) arg, items, n);
}

//  --------------------------------------------------------------------------
//  ImportCommit

typedef struct {
    kj_call_t *call;
    const registry_stage_rules_t *rules;
    const registry_bulk_import_t *import;
    s_events_t *events;
} s_restage_t;

//  A batch of the enterprises a figures import touched: their stage and
//  tech-SME score on the figures now on file, and the event listing them.
static int
s_restage (const registry_bulk_touched_t *rows, size_t n,
           registry_csv_buf_t *out, void *arg)
{
    s_restage_t *self = (s_restage_t *) arg;
    Kj__BulkImportedItem *items = s_items_new (n);
    registry_stage_result_t *results = (registry_stage_result_t *)
        calloc (n, sizeof *results);
    assert (results);
    for (size_t i = 0; i < n; i++) {
        const registry_bulk_touched_t *t = &rows [i];
        registry_bulk_stage_facts_t facts = {
            .founded_on = t->founded_on,
            .today = self->import->today,
            .latest = t->has_figures ? &t->latest : NULL,
            .revenue_prev = t->revenue_prev,
            .net_profit_prev = t->net_profit_prev,
            .revenue_prev2 = t->revenue_prev2,
            .has_prev = t->has_prev,
            .has_prev2 = t->has_prev2,
            .not_reported = t->not_reported,
            .high_tech = t->high_tech,
            .srdi = t->srdi,
            .little_giant = t->little_giant,
            .incubator_resident = t->incubator_resident,
            .listing_tutoring = t->listing_tutoring,
            .board_standard = t->board_standard,
            .round = t->latest_round
        };
        registry_stage_result_t *result = &results [i];
        registry_bulk_classify (self->rules, &facts, result);
        int before = registry_stage_from_name (t->stage);
        //  An override holds: only what the rules say moves
        registry_bulk_restage_t restage = { .code = t->code,
                                            .computed = result->stage,
                                            .version = result->version };
        if (t->stage_override) {
            restage.stage = (registry_stage_t) (before < 0 ? 0 : before);
            restage.rule = t->stage_rule;
            restage.reason = t->stage_reason;
            restage.review = t->stage_review;
        }
        else {
            restage.stage = result->stage;
            restage.rule = result->rule;
            restage.reason = result->reason;
            restage.review = result->needs_review;
        }
        restage.moved = (int) restage.stage != before;
        registry_techsme_result_t score;
        if (t->has_figures) {
            registry_techsme_input_t grid = {
                .staff = t->latest.staff,
                .tech_staff = t->latest.tech_staff,
                .sales_fen = t->latest.revenue_fen,
                .rnd_fen = t->latest.rnd_fen,
                .cost_fen = t->latest.total_cost_fen,
                .total_assets_fen = t->latest.total_assets_fen,
                .ip_class1 = t->invention_patents,
                .ip_class2 = t->class2_ip,
                .abnormal = t->abnormal,
                .dishonest = t->dishonest,
                .unknown = registry_techsme_unknown (&t->latest)
            };
            kj_status_t status;
            if (registry_techsme_evaluate (&grid, &score, &status) == 0) {
                restage.has_techsme = true;
                restage.techsme_year = t->latest.year;
                restage.techsme = &score;
            }
        }
        registry_bulk_store_restage_row (out, &restage);

        items [i].key = (char *) t->code;
        items [i].name = (char *) t->name;
        items [i].region = (char *) t->region;
        items [i].stage = (char *) registry_stage_name (restage.stage);
        items [i].year = t->has_figures ? t->latest.year : 0;
        items [i].previous_stage = restage.moved ? (char *) t->stage : "";
    }
    int rc = s_emit (self->events, items, n);
    free (results);
    kj_call_keepalive (self->call);
    return rc;
}

typedef struct {
    kj_call_t *call;
    Kj__ImportCommitReply *reply;
    size_t capacity;
} s_errors_t;

static void
s_commit_error (const registry_csv_error_t *error, void *arg)
{
    s_errors_t *self = (s_errors_t *) arg;
    Kj__ImportCommitReply *reply = self->reply;
    if (reply->n_errors == self->capacity)
        return;
    reply->errors [reply->n_errors++] = registry_bulk_row_error (self->call,
                                                                 error);
}

//  Record the commit's answer with the import's end, so that a commit
//  asked again gets it.
static int
s_finish (kj_call_t *call, const registry_bulk_import_t *import,
          Kj__ImportCommitReply *reply)
{
    size_t size = protobuf_c_message_get_packed_size (&reply->base);
    uint8_t *packed = (uint8_t *) malloc (size ? size : 1);
    protobuf_c_message_pack (&reply->base, packed);
    int rc = registry_bulk_store_finish (kj_call_db (call), import,
                                         reply->state, reply->rows,
                                         reply->imported, reply->error_count,
                                         packed, size);
    free (packed);
    return rc < 0 ? registry_server_db_failed (call) : 0;
}

static int
s_refuse (kj_call_t *call, const registry_bulk_import_t *import,
          Kj__ImportCommitReply *reply, uint64_t found)
{
    kj_db_t *db = kj_call_db (call);
    reply->committed = false;
    reply->state = "refused";
    reply->error_count = found;
    s_errors_t errors = { .call = call,
                          .reply = reply,
                          .capacity = REGISTRY_BULK_ERRORS_MAX };
    reply->errors = (Kj__BulkRowError **)
        kj_call_alloc (call,
                       REGISTRY_BULK_ERRORS_MAX * sizeof (Kj__BulkRowError *));
    if (registry_bulk_store_errors_get (db, import->id, -1,
                                        REGISTRY_BULK_ERRORS_MAX,
                                        s_commit_error, &errors)
        < 0)
        return registry_server_db_failed (call);
    kj_info ("bulk.import_refused",
             "import=%" PRId64 " kind=%s rows=%" PRIu64 " errors=%" PRIu64,
             import->id, registry_csv_kind_name (import->kind), reply->rows,
             found);
    return s_finish (call, import, reply);
}

int
registry_bulk_import_commit (kj_call_t *call, const ProtobufCMessage *input,
                             ProtobufCMessage *output)
{
    const Kj__ImportCommitRequest *request = (const Kj__ImportCommitRequest *)
        input;
    kj_audit_object (call, "import", request->import_id);
    Kj__ImportCommitReply *reply = (Kj__ImportCommitReply *) output;
    registry_server_t *server = (registry_server_t *) kj_call_state (call);
    kj_db_t *db = kj_call_db (call);
    int64_t id;
    if (registry_bulk_import_id (call, request->import_id, &id))
        return -1;
    if (registry_bulk_store_lock_targets (db, id))
        return registry_server_db_failed (call);
    registry_bulk_import_t import;
    if (registry_bulk_load_import (call, id, true, "", &import))
        return -1;
    if (import.reply) {
        //  Committed or refused before: the same answer
        ProtobufCAllocator mem;
        kj_call_allocator (call, &mem);
        Kj__ImportCommitReply
            *stored = kj__import_commit_reply__unpack (&mem, import.reply_size,
                                                       import.reply);
        registry_bulk_store_import_free (&import);
        if (!stored)
            return kj_call_fail (call, KJ__CODE__INTERNAL, NULL,
                                 "the stored answer of import %" PRId64
                                 " does not decode",
                                 id);
        *reply = *stored;
        return 0;
    }
    if (!streq (import.state, "open")) {
        kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "import_id",
                      "import %" PRId64 " is %s; start a new import", id,
                      import.state);
        registry_bulk_store_import_free (&import);
        return -1;
    }

    //  Every chunk the client sent is here, and nothing else
    int64_t started = kj_mono_us ();
    registry_bulk_totals_t totals;
    int rc = registry_bulk_store_totals (db, id, request->chunks, &totals);
    if (rc < 0) {
        registry_bulk_store_import_free (&import);
        return registry_server_db_failed (call);
    }
    if (totals.chunks != request->chunks || *totals.missing
        || totals.rows != request->rows) {
        kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "chunks",
                      "import %" PRId64 " has %u chunks and %" PRIu64 " rows; "
                      "the client sent %u and %" PRIu64 "%s%s: send the "
                      "missing chunks again, then commit",
                      id, totals.chunks, totals.rows, request->chunks,
                      request->rows, *totals.missing ? "; missing: " : "",
                      totals.missing);
        registry_bulk_store_import_free (&import);
        return -1;
    }
    reply->rows = totals.rows;
    uint64_t found = totals.errors;
    if (found) {
        //  Refused already; the file's other problems go in the same list
        int64_t more = registry_bulk_store_diagnose (db, &import,
                                                     registry_bulk_tick, call);
        rc = more < 0
               ? registry_server_db_failed (call)
               : s_refuse (call, &import, reply, found + (uint64_t) more);
        registry_bulk_store_import_free (&import);
        return rc;
    }
    const char *who = registry_server_who (call);
    rc = registry_bulk_store_insert (db, &import, who, registry_bulk_tick, call,
                                     &reply->imported, &reply->replaced);
    if (rc == 0) {
        int64_t more = registry_bulk_store_diagnose (db, &import,
                                                     registry_bulk_tick, call);
        if (more == 0) {
            //  The database refused a row that no check explains: say so
            //  for the file as a whole rather than claim success
            registry_csv_buf_t buf = { 0 };
            registry_csv_error_t error = {
                .line = 0,
                .field = "",
                .value = "",
                .reason = "a row broke a rule of the registry's database "
                          "that no check of the import explains; see the "
                          "registry's log (bulk.import_conflict)"
            };
            registry_bulk_store_error_row (&buf, id, -1, &error);
            if (registry_bulk_store_errors_put (db, &buf) < 0)
                more = -1;
            else
                more = 1;
            registry_csv_buf_free (&buf);
        }
        rc = more < 0 ? registry_server_db_failed (call)
                      : s_refuse (call, &import, reply, (uint64_t) more);
        registry_bulk_store_import_free (&import);
        return rc;
    }
    if (rc < 0) {
        registry_bulk_store_import_free (&import);
        return registry_server_db_failed (call);
    }

    //  Written: now the stages a figures import moves, and the events
    s_events_t events = { .call = call,
                          .import = &import,
                          .topic = registry_bulk_store_topic (import.kind) };
    if (import.kind == REGISTRY_CSV_FIGURES) {
        int64_t touched = registry_bulk_store_touched_count (db, id);
        events.batches = touched < 0 ? 0 : (uint32_t) touched;
        s_restage_t restage = { .call = call,
                                .rules = registry_server_rules (server),
                                .import = &import,
                                .events = &events };
        uint64_t count = 0;
        rc = touched < 0
               ? -1
               : registry_bulk_store_restage (db, &import,
                                              REGISTRY_BULK_EVENT_ITEMS,
                                              s_restage, &restage,
                                              registry_bulk_tick, call, &count,
                                              &reply->stages_changed);
    }
    else {
        events.batches = (uint32_t) reply->imported;
        rc = registry_bulk_store_staged (db, &import, REGISTRY_BULK_EVENT_ITEMS,
                                         s_emit_items, &events,
                                         registry_bulk_tick, call);
    }
    if (rc != 1) {
        registry_bulk_store_import_free (&import);
        return registry_server_db_failed (call);
    }
    reply->committed = true;
    reply->state = "committed";
    reply->events = events.events;
    rc = s_finish (call, &import, reply);
    kj_info ("bulk.import_committed",
             "import=%" PRId64 " kind=%s rows=%" PRIu64 " imported=%" PRIu64
             " replaced=%" PRIu64 " stages_"
             "changed=%" PRIu64 " events=%u ms=%" PRId64,
             id, registry_csv_kind_name (import.kind), reply->rows,
             reply->imported, reply->replaced, reply->stages_changed,
             reply->events, (kj_mono_us () - started) / 1000);
    registry_bulk_store_import_free (&import);
    return rc;
}
