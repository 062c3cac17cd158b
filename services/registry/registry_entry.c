/*  =========================================================================
    registry_entry - life cycle of an enterprise's entry in the library

    Pure rules, no I/O. The transitions (docs/rules/entry.md):

      DRAFT ---------submit--------> SUBMITTED
      RETURNED ------submit--------> SUBMITTED      (corrected, sent again)
      SUBMITTED -----city_approve--> CITY_APPROVED
      CITY_APPROVED -province_approve-> PUBLICIZED  (公示)
      PUBLICIZED ----publicity_pass-> ACTIVE        (入库)
      PUBLICIZED ----publicity_objection* -> REJECTED
      SUBMITTED, CITY_APPROVED --return*-> RETURNED
      SUBMITTED, CITY_APPROVED --reject*-> REJECTED
      ACTIVE --------suspend*------> SUSPENDED      (annual update overdue)
      SUSPENDED -----reinstate-----> ACTIVE
      ACTIVE, SUSPENDED --remove*--> REMOVED        (出库)

    * needs a reason. REJECTED and REMOVED are final. A returned entry is
    sent again with `submit`, the same action as the first time: the audit
    trail tells the two apart by the state it came from.
    =========================================================================
*/

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "kejin.h"
#include "registry.pb-c.h"
#include "registry_entry.h"

typedef struct {
    const char *name;   //  stable lower-case name
    const char *label;  //  Chinese label
    const char *hint;   //  what refused actions are told
} s_state_t;

static const s_state_t s_states [REGISTRY_ENTRY_STATES] = {
    [REGISTRY_ENTRY_DRAFT] = { "draft", "草稿", N_ ("submit it first") },
    [REGISTRY_ENTRY_SUBMITTED] = { "submitted", "待市级审核",
                                   N_ ("it awaits city review (city_approve, "
                                       "return or reject)") },
    [REGISTRY_ENTRY_CITY_APPROVED] = { "city_approved", "待省级审核",
                                       N_ ("it awaits province review "
                                           "(province_approve, return or "
                                           "reject)") },
    [REGISTRY_ENTRY_PUBLICIZED] = { "publicized", "公示中",
                                    N_ ("it is in publicity (公示); record "
                                        "publicity_pass or "
                                        "publicity_objection") },
    [REGISTRY_ENTRY_ACTIVE] = { "active", "已入库",
                                N_ ("it is in the library; only suspend or "
                                    "remove apply") },
    [REGISTRY_ENTRY_RETURNED] = { "returned", "已退回",
                                  N_ ("it was returned for correction; submit "
                                      "it again") },
    [REGISTRY_ENTRY_REJECTED] = { "rejected", "未入库",
                                  N_ ("a rejected entry is final") },
    [REGISTRY_ENTRY_SUSPENDED] = { "suspended", "已暂停",
                                   N_ ("it is suspended; reinstate or remove "
                                       "it") },
    [REGISTRY_ENTRY_REMOVED] = { "removed", "已出库",
                                 N_ ("a removed entry is final") },
};

typedef struct {
    const char *name;   //  stable lower-case name
    const char *label;  //  Chinese label
    bool needs_reason;  //  refused without a reason
} s_action_t;

static const s_action_t s_actions [REGISTRY_ENTRY_ACTIONS] = {
    [REGISTRY_ENTRY_ACTION_SUBMIT] = { "submit", "提交", false },
    [REGISTRY_ENTRY_ACTION_CITY_APPROVE] = { "city_approve", "市级审核通过",
                                             false },
    [REGISTRY_ENTRY_ACTION_PROVINCE_APPROVE] = { "province_approve",
                                                 "省级审核通过", false },
    [REGISTRY_ENTRY_ACTION_PUBLICITY_PASS] = { "publicity_pass", "公示无异议",
                                               false },
    [REGISTRY_ENTRY_ACTION_PUBLICITY_OBJECTION] = { "publicity_objection",
                                                    "公示异议成立", true },
    [REGISTRY_ENTRY_ACTION_RETURN] = { "return", "退回修改", true },
    [REGISTRY_ENTRY_ACTION_REJECT] = { "reject", "不予入库", true },
    [REGISTRY_ENTRY_ACTION_SUSPEND] = { "suspend", "暂停", true },
    [REGISTRY_ENTRY_ACTION_REINSTATE] = { "reinstate", "恢复", false },
    [REGISTRY_ENTRY_ACTION_REMOVE] = { "remove", "出库", true },
};

