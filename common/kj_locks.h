/*  =========================================================================
    kj_locks - every advisory lock Kejin takes, one namespace each

    PostgreSQL's advisory locks are numbers; two pieces of code that invent
    their numbers apart can collide, or, worse, mean the same lock and spell
    it two ways. So every lock is the two-int form (namespace, key): the
    namespace a number from this table, the key hashtext of a text (or a
    number) as the table says. SQL that takes a lock pastes the macros, so
    the spelling lives here:

        "SELECT pg_advisory_xact_lock (" KJ_LOCK_ENTITY ", hashtext ($1))"

    pg_locks shows a held one as classid = namespace, objid = key;
    kj_lock_name turns the namespace back into its name.

    Every copy of a service must spell its locks alike: changing a number
    here is an upgrade step (stop every copy, then start the new ones).
    =========================================================================
*/

#ifndef KJ_LOCKS_H_INCLUDED
#define KJ_LOCKS_H_INCLUDED

//  Roles, schemas and audit trails being created (xact; key 0).
#define KJ_LOCK_BOOTSTRAP "19270"
//  One schema's migrations (session; hashtext of the schema).
#define KJ_LOCK_MIGRATE "19271"
//  One entity's changes and events, kj_db_lock_key (xact; hashtext of
//  kind ':' key, e.g. 'registry.product:' || id).
#define KJ_LOCK_ENTITY "19272"
//  One request's idempotency key, kj_worker (xact; hashtext of the key).
#define KJ_LOCK_IDEMPOTENCY "19273"
//  The event log's one writer (session; key 1).
#define KJ_LOCK_EVENTS_WRITER "19274"
//  The relay of one producer (session; hashtext of its schema).
#define KJ_LOCK_RELAY "19275"
//  Sealing one audit trail (xact, tried; hashtext of the trail's schema).
#define KJ_LOCK_AUDIT_SEAL "19276"
//  One IPO fit batch's runner (session, tried; the batch id).
#define KJ_LOCK_IPO_FIT "19277"
//  One scoring batch's stage, scored by one worker at a time (session,
//  tried; batch id mod 500,000,000 x 4 + stage).
#define KJ_LOCK_SCORING_STAGE "19278"
//  One topic's events, for batches that write thousands of its keys in
//  one transaction, kj_db_lock_topic (xact; hashtext of the topic).
#define KJ_LOCK_TOPIC "19279"

//  One row of the table, for tools and tests.
typedef struct {
    int number;
    const char *name;
    const char *scope;  //  "xact" or "session"
    const char *key;    //  what the second int is
} kj_lock_t;

//  The table, ended by a row with name NULL.
extern const kj_lock_t kj_locks [];

//  The name of namespace number, or NULL when it is not Kejin's.
const char *
    kj_lock_name (int number);

#endif
