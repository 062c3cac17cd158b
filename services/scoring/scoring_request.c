/*  =========================================================================
    scoring_request - the checks of the Scoring service's requests

    The handlers (scoring_server.c) answer with these statuses as they
    are; the fuzz harness feeds them every request message. Messages name
    the field as the sender typed it (members[2].values[0].column).
    =========================================================================
*/

#include "scoring_request.h"

//  --------------------------------------------------------------------------
//  A shipped model by name

scoring_model_t *
scoring_request_model (const char *name, const char *default_name,
                       kj_status_t *status)
{
    if (!name || !*name)
        name = default_name;
    if (strchr (name, '/') || !scoring_model_shipped_text (name)) {
        kj_status_set (status, KJ__CODE__NOT_FOUND, "model",
                       "model: no model '%.64s'; kejin score model list "
                       "names them",
                       name);
        return NULL;
    }
    return scoring_model_load (name, status);
}

//  --------------------------------------------------------------------------
//  WhatIf's members

static int
s_member (scoring_cohort_t *cohort, size_t m, const Kj__ScoringMember *member,
          kj_status_t *status)
{
    size_t length = member->id ? strlen (member->id) : 0;
    if (length < 1 || length > 64)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "id",
                              "members[%zu].id: %zu bytes; 1 to 64", m, length);
    int stage = scoring_stage_parse (member->stage);
    if (stage < 0)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "stage",
                              "members[%zu].stage: '%.32s' is not a stage; "
                              "incubation, startup, growth or mature",
                              m, member->stage);
    size_t inputs = scoring_cohort_inputs (cohort);
    int64_t values [SCORING_COLUMNS_MAX + 1] = { 0 };
    bool present [SCORING_COLUMNS_MAX + 1] = { false };
    for (size_t v = 0; v < member->n_values; v++) {
        const char *column = member->values [v]->column;
        size_t i = 0;
        while (i < inputs
               && !streq (scoring_cohort_input_name (cohort, i), column))
            i++;
        if (i == inputs)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "column",
                                  "members[%zu].values[%zu].column: the "
                                  "model reads no '%.48s'; kejin score model "
                                  "show lists its columns",
                                  m, v, column);
        if (present [i])
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "column",
                                  "members[%zu].values[%zu].column: '%.48s' "
                                  "given twice",
                                  m, v, column);
        values [i] = member->values [v]->value;
        present [i] = true;
    }
    return scoring_cohort_add (cohort, member->id, (scoring_stage_t) stage,
                               values, present, status);
}

int
scoring_request_member_count (size_t n, kj_status_t *status)
{
    kj_status_ok (status);
    if (n < 1 || n > SCORING_REQUEST_MEMBERS_MAX)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "members",
                              "members: %zu given; 1 to %d", n,
                              SCORING_REQUEST_MEMBERS_MAX);
    return 0;
}

int
scoring_request_members (scoring_cohort_t *cohort,
                         Kj__ScoringMember *const *members, size_t n,
                         kj_status_t *status)
{
    if (scoring_request_member_count (n, status))
        return -1;
    for (size_t m = 0; m < n; m++)
        if (s_member (cohort, m, members [m], status))
            return -1;
    return 0;
}

//  --------------------------------------------------------------------------
//  Years, codes, groupings

int
scoring_request_year (int year, kj_status_t *status)
{
    kj_status_ok (status);
    if (year != 0 && (year < 2000 || year > 2100))
        return kj_status_set (status, KJ__CODE__OUT_OF_RANGE, "year",
                              "year: %d; 2000 to 2100, or 0 for the latest",
                              year);
    return 0;
}

int
scoring_request_run_year (int requested, int *year, kj_status_t *status)
{
    kj_status_ok (status);
    *year = requested;
    if (requested == 0) {
        time_t now = time (NULL);
        struct tm tm;
        gmtime_r (&now, &tm);
        *year = tm.tm_year + 1900 - 1;
    }
    if (*year < 2000 || *year > 2100)
        return kj_status_set (status, KJ__CODE__OUT_OF_RANGE, "year",
                              "year: %d; 2000 to 2100, or 0 for last year",
                              requested);
    return 0;
}

int
scoring_request_code (const char *text, char code [24], kj_status_t *status)
{
    kj_status_ok (status);
    size_t length = text ? strlen (text) : 0;
    if (length < 1 || length > 18)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "code",
                              "code: %zu bytes; a credit code has 18", length);
    for (size_t i = 0; i <= length; i++)
        code [i] = (char) toupper ((unsigned char) text [i]);
    return 0;
}

int
scoring_request_by (const char *by, kj_status_t *status)
{
    kj_status_ok (status);
    if (by && !streq (by, "") && !streq (by, "city") && !streq (by, "stage"))
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "by",
                              "by: '%.32s'; city or stage", by);
    return 0;
}
