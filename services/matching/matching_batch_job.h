/*  =========================================================================
    matching_batch_job - batch matching and re-matching on change, with
    their SQL: the open demands loaded, matched (matching_batch) and their
    proposals stored in demand_match, with an event

    Two kinds of work, both run by the daemon's "batch" job on its own
    connection: a batch asked for with MatchBatch (every open demand of a
    city, of the metro area or of the province), claimed by one copy of
    the daemon (SKIP LOCKED); and re-matching after the read model took a
    change from the events, of the affected demands only: for an
    enterprise, its open demands; for a product, the open demands it
    serves now or had among their proposals.
    =========================================================================
*/

#ifndef MATCHING_BATCH_JOB_H_INCLUDED
#define MATCHING_BATCH_JOB_H_INCLUDED

#include "matching_batch.h"
#include "matching.pb-c.h"

//  The WHERE of an enterprise's IP pledge loans approved or drawn this
//  calendar year, on application a (the per-enterprise cap, rules §3).
#define MATCHING_IP_PLEDGED_WHERE                                              \
    "a.product_type = 2 AND a.state IN (5, 9, 10, 11, 12, 13, 14, 15, 16) "    \
    "AND date_trunc ('year', a.updated_at) = date_trunc ('year', now ())"

//  Changes held for re-matching at most; beyond, every open demand is
//  re-matched.
#define MATCHING_CHANGES_MAX 10000

typedef struct _matching_changes_t matching_changes_t;

matching_changes_t *
    matching_changes_new (void);

void
    matching_changes_destroy (matching_changes_t **self_p);

//  A matching_model_fn: record a changed product ('p') or enterprise
//  ('e'); arg is the matching_changes_t.
void
    matching_changes_add (char kind, const char *key, void *arg);

//  Changes waiting, plus one while a re-matching pass runs.
size_t
    matching_changes_pending (matching_changes_t *self);

//  --------------------------------------------------------------------------
//  What both kinds of work read.

typedef struct {
    kj_db_t *db;
    matching_model_t *model;
    const matching_weights_t *weights;
    int threads;
} matching_job_t;

//  --------------------------------------------------------------------------
//  Claim a queued batch (or one left running by a copy that died, after
//  10 minutes) and run it. 1 if one ran, 0 if none waited, -1 if the
//  database failed. *batch (may be NULL) receives it (free with
//  kj__batch__free_unpacked).

int
    matching_batch_job_run (matching_job_t *job, Kj__Batch **batch);

//  --------------------------------------------------------------------------
//  Re-match the open demands the changes recorded since the last call
//  affect. The number re-matched, or -1 (the changes are kept for the
//  next call).

int
    matching_batch_job_rematch (matching_job_t *job,
                                matching_changes_t *changes);

//  --------------------------------------------------------------------------
//  Today in the province (UTC+8) as yyyymmdd.

int
    matching_today (void);

//  --------------------------------------------------------------------------
//  The regions a batch names: "" (all), SHENYANG_METRO, a city code or
//  SFDZ. True if valid.

bool
    matching_batch_job_region_valid (const char *region);

#endif
