/*  =========================================================================
    registry_enums - the C enums that mirror proto enums, checked

    The C enums of the rules classes carry the numbers of the proto enums
    they mirror, so that a value goes from the wire to the rules by a cast.
    Each pair is checked here, value by value, at compile time: a proto
    enum that grows or is renumbered without its C twin stops the build.
    =========================================================================
*/

#include "registry.pb-c.h"
#include "registry_entry.h"
#include "registry_stage.h"

//  registry_stage_t is kj.Stage
_Static_assert((int) REGISTRY_STAGE_UNKNOWN == (int) KJ__STAGE__STAGE_UNKNOWN,
               "REGISTRY_STAGE_UNKNOWN is KJ__STAGE__STAGE_UNKNOWN");
_Static_assert((int) REGISTRY_STAGE_INCUBATION
                   == (int) KJ__STAGE__STAGE_INCUBATION,
               "REGISTRY_STAGE_INCUBATION is KJ__STAGE__STAGE_INCUBATION");
_Static_assert((int) REGISTRY_STAGE_STARTUP == (int) KJ__STAGE__STAGE_STARTUP,
               "REGISTRY_STAGE_STARTUP is KJ__STAGE__STAGE_STARTUP");
_Static_assert((int) REGISTRY_STAGE_GROWTH == (int) KJ__STAGE__STAGE_GROWTH,
               "REGISTRY_STAGE_GROWTH is KJ__STAGE__STAGE_GROWTH");
_Static_assert((int) REGISTRY_STAGE_MATURE == (int) KJ__STAGE__STAGE_MATURE,
               "REGISTRY_STAGE_MATURE is KJ__STAGE__STAGE_MATURE");

//  registry_entry_state_t is kj.EntryStatus; REGISTRY_ENTRY_STATES counts them
_Static_assert((int) REGISTRY_ENTRY_DRAFT
                   == (int) KJ__ENTRY_STATUS__ENTRY_DRAFT,
               "REGISTRY_ENTRY_DRAFT is KJ__ENTRY_STATUS__ENTRY_DRAFT");
_Static_assert((int) REGISTRY_ENTRY_SUBMITTED
                   == (int) KJ__ENTRY_STATUS__ENTRY_SUBMITTED,
               "REGISTRY_ENTRY_SUBMITTED is KJ__ENTRY_STATUS__ENTRY_SUBMITTED");
_Static_assert(
    (int) REGISTRY_ENTRY_CITY_APPROVED
        == (int) KJ__ENTRY_STATUS__ENTRY_CITY_APPROVED,
    "REGISTRY_ENTRY_CITY_APPROVED is KJ__ENTRY_STATUS__ENTRY_CITY_APPROVED");
_Static_assert(
    (int) REGISTRY_ENTRY_PUBLICIZED == (int) KJ__ENTRY_STATUS__ENTRY_PUBLICIZED,
    "REGISTRY_ENTRY_PUBLICIZED is KJ__ENTRY_STATUS__ENTRY_PUBLICIZED");
_Static_assert((int) REGISTRY_ENTRY_ACTIVE
                   == (int) KJ__ENTRY_STATUS__ENTRY_ACTIVE,
               "REGISTRY_ENTRY_ACTIVE is KJ__ENTRY_STATUS__ENTRY_ACTIVE");
_Static_assert((int) REGISTRY_ENTRY_RETURNED
                   == (int) KJ__ENTRY_STATUS__ENTRY_RETURNED,
               "REGISTRY_ENTRY_RETURNED is KJ__ENTRY_STATUS__ENTRY_RETURNED");
_Static_assert((int) REGISTRY_ENTRY_REJECTED
                   == (int) KJ__ENTRY_STATUS__ENTRY_REJECTED,
               "REGISTRY_ENTRY_REJECTED is KJ__ENTRY_STATUS__ENTRY_REJECTED");
_Static_assert((int) REGISTRY_ENTRY_SUSPENDED
                   == (int) KJ__ENTRY_STATUS__ENTRY_SUSPENDED,
               "REGISTRY_ENTRY_SUSPENDED is KJ__ENTRY_STATUS__ENTRY_SUSPENDED");
_Static_assert((int) REGISTRY_ENTRY_REMOVED
                   == (int) KJ__ENTRY_STATUS__ENTRY_REMOVED,
               "REGISTRY_ENTRY_REMOVED is KJ__ENTRY_STATUS__ENTRY_REMOVED");
_Static_assert((int) REGISTRY_ENTRY_STATES
                   == (int) KJ__ENTRY_STATUS__ENTRY_REMOVED + 1,
               "REGISTRY_ENTRY_STATES is KJ__ENTRY_STATUS__ENTRY_REMOVED + 1");

//  registry_entry_action_t is kj.EntryAction less one (the proto keeps 0 for unspecified)
_Static_assert(
    (int) REGISTRY_ENTRY_ACTION_SUBMIT + 1
        == (int) KJ__ENTRY_ACTION__ACTION_SUBMIT,
    "REGISTRY_ENTRY_ACTION_SUBMIT + 1 is KJ__ENTRY_ACTION__ACTION_SUBMIT");
