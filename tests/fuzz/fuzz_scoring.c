/*  =========================================================================
    fuzz_scoring - every request message of proto/scoring.proto (WhatIf,
    Show, Run, Progress, Dist, Compare) through the checks kejin-scoring
    runs on it (scoring_request), and WhatIf's members scored as the
    daemon scores them (scoring_cohort)

    Input: one byte picks the message type, the rest is its wire form,
    decoded by kj_proto_unpack as a worker decodes it. Checks:
    - a refusal is INVALID_ARGUMENT, OUT_OF_RANGE or NOT_FOUND, with a
      field and a message: never a crash, never a silent nothing;
    - a WhatIf that passes is scored, and every member's portrait holds:
      a grade, a percentile of 0 to 100 %, a line of 0 or more (0 when
      stopped), at most 4 reasons each losing points, shares of 0 to
      10,000 basis points (or missing / none), missing counts in range.
    =========================================================================
*/

#include "kejin.h"
#include "scoring_request.h"

static const ProtobufCMessageDescriptor *s_types [] = {
    &kj__scoring_what_if_request__descriptor,
    &kj__scoring_show_request__descriptor,
    &kj__scoring_run_request__descriptor,
    &kj__scoring_progress_request__descriptor,
    &kj__scoring_dist_request__descriptor,
    &kj__scoring_compare_request__descriptor,
};
#define TYPES (sizeof s_types / sizeof s_types [0])

//  A refusal as the daemon would send it
static void
s_refused (const kj_status_t *status)
{
    if ((status->code != KJ__CODE__INVALID_ARGUMENT
         && status->code != KJ__CODE__OUT_OF_RANGE
         && status->code != KJ__CODE__NOT_FOUND)
        || !*status->field || !*status->message) {
        fprintf (stderr, "a refusal with code %d, field '%s': %s\n",
                 status->code, status->field, status->message);
        abort ();
    }
}

//  A model as the daemon finds it (the default: most-2024)
static scoring_model_t *
s_model (const char *name)
{
    kj_status_t status;
    scoring_model_t *model = scoring_request_model (name, "most-2024", &status);
    if (!model)
        s_refused (&status);
    return model;
}

static void
s_check_portraits (scoring_cohort_t *cohort, scoring_model_t *model)
{
    size_t columns = scoring_model_columns (model);
    for (size_t m = 0; m < scoring_cohort_size (cohort); m++) {
        const scoring_portrait_t *p = scoring_cohort_portrait (cohort, m);
        assert (p->grade >= SCORING_AAA && p->grade <= SCORING_C);
        assert (p->percentile_milli >= 0 && p->percentile_milli <= 100000);
        assert (p->line_fen >= 0);
        assert (p->stop < 0 || (p->grade == SCORING_C && p->line_fen == 0));
        assert (p->reason_count >= 0 && p->reason_count <= SCORING_REASONS);
        for (int r = 0; r < p->reason_count; r++)
            assert (p->reasons [r].lost_micro > 0
                    && (size_t) p->reasons [r].column < columns);
        assert (p->missing_count >= 0 && (size_t) p->missing_count <= columns);
        for (size_t c = 0; c < columns; c++) {
            int share = scoring_cohort_share_bp (cohort, m, c);
            assert ((share >= 0 && share <= 10000)
                    || share == SCORING_SHARE_MISSING
                    || share == SCORING_SHARE_NONE);
            assert (scoring_share_band (share) < SCORING_BANDS);
        }
    }
}

static void
s_whatif (const Kj__ScoringWhatIfRequest *in)
{
    kj_status_t status;
    if (scoring_request_member_count (in->n_members, &status)) {
        s_refused (&status);
        return;
    }
    scoring_model_t *model = s_model (in->model);
    if (!model)
        return;
    scoring_cohort_t *cohort = scoring_cohort_new (model);
    if (scoring_request_members (cohort, in->members, in->n_members, &status))
        s_refused (&status);
    else {
        assert (scoring_cohort_size (cohort) == in->n_members);
        scoring_cohort_score (cohort);
        s_check_portraits (cohort, model);
    }
    scoring_cohort_destroy (&cohort);
    scoring_model_destroy (&model);
}

//  A read's year and model: both checked, as Show, Dist and Compare do
static void
s_year_and_model (int year, const char *name)
{
    kj_status_t status;
    if (scoring_request_year (year, &status)) {
        s_refused (&status);
        return;
    }
    scoring_model_t *model = s_model (name);
    scoring_model_destroy (&model);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const ProtobufCMessageDescriptor *type = s_types [data [0] % TYPES];
    kj_status_t status;
    ProtobufCMessage *message = kj_proto_unpack (type, data + 1, size - 1,
                                                 &status);
    if (!message)
        return 0;  //  fuzz_proto holds the decoder to account
    if (type == &kj__scoring_what_if_request__descriptor)
        s_whatif ((const Kj__ScoringWhatIfRequest *) message);
    else if (type == &kj__scoring_show_request__descriptor) {
        const Kj__ScoringShowRequest *in = (const Kj__ScoringShowRequest *)
            message;
        char code [24];
        if (scoring_request_code (in->code, code, &status))
            s_refused (&status);
        else {
            assert (strlen (code) == strlen (in->code));
            s_year_and_model (in->year, in->model);
        }
    }
    else if (type == &kj__scoring_run_request__descriptor) {
        const Kj__ScoringRunRequest *in = (const Kj__ScoringRunRequest *)
            message;
        int year;
        if (scoring_request_run_year (in->year, &year, &status))
            s_refused (&status);
        else {
            assert (year >= 2000 && year <= 2100);
            scoring_model_t *model = s_model (in->model);
            scoring_model_destroy (&model);
        }
    }
    else if (type == &kj__scoring_dist_request__descriptor) {
        const Kj__ScoringDistRequest *in = (const Kj__ScoringDistRequest *)
            message;
        if (scoring_request_by (in->by, &status))
            s_refused (&status);
        else
            s_year_and_model (in->year, in->model);
    }
    else if (type == &kj__scoring_compare_request__descriptor) {
        const Kj__ScoringCompareRequest
            *in = (const Kj__ScoringCompareRequest *) message;
        s_year_and_model (in->year, in->model_a);
        s_year_and_model (in->year, in->model_b);
    }
    //  Progress: any batch_id is a question the database answers
    protobuf_c_message_free_unpacked (message, NULL);
    return 0;
}
