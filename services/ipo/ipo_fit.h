/*  =========================================================================
    ipo_fit - batch board fit in kejin-ipo: the whole registry, or firms a
    caller sends in pages, fitted against every standard, the firms that
    meet one stored, and those that newly meet one (candidates to invite
    into the reserve pool) listed and each an event

    A batch of the registry is fetched by the job "fit" on any copy of the
    daemon: the registry's export (registry.bulk Export) of enterprises,
    then of their yearly figures, page by page, each page fitted and stored
    in a transaction of its own with a progress event; a session advisory
    lock on the batch keeps other copies off it, and a copy killed half way
    leaves the lock free for another to start the batch again. A batch
    of uploaded firms is fitted page by page in the FitBatch calls that
    bring them. "Newly" is against the latest finished batch of the same
    source. docs/rules/ipo.md, "Batch fit".
    =========================================================================
*/

#ifndef IPO_FIT_H_INCLUDED
#define IPO_FIT_H_INCLUDED

#include "kejin.h"
#include "ipo.pb-c.h"
#include "ipo_board.h"
#include "ipo_store.h"

//  What batch fit needs of the daemon's state.
typedef struct {
    char broker [256];  //  where the registry is
    int page;           //  rows per export page (ipo/fit_page)
    const ipo_board_rules_t *board;
} ipo_fit_config_t;

//  Most firms one FitBatch call may carry (RESOURCE_EXHAUSTED past it): a
//  firm of the longest code and city and every figure at its widest is
//  under 350 bytes encoded, so a call stays under 9 MB, far below the
//  broker's 64 MiB (KJ_MAX_MSG_SIZE).
#define IPO_FIT_PAGE_MAX 25000

//  The batch fit's part of the daemon's state (ipo_server.c).
const ipo_fit_config_t *
    ipo_server_fit_config (void *state);

//  The figures of a request as the rules read them (every field by name).
void
    ipo_fit_input (const Kj__IpoFigures *figures, ipo_board_input_t *input);

//  One year of a firm's figures as the registry's export holds them.
typedef struct {
    int year;  //  0: no row
    int64_t np_fen, rev_fen, rd_fen, ocf_fen;
    uint32_t missing;  //  IPO_MISSING_*(0) bits: figures not reported
} ipo_fit_year_t;

//  The yearly figures of input from a firm's latest rows, newest first
//  (years [0] is t0, its latest year with figures; a row outside t0-t2 is
//  left out), and the revenue growth of t0 over t1. A year of t0-t2
//  without a row is missing, like a figure not reported.
void
    ipo_fit_years (const ipo_fit_year_t years [3], ipo_board_input_t *input);

//  The methods FitBatch (KJ_WRITE) and FitShow.
int
    ipo_fit_batch (kj_call_t *call, const ProtobufCMessage *request,
                   ProtobufCMessage *reply);

int
    ipo_fit_show (kj_call_t *call, const ProtobufCMessage *request,
                  ProtobufCMessage *reply);

//  --------------------------------------------------------------------------
//  The pages and finish of a batch, shared by FitBatch (ipo_fit.c) and the
//  job "fit" (ipo_fit_fetch.c)

//  One firm to store: its code, city and the standards it meets
typedef struct {
    char firm [65];
    char city [33];
    unsigned meets;
} ipo_fit_item_t;

//  The standards input meets, a bit per standard of the table; 0, or -1
//  with status set when a figure is out of range.
int
    ipo_fit_meets (const ipo_board_rules_t *rules,
                   const ipo_board_input_t *input, unsigned *meets,
                   kj_status_t *status);

//  Take the lock that orders a batch's events (its source's,
//  kj_db_lock_key), before the transaction's first write. 0 or -1.
int
    ipo_fit_lock (kj_db_t *db, const ipo_store_batch_t *batch);

//  An event of the batch as it stands (topic "ipo.fit.*"); 0 or -1.
int
    ipo_fit_batch_event (kj_db_t *db, const char *topic,
                         const ipo_store_batch_t *batch);

//  Store a page of fitted firms (those meeting a standard, with what they
//  newly meet against the batch's previous one) in the caller's
//  transaction; *meeting and *newly get their counts. 1, 0 when a firm of
//  the page is in the batch already (named in dup), -1 when the database
//  failed.
int
    ipo_fit_page_store (kj_db_t *db, const ipo_store_batch_t *batch,
                        const ipo_fit_item_t *items, size_t count,
                        int64_t *meeting, int64_t *newly, char *dup,
                        size_t dup_size);

//  Count a stored page into the batch, with its progress event, in the
//  caller's transaction; 0 or -1.
int
    ipo_fit_page_count (kj_db_t *db, ipo_store_batch_t *batch, size_t count,
                        int64_t meeting, int64_t newly);

//  Finish a batch in the caller's transaction: its state, the events of
//  its changed firms, the finished event, older batches dropped; 0 or -1.
int
    ipo_fit_finish (kj_db_t *db, const ipo_board_rules_t *rules,
                    ipo_store_batch_t *batch);

//  --------------------------------------------------------------------------
//  The job "fit" (ipo_fit_fetch.c): fetch and fit each batch of the
//  registry waiting.
//  Returns the batches done, or -1 when the database failed.
int
    ipo_fit_work (void *state, kj_db_t *db);

#endif
