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

//  The methods FitBatch (KJ_WRITE) and FitShow.
int
    ipo_fit_batch (kj_call_t *call, const ProtobufCMessage *request,
                   ProtobufCMessage *reply);

int
    ipo_fit_show (kj_call_t *call, const ProtobufCMessage *request,
                  ProtobufCMessage *reply);

//  The job "fit": fetch and fit each batch of the registry waiting.
//  Returns the batches done, or -1 when the database failed.
int
    ipo_fit_work (void *state, kj_db_t *db);

#endif