//  The transition table: one row per allowed move.
static const struct {
    registry_entry_state_t from;
    registry_entry_action_t action;
    registry_entry_state_t to;
} s_transitions [] = {
    { REGISTRY_ENTRY_DRAFT, REGISTRY_ENTRY_ACTION_SUBMIT,
      REGISTRY_ENTRY_SUBMITTED },
    { REGISTRY_ENTRY_RETURNED, REGISTRY_ENTRY_ACTION_SUBMIT,
      REGISTRY_ENTRY_SUBMITTED },
    { REGISTRY_ENTRY_SUBMITTED, REGISTRY_ENTRY_ACTION_CITY_APPROVE,
      REGISTRY_ENTRY_CITY_APPROVED },
    { REGISTRY_ENTRY_SUBMITTED, REGISTRY_ENTRY_ACTION_RETURN,
      REGISTRY_ENTRY_RETURNED },
    { REGISTRY_ENTRY_SUBMITTED, REGISTRY_ENTRY_ACTION_REJECT,
      REGISTRY_ENTRY_REJECTED },
    { REGISTRY_ENTRY_CITY_APPROVED, REGISTRY_ENTRY_ACTION_PROVINCE_APPROVE,
      REGISTRY_ENTRY_PUBLICIZED },
    { REGISTRY_ENTRY_CITY_APPROVED, REGISTRY_ENTRY_ACTION_RETURN,
      REGISTRY_ENTRY_RETURNED },
    { REGISTRY_ENTRY_CITY_APPROVED, REGISTRY_ENTRY_ACTION_REJECT,
      REGISTRY_ENTRY_REJECTED },
    { REGISTRY_ENTRY_PUBLICIZED, REGISTRY_ENTRY_ACTION_PUBLICITY_PASS,
      REGISTRY_ENTRY_ACTIVE },
    { REGISTRY_ENTRY_PUBLICIZED, REGISTRY_ENTRY_ACTION_PUBLICITY_OBJECTION,
      REGISTRY_ENTRY_REJECTED },
    { REGISTRY_ENTRY_ACTIVE, REGISTRY_ENTRY_ACTION_SUSPEND,
      REGISTRY_ENTRY_SUSPENDED },
    { REGISTRY_ENTRY_ACTIVE, REGISTRY_ENTRY_ACTION_REMOVE,
      REGISTRY_ENTRY_REMOVED },
    { REGISTRY_ENTRY_SUSPENDED, REGISTRY_ENTRY_ACTION_REINSTATE,
      REGISTRY_ENTRY_ACTIVE },
    { REGISTRY_ENTRY_SUSPENDED, REGISTRY_ENTRY_ACTION_REMOVE,
      REGISTRY_ENTRY_REMOVED },
};
#define TRANSITIONS (sizeof s_transitions / sizeof s_transitions [0])

//  --------------------------------------------------------------------------
//  Index of the table row for from and action, or -1.

static int
s_find_transition (registry_entry_state_t from, registry_entry_action_t action)
{
    assert (from >= 0 && from < REGISTRY_ENTRY_STATES);
    assert (action >= 0 && action < REGISTRY_ENTRY_ACTIONS);
    for (size_t i = 0; i < TRANSITIONS; i++)
        if (s_transitions [i].from == from
            && s_transitions [i].action == action)
            return (int) i;
    return -1;
}

//  --------------------------------------------------------------------------
//  True if text is NULL or only white space.

static bool
s_blank (const char *text)
{
    if (!text)
        return true;
    for (; *text; text++)
        if (!strchr (" \t\r\n\v\f", *text))
            return false;
    return true;
}

