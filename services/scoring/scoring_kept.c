/*  =========================================================================
    scoring_kept - the members a fetch kept, packed, and a stage of them
    made a cohort and scored when a job takes it (docs/scoring.md, "A
    batch"): the fetching worker scores its stages, and helps with
    another's, without reading members back
    =========================================================================
*/

#include "scoring_kept.h"

void
scoring_scored_destroy (scoring_scored_t **self_p)
{
    scoring_scored_t *self = *self_p;
    if (!self)
        return;
    scoring_cohort_destroy (&self->cohort);
    scoring_model_destroy (&self->model);
    free (self->regions);
    free (self);
    *self_p = NULL;
}

void
scoring_batch_cache_destroy (void **cache_p)
{
    scoring_scored_destroy ((scoring_scored_t **) cache_p);
}

//  The members a fetch kept, per stage, packed (scoring_server.h): each
//  its code and region (NUL-ended), a bitmap of its inputs reported, and
//  the 8 bytes of each reported one, in the order they were stored (ord).
//  About 150 bytes a member under most-2024 rather than the 1 KB of a
//  cohort's room, so that a fetch of 1,000,000 keeps them all; a stage is
//  made a cohort and scored when taken, as often as it is taken (by its
//  holder, and by a helper: scoring_kept_has)
struct _scoring_kept_t {
    char batch [24];
    scoring_model_t *model;
    size_t inputs;
    zchunk_t *stages [SCORING_STAGES];
    size_t members [SCORING_STAGES];
    size_t bytes;
};

void
scoring_kept_destroy (scoring_kept_t **kept_p)
{
    scoring_kept_t *self = *kept_p;
    if (!self)
        return;
    for (int stage = 0; stage < SCORING_STAGES; stage++)
        zchunk_destroy (&self->stages [stage]);
    scoring_model_destroy (&self->model);
    free (self);
    *kept_p = NULL;
}

scoring_kept_t *
scoring_kept_new (scoring_server_t *server, const char *batch,
                  const char *model_name)
{
    kj_status_t status;
    scoring_model_t *model = scoring_server_model (server, model_name, &status);
    if (!model)
        return NULL;
    scoring_kept_t *self = (scoring_kept_t *) calloc (1, sizeof *self);
    assert (self);
    snprintf (self->batch, sizeof self->batch, "%s", batch);
    self->model = model;
    scoring_cohort_t *cohort = scoring_cohort_new (model);
    self->inputs = scoring_cohort_inputs (cohort);
    scoring_cohort_destroy (&cohort);
    for (int stage = 0; stage < SCORING_STAGES; stage++)
        self->stages [stage] = zchunk_new (NULL, 64 * 1024);
    return self;
}

void
scoring_kept_add (scoring_kept_t **kept_p, int stage, const char *code,
                  const char *region, const int64_t *values,
                  const bool *present)
{
    scoring_kept_t *self = *kept_p;
    if (!self)
        return;
    char record [2 * 64 + SCORING_COLUMNS_MAX / 8 + 1
                 + 8 * (SCORING_COLUMNS_MAX + 1)];
    //  The code and the region, each NUL-ended (at most 63 and 15 bytes)
    size_t used = (size_t) snprintf (record, 64, "%s", code);
    used = used > 63 ? 64 : used + 1;
    size_t region_size = (size_t) snprintf (record + used, 16, "%s", region);
    used += region_size > 15 ? 16 : region_size + 1;
    unsigned char *bitmap = (unsigned char *) record + used;
    size_t bitmap_size = (self->inputs + 7) / 8;
    memset (bitmap, 0, bitmap_size);
    used += bitmap_size;
    for (size_t i = 0; i < self->inputs; i++)
        if (present [i]) {
            bitmap [i / 8] |= (unsigned char) (1 << (i % 8));
            memcpy (record + used, &values [i], 8);
            used += 8;
        }
    if (self->bytes + used > SCORING_KEPT_BYTES) {
        scoring_kept_destroy (kept_p);  //  read back by whoever scores
        return;
    }
    zchunk_extend (self->stages [stage], record, used);
    self->members [stage]++;
    self->bytes += used;
}

size_t
scoring_kept_bytes (scoring_kept_t *self)
{
    return self ? self->bytes : 0;
}

const char *
scoring_kept_batch (scoring_kept_t *self)
{
    return self->batch;
}

//  True if the job kept the members of this batch's stage (its fetch)
bool
scoring_kept_has (scoring_server_t *server, const char *batch, int stage)
{
    scoring_kept_t *kept = server->kept;
    return kept && streq (kept->batch, batch) && kept->stages [stage];
}

//  The kept members of the batch's stage made a cohort and scored; NULL
//  if none are kept (or the rules refuse one: read back then, and refused
//  there with its code)
scoring_scored_t *
scoring_kept_take (scoring_server_t *server, const char *batch, int stage,
                   const char *why)
{
    if (!scoring_kept_has (server, batch, stage))
        return NULL;
    scoring_kept_t *kept = server->kept;
    int64_t started = kj_mono_us ();
    kj_status_t status;
    scoring_model_t *model = scoring_server_model (server,
                                                   scoring_model_name (
                                                       kept->model),
                                                   &status);
    if (!model)
        return NULL;
    scoring_scored_t *self = (scoring_scored_t *) calloc (1, sizeof *self);
    assert (self);
    snprintf (self->batch, sizeof self->batch, "%s", batch);
    self->stage = stage;
    self->model = model;
    self->cohort = scoring_cohort_new (model);
    size_t count = kept->members [stage];
    self->regions = calloc (count + 1, sizeof self->regions [0]);
    assert (self->regions);
    const char *at = (const char *) zchunk_data (kept->stages [stage]);
    size_t bitmap_size = (kept->inputs + 7) / 8;
    int64_t values [SCORING_COLUMNS_MAX + 1];
    bool present [SCORING_COLUMNS_MAX + 1];
    int rc = 0;
    for (size_t m = 0; rc == 0 && m < count; m++) {
        const char *code = at;
        at += strlen (at) + 1;
        snprintf (self->regions [m], sizeof self->regions [m], "%s", at);
        at += strlen (at) + 1;
        const unsigned char *bitmap = (const unsigned char *) at;
        at += bitmap_size;
        for (size_t i = 0; i < kept->inputs; i++) {
            present [i] = bitmap [i / 8] >> (i % 8) & 1;
            values [i] = 0;
            if (present [i]) {
                memcpy (&values [i], at, 8);
                at += 8;
            }
        }
        rc = scoring_cohort_add (self->cohort, code, (scoring_stage_t) stage,
                                 values, present, &status);
    }
    if (rc) {
        scoring_scored_destroy (&self);
        return NULL;
    }
    scoring_cohort_score (self->cohort);
    kj_info ("scoring.batch",
             "batch %s stage %d: a cohort of %zu scored in %.3f s (kept "
             "from its fetch)%s",
             batch, stage, scoring_cohort_size (self->cohort),
             (kj_mono_us () - started) / 1e6, why);
    return self;
}
