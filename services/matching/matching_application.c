/*  =========================================================================
    matching_application - the state machine of a financing application

    Pure rules, no I/O. The table below is domain §3.3's diagram: a row
    per state, the bit set of the states it may move to.
    =========================================================================
*/

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "kj_i18n.h"
#include "matching_application.h"

#define S(name) (1u << KJ__APPLICATION_STATE__APP_##name)
#define STATES  (KJ__APPLICATION_STATE__APP_DEFAULTED + 1)

static const unsigned s_moves [STATES] = {
    [KJ__APPLICATION_STATE__APP_DEMAND_POSTED] = S (MATCHED),
    [KJ__APPLICATION_STATE__APP_MATCHED] = S (APPLIED),
    [KJ__APPLICATION_STATE__APP_APPLIED] = S (UNDER_REVIEW) | S (WITHDRAWN),
    [KJ__APPLICATION_STATE__APP_UNDER_REVIEW] = S (APPROVED) | S (REJECTED),
    [KJ__APPLICATION_STATE__APP_APPROVED] = S (ACTIVE) | S (EXPIRED),
    [KJ__APPLICATION_STATE__APP_ACTIVE] = S (OVERDUE_1_30) | S (RENEWED)
                                        | S (CLOSED),
    [KJ__APPLICATION_STATE__APP_OVERDUE_1_30] = S (OVERDUE_31_60) | S (ACTIVE),
    [KJ__APPLICATION_STATE__APP_OVERDUE_31_60] = S (OVERDUE_61_90) | S (ACTIVE),
    [KJ__APPLICATION_STATE__APP_OVERDUE_61_90] = S (OVERDUE_90_PLUS)
                                               | S (ACTIVE),
    [KJ__APPLICATION_STATE__APP_OVERDUE_90_PLUS] = S (DEFAULTED) | S (ACTIVE),
};

static const char *s_names [STATES] = { "?",
                                        "DEMAND_POSTED",
                                        "MATCHED",
                                        "APPLIED",
                                        "UNDER_REVIEW",
                                        "APPROVED",
                                        "REJECTED",
                                        "WITHDRAWN",
                                        "EXPIRED",
                                        "ACTIVE",
                                        "OVERDUE_1_30",
                                        "OVERDUE_31_60",
                                        "OVERDUE_61_90",
                                        "OVERDUE_90_PLUS",
                                        "RENEWED",
                                        "CLOSED",
                                        "DEFAULTED" };

static bool
s_valid (int state)
{
    return state > 0 && state < STATES;
}

bool
matching_application_allowed (Kj__ApplicationState from,
                              Kj__ApplicationState to)
{
    return s_valid (from) && s_valid (to) && (s_moves [from] & (1u << to));
}

bool
matching_application_final (Kj__ApplicationState state)
{
    return s_valid (state) && s_moves [state] == 0;
}

const char *
matching_application_state_name (Kj__ApplicationState state)
{
    return s_valid (state) ? s_names [state] : "?";
}

Kj__ApplicationState
matching_application_state (const char *name)
{
    if (!name)
        return 0;
    if (strncasecmp (name, "APP_", 4) == 0)
        name += 4;
    for (int i = 1; i < STATES; i++)
        if (strcasecmp (name, s_names [i]) == 0)
            return (Kj__ApplicationState) i;
    return 0;
}

char *
matching_application_next (Kj__ApplicationState from, char *buf, size_t size)
{
    assert (buf && size);
    buf [0] = 0;
    size_t used = 0;
    for (int i = 1; s_valid (from) && i < STATES; i++)
        if (s_moves [from] & (1u << i)) {
            int n = snprintf (buf + used, size - used, "%s%s", used ? ", " : "",
                              s_names [i]);
            if (n < 0 || (size_t) n >= size - used)
                break;
            used += (size_t) n;
        }
    if (!used)
        snprintf (buf, size, "%s", "none");
    return buf;
}

int
matching_application_check (Kj__ApplicationState from,
                            const Kj__ActRequest *act, int64_t max_amount_fen,
                            kj_status_t *status)
{
    assert (act);
    if (!s_valid (act->to))
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "to",
                              "to: %d is not a state", (int) act->to);
    if (!matching_application_allowed (from, act->to)) {
        char next [200];
        return kj_status_set (status, KJ__CODE__FAILED_PRECONDITION, "to",
                              "to: the application is %s; from %s it may "
                              "go to %s, not %s",
                              matching_application_state_name (from),
                              matching_application_state_name (from),
                              matching_application_next (from, next,
                                                         sizeof next),
                              matching_application_state_name (act->to));
    }
    if (act->to == KJ__APPLICATION_STATE__APP_APPROVED) {
        if (act->amount_fen <= 0 || act->amount_fen > max_amount_fen)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                                  "amount_fen",
                                  "amount_fen: approve 1 to %lld fen "
                                  "(the product's maximum), not %lld",
                                  (long long) max_amount_fen,
                                  (long long) act->amount_fen);
        if (act->rate_bp <= 0 || act->rate_bp > 10000)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "rate_bp",
                                  "rate_bp: 1 to 10000 basis points, not %d",
                                  act->rate_bp);
        if (act->term_months <= 0 || act->term_months > 360)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                                  "term_months",
                                  "term_months: 1 to 360, not %d",
                                  act->term_months);
    }
    if (act->to == KJ__APPLICATION_STATE__APP_REJECTED) {
        size_t length = act->reason ? strlen (act->reason) : 0;
        if (length < 1 || length > 200)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "reason",
                                  "reason: a rejection says why, in 1 to "
                                  "200 bytes (%zu given)",
                                  length);
    }
    return 0;
}
