/*  =========================================================================
    scoring_list - ListGrades: the grades of a model's year, paged

    See the header. Pages follow the credit code (the portrait's key), so
    a page costs the same wherever it starts and a code scored while
    paging is not skipped before the page it belongs to.
    =========================================================================
*/

#include "scoring_list.h"
#include "scoring_request.h"

#define S_LIMIT_DEFAULT 1000
#define S_LIMIT_MAX     10000
#define S_CODE_MAX      40

//  --------------------------------------------------------------------------
//  The year asked for, or the model's latest scored (0: none yet); -1
//  after failing the call

static int
s_year (kj_call_t *call, int year, const char *model)
{
    if (year)
        return year;
    PGresult *res = kj_db_exec (kj_call_db (call),
                                "SELECT coalesce (max (year), 0) FROM "
                                "portrait WHERE model = $1",
                                1, (const char *[]){ model });
    if (!res)
        return kj_call_fail_db (call);
    year = atoi (PQgetvalue (res, 0, 0));
    PQclear (res);
    return year;
}

//  --------------------------------------------------------------------------
//  ListGrades

int
scoring_list_grades (kj_call_t *call, const ProtobufCMessage *request,
                     ProtobufCMessage *reply)
{
    const Kj__ScoringListGradesRequest
        *in = (const Kj__ScoringListGradesRequest *) request;
    Kj__ScoringListGradesReply *out = (Kj__ScoringListGradesReply *) reply;
    kj_status_t status;
    if (scoring_request_year (in->year, &status)
        || kj_check_text (in->after, "after", S_CODE_MAX, false, &status))
        return kj_call_fail_status (call, &status);
    if (in->limit > S_LIMIT_MAX)
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "limit",
                             "limit: %u; at most %d a page", in->limit,
                             S_LIMIT_MAX);
    uint32_t limit = in->limit ? in->limit : S_LIMIT_DEFAULT;
    scoring_model_t *model = scoring_server_model (kj_call_state (call),
                                                   in->model, &status);
    if (!model)
        return kj_call_fail_status (call, &status);
    out->model = kj_call_strdup (call, scoring_model_name (model));
    scoring_model_destroy (&model);
    int year = s_year (call, in->year, out->model);
    if (year < 0)
        return -1;
    out->year = year;
    if (year == 0)
        return 0;
    //  One more than the page: whether another follows
    char year_text [16], limit_text [16];
    snprintf (year_text, sizeof year_text, "%d", year);
    snprintf (limit_text, sizeof limit_text, "%u", limit + 1);
    PGresult *res = kj_db_exec (
        kj_call_db (call),
        "SELECT DISTINCT ON (code) code, grade, version, score_milli "
        "FROM portrait WHERE model = $1 AND year = $2::int AND code > $3 "
        "ORDER BY code, version DESC LIMIT $4::int",
        4,
        (const char *[]){ out->model, year_text, in->after ? in->after : "",
                          limit_text });
    if (!res)
        return kj_call_fail_db (call);
    //  The columns once for the page's rows
    enum { CODE, GRADE, VERSION, SCORE, COLUMNS };
    static const char *const names [COLUMNS] = { "code", "grade", "version",
                                                 "score_milli" };
    int col [COLUMNS];
    if (kj_sql_columns (res, names, col, COLUMNS)) {
        PQclear (res);
        return kj_call_fail_db (call);
    }
    size_t rows = (size_t) PQntuples (res);
    size_t shown = rows > limit ? limit : rows;
    out->grades = kj_call_alloc (call, (shown + 1) * sizeof (void *));
    for (size_t r = 0; r < shown; r++) {
        int row = (int) r;
        Kj__ScoringGrade
            *grade = kj_call_message (call, &kj__scoring_grade__descriptor);
        grade->code = kj_call_strdup (call, PQgetvalue (res, row, col [CODE]));
        grade->grade = kj_call_strdup (call,
                                       PQgetvalue (res, row, col [GRADE]));
        grade->version = atoi (PQgetvalue (res, row, col [VERSION]));
        grade->score_milli = atoll (PQgetvalue (res, row, col [SCORE]));
        out->grades [out->n_grades++] = grade;
    }
    if (rows > limit)
        out->next = out->grades [shown - 1]->code;
    PQclear (res);
    return 0;
}
