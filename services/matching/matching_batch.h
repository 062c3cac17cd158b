/*  =========================================================================
    matching_batch - many demands matched against every product of the
    read model at once, on several threads

    No I/O: the caller loads the demands, holds the model's read lock
    and stores what comes out (matching_batch_job). Each thread takes a
    share of the demands; each demand is filtered against every product
    and the best `top` are ranked as Match ranks them (the same
    candidates and bounded heap of matching_rank, without the
    explanations), so a batch proposal and a Match of the same demand
    on the same model agree. A demand whose enterprise the model does not hold gets none.
    =========================================================================
*/

#ifndef MATCHING_BATCH_H_INCLUDED
#define MATCHING_BATCH_H_INCLUDED

#include "matching_model.h"
#include "matching_rank.h"

//  Most products kept per demand, and most threads.
#define MATCHING_BATCH_TOP_MAX     20
#define MATCHING_BATCH_THREADS_MAX 16

typedef struct {
    //  in
    const char *demand_id;
    const char *enterprise_code;
    matching_demand_t view;
    int64_t ip_pledged_fen;  //  the enterprise's IP pledges this year
    //  out
    bool known;                             //  the model holds the enterprise
    uint32_t passed;                        //  products passing every filter
    uint32_t n;                             //  kept, best first
    uint32_t top [MATCHING_BATCH_TOP_MAX];  //  model product indexes
    int64_t score [MATCHING_BATCH_TOP_MAX];
} matching_batch_item_t;

//  --------------------------------------------------------------------------
//  Match n items against every product of model (read lock held by the
//  caller), keeping the best `top` (1..MATCHING_BATCH_TOP_MAX) of each,
//  on `threads` threads (1..MATCHING_BATCH_THREADS_MAX; 1: this one).

void
    matching_batch_run (matching_model_t *model,
                        const matching_weights_t *weights,
                        matching_batch_item_t *items, size_t n, size_t top,
                        int threads);

//  --------------------------------------------------------------------------
//  The same for one item, with candidates and index (room for every
//  product of the model) as scratch: the loop each thread runs.

void
    matching_batch_one (matching_model_t *model,
                        const matching_weights_t *weights,
                        matching_batch_item_t *item, size_t top,
                        matching_candidate_t *candidates, uint32_t *index);

#endif
