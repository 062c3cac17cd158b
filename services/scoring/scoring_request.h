/*  =========================================================================
    scoring_request - the checks of the Scoring service's requests, apart
    from the handlers that answer them, so that the fuzz harness
    (tests/fuzz/fuzz_scoring.c) runs the very code the daemon runs

    Each returns 0, or -1 with status naming the field as the sender
    typed it (INVALID_ARGUMENT, OUT_OF_RANGE or NOT_FOUND). No I/O.
    =========================================================================
*/

#ifndef SCORING_REQUEST_H_INCLUDED
#define SCORING_REQUEST_H_INCLUDED

#include "scoring.pb-c.h"
#include "scoring_cohort.h"

#define SCORING_REQUEST_MEMBERS_MAX 10000

//  A shipped model by name ("" : default_name), loaded; NULL with status
//  (NOT_FOUND "model") if there is no such model. Files are for the
//  offline CLI only: a name with a '/' is no model here.
scoring_model_t *
    scoring_request_model (const char *name, const char *default_name,
                           kj_status_t *status);

//  WhatIf's count of members: 1 to SCORING_REQUEST_MEMBERS_MAX (checked
//  before anything else, the model too)
int
    scoring_request_member_count (size_t n, kj_status_t *status);

//  WhatIf's members (their count checked again) into cohort
int
    scoring_request_members (scoring_cohort_t *cohort,
                             Kj__ScoringMember *const *members, size_t n,
                             kj_status_t *status);

//  A read's year: 0 (the latest) or 2000 to 2100
int
    scoring_request_year (int year, kj_status_t *status);

//  Run's year: 0 is last year (of today, UTC); into *year
int
    scoring_request_run_year (int requested, int *year, kj_status_t *status);

//  A credit code as typed (1 to 18 bytes), upper-cased into code
int
    scoring_request_code (const char *text, char code [24],
                          kj_status_t *status);

//  Dist's grouping: "", "city" or "stage"
int
    scoring_request_by (const char *by, kj_status_t *status);

#endif
