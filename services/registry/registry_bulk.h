/*  =========================================================================
    registry_bulk - the MDP service "registry.bulk" of kejin-registry: CSV
    import and export of enterprises, yearly figures, institutions and
    products (proto/registry_bulk.proto)

    Handlers only: registry_csv reads and writes the files, registry_stage
    and registry_techsme decide, registry_bulk_store owns the SQL. Served
    by worker threads of their own (registry/bulk_workers), so that a long
    import never takes the threads that answer look-ups; every handler gets
    the registry_server_t as its state.

    An import is all-or-nothing per file. ImportChunk validates and stages
    each row (the stage of an enterprise is computed then, on the import's
    date); ImportCommit refuses if any row of the file failed anywhere,
    listing every problem, and otherwise moves the staged rows into the
    registry in one transaction with their events. A figures import
    recomputes, in that transaction, the stage and tech-SME score of every
    enterprise it touched, in batches.
    =========================================================================
*/

#ifndef REGISTRY_BULK_H_INCLUDED
#define REGISTRY_BULK_H_INCLUDED

#include "kejin.h"
#include "registry_bulk.pb-c.h"

//  Largest chunk of a file ImportChunk takes, in bytes.
#define REGISTRY_BULK_MAX_CHUNK (8 * 1024 * 1024)

//  Rows per import event (registry.<kind>.imported).
#define REGISTRY_BULK_EVENT_ITEMS 1000

//  An open import that received nothing this long is aborted by the next
//  ImportBegin (its client died half way).
#define REGISTRY_BULK_ABANDONED_S 86400

//  The methods of the service "registry.bulk".
extern const kj_method_t registry_bulk_methods [];

#endif
