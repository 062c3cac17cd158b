/*  =========================================================================
    kj_audit - the audit trail of a service: append-only, hash-chained

    Every service with a schema S keeps its trail in the schema S_audit:
    the table `trail` (one row per audited call: when, which MDP service
    and method, who called as the broker stamped it: key, role, city; the
    object, the request id, the result code and message, and before and
    after images as JSON) and the table `chain` (one row per trail row, in
    the order the rows became visible: its place, its id and a sha256 over
    the previous chain hash and the row's content).

    A call's row is written by the worker's transaction (kj_service's audit
    hook), with no lock beyond the row's own; the chain is made after the
    commits by kj_audit_seal (a job of every daemon, one copy at a time
    under a try-lock), so that no global lock sits on the write path.
    Both tables belong to the role that bootstraps the schema
    (db/admin_dsn); the service's role may SELECT and INSERT, never UPDATE,
    DELETE or TRUNCATE. kj_audit_verify walks the chain and names the first
    row that does not match.

    A handler names the object it changed with kj_audit_object, and may
    give its images before and after with kj_audit_images; by default the
    object is empty, "before" is the request and "after" the reply.
    =========================================================================
*/

#ifndef KJ_AUDIT_H_INCLUDED
#define KJ_AUDIT_H_INCLUDED

#include <protobuf-c/protobuf-c.h>
#include "kj_db.h"
#include "kj_worker.h"

typedef struct _kj_audit_t kj_audit_t;

//  Largest image kept in a row; a larger one (a bulk import's chunk) is
//  stored as {"omitted_bytes": N}
#define KJ_AUDIT_IMAGE_MAX 16384

//  Longest object name kept in a row (bytes)
#define KJ_AUDIT_OBJECT_MAX 256

//  One audited call. Strings never NULL; before and after are JSON text,
//  or NULL for none.
typedef struct {
    const char *service;  //  MDP service, e.g. "registry"
    const char *method;
    const char *key;  //  the caller, as the broker stamped it
    const char *role;
    const char *city;
    const char *object;  //  what the call acted on, e.g. a credit code
    const char *request_id;
    int code;  //  kj.Code of the reply
    const char *message;
    const char *before;
    const char *after;
} kj_audit_row_t;

//  The trail of the service schema `schema` (in schema "<schema>_audit").
//  NULL if the name would be too long.
kj_audit_t *
    kj_audit_new (const char *schema);

void
    kj_audit_destroy (kj_audit_t **self_p);

//  "<schema>_audit"
const char *
    kj_audit_schema (kj_audit_t *self);

//  Create the trail's schema, tables and functions when missing (and the
//  functions afresh), under the bootstrap lock, as the connection's role,
//  which owns them. With grantee (the service's role), grant it USAGE,
//  SELECT and INSERT only. Outside a transaction. 0, or -1 (logged).
int
    kj_audit_install (kj_audit_t *self, kj_db_t *db, const char *grantee);

//  True when the trail's tables exist.
bool
    kj_audit_installed (kj_audit_t *self, kj_db_t *db);

//  Insert one row, in the connection's transaction if one is open (then
//  it goes with the next statement or COMMIT, kj_db_defer). 0 or -1.
int
    kj_audit_write (kj_audit_t *self, kj_db_t *db, const kj_audit_row_t *row);

//  Chain the rows committed since the last seal (at most 10,000), unless
//  another connection is sealing. Rows that committed after a seal had
//  chained higher ids are looked for by the first seal of the process and
//  every 30th (and by kj_audit_verify's), since that look costs the size
//  of a window of 100,000 ids. With anchoring on (kj_audit_set_
//  anchoring), the same transaction puts the new head in the service's
//  outbox as the event `audit.sealed` (an AuditSealed, key: the trail's
//  schema), which anchors it in the event log. Outside a transaction. The
//  rows chained, or -1.
int
    kj_audit_seal (kj_audit_t *self, kj_db_t *db);

//  Whether every seal anchors the head (the option NAME/audit_anchor; off:
//  only kj_audit_verify's seal does, when the head moved since this
//  process anchored it last).
void
    kj_audit_set_anchoring (kj_audit_t *self, bool every_seal);

//  Seal and anchor the head (as above, whether or not anchoring is on),
//  then check the whole chain in one snapshot: reply->ok, with
//  checked, pending, and bad_row and reason for the first row that fails.
//  Each anchor of this trail among request->anchors must still be in the
//  chain (that hash at that place): a chain cut short or rewritten by
//  whoever owns the database fails too, naming the first anchor it lost. 0, or -1 when the database failed.
int
    kj_audit_verify (kj_audit_t *self, kj_db_t *db,
                     const Kj__AuditVerifyRequest *request,
                     Kj__AuditVerify *reply, kj_call_t *call);

//  --------------------------------------------------------------------------
//  Inside a handler

//  Name what this call acts on: its kind and key as the caller sent them
//  ("enterprise", "91210100..."), stored as "kind key", cut to
//  KJ_AUDIT_OBJECT_MAX bytes. One line at the top of a write handler.
void
    kj_audit_object (kj_call_t *call, const char *kind, const char *key);

//  The same with a number for key ("claim", 42)
void
    kj_audit_object_n (kj_call_t *call, const char *kind, int64_t key);

//  The call's images before and after the change, in place of the request
//  and the reply (either NULL: keep that default). Copied at once.
void
    kj_audit_images (kj_call_t *call, const ProtobufCMessage *before,
                     const ProtobufCMessage *after);

//  What kj_audit_object noted for the call, for the daemon's audit hook:
//  the object ("" if none), and the images (NULL if not named).
void
    kj_audit_noted (kj_call_t *call, const char **object, const char **before,
                    const char **after);

#endif
