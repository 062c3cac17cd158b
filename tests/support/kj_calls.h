/*  =========================================================================
    kj_calls - calls that several system tests make the same way: a CSV
    imported into the registry in one chunk, and a scoring batch run to
    its end

    Each returns what it got, or an error the test asserts on: no cmocka
    here, so that benchmarks and tools can link it too.
    =========================================================================
*/

#ifndef KJ_CALLS_H_INCLUDED
#define KJ_CALLS_H_INCLUDED

#include "kejin.h"
#include "registry_bulk.pb-c.h"
#include "scoring.pb-c.h"

//  Import rows (count of them, after the CSV header line) of kind into
//  the registry through registry.bulk ImportBegin, one ImportChunk and
//  ImportCommit. 0, or -1 with the reason in error (a status, or the
//  first row refused with its field).
int
    kj_calls_import (kj_client_t *client, Kj__BulkKind kind, const char *header,
                     const char *rows, uint32_t count, char *error,
                     size_t size);

//  Run a year (0: the default) under a model ("" or NULL: the default)
//  through scoring Run, then ask Progress until its batch is finished,
//  for up to timeout_ms. The last Progress reply (the caller frees it with
//  kj__scoring_progress_reply__free_unpacked), or NULL with the reason in
//  error.
Kj__ScoringProgressReply *
    kj_calls_score_run (kj_client_t *client, int year, const char *model,
                        int timeout_ms, char *error, size_t size);

#endif
