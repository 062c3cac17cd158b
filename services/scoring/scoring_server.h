/*  =========================================================================
    scoring_server - the Scoring service: what-if portraits, stored
    portraits, batches of a year under a model, their progress and grade
    distributions (proto/scoring.proto, docs/scoring.md)

    The handlers are in scoring_server.c; the batch work (fetch from the
    registry in scoring_batch.c; claim chunks, score, store in
    scoring_chunk.c), run as a kj_service job by every copy of the daemon.
    =========================================================================
*/

#ifndef SCORING_SERVER_H_INCLUDED
#define SCORING_SERVER_H_INCLUDED

#include "kejin.h"
#include "kj_service.h"
#include "scoring.pb-c.h"
#include "scoring_cohort.h"
#include "scoring_request.h"

//  The cohorts a fetch kept for the stages it scores (scoring_chunk.c)
typedef struct _scoring_kept_t scoring_kept_t;

typedef struct {
    char broker [256];     //  node/broker, for the registry
    char model [64];       //  scoring/model: the default model
    int chunk;             //  scoring/chunk: members per chunk
    int page;              //  scoring/page: rows per export page
    int fetchers;          //  scoring/fetchers: export ranges fetched at once
    int pause_ms;          //  scoring/pause_ms: between chunks
    int interval_s;        //  scoring/batch_interval_s: between passes
    void *cache;           //  the job's scored cohort (scoring_chunk.c)
    scoring_kept_t *kept;  //  the cohorts of the batch it fetched, not scored
    char locked [24];      //  the batch whose stage's lock the job holds, or ""
    int locked_stage;      //  and that stage (scoring_chunk.c)
    char helping [24];     //  the batch whose stage (held by another) the
    int helping_stage;     //  job helps store, or "" (scoring_chunk.c)
} scoring_server_t;

//  What is stored of a chunk's codes: the latest portrait of each under
//  model $1 up to year $2 and version $3, and whether it is that very one
//  ($4: the codes as a text array). The chunk's look-up (scoring_chunk.c),
//  which the benchmark times on its own
#define SCORING_STORED_SQL                                                     \
    "SELECT DISTINCT ON (code) code, grade, year = $2::int AND "               \
    "version = $3::int AS stored FROM portrait "                               \
    "WHERE code = ANY ($4::text []) "                                          \
    "AND model = $1 AND (year, version) <= ($2::int, $3::int) "                \
    "ORDER BY code, year DESC, version DESC"

//  The methods of the MDP service "scoring"
extern const kj_method_t scoring_methods [];

//  Every option of kejin-scoring (scoring_options.c)
extern const kj_option_t scoring_options [];

void *
    scoring_server_new (kj_service_t *service, kj_db_t *db,
                        kj_status_t *status);

void
    scoring_server_destroy (void *state);

//  The job: fetch a waiting batch's members, then score and store chunks
//  until none is left; returns chunks done, or -1 if the database failed.
int
    scoring_batch_work (void *state, kj_db_t *db);

//  Claim one chunk of a batch and do it (scoring_chunk.c): 1 done, 0 none
//  left for this worker, -1 failed (rolled back)
int
    scoring_chunk_work (scoring_server_t *self, kj_db_t *db);

//  Mark a batch finished and write its event, in the caller's transaction
int
    scoring_batch_finish (kj_db_t *db, const char *batch);

//  Free the job's scored cohort and the cohorts it kept from a fetch
void
    scoring_batch_cache_destroy (void **cache_p);

//  The cohorts of a batch's stages as its fetch reads their members (in
//  the order they are stored), for the stages the fetching worker then
//  scores: no read back (scoring_chunk.c). NULL if the model is unknown.
scoring_kept_t *
    scoring_kept_new (scoring_server_t *self, const char *batch,
                      const char *model_name);

//  One member more, as stored (packed); past SCORING_KEPT_BYTES the kept
//  members are dropped (*kept_p NULL: the stages are read back from the
//  members, as by any other worker)
void
    scoring_kept_add (scoring_kept_t **kept_p, int stage, const char *code,
                      const char *region, const int64_t *values,
                      const bool *present);

void
    scoring_kept_destroy (scoring_kept_t **kept_p);

//  The bytes of members kept (0 for none)
size_t
    scoring_kept_bytes (scoring_kept_t *self);

//  Bytes of members kept at most (about 150 a member under most-2024:
//  a fetch of 1,000,000 keeps them all)
#define SCORING_KEPT_BYTES (256 * 1024 * 1024)

//  The channel of the NOTIFY that wakes the batch jobs of every copy of
//  the daemon: a batch was started, or its fetch committed (its chunks
//  are there to claim). A wake-up only: the jobs also poll.
#define SCORING_BATCH_CHANNEL "scoring_batch"

//  A shipped model by name ("" : the default), or NULL with status
//  naming field "model".
scoring_model_t *
    scoring_server_model (scoring_server_t *self, const char *name,
                          kj_status_t *status);

//  Reasons as stored: "column:lost_micro:missing|..."
void
    scoring_reasons_format (scoring_model_t *model,
                            const scoring_portrait_t *portrait, char *buf,
                            size_t size);

#endif