//  --------------------------------------------------------------------------
//  A state and an action as a refusal names them, in the caller's language
//  (kj_check_enum_label): under Chinese the names the CLI shows and
//  accepts (待市级审核, 提交); else the stored names, a state upper case as
//  in the docs (SUBMITTED, submit).

static const char *
s_state_text (registry_entry_state_t state, char *buf, size_t size)
{
    if (!kj_check_enum_label (&kj__entry_status__descriptor, "ENTRY_",
                              (int) state, buf, size))
        snprintf (buf, size, "%s", s_states [state].name);
    if (strcmp (buf, s_states [state].name) == 0)
        for (char *c = buf; *c; c++)
            *c = (char) toupper ((unsigned char) *c);
    return buf;
}

static const char *
s_action_text (registry_entry_action_t action, char *buf, size_t size)
{
    //  The wire's actions start at 1 (0 is "no action")
    if (!kj_check_enum_label (&kj__entry_action__descriptor, "ACTION_",
                              (int) action + 1, buf, size))
        snprintf (buf, size, "%s", s_actions [action].name);
    return buf;
}

//  --------------------------------------------------------------------------
//  The state an action leads to; see the header.

int
registry_entry_transition (registry_entry_state_t from,
                           registry_entry_action_t action, const char *reason,
                           registry_entry_state_t *to, kj_status_t *status)
{
    assert (to);
    assert (status);
    int row = s_find_transition (from, action);
    *to = from;
    char state [32], act [48];
    if (row < 0)
        return kj_status_set (status, KJ__CODE__FAILED_PRECONDITION, NULL,
                              "cannot %s an entry that is %s: %s",
                              s_action_text (action, act, sizeof act),
                              s_state_text (from, state, sizeof state),
                              _ (s_states [from].hint));
    if (s_actions [action].needs_reason && s_blank (reason))
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "reason",
                              "%s needs a reason, and none was given",
                              s_action_text (action, act, sizeof act));
    *to = s_transitions [row].to;
    kj_status_ok (status);
    return 0;
}

//  --------------------------------------------------------------------------
//  True if action applies to state from.

bool
registry_entry_allowed (registry_entry_state_t from,
                        registry_entry_action_t action)
{
    return s_find_transition (from, action) >= 0;
}

//  --------------------------------------------------------------------------
//  True if action must carry a reason.

bool
registry_entry_needs_reason (registry_entry_action_t action)
{
    assert (action >= 0 && action < REGISTRY_ENTRY_ACTIONS);
    return s_actions [action].needs_reason;
}

//  --------------------------------------------------------------------------
//  Name of a state.

const char *
registry_entry_state_name (registry_entry_state_t state)
{
    assert (state >= 0 && state < REGISTRY_ENTRY_STATES);
    return s_states [state].name;
}

//  --------------------------------------------------------------------------
//  Chinese label of a state.

const char *
registry_entry_state_label (registry_entry_state_t state)
{
    assert (state >= 0 && state < REGISTRY_ENTRY_STATES);
    return s_states [state].label;
}

//  --------------------------------------------------------------------------
//  State from its name, or -1.

int
registry_entry_state_from_name (const char *name)
{
    assert (name);
    for (int i = 0; i < REGISTRY_ENTRY_STATES; i++)
        if (strcmp (name, s_states [i].name) == 0)
            return i;
    return -1;
}

//  --------------------------------------------------------------------------
//  Name of an action.

const char *
registry_entry_action_name (registry_entry_action_t action)
{
    assert (action >= 0 && action < REGISTRY_ENTRY_ACTIONS);
    return s_actions [action].name;
}

//  --------------------------------------------------------------------------
//  Chinese label of an action.

const char *
registry_entry_action_label (registry_entry_action_t action)
{
    assert (action >= 0 && action < REGISTRY_ENTRY_ACTIONS);
    return s_actions [action].label;
}

//  --------------------------------------------------------------------------
//  Action from its name, or -1.

int
registry_entry_action_from_name (const char *name)
{
    assert (name);
    for (int i = 0; i < REGISTRY_ENTRY_ACTIONS; i++)
        if (strcmp (name, s_actions [i].name) == 0)
            return i;
    return -1;
}
