/*  =========================================================================
    registry_entry - life cycle of an enterprise's entry in the library
    (入库: submit, city review, province review, publicity, active)

    Pure rules, no I/O. One table says which action moves an entry from
    which state to which (docs/rules/entry.md); everything else is refused with
    a message saying what the entry is waiting for.
    =========================================================================
*/

#ifndef REGISTRY_ENTRY_H_INCLUDED
#define REGISTRY_ENTRY_H_INCLUDED

#include <stdbool.h>

#include "kj_proto.h"

typedef enum {
    REGISTRY_ENTRY_DRAFT = 0,      //  草稿, being filled in
    REGISTRY_ENTRY_SUBMITTED,      //  待市级审核, awaiting city review
    REGISTRY_ENTRY_CITY_APPROVED,  //  待省级审核, awaiting province review
    REGISTRY_ENTRY_PUBLICIZED,     //  公示中, in publicity
    REGISTRY_ENTRY_ACTIVE,         //  已入库, in the library
    REGISTRY_ENTRY_RETURNED,       //  已退回, returned for correction
    REGISTRY_ENTRY_REJECTED,       //  未入库, rejected (final)
    REGISTRY_ENTRY_SUSPENDED,      //  已暂停, e.g. annual update overdue
    REGISTRY_ENTRY_REMOVED,        //  已出库, removed (final)
    REGISTRY_ENTRY_STATES          //  number of states
} registry_entry_state_t;

typedef enum {
    REGISTRY_ENTRY_ACTION_SUBMIT = 0,           //  DRAFT, RETURNED -> SUBMITTED
    REGISTRY_ENTRY_ACTION_CITY_APPROVE,         //  SUBMITTED -> CITY_APPROVED
    REGISTRY_ENTRY_ACTION_PROVINCE_APPROVE,     //  CITY_APPROVED -> PUBLICIZED
    REGISTRY_ENTRY_ACTION_PUBLICITY_PASS,       //  PUBLICIZED -> ACTIVE
    REGISTRY_ENTRY_ACTION_PUBLICITY_OBJECTION,  //  PUBLICIZED -> REJECTED
    REGISTRY_ENTRY_ACTION_RETURN,               //  SUBMITTED, CITY_APPROVED ->
                                                //  RETURNED
    REGISTRY_ENTRY_ACTION_REJECT,               //  SUBMITTED, CITY_APPROVED ->
                                                //  REJECTED
    REGISTRY_ENTRY_ACTION_SUSPEND,              //  ACTIVE -> SUSPENDED
    REGISTRY_ENTRY_ACTION_REINSTATE,            //  SUSPENDED -> ACTIVE
    REGISTRY_ENTRY_ACTION_REMOVE,               //  ACTIVE, SUSPENDED -> REMOVED
    REGISTRY_ENTRY_ACTIONS                      //  number of actions
} registry_entry_action_t;

//  --------------------------------------------------------------------------
//  The state that action leads to from `from`. Returns 0 with *to set, or
//  -1 with *to = from and status set: FAILED_PRECONDITION if the action
//  does not apply to that state, else INVALID_ARGUMENT (field "reason") if
//  the action needs a reason and reason is NULL or blank.

int
    registry_entry_transition (registry_entry_state_t from,
                               registry_entry_action_t action,
                               const char *reason, registry_entry_state_t *to,
                               kj_status_t *status);

//  --------------------------------------------------------------------------
//  True if action applies to an entry in state from.

bool
    registry_entry_allowed (registry_entry_state_t from,
                            registry_entry_action_t action);

//  --------------------------------------------------------------------------
//  True if action must carry a reason (return, reject, publicity_objection,
//  suspend, remove).

bool
    registry_entry_needs_reason (registry_entry_action_t action);

//  --------------------------------------------------------------------------
//  Stable lower-case name of a state ("city_approved") and its Chinese
//  label ("待省级审核").

const char *
    registry_entry_state_name (registry_entry_state_t state);

const char *
    registry_entry_state_label (registry_entry_state_t state);

//  --------------------------------------------------------------------------
//  State from its name; -1 if none has that name.

int
    registry_entry_state_from_name (const char *name);

//  --------------------------------------------------------------------------
//  Stable lower-case name of an action ("city_approve") and its Chinese
//  label ("市级审核通过").

const char *
    registry_entry_action_name (registry_entry_action_t action);

const char *
    registry_entry_action_label (registry_entry_action_t action);

//  --------------------------------------------------------------------------
//  Action from its name; -1 if none has that name.

int
    registry_entry_action_from_name (const char *name);

#endif
