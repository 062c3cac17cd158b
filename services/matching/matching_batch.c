/*  =========================================================================
    matching_batch - many demands against every product, on threads

    See the header. The threads share nothing but the model (read only,
    under the caller's lock) and write only their own items.
    =========================================================================
*/

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "matching_batch.h"

typedef struct {
    matching_model_t *model;
    const matching_weights_t *weights;
    matching_batch_item_t *items;
    size_t n, top;
} s_share_t;

//  --------------------------------------------------------------------------
//  One demand

void
matching_batch_one (matching_model_t *model, const matching_weights_t *weights,
                    matching_batch_item_t *item, size_t top,
                    matching_candidate_t *candidates, uint32_t *index)
{
    item->n = 0;
    item->passed = 0;
    matching_enterprise_t profile;
    item->known = matching_model_profile (model, item->enterprise_code,
                                          &profile, NULL)
               == 0;
    if (!item->known)
        return;
    profile.ip_pledged_year_fen = item->ip_pledged_fen;
    const matching_product_t *products = matching_model_products (model);
    size_t count = matching_model_count (model);
    size_t passed = matching_filter_all (products, count, &profile, &item->view,
                                         index, NULL);
    matching_rank_candidates (candidates, products, index, passed, weights,
                              item->view.amount_fen);
    matching_ranked_t best [MATCHING_BATCH_TOP_MAX];
    size_t kept = matching_rank_best_scores (candidates, passed, weights,
                                             item->view.amount_fen, best, top);
    item->passed = (uint32_t) passed;
    for (size_t i = 0; i < kept; i++) {
        item->top [item->n] = (uint32_t) (best [i].product - products);
        item->score [item->n++] = best [i].score;
    }
}

//  --------------------------------------------------------------------------
//  A thread's share

static void *
s_share (void *arg)
{
    s_share_t *share = arg;
    size_t count = matching_model_count (share->model);
    matching_candidate_t *candidates = malloc ((count + 1)
                                               * sizeof *candidates);
    uint32_t *index = malloc ((count + 1) * sizeof *index);
    assert (candidates && index);
    for (size_t i = 0; i < share->n; i++)
        matching_batch_one (share->model, share->weights, &share->items [i],
                            share->top, candidates, index);
    free (index);
    free (candidates);
    return NULL;
}

void
matching_batch_run (matching_model_t *model, const matching_weights_t *weights,
                    matching_batch_item_t *items, size_t n, size_t top,
                    int threads)
{
    assert (top >= 1 && top <= MATCHING_BATCH_TOP_MAX);
    if (threads < 1)
        threads = 1;
    if (threads > MATCHING_BATCH_THREADS_MAX)
        threads = MATCHING_BATCH_THREADS_MAX;
    s_share_t shares [MATCHING_BATCH_THREADS_MAX];
    pthread_t ids [MATCHING_BATCH_THREADS_MAX];
    size_t per = (n + (size_t) threads - 1) / (size_t) threads;
    for (int t = 0; t < threads; t++) {
        size_t from = per * (size_t) t;
        size_t to = from + per < n ? from + per : n;
        shares [t] = (s_share_t){ model, weights, items + from,
                                  from < n ? to - from : 0, top };
    }
    //  Threads beyond the first; this one takes the first share
    for (int t = 1; t < threads; t++) {
        int rc = pthread_create (&ids [t], NULL, s_share, &shares [t]);
        assert (rc == 0);
    }
    s_share (&shares [0]);
    for (int t = 1; t < threads; t++)
        pthread_join (ids [t], NULL);
}
