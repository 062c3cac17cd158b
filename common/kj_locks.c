/*  =========================================================================
    kj_locks - every advisory lock Kejin takes, one namespace each
    =========================================================================
*/

#include <stddef.h>

#include "kj_locks.h"

//  atoi is not a constant expression: the numbers are written out, and the
//  unit test checks each against its macro.
const kj_lock_t kj_locks [] = {
    { 19270, "KJ_LOCK_BOOTSTRAP", "xact", "0" },
    { 19271, "KJ_LOCK_MIGRATE", "session", "hashtext (schema)" },
    { 19272, "KJ_LOCK_ENTITY", "xact", "hashtext (kind || ':' || key)" },
    { 19273, "KJ_LOCK_IDEMPOTENCY", "xact", "hashtext (idempotency key)" },
    { 19274, "KJ_LOCK_EVENTS_WRITER", "session", "1" },
    { 19275, "KJ_LOCK_RELAY", "session", "hashtext (producer schema)" },
    { 19276, "KJ_LOCK_AUDIT_SEAL", "xact", "hashtext (trail schema)" },
    { 19277, "KJ_LOCK_IPO_FIT", "session", "batch id" },
    { 19278, "KJ_LOCK_SCORING_STAGE", "session", "batch id x 4 + stage" },
    { 19279, "KJ_LOCK_TOPIC", "xact", "hashtext (topic)" },
    { 0, NULL, NULL, NULL }
};

const char *
kj_lock_name (int number)
{
    for (const kj_lock_t *lock = kj_locks; lock->name; lock++)
        if (lock->number == number)
            return lock->name;
    return NULL;
}
