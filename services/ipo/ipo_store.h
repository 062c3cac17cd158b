/*  =========================================================================
    ipo_store - the SQL of kejin-ipo: firms, their moves, claims, budgets

    Every statement of the service, with parameters, on the caller's
    connection and inside the caller's transaction. Functions return 1
    (done or found), 0 (not found, or a uniqueness kept) or -1 when the
    database failed (kj_db_sqlstate and kj_db_error tell why).
    =========================================================================
*/

#ifndef IPO_STORE_H_INCLUDED
#define IPO_STORE_H_INCLUDED

#include "kejin.h"
#include "ipo_pipeline.h"
#include "ipo_subsidy.h"

//  One firm's row.
typedef struct {
    char firm [65];
    char name [201];
    char city [33];
    char sponsor [201], auditor [201], law_firm [201];
    ipo_pipeline_firm_t pipe;
    int pool;           //  0, 1 city pool, 2 provincial pool
    char alerted [64];  //  last alert: "KIND/YYYYMMDD"
    int32_t refreshed;  //  the file last reviewed, YYYYMMDD
} ipo_store_firm_t;

//  One move to record.
typedef struct {
    int from, to, board;
    int32_t day;
    const char *by, *note;
    int event, event_board;  //  the subsidy event; 0: none
    const char *stage;       //  stage made due, or NULL
    int64_t due_fen;
    const char *rule;
    bool lapsed;
    int64_t at_us;       //  when recorded: set by move_add
    int64_t raised_fen;  //  an equity raise; 0 for a move of state
} ipo_store_move_t;

//  One claim's row.
typedef struct {
    int64_t id;
    char firm [65];
    char city [33];
    char stage [16];
    int board;
    int64_t amount_fen;
    char status [16];
    int32_t filed;
    int year;
    char city_by [128], province_by [128];
    char note [501];
    int64_t move;  //  EQUITY: the raise's move; 0 for a stage
} ipo_store_claim_t;

//  Load a firm, locked FOR UPDATE with lock.
int
    ipo_store_firm_load (kj_db_t *db, const char *firm, bool lock,
                         ipo_store_firm_t *out);

//  A page of at most limit firms into out, by code after `after`, of a
//  city ("" any) in a state (0 any); the count, or -1.
int
    ipo_store_firm_list (kj_db_t *db, const char *city, int state,
                         const char *after, int limit, ipo_store_firm_t *out);

//  Add a new firm; 0 if one of that code exists.
int
    ipo_store_firm_insert (kj_db_t *db, const ipo_store_firm_t *firm);

//  Save the firm's pipeline, pool, last alert, refresh and advisers.
int
    ipo_store_firm_save (kj_db_t *db, const ipo_store_firm_t *firm);

//  Firms in a city's pool (city) or the provincial pool (city NULL),
//  listed and exited firms not counted.
int
    ipo_store_pool_count (kj_db_t *db, const char *city, int64_t *count);

//  The firm's subsidy state: its subsidy events so far replayed.
int
    ipo_store_subsidy_firm (kj_db_t *db, const char *firm,
                            const ipo_subsidy_table_t *table,
                            ipo_subsidy_firm_t *out);

//  Record a move; its id in *id, when it was recorded in move->at_us.
int
    ipo_store_move_add (kj_db_t *db, const char *firm, ipo_store_move_t *move,
                        int64_t *id);

//  How many moves the firm's file holds.
int
    ipo_store_move_count (kj_db_t *db, const char *firm, int64_t *count);

//  The firm's moves oldest first, with their columns id, from_state,
//  to_state, board, day, by_whom, note, stage ('' for none), due_fen,
//  rule, lapsed, at_us, amount_fen;
//  NULL when the database failed. PQclear it.
PGresult *
    ipo_store_moves (kj_db_t *db, const char *firm);

//  The first move that made `stage` due (move: that move only, for
//  EQUITY; 0 any): its due amount and board.
int
    ipo_store_stage_due (kj_db_t *db, const char *firm, const char *stage,
                         int64_t move, int64_t *due_fen, int *board);

//  The claim of a firm for a stage (and move) that is not refused; 0 if
//  none.
int
    ipo_store_claim_find (kj_db_t *db, const char *firm, const char *stage,
                          int64_t move, ipo_store_claim_t *out);

//  The date of the firm's latest move, or 0.
int
    ipo_store_last_day (kj_db_t *db, const char *firm, int32_t *day);

//  A claim by id, locked FOR UPDATE with lock.
int
    ipo_store_claim_load (kj_db_t *db, int64_t id, bool lock,
                          ipo_store_claim_t *out);

//  A new claim, FILED; its id set. 0 if the stage has one already.
int
    ipo_store_claim_insert (kj_db_t *db, ipo_store_claim_t *claim);

//  Save a claim's status, reviewers and note.
int
    ipo_store_claim_save (kj_db_t *db, const ipo_store_claim_t *claim);

//  The firm's claims by id; NULL when the database failed. Columns as
//  ipo_store_claim_row reads them.
PGresult *
    ipo_store_claims (kj_db_t *db, const char *firm);

