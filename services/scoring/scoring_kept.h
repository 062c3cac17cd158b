/*  =========================================================================
    scoring_kept - the members a fetch kept, and the scored cohort of a
    stage that a job keeps between its chunks (scoring_chunk.c)
    =========================================================================
*/

#ifndef SCORING_KEPT_H_INCLUDED
#define SCORING_KEPT_H_INCLUDED

#include "scoring_server.h"

//  A scored cohort, kept by the job between chunks of one stage of one
//  batch: scoring is deterministic, so a worker scores a stage once and
//  stores it chunk by chunk
typedef struct {
    char batch [24];
    int stage;
    scoring_model_t *model;
    scoring_cohort_t *cohort;  //  member i has ord i
    char (*regions) [16];
} scoring_scored_t;

void
    scoring_scored_destroy (scoring_scored_t **self_p);

//  The batch whose members these are
const char *
    scoring_kept_batch (scoring_kept_t *self);

//  True if the job kept the members of this batch's stage (its fetch)
bool
    scoring_kept_has (scoring_server_t *server, const char *batch, int stage);

//  The kept members of the batch's stage made a cohort and scored, logged
//  with why (e.g. " to help its holder"); NULL if none are kept (or the
//  rules refuse one: read back then, and refused there with its code)
scoring_scored_t *
    scoring_kept_take (scoring_server_t *server, const char *batch, int stage,
                       const char *why);

#endif
