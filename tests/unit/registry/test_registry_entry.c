/*  =========================================================================
    test_registry_entry - the entry life cycle, every state by every action
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "kejin.h"
#include "registry_entry.h"

#define S(x) REGISTRY_ENTRY_##x
#define A(x) REGISTRY_ENTRY_ACTION_##x
#define NO   -1

//  The expected matrix, written out from docs/rules/entry.md independently of
//  the class's table: s_expected [state][action] is the target state, or
//  NO where the action is refused.
static const int s_expected [REGISTRY_ENTRY_STATES][REGISTRY_ENTRY_ACTIONS] = {
    //  actions in order: submit, city_approve, province_approve,
    //  publicity_pass, publicity_objection, return, reject, suspend,
    //  reinstate, remove
    [S (DRAFT)] = { S (SUBMITTED), NO, NO, NO, NO, NO, NO, NO, NO, NO },
    [S (SUBMITTED)] = { NO, S (CITY_APPROVED), NO, NO, NO, S (RETURNED),
                        S (REJECTED), NO, NO, NO },
    [S (CITY_APPROVED)] = { NO, NO, S (PUBLICIZED), NO, NO, S (RETURNED),
                            S (REJECTED), NO, NO, NO },
    [S (PUBLICIZED)] = { NO, NO, NO, S (ACTIVE), S (REJECTED), NO, NO, NO, NO,
                         NO },
    [S (ACTIVE)] = { NO, NO, NO, NO, NO, NO, NO, S (SUSPENDED), NO,
                     S (REMOVED) },
    [S (RETURNED)] = { S (SUBMITTED), NO, NO, NO, NO, NO, NO, NO, NO, NO },
    [S (REJECTED)] = { NO, NO, NO, NO, NO, NO, NO, NO, NO, NO },
    [S (SUSPENDED)] = { NO, NO, NO, NO, NO, NO, NO, NO, S (ACTIVE),
                        S (REMOVED) },
    [S (REMOVED)] = { NO, NO, NO, NO, NO, NO, NO, NO, NO, NO },
};

static const char *s_state_names [] = {
    "draft",    "submitted", "city_approved", "publicized", "active",
    "returned", "rejected",  "suspended",     "removed"
};
static const char *s_state_upper [] = {
    "DRAFT",    "SUBMITTED", "CITY_APPROVED", "PUBLICIZED", "ACTIVE",
    "RETURNED", "REJECTED",  "SUSPENDED",     "REMOVED"
};
static const char *s_action_names [] = { "submit",
                                         "city_approve",
                                         "province_approve",
                                         "publicity_pass",
                                         "publicity_objection",
                                         "return",
                                         "reject",
                                         "suspend",
                                         "reinstate",
                                         "remove" };

//  --------------------------------------------------------------------------
//  True if action needs a reason, by the brief.

static bool
s_needs_reason (int action)
{
    return action == A (RETURN) || action == A (REJECT) || action == A (REMOVE)
        || action == A (PUBLICITY_OBJECTION) || action == A (SUSPEND);
}

static void
test_transition_full_matrix (void **state)
{
    int allowed = 0;
    for (int from = 0; from < REGISTRY_ENTRY_STATES; from++) {
        for (int action = 0; action < REGISTRY_ENTRY_ACTIONS; action++) {
            registry_entry_state_t to = (registry_entry_state_t) 99;
            kj_status_t status;
            int rc = registry_entry_transition ((registry_entry_state_t) from,
                                                (registry_entry_action_t)
                                                    action,
                                                "a reason", &to, &status);
            if (s_expected [from][action] == NO) {
                if (rc != -1)
                    fail_msg ("%s from %s allowed", s_action_names [action],
                              s_state_names [from]);
                assert_int_equal (status.code, KJ__CODE__FAILED_PRECONDITION);
                assert_string_equal (status.field, "");
                assert_int_equal (to, from);
                char head [128];
                snprintf (head, sizeof head, "cannot %s an entry that is %s: ",
                          s_action_names [action], s_state_upper [from]);
                assert_memory_equal (status.message, head, strlen (head));
                assert_true (strlen (status.message) > strlen (head));
                assert_false (
                    registry_entry_allowed ((registry_entry_state_t) from,
                                            (registry_entry_action_t) action));
            }
            else {
                if (rc != 0)
                    fail_msg ("%s from %s refused: %s", s_action_names [action],
                              s_state_names [from], status.message);
                assert_int_equal (status.code, KJ__CODE__OK);
                assert_int_equal (to, s_expected [from][action]);
                assert_true (
                    registry_entry_allowed ((registry_entry_state_t) from,
                                            (registry_entry_action_t) action));
                allowed++;
            }
        }
    }
    assert_int_equal (allowed, 14);
}

static void
test_transition_refusal_messages (void **state)
{
    static const struct {
        registry_entry_state_t from;
        registry_entry_action_t action;
        const char *message;
    } rows [] = {
        { S (DRAFT), A (CITY_APPROVE),
          "cannot city_approve an entry that is DRAFT: submit it first" },
        { S (SUBMITTED), A (SUBMIT),
          "cannot submit an entry that is SUBMITTED: it awaits city review "
          "(city_approve, return or reject)" },
        { S (CITY_APPROVED), A (CITY_APPROVE),
          "cannot city_approve an entry that is CITY_APPROVED: it awaits "
          "province review (province_approve, return or reject)" },
        { S (PUBLICIZED), A (REJECT),
          "cannot reject an entry that is PUBLICIZED: it is in publicity "
          "(公示); record publicity_pass or publicity_objection" },
        { S (ACTIVE), A (SUBMIT),
          "cannot submit an entry that is ACTIVE: it is in the library; only "
          "suspend or remove apply" },
        { S (RETURNED), A (CITY_APPROVE),
          "cannot city_approve an entry that is RETURNED: it was returned "
          "for correction; submit it again" },
        { S (REJECTED), A (SUBMIT),
          "cannot submit an entry that is REJECTED: a rejected entry is "
          "final" },
        { S (SUSPENDED), A (SUSPEND),
          "cannot suspend an entry that is SUSPENDED: it is suspended; "
          "reinstate or remove it" },
        { S (REMOVED), A (REINSTATE),
          "cannot reinstate an entry that is REMOVED: a removed entry is "
          "final" },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows [0]; i++) {
        registry_entry_state_t to;
        kj_status_t status;
        assert_int_equal (registry_entry_transition (rows [i].from,
                                                     rows [i].action, "why",
                                                     &to, &status),
                          -1);
        assert_int_equal (status.code, KJ__CODE__FAILED_PRECONDITION);
        assert_string_equal (status.message, rows [i].message);
    }
}

//  Each state's hint names every action allowed from it, so a refusal
//  always points at a way forward (or says the entry is final).
static void
test_transition_hints_name_allowed_actions (void **state)
{
    for (int from = 0; from < REGISTRY_ENTRY_STATES; from++) {
        //  Refuse something to read the hint.
        int refused = 0;
        while (s_expected [from][refused] != NO)
            refused++;
        registry_entry_state_t to;
        kj_status_t status;
        registry_entry_transition ((registry_entry_state_t) from,
                                   (registry_entry_action_t) refused, "why",
                                   &to, &status);
        bool any = false;
        for (int action = 0; action < REGISTRY_ENTRY_ACTIONS; action++) {
            if (s_expected [from][action] == NO)
                continue;
            any = true;
            const char *hint = strchr (status.message, ':');
            if (!strstr (hint, s_action_names [action]))
                fail_msg ("%s: hint '%s' does not name %s",
                          s_state_names [from], hint, s_action_names [action]);
        }
        if (!any)
            assert_non_null (strstr (status.message, "is final"));
    }
}

//  Under Chinese a refusal names the state and the action by the Chinese
//  names the CLI shows and accepts, and its hint names every action allowed
//  by those names too. Before, the Chinese message carried the stored
//  names and an English hint: "不能对状态为 SUBMITTED 的入库记录执行
//  submit：it awaits city review (city_approve, return or reject)".
static void
test_transition_refusal_zh (void **state)
{
    static const char *actions [] = { "ACTION_SUBMIT",
                                      "ACTION_CITY_APPROVE",
                                      "ACTION_PROVINCE_APPROVE",
                                      "ACTION_PUBLICITY_PASS",
                                      "ACTION_PUBLICITY_OBJECTION",
                                      "ACTION_RETURN",
                                      "ACTION_REJECT",
                                      "ACTION_SUSPEND",
                                      "ACTION_REINSTATE",
                                      "ACTION_REMOVE" };
    locale_t previous = kj_i18n_use ("zh_CN");
    registry_entry_state_t to;
    kj_status_t status;
    registry_entry_transition (S (SUBMITTED), A (SUBMIT), "why", &to, &status);
    assert_string_equal (status.message,
                         "不能对状态为 待市级审核 的入库记录执行 提交："
                         "正在等待市级审核（市级审核通过、退回或驳回）");
    registry_entry_transition (S (SUBMITTED), A (RETURN), " ", &to, &status);
    assert_string_equal (status.message, "退回 需要填写理由，但未填写");
    for (int from = 0; from < REGISTRY_ENTRY_STATES; from++) {
        int refused = 0;
        while (s_expected [from][refused] != NO)
            refused++;
        registry_entry_transition ((registry_entry_state_t) from,
                                   (registry_entry_action_t) refused, "why",
                                   &to, &status);
        const char *hint = strstr (status.message, "：");
        assert_non_null (hint);
        bool any = false;
        for (int action = 0; action < REGISTRY_ENTRY_ACTIONS; action++) {
            if (s_expected [from][action] == NO)
                continue;
            any = true;
            const char *label = kj_check_enum_label_zh (actions [action]);
            if (!strstr (hint, label))
                fail_msg ("%s: hint '%s' does not name %s",
                          s_state_names [from], hint, label);
        }
        if (!any)
            assert_non_null (strstr (hint, "最终状态"));
    }
    kj_i18n_restore (previous);
}

static void
test_transition_requires_reason (void **state)
{
    const char *blanks [] = { NULL, "", " ", " \t\r\n" };
    int checked = 0;
    for (int from = 0; from < REGISTRY_ENTRY_STATES; from++) {
        for (int action = 0; action < REGISTRY_ENTRY_ACTIONS; action++) {
            if (s_expected [from][action] == NO)
                continue;
            for (size_t b = 0; b < 4; b++) {
                registry_entry_state_t to = (registry_entry_state_t) 99;
                kj_status_t status;
                int rc =
                    registry_entry_transition ((registry_entry_state_t) from,
                                               (registry_entry_action_t) action,
                                               blanks [b], &to, &status);
                if (s_needs_reason (action)) {
                    assert_int_equal (rc, -1);
                    assert_int_equal (status.code, KJ__CODE__INVALID_ARGUMENT);
                    assert_string_equal (status.field, "reason");
                    char expected [128];
                    //  The field is status.field; the CLI shows it as
                    //  (--reason), so the message does not repeat it
                    snprintf (expected, sizeof expected,
                              "%s needs a reason, and none was given",
                              s_action_names [action]);
                    assert_string_equal (status.message, expected);
                    assert_int_equal (to, from);
                    checked++;
                }
                else {
                    assert_int_equal (rc, 0);
                    assert_int_equal (to, s_expected [from][action]);
                }
            }
        }
    }
    //  return x2, reject x2, publicity_objection, suspend, remove x2.
    assert_int_equal (checked, 8 * 4);
}

static void
test_transition_refusal_before_reason (void **state)
{
    //  Both wrong: the state is the more useful thing to hear about.
    registry_entry_state_t to;
    kj_status_t status;
    assert_int_equal (registry_entry_transition (S (DRAFT), A (REJECT), NULL,
                                                 &to, &status),
                      -1);
    assert_int_equal (status.code, KJ__CODE__FAILED_PRECONDITION);
    assert_int_equal (to, S (DRAFT));
}

static void
test_transition_reason_text (void **state)
{
    registry_entry_state_t to;
    kj_status_t status;
    assert_int_equal (registry_entry_transition (S (ACTIVE), A (SUSPEND),
                                                 "年报逾期60天", &to, &status),
                      0);
    assert_int_equal (to, S (SUSPENDED));
    assert_int_equal (registry_entry_transition (S (SUSPENDED), A (REMOVE),
                                                 " x ", &to, &status),
                      0);
    assert_int_equal (to, S (REMOVED));
}

static void
test_transition_whole_life (void **state)
{
    static const struct {
        registry_entry_action_t action;
        registry_entry_state_t to;
    } path [] = {
        { A (SUBMIT), S (SUBMITTED) },
        { A (RETURN), S (RETURNED) },
        { A (SUBMIT), S (SUBMITTED) },
        { A (CITY_APPROVE), S (CITY_APPROVED) },
        { A (RETURN), S (RETURNED) },
        { A (SUBMIT), S (SUBMITTED) },
        { A (CITY_APPROVE), S (CITY_APPROVED) },
        { A (PROVINCE_APPROVE), S (PUBLICIZED) },
        { A (PUBLICITY_PASS), S (ACTIVE) },
        { A (SUSPEND), S (SUSPENDED) },
        { A (REINSTATE), S (ACTIVE) },
        { A (REMOVE), S (REMOVED) },
    };
    registry_entry_state_t at = S (DRAFT);
    for (size_t i = 0; i < sizeof path / sizeof path [0]; i++) {
        kj_status_t status;
        assert_int_equal (registry_entry_transition (at, path [i].action,
                                                     "reason", &at, &status),
                          0);
        assert_int_equal (at, path [i].to);
    }
}

static void
test_needs_reason (void **state)
{
    for (int action = 0; action < REGISTRY_ENTRY_ACTIONS; action++)
        assert_int_equal (registry_entry_needs_reason (
                              (registry_entry_action_t) action),
                          s_needs_reason (action));
}

static void
test_state_names (void **state)
{
    static const char *labels [] = { "草稿",   "待市级审核", "待省级审核",
                                     "公示中", "已入库",     "已退回",
                                     "未入库", "已暂停",     "已出库" };
    assert_int_equal (REGISTRY_ENTRY_STATES, 9);
    for (int i = 0; i < REGISTRY_ENTRY_STATES; i++) {
        assert_string_equal (registry_entry_state_name (
                                 (registry_entry_state_t) i),
                             s_state_names [i]);
        assert_string_equal (registry_entry_state_label (
                                 (registry_entry_state_t) i),
                             labels [i]);
        assert_int_equal (registry_entry_state_from_name (s_state_names [i]),
                          i);
    }
    assert_int_equal (registry_entry_state_from_name ("DRAFT"), -1);
    assert_int_equal (registry_entry_state_from_name (""), -1);
    assert_int_equal (registry_entry_state_from_name ("submit"), -1);
}

static void
test_action_names (void **state)
{
    static const char *labels [] = { "提交",         "市级审核通过",
                                     "省级审核通过", "公示无异议",
                                     "公示异议成立", "退回修改",
                                     "不予入库",     "暂停",
                                     "恢复",         "出库" };
    assert_int_equal (REGISTRY_ENTRY_ACTIONS, 10);
    for (int i = 0; i < REGISTRY_ENTRY_ACTIONS; i++) {
        assert_string_equal (registry_entry_action_name (
                                 (registry_entry_action_t) i),
                             s_action_names [i]);
        assert_string_equal (registry_entry_action_label (
                                 (registry_entry_action_t) i),
                             labels [i]);
        assert_int_equal (registry_entry_action_from_name (s_action_names [i]),
                          i);
    }
    assert_int_equal (registry_entry_action_from_name ("resubmit"), -1);
    assert_int_equal (registry_entry_action_from_name ("SUBMIT"), -1);
    assert_int_equal (registry_entry_action_from_name ("submitted"), -1);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_transition_full_matrix),
        cmocka_unit_test (test_transition_refusal_messages),
        cmocka_unit_test (test_transition_hints_name_allowed_actions),
        cmocka_unit_test (test_transition_refusal_zh),
        cmocka_unit_test (test_transition_requires_reason),
        cmocka_unit_test (test_transition_refusal_before_reason),
        cmocka_unit_test (test_transition_reason_text),
        cmocka_unit_test (test_transition_whole_life),
        cmocka_unit_test (test_needs_reason),
        cmocka_unit_test (test_state_names),
        cmocka_unit_test (test_action_names),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
