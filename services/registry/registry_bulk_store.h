/*  =========================================================================
    registry_bulk_store - every SQL statement of the bulk import and export

    Imports, chunks and problems in bulk_import, bulk_chunk and bulk_error;
    valid rows staged by COPY into the UNLOGGED bulk_<kind> tables; the
    commit moves them into the registry's tables with one INSERT ... SELECT
    per table, inside the caller's transaction. Functions return 1 (done,
    found), 0 (nothing there, or a conflict as documented) or -1 (a
    database error: logged, and inside a transaction the transaction
    failed). The caller holds the transaction.

    Statements that may run long (the commit's inserts, the cursors) call a
    tick function now and then, so that the worker can tell the broker it
    is alive.
    =========================================================================
*/

#ifndef REGISTRY_BULK_STORE_H_INCLUDED
#define REGISTRY_BULK_STORE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kj_db.h"
#include "registry.pb-c.h"
#include "registry_check.h"
#include "registry_csv.h"
#include "registry_stage.h"
#include "registry_techsme.h"

//  Most problems kept per chunk, and returned by a commit.
#define REGISTRY_BULK_CHUNK_ERRORS_MAX 10000
#define REGISTRY_BULK_ERRORS_MAX       100000

//  Called now and then during long statements.
typedef void (registry_bulk_tick_fn) (void *arg);

//  An import as stored.
typedef struct {
    int64_t id;
    registry_csv_kind_t kind;
    char state [16];  //  open, committed, refused, aborted
    char *header;     //  the file's first line (malloc'd)
    char *file_name;  //  (malloc'd)
    kj_date_t today;  //  the import's "today"
    uint8_t *reply;   //  the commit's answer, if any (malloc'd)
    size_t reply_size;
} registry_bulk_import_t;

//  Free what an import read owns.
void
    registry_bulk_store_import_free (registry_bulk_import_t *import);

//  --------------------------------------------------------------------------
//  Imports

//  A new open import; fills import->id and import->today (the database's
//  current_date).
int
    registry_bulk_store_begin (kj_db_t *db, registry_csv_kind_t kind,
                               const char *file_name, const char *header,
                               int64_t total_bytes, const char *by,
                               registry_bulk_import_t *import);

//  Abort the open imports that received nothing for max_age_s seconds
//  (a client that died half way), deleting their staged rows. Returns how
//  many, or -1.
int
    registry_bulk_store_sweep (kj_db_t *db, int max_age_s);

//  Read an import, locking its row FOR SHARE (chunks) or FOR UPDATE
//  (commit, abort). 1, 0 if none has that id.
//  First thing in a commit's transaction, before any write: a figures
//  import changes existing enterprises, so it takes the enterprise table in
//  EXCLUSIVE mode (reads go on, writes wait). Interactive writers that ran
//  before commit first, those after wait, and each enterprise's events stay
//  in the order of its changes (kj_db_lock_key explains why the lock must
//  come before the first write). Other kinds only add rows: no lock.
//  Every kind takes the lock of its topic (registry_bulk_store_topic,
//  kj_db_lock_topic), written by import commits alone, a thousand keys
//  at a time: that lock orders the topic's events. 0 or -1.
int
    registry_bulk_store_lock_targets (kj_db_t *db, int64_t id);

//  The topic of an import's events: registry.<kind>.imported, the kind a
//  registry_csv_kind_t other than 0.
const char *
    registry_bulk_store_topic (int kind);

int
    registry_bulk_store_load (kj_db_t *db, int64_t id, bool for_update,
                              registry_bulk_import_t *import);

//  End an import: state, counts and the reply to give again; deletes its
//  staged rows.
int
    registry_bulk_store_finish (kj_db_t *db,
                                const registry_bulk_import_t *import,
                                const char *state, uint64_t rows,
                                uint64_t imported, uint64_t errors,
                                const uint8_t *reply, size_t reply_size);

//  --------------------------------------------------------------------------
//  Chunks

typedef struct {
    uint32_t rows, accepted, rejected, errors, last_line;
} registry_bulk_chunk_t;

//  Claim (import, seq): 1 if this is its first time, 0 if it was staged
//  before (a concurrent claim waits for the first to commit).
int
    registry_bulk_store_chunk_claim (kj_db_t *db, int64_t id, uint32_t seq,
                                     uint32_t first_line, uint32_t bytes);