_Static_assert((int) REGISTRY_ENTRY_ACTION_CITY_APPROVE + 1
                   == (int) KJ__ENTRY_ACTION__ACTION_CITY_APPROVE,
               "REGISTRY_ENTRY_ACTION_CITY_APPROVE + 1 is "
               "KJ__ENTRY_ACTION__ACTION_CITY_APPROVE");
_Static_assert((int) REGISTRY_ENTRY_ACTION_PROVINCE_APPROVE + 1
                   == (int) KJ__ENTRY_ACTION__ACTION_PROVINCE_APPROVE,
               "REGISTRY_ENTRY_ACTION_PROVINCE_APPROVE + 1 is "
               "KJ__ENTRY_ACTION__ACTION_PROVINCE_APPROVE");
_Static_assert((int) REGISTRY_ENTRY_ACTION_PUBLICITY_PASS + 1
                   == (int) KJ__ENTRY_ACTION__ACTION_PUBLICITY_PASS,
               "REGISTRY_ENTRY_ACTION_PUBLICITY_PASS + 1 is "
               "KJ__ENTRY_ACTION__ACTION_PUBLICITY_PASS");
_Static_assert((int) REGISTRY_ENTRY_ACTION_PUBLICITY_OBJECTION + 1
                   == (int) KJ__ENTRY_ACTION__ACTION_PUBLICITY_OBJECTION,
               "REGISTRY_ENTRY_ACTION_PUBLICITY_OBJECTION + 1 is "
               "KJ__ENTRY_ACTION__ACTION_PUBLICITY_OBJECTION");
_Static_assert(
    (int) REGISTRY_ENTRY_ACTION_RETURN + 1
        == (int) KJ__ENTRY_ACTION__ACTION_RETURN,
    "REGISTRY_ENTRY_ACTION_RETURN + 1 is KJ__ENTRY_ACTION__ACTION_RETURN");
_Static_assert(
    (int) REGISTRY_ENTRY_ACTION_REJECT + 1
        == (int) KJ__ENTRY_ACTION__ACTION_REJECT,
    "REGISTRY_ENTRY_ACTION_REJECT + 1 is KJ__ENTRY_ACTION__ACTION_REJECT");
_Static_assert(
    (int) REGISTRY_ENTRY_ACTION_SUSPEND + 1
        == (int) KJ__ENTRY_ACTION__ACTION_SUSPEND,
    "REGISTRY_ENTRY_ACTION_SUSPEND + 1 is KJ__ENTRY_ACTION__ACTION_SUSPEND");
_Static_assert((int) REGISTRY_ENTRY_ACTION_REINSTATE + 1
                   == (int) KJ__ENTRY_ACTION__ACTION_REINSTATE,
               "REGISTRY_ENTRY_ACTION_REINSTATE + 1 is "
               "KJ__ENTRY_ACTION__ACTION_REINSTATE");
_Static_assert(
    (int) REGISTRY_ENTRY_ACTION_REMOVE + 1
        == (int) KJ__ENTRY_ACTION__ACTION_REMOVE,
    "REGISTRY_ENTRY_ACTION_REMOVE + 1 is KJ__ENTRY_ACTION__ACTION_REMOVE");
_Static_assert((int) REGISTRY_ENTRY_ACTIONS
                   == (int) KJ__ENTRY_ACTION__ACTION_REMOVE,
               "REGISTRY_ENTRY_ACTIONS is KJ__ENTRY_ACTION__ACTION_REMOVE");

//  registry_round_t is kj.Round
_Static_assert((int) REGISTRY_ROUND_NONE == (int) KJ__ROUND__ROUND_NONE,
               "REGISTRY_ROUND_NONE is KJ__ROUND__ROUND_NONE");
_Static_assert((int) REGISTRY_ROUND_SEED == (int) KJ__ROUND__ROUND_SEED,
               "REGISTRY_ROUND_SEED is KJ__ROUND__ROUND_SEED");
_Static_assert((int) REGISTRY_ROUND_ANGEL == (int) KJ__ROUND__ROUND_ANGEL,
               "REGISTRY_ROUND_ANGEL is KJ__ROUND__ROUND_ANGEL");
_Static_assert((int) REGISTRY_ROUND_A == (int) KJ__ROUND__ROUND_A,
               "REGISTRY_ROUND_A is KJ__ROUND__ROUND_A");
_Static_assert((int) REGISTRY_ROUND_B == (int) KJ__ROUND__ROUND_B,
               "REGISTRY_ROUND_B is KJ__ROUND__ROUND_B");
_Static_assert((int) REGISTRY_ROUND_C_PLUS == (int) KJ__ROUND__ROUND_C_PLUS,
               "REGISTRY_ROUND_C_PLUS is KJ__ROUND__ROUND_C_PLUS");
_Static_assert((int) REGISTRY_ROUND_PRE_IPO == (int) KJ__ROUND__ROUND_PRE_IPO,
               "REGISTRY_ROUND_PRE_IPO is KJ__ROUND__ROUND_PRE_IPO");
