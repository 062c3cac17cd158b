/*  =========================================================================
    kj_calls - calls that several system tests make the same way

    Folded here from the copies test_scoring.c and test_matching_grades.c
    each carried.
    =========================================================================
*/

#include "kj_calls.h"

//  --------------------------------------------------------------------------
//  One call with a 20 s timeout; 0, or -1 with the status in error

static int
s_call (kj_client_t *client, const char *service, const char *method,
        const ProtobufCMessage *request, const ProtobufCMessageDescriptor *type,
        void *reply, char *error, size_t size)
{
    kj_call_opts_t opts = { .timeout_ms = 20000 };
    kj_status_t status;
    if (kj_client_call (client, service, method, request, type,
                        (ProtobufCMessage **) reply, &status, &opts)
        == 0)
        return 0;
    snprintf (error, size, "%s %s: %s", service, method, status.message);
    return -1;
}

//  --------------------------------------------------------------------------
//  A CSV into the registry in one chunk

int
kj_calls_import (kj_client_t *client, Kj__BulkKind kind, const char *header,
                 const char *rows, uint32_t count, char *error, size_t size)
{
    Kj__ImportBeginRequest begin = KJ__IMPORT_BEGIN_REQUEST__INIT;
    begin.kind = kind;
    begin.file_name = "test.csv";
    begin.header = (char *) header;
    Kj__ImportBeginReply *begun = NULL;
    if (s_call (client, "registry.bulk", "ImportBegin", &begin.base,
                &kj__import_begin_reply__descriptor, &begun, error, size))
        return -1;
    Kj__ImportChunkRequest chunk = KJ__IMPORT_CHUNK_REQUEST__INIT;
    chunk.import_id = begun->import_id;
    chunk.first_line = 2;
    chunk.data.data = (uint8_t *) rows;
    chunk.data.len = strlen (rows);
    Kj__ImportChunkReply *chunked = NULL;
    int rc = s_call (client, "registry.bulk", "ImportChunk", &chunk.base,
                     &kj__import_chunk_reply__descriptor, &chunked, error,
                     size);
    if (rc == 0 && chunked->rejected) {
        snprintf (error, size, "row refused: %s %s",
                  chunked->n_errors ? chunked->errors [0]->field : "",
                  chunked->n_errors ? chunked->errors [0]->reason : "");
        rc = -1;
    }
    if (chunked)
        kj__import_chunk_reply__free_unpacked (chunked, NULL);
    Kj__ImportCommitRequest commit = KJ__IMPORT_COMMIT_REQUEST__INIT;
    commit.import_id = begun->import_id;
    commit.chunks = 1;
    commit.rows = count;
    Kj__ImportCommitReply *committed = NULL;
    if (rc == 0)
        rc = s_call (client, "registry.bulk", "ImportCommit", &commit.base,
                     &kj__import_commit_reply__descriptor, &committed, error,
                     size);
    if (rc == 0 && !committed->committed) {
        snprintf (error, size, "import %s not committed", begun->import_id);
        rc = -1;
    }
    if (committed)
        kj__import_commit_reply__free_unpacked (committed, NULL);
    kj__import_begin_reply__free_unpacked (begun, NULL);
    return rc;
}

//  --------------------------------------------------------------------------
//  A scoring batch, from Run until Progress says finished

Kj__ScoringProgressReply *
kj_calls_score_run (kj_client_t *client, int year, const char *model,
                    int timeout_ms, char *error, size_t size)
{
    Kj__ScoringRunRequest run = KJ__SCORING_RUN_REQUEST__INIT;
    run.year = year;
    run.model = (char *) (model ? model : "");
    Kj__ScoringRunReply *started = NULL;
    if (s_call (client, "scoring", "Run", &run.base,
                &kj__scoring_run_reply__descriptor, &started, error, size))
        return NULL;
    Kj__ScoringProgressRequest progress = KJ__SCORING_PROGRESS_REQUEST__INIT;
    progress.batch_id = started->batch->id;
    kj__scoring_run_reply__free_unpacked (started, NULL);
    int64_t end = kj_mono_us () + (int64_t) timeout_ms * 1000;
    while (kj_mono_us () < end) {
        Kj__ScoringProgressReply *reply = NULL;
        if (s_call (client, "scoring", "Progress", &progress.base,
                    &kj__scoring_progress_reply__descriptor, &reply, error,
                    size))
            return NULL;
        if (streq (reply->batch->state, "finished"))
            return reply;
        kj__scoring_progress_reply__free_unpacked (reply, NULL);
        zclock_sleep (100);
    }
    snprintf (error, size, "batch %" PRIu64 " not finished in %d ms",
              progress.batch_id, timeout_ms);
    return NULL;
}