int
    registry_bulk_store_chunk_done (kj_db_t *db, int64_t id, uint32_t seq,
                                    const registry_bulk_chunk_t *chunk);

int
    registry_bulk_store_chunk_get (kj_db_t *db, int64_t id, uint32_t seq,
                                   registry_bulk_chunk_t *chunk);

//  What the chunks of an import add up to. missing lists the seqs below
//  `expected` that never came ("3, 7, 12"; at most the first 20).
typedef struct {
    uint32_t chunks;
    uint64_t rows, accepted, errors;
    char missing [200];
} registry_bulk_totals_t;

int
    registry_bulk_store_totals (kj_db_t *db, int64_t id, uint32_t expected,
                                registry_bulk_totals_t *totals);

//  --------------------------------------------------------------------------
//  Problems

//  Append one problem as a COPY row of bulk_error to buf.
void
    registry_bulk_store_error_row (registry_csv_buf_t *buf, int64_t id,
                                   int32_t seq,
                                   const registry_csv_error_t *error);

//  COPY the rows of buf into bulk_error.
int
    registry_bulk_store_errors_put (kj_db_t *db, const registry_csv_buf_t *buf);

typedef void (registry_bulk_error_fn) (const registry_csv_error_t *error,
                                       void *arg);

//  The problems of one chunk (seq >= 0) or of the whole import (seq < 0),
//  by line, at most limit; returns how many were given, or -1.
int
    registry_bulk_store_errors_get (kj_db_t *db, int64_t id, int32_t seq,
                                    int limit, registry_bulk_error_fn *fn,
                                    void *arg);

//  Count the problems of an import. -1 on error.
int64_t
    registry_bulk_store_error_count (kj_db_t *db, int64_t id);

//  --------------------------------------------------------------------------
//  Staging

//  Append a valid row as a COPY row of its staging table to buf; stage is
//  the computed stage of an enterprise (NULL for other kinds).
void
    registry_bulk_store_stage_row (registry_csv_buf_t *buf, int64_t id,
                                   const registry_csv_row_t *row,
                                   const registry_stage_result_t *stage);

//  COPY the rows of buf into the staging table of kind.
int
    registry_bulk_store_stage (kj_db_t *db, registry_csv_kind_t kind,
                               const registry_csv_buf_t *buf);

//  --------------------------------------------------------------------------
//  The commit

//  Move the staged rows of an import into the registry in one statement
//  per table (enterprises with their qualifications and rounds; figures
//  added or replacing a year; institutions; products), under a savepoint.
//  1 done, with the rows written (and figures years replaced); 0 if a
//  row broke a constraint (a code registered already, a duplicate in the
//  file, a reference to nothing): the savepoint is rolled back, nothing
//  is written, and registry_bulk_store_diagnose says which rows. -1 on
//  other errors.
int
    registry_bulk_store_insert (kj_db_t *db,
                                const registry_bulk_import_t *import,
                                const char *by, registry_bulk_tick_fn *tick,
                                void *arg, uint64_t *imported,
                                uint64_t *replaced);

//  Look across the staged rows of an import for what only the whole file
//  or the registry can show: keys given twice, keys already registered,
//  references to enterprises or institutions that are not there. Adds a
//  problem (seq -1) for each; returns how many, or -1.
int64_t
    registry_bulk_store_diagnose (kj_db_t *db,
                                  const registry_bulk_import_t *import,
                                  registry_bulk_tick_fn *tick, void *arg);

//  One staged (or, for figures, touched) thing, for the import events.
typedef struct {
    const char *key;  //  code or id
    const char *name;
    const char *region;  //  region, or the regions joined by '|'
    const char *stage;   //  enterprises
} registry_bulk_item_t;

typedef int (registry_bulk_items_fn) (const registry_bulk_item_t *items,
                                      size_t n, void *arg);

//  The staged rows of an enterprise, institution or product import in
//  line order, n at a time. 0 if fn returned non-zero, 1 when all given.
int
    registry_bulk_store_staged (kj_db_t *db,
                                const registry_bulk_import_t *import, size_t n,
                                registry_bulk_items_fn *fn, void *arg,
                                registry_bulk_tick_fn *tick, void *tick_arg);