//  A claim's columns, by name: their indexes in a result, resolved once
typedef enum {
    IPO_CLAIM_ID,
    IPO_CLAIM_FIRM,
    IPO_CLAIM_CITY,
    IPO_CLAIM_STAGE,
    IPO_CLAIM_BOARD,
    IPO_CLAIM_AMOUNT_FEN,
    IPO_CLAIM_STATUS,
    IPO_CLAIM_FILED,
    IPO_CLAIM_YEAR,
    IPO_CLAIM_CITY_BY,
    IPO_CLAIM_PROVINCE_BY,
    IPO_CLAIM_NOTE,
    IPO_CLAIM_MOVE,
    IPO_STORE_CLAIM_COLUMNS
} ipo_store_claim_column_t;

//  The indexes of a result of claims into col [IPO_STORE_CLAIM_COLUMNS]:
//  0, or -1 (logged) when one is missing.
int
    ipo_store_claim_columns (const PGresult *res, int col []);

//  Row `row` of a result of claims into out, by the indexes col: 0, or -1
//  (logged) when a column that may not be NULL is.
int
    ipo_store_claim_row (const PGresult *res, int row, const int col [],
                         ipo_store_claim_t *out);

//  A year's budget, locked FOR UPDATE with lock; 0 if none is set.
int
    ipo_store_budget (kj_db_t *db, int year, bool lock, int64_t *budget_fen,
                      int64_t *committed_fen, int64_t *paid_fen);

//  Set a year's budget.
int
    ipo_store_budget_set (kj_db_t *db, int year, int64_t budget_fen);

//  --------------------------------------------------------------------------
//  Batch board fit (fit_batch, fit_result)

//  One batch's row.
typedef struct {
    int64_t id;
    char source [16];  //  REGISTRY or UPLOAD
    char state [16];   //  FETCHING, RECEIVING, FINISHED, FAILED
    int64_t previous;
    char version [16];
    int64_t firms, meeting, newly;
    int pages;
    char error [256];
    char by [128];
    int64_t started_us, finished_us;
} ipo_store_batch_t;

//  A new batch (its id set), compared with the latest finished batch of
//  its source (previous set).
int
    ipo_store_batch_insert (kj_db_t *db, ipo_store_batch_t *batch);

//  A batch by id (0: the latest), locked FOR UPDATE with lock; 0 if none.
int
    ipo_store_batch_load (kj_db_t *db, int64_t id, bool lock,
                          ipo_store_batch_t *out);

//  The batch of a source that is running (FETCHING or RECEIVING); 0 if
//  none.
int
    ipo_store_batch_running (kj_db_t *db, const char *source,
                             ipo_store_batch_t *out);

//  Ids of batches waiting for the fit job (FETCHING); PQclear it.
PGresult *
    ipo_store_batch_fetching (kj_db_t *db);

//  Save a batch's state, counts, error and finish.
int
    ipo_store_batch_save (kj_db_t *db, const ipo_store_batch_t *batch);

//  Forget what a batch fitted (a fetch that starts again).
int
    ipo_store_batch_reset (kj_db_t *db, ipo_store_batch_t *batch);

//  Add a page of results to batch: the firms that meet a standard as
//  array literals of their codes, cities and bits met ("{...}"), each
//  stored with the bits it did not meet in the batch `previous` (newly);
//  *newly gets how many firms newly meet one. 1 done, 0 when a firm of
//  them is in the batch already (its code in dup, or "" when it came
//  twice in the page; nothing stored), -1 failed.
int
    ipo_store_fit_page (kj_db_t *db, int64_t batch, int64_t previous,
                        const char *firms, const char *cities,
                        const char *meets, int64_t *newly, char *dup,
                        size_t dup_size);

//  The same for a batch with no previous one (every firm newly meets what
//  it meets): rows, size bytes of COPY text "batch firm city meets
//  newly" (tab-separated, a line each), stored with one COPY; firms the
//  array literal of their codes, read only to name a firm already in the
//  batch. 1, 0 (dup), -1 as above.
int
    ipo_store_fit_copy (kj_db_t *db, int64_t batch, const char *firms,
                        const char *rows, size_t size, char *dup,
                        size_t dup_size);

//  Results of a batch by firm after `after`: firm, city, meets, newly;
//  only the newly fit unless all. PQclear it.
PGresult *
    ipo_store_fit_results (kj_db_t *db, int64_t batch, const char *after,
                           int limit, bool all);

//  Drop the batches of a source older than `keep` (their results too).
int
    ipo_store_batch_prune (kj_db_t *db, const char *source, int64_t keep);

//  Codes of firms a sweep looks at (in a state that lapses or gets
//  stuck); NULL when the database failed. PQclear it.
PGresult *
    ipo_store_sweep_firms (kj_db_t *db);

//  The funnel per city (today for the days in stage), one row a city:
//  city, candidates, pool, province_pool, tutoring, filed, registered,
//  listed, avg_days, stale (by those names); city "" for all. NULL when the database failed.
PGresult *
    ipo_store_funnel (kj_db_t *db, const char *city, int32_t today);

//  Subsidies paid per city and board: city, board, paid_fen.
PGresult *
    ipo_store_paid (kj_db_t *db, const char *city);

//  For ipo_store*.c only: the text of a number for a parameter, and a
//  text into a buffer of its own (NULL as "")
#define IPO_STORE_NUM(buf, value)                                              \
    (snprintf (buf, sizeof buf, "%lld", (long long) (value)), buf)

static inline void
    ipo_store_copy (char *to, size_t size, const char *from)
{
    snprintf (to, size, "%s", from ? from : "");
}

#endif
