/*  =========================================================================
    registry_server_jobs - the background jobs: qualification expiry, one
    transaction per enterprise, and the restage after the stage rules
    change, in resumable chunks with progress

    Part of registry_server (registry_server.h).
    =========================================================================
*/

#include "registry_server.h"
#include "registry_check.h"
#include "registry_entry.h"
#include "registry_product.h"
#include "registry_server_private.h"
#include "registry_store.h"
#include "registry_techsme.h"
#include "registry_uscc.h"
#include <ctype.h>

//  --------------------------------------------------------------------------
//  Qualification expiry: one transaction per enterprise, its row locked
//  first like any write, so that two copies of the daemon running the job
//  at once announce each expiry once.

static int
s_expire_one (registry_server_t *self, kj_db_t *db, const char *code,
              kj_arena_t *arena)
{
    ProtobufCAllocator mem = *kj_arena_allocator (arena);
    if (kj_db_begin (db))
        return -1;
    Kj__Qualification **expired = NULL;
    size_t n = 0;
    Kj__Enterprise *e = NULL;
    registry_refresh_t refresh;
    int rc = registry_store_enterprise_lock (db, code, NULL);
    if (rc == 1)
        rc = registry_store_expire (db, code, &mem, &expired, &n);
    if (rc == 1
        && (registry_store_enterprise_touch (db, code) != 1
            || registry_store_enterprise_load (db, code, true, &mem, &e) != 1
            || registry_server_refresh (self, db, e, &mem, &refresh)))
        rc = -1;
    for (size_t i = 0; rc == 1 && i < n; i++) {
        Kj__QualificationChanged event = KJ__QUALIFICATION_CHANGED__INIT;
        event.code = e->code;
        event.qualification = expired [i];
        event.by = "expiry";
        event.enterprise_version = e->version;
        char kind [48];
        kj_check_enum_name (&kj__qualification_kind__descriptor, "QUAL_",
                            expired [i]->kind, kind, sizeof kind);
        if (kj_outbox_add (db, "registry.enterprise.qualification_expired",
                           code, &event.base)
            || registry_store_audit (db, "expiry", "qualification_expired",
                                     "enterprise", code, kind,
                                     expired [i]->expires_on, "")
                   < 0)
            rc = -1;
    }
    if (rc == 1
        && (kj_outbox_add (db, "registry.enterprise.updated", code, &e->base)
            || (refresh.moved
                && registry_server_stage_event (db, e, refresh.from,
                                                "expiry"))))
        rc = -1;
    if (rc == 1 && kj_db_commit (db))
        rc = -1;
    if (rc != 1)
        kj_db_rollback (db);
    if (rc == 1)
        kj_info ("registry.qualification_expired", "code=%s count=%zu", code,
                 n);
    int count = rc == 1 ? (int) n : rc;
    kj_arena_reset (arena);
    return count;
}

int
registry_server_expire (void *state, kj_db_t *db)
{
    registry_server_t *self = (registry_server_t *) state;
    zlist_t *codes = zlist_new ();
    zlist_autofree (codes);
    kj_arena_t *arena = kj_arena_new ();
    int total = 0;
    if (registry_store_expiry_due (db, EXPIRY_BATCH, codes) < 0)
        total = -1;
    for (char *code = (char *) zlist_first (codes); code && total >= 0;
         code = (char *) zlist_next (codes)) {
        int count = s_expire_one (self, db, code, arena);
        if (count < 0) {
            kj_warn ("registry.expiry_failed",
                     "code=%s sqlstate=%s "
                     "reason=\"%s\"",
                     code, kj_db_sqlstate (db), kj_db_error (db));
            //  Go on with the others; this one comes back next pass
            continue;
        }
        total += count;
    }
    zlist_destroy (&codes);
    kj_arena_destroy (&arena);
    return total;
}

//  --------------------------------------------------------------------------
//  The restage job: after the stage rules change (a new version), the
//  stage of every enterprise still computed by older rules is recomputed,
//  RESTAGE_CHUNK enterprises a transaction, each move a stage_changed
//  event naming the new version (by "restage"). The work list is the data
//  (stage_version), so a pass killed at any moment resumes after the last
//  commit and no enterprise is done twice; copies share the work through
//  SKIP LOCKED. Progress: the restage row and a log line a chunk.

#define RESTAGE_CHUNK   100
#define RESTAGE_PASS_US 5000000  //  then hand the thread back

//  One chunk in one transaction: the number recomputed, 0 when none is
//  left to claim, -1 when the database failed.
static int
s_restage_chunk (registry_server_t *self, kj_db_t *db, kj_arena_t *arena)
{
    const char *version = self->rules.version;
    ProtobufCAllocator mem = *kj_arena_allocator (arena);
    zlist_t *codes = zlist_new ();
    zlist_autofree (codes);
    int moved = 0;
    int rc = kj_db_begin (db) ? -1 : 0;
    if (rc == 0)
        rc = registry_store_restage_claim (db, version, RESTAGE_CHUNK, codes);
    for (char *code = (char *) zlist_first (codes); code && rc > 0;
         code = (char *) zlist_next (codes)) {
        Kj__Enterprise *e = NULL;
        registry_refresh_t refresh;
        if (registry_store_enterprise_load (db, code, true, &mem, &e) != 1
            || registry_server_refresh (self, db, e, &mem, &refresh)
            || (refresh.moved
                && registry_server_stage_event (db, e, refresh.from,
                                                "restage")))
            rc = -1;
        moved += refresh.moved;
    }
    if (rc > 0
        && (registry_store_restage_progress (db, version, rc, moved, false)
            || kj_db_commit (db)))
        rc = -1;
    if (rc <= 0)
        kj_db_rollback (db);
    if (rc > 0)
        kj_info ("registry.restage", "version=%s chunk=%d moved=%d", version,
                 rc, moved);
    zlist_destroy (&codes);
    kj_arena_reset (arena);
    return rc;
}

int
registry_server_restage (void *state, kj_db_t *db)
{
    registry_server_t *self = (registry_server_t *) state;
    const char *version = self->rules.version;
    int64_t left = registry_store_restage_left (db, version);
    if (left < 0)
        return -1;
    if (left > 0 && registry_store_restage_start (db, version, left) == 1)
        kj_info ("registry.restage_started", "version=%s enterprises=%" PRId64,
                 version, left);
    kj_arena_t *arena = kj_arena_new ();
    int total = 0, rc = 0;
    int64_t start = kj_mono_us ();
    while (left > 0 && kj_mono_us () - start < RESTAGE_PASS_US
           && (rc = s_restage_chunk (self, db, arena)) > 0)
        total += rc;
    kj_arena_destroy (&arena);
    if (rc < 0) {
        kj_warn ("registry.restage_failed",
                 "version=%s sqlstate=%s "
                 "reason=\"%s\"",
                 version, kj_db_sqlstate (db), kj_db_error (db));
        return -1;
    }
    //  Done when nothing is left, even if locked rows were skipped before
    if (left > 0 && registry_store_restage_left (db, version) == 0
        && registry_store_restage_progress (db, version, 0, 0, true) == 0)
        kj_info ("registry.restage_finished", "version=%s", version);
    return total;
}