//  --------------------------------------------------------------------------
//  Stages of the enterprises a figures import touched

//  What the stage rules and the tech-SME grid read of one enterprise.
typedef struct {
    const char *code;
    const char *region;
    const char *name;
    kj_date_t founded_on;  //  read from the row once; year 0: none
    const char *stage;     //  in force now
    const char *stage_computed;
    const char *stage_rule;
    const char *stage_reason;
    const char *stage_version;
    bool stage_review;
    bool stage_override;
    bool listing_tutoring, board_standard, dishonest, abnormal;
    int32_t invention_patents, class2_ip;
    int latest_round;  //  registry_round_t
    bool high_tech, srdi, little_giant, incubator_resident;  //  unexpired
    bool has_figures;
    Kj__YearFigures latest;                        //  the latest year on file
    char *latest_not_reported [REGISTRY_FIGURES];  //  latest.not_reported
    bool has_prev, has_prev2;
    int64_t revenue_prev, net_profit_prev, revenue_prev2;
    unsigned not_reported;  //  registry_stage_input_t.not_reported
} registry_bulk_touched_t;

//  What to write back for one enterprise.
typedef struct {
    const char *code;
    registry_stage_t stage;  //  in force (the override's, if set)
    registry_stage_t computed;
    const char *rule;
    const char *reason;
    const char *version;
    bool review;
    bool moved;        //  the stage in force changed
    bool has_techsme;  //  figures on file: the grid's result
    int32_t techsme_year;
    const registry_techsme_result_t *techsme;
} registry_bulk_restage_t;

//  Called with each batch of touched enterprises (by code); appends one
//  restage row per enterprise with registry_bulk_store_restage_row.
typedef int (registry_bulk_touched_fn) (const registry_bulk_touched_t *rows,
                                        size_t n, registry_csv_buf_t *out,
                                        void *arg);

void
    registry_bulk_store_restage_row (registry_csv_buf_t *buf,
                                     const registry_bulk_restage_t *restage);

//  Read every enterprise the import's figures touched, n at a time, hand
//  them to fn, collect its restage rows, then write them all: the stage
//  columns (stage_at where moved), the tech-SME scores, a new version of
//  each enterprise. *touched is how many enterprises, *moved how many
//  changed stage. 1, or 0 if fn returned non-zero, -1 on error.
int
    registry_bulk_store_restage (kj_db_t *db,
                                 const registry_bulk_import_t *import, size_t n,
                                 registry_bulk_touched_fn *fn, void *arg,
                                 registry_bulk_tick_fn *tick, void *tick_arg,
                                 uint64_t *touched, uint64_t *moved);

//  Enterprises touched by a figures import (distinct codes staged).
int64_t
    registry_bulk_store_touched_count (kj_db_t *db, int64_t id);

//  --------------------------------------------------------------------------
//  Export and counts

//  Filters of an export page: NULL or "" for none.
typedef struct {
    const char *region;  //  region code ("210100", "SFDZ")
    const char *stage;   //  stored name
    const char *type;    //  institutions, products: stored name
    const char *after;   //  cursor: code, "code:year", or id
    int limit;
    int with_figures_of;  //  enterprises: 0, or Y for the compact rows with
                          //  the figures of Y and Y-1 (registry_bulk.proto)
    const char *until;    //  with with_figures_of: the last code, or none
} registry_bulk_export_t;

//  The header line of the compact enterprises export (with_figures_of),
//  with its newline.
extern const char registry_bulk_store_facts_header [];

//  One page of a kind as CSV rows (no header) appended to out; *rows is
//  how many, next the cursor of the last one ("" if fewer than limit).
int
    registry_bulk_store_export (kj_db_t *db, registry_csv_kind_t kind,
                                const registry_bulk_export_t *filter,
                                registry_csv_buf_t *out, uint32_t *rows,
                                char *next, size_t next_size);

typedef struct {
    uint64_t enterprises, figures, institutions, products;
    uint32_t regions;
    uint64_t by_stage [5];  //  by registry_stage_t
    uint32_t open_imports;
} registry_bulk_counts_t;

int
    registry_bulk_store_counts (kj_db_t *db, registry_bulk_counts_t *counts);

#endif
