/*  =========================================================================
    guarantee_report - what the province's money did: budget committed,
    paid and left per year, per city and per guarantor; loss ratios of
    guarantors and banks; compensation paid and recovered

    One read of five queries in one round trip (kj_db_exec_many), each row
    in the same columns, so that one function makes every line. Figures
    are sums of the rows that moved the money (payments, claims, 代偿),
    never counters kept beside them (docs/rules/guarantee.md, "Reports").
    =========================================================================
*/

#include "guarantee_server.h"
#include "guarantee_store.h"

//  Every query's columns, by these names: key, total_fen, committed_fen,
//  paid_fen, left_fen, recovered_fen, refunded_fen, guaranteed_fen,
//  daichang_fen, claims; none NULL
#define REPORT_OPEN_STATES                                                     \
    "('SUBMITTED', 'CITY_REVIEWED', 'PROVINCE_REVIEWED', 'APPROVED', "         \
    "'QUEUED')"

//  Claims with the figures a line sums: committed when open for year $1,
//  paid (and recovered, refunded) when paid from year $1
#define REPORT_CLAIMS                                                          \
    "WITH c AS (SELECT c.guarantor_id, g.city, c.paid_fen, c.recovered_fen,"   \
    "  c.refunded_fen, c.state, c.budget_year,"                                \
    "  CASE WHEN c.state IN " REPORT_OPEN_STATES                               \
    "   THEN c.entitled_fen ELSE 0 END AS committed"                           \
    "  FROM claim c JOIN guarantee g ON g.loan_id = c.loan_id"                 \
    "  WHERE c.budget_year = $1::int AND c.state <> 'REJECTED') "

static const char *s_years =
    "SELECT b.year::text AS key, b.total_fen,"
    " (SELECT coalesce (sum (entitled_fen), 0) FROM claim c"
    "  WHERE c.budget_year = b.year AND c.state IN " REPORT_OPEN_STATES ")"
    "  AS committed_fen,"
    " (SELECT coalesce (sum (amount_fen), 0) FROM payment p"
    "  WHERE p.year = b.year) AS paid_fen,"
    " b.remaining_fen AS left_fen,"
    " (SELECT coalesce (sum (c.recovered_fen), 0) FROM claim c"
    "  JOIN payment p ON p.claim_id = c.id WHERE p.year = b.year)"
    "  AS recovered_fen,"
    " (SELECT coalesce (sum (c.refunded_fen), 0) FROM claim c"
    "  JOIN payment p ON p.claim_id = c.id WHERE p.year = b.year)"
    "  AS refunded_fen,"
    " 0 AS guaranteed_fen, 0 AS daichang_fen,"
    " (SELECT count (*) FROM claim c WHERE c.budget_year = b.year"
    "  AND c.state <> 'REJECTED') AS claims "
    "FROM budget_left b WHERE $1::int > 0 ORDER BY b.year";

static const char *s_cities = REPORT_CLAIMS
    "SELECT c.city AS key, 0 AS total_fen, sum (committed) AS committed_fen,"
    " sum (paid_fen) AS paid_fen, 0 AS left_fen,"
    " sum (recovered_fen) AS recovered_fen,"
    " sum (refunded_fen) AS refunded_fen, 0 AS guaranteed_fen,"
    " 0 AS daichang_fen, count (*) AS claims "
    "FROM c GROUP BY c.city ORDER BY c.city";

static const char *s_guarantors = REPORT_CLAIMS
    ", book AS (SELECT g.guarantor_id, sum (g.amount_fen) AS guaranteed,"
    "  sum ((SELECT coalesce (sum (d.amount_fen), 0) FROM daichang d"
    "        WHERE d.loan_id = g.loan_id)) AS lost"
    "  FROM guarantee g GROUP BY g.guarantor_id) "
    "SELECT r.id AS key, r.yearly_cap_fen AS total_fen,"
    " (SELECT coalesce (sum (committed), 0) FROM c"
    "  WHERE c.guarantor_id = r.id) AS committed_fen,"
    " (SELECT coalesce (sum (paid_fen), 0) FROM c WHERE c.guarantor_id = r.id)"
    "  AS paid_fen,"
    " greatest (r.yearly_cap_fen - (SELECT coalesce (sum (amount_fen), 0)"
    "  FROM payment p WHERE p.guarantor_id = r.id AND p.year = $1::int), 0)"
    "  AS left_fen,"
    " (SELECT coalesce (sum (recovered_fen), 0) FROM c"
    "  WHERE c.guarantor_id = r.id) AS recovered_fen,"
    " (SELECT coalesce (sum (refunded_fen), 0) FROM c"
    "  WHERE c.guarantor_id = r.id) AS refunded_fen,"
    " coalesce (book.guaranteed, 0) AS guaranteed_fen,"
    " coalesce (book.lost, 0) AS daichang_fen,"
    " (SELECT count (*) FROM c WHERE c.guarantor_id = r.id) AS claims "
    "FROM guarantor r LEFT JOIN book ON book.guarantor_id = r.id "
    "ORDER BY r.id";

static const char
    *s_banks = "SELECT a.bank AS key, 0 AS total_fen, 0 AS committed_fen,"
               " 0 AS paid_fen, 0 AS left_fen, 0 AS recovered_fen,"
               " 0 AS refunded_fen, sum (g.amount_fen) AS guaranteed_fen,"
               " sum ((SELECT coalesce (sum (d.amount_fen), 0) FROM daichang d"
               "       WHERE d.loan_id = g.loan_id)) AS daichang_fen,"
               " count (*) AS claims "
               "FROM guarantee g JOIN agreement a ON a.id = g.agreement_id"
               " AND a.version = g.agreement_version "
               "WHERE $1::int > 0 GROUP BY a.bank ORDER BY a.bank";

static const char *s_total =
    "SELECT 'total' AS key,"
    " (SELECT coalesce (sum (total_fen), 0) FROM budget) AS total_fen,"
    " (SELECT coalesce (sum (entitled_fen), 0) FROM claim"
    "  WHERE state IN " REPORT_OPEN_STATES ") AS committed_fen,"
    " (SELECT coalesce (sum (amount_fen), 0) FROM payment) AS paid_fen,"
    " (SELECT coalesce (sum (remaining_fen), 0) FROM budget_left)"
    "  AS left_fen,"
    " (SELECT coalesce (sum (recovered_fen), 0) FROM claim)"
    "  AS recovered_fen,"
    " (SELECT coalesce (sum (refunded_fen), 0) FROM claim) AS refunded_fen,"
    " (SELECT coalesce (sum (amount_fen), 0) FROM guarantee)"
    "  AS guaranteed_fen,"
    " (SELECT coalesce (sum (amount_fen), 0) FROM daichang)"
    "  AS daichang_fen,"
    " (SELECT count (*) FROM claim WHERE $1::int > 0) AS claims";

//  --------------------------------------------------------------------------
//  A line's columns by name: the key, eight figures in the order of
//  s_line's, the claims
#define REPORT_FIELDS 10
static const char *const s_names [REPORT_FIELDS] = {
    "key",          "total_fen",     "committed_fen", "paid_fen",
    "left_fen",     "recovered_fen", "refunded_fen",  "guaranteed_fen",
    "daichang_fen", "claims"
};

//  One row into a line by the indexes of s_names; the loss ratio rounded
//  down, exactly. NULL when a column is NULL (logged).

static Kj__GuaranteeReportLine *
s_line (kj_call_t *call, const PGresult *res, int row, const int col [])
{
    if (kj_sql_required (res, row, col, REPORT_FIELDS))
        return NULL;
    const guarantee_config_t *config = kj_call_state (call);
    Kj__GuaranteeReportLine
        *line = kj_call_message (call, &kj__guarantee_report_line__descriptor);
    line->key = kj_call_strdup (call, PQgetvalue (res, row, col [0]));
    int64_t *figures [] = { &line->total_fen,      &line->committed_fen,
                            &line->paid_fen,       &line->left_fen,
                            &line->recovered_fen,  &line->refunded_fen,
                            &line->guaranteed_fen, &line->daichang_fen };
    for (int i = 0; i < 8; i++)
        *figures [i] = strtoll (PQgetvalue (res, row, col [i + 1]), NULL, 10);
    line->claims = (uint32_t) strtoul (PQgetvalue (res, row, col [9]), NULL,
                                       10);
    if (line->guaranteed_fen > 0) {
        line->loss_ratio_bp = (int32_t) ((__int128) line->daichang_fen * 10000
                                         / line->guaranteed_fen);
        line->suspended = config && config->suspend_loss_ratio_bp > 0
                       && (__int128) line->daichang_fen * 10000
                              > (__int128) config->suspend_loss_ratio_bp
                                    * line->guaranteed_fen;
    }
    return line;
}

//  Every row of a result into lines: 0, or -1 when a column is missing or
//  NULL (logged).
static int
s_lines (kj_call_t *call, const PGresult *res,
         Kj__GuaranteeReportLine ***lines_p, size_t *count)
{
    int rows = PQntuples (res);
    Kj__GuaranteeReportLine **lines = kj_call_alloc (call,
                                                     sizeof *lines
                                                         * (size_t) (rows + 1));
    int col [REPORT_FIELDS];
    if (kj_sql_columns (res, s_names, col, REPORT_FIELDS))
        return -1;
    for (int row = 0; row < rows; row++) {
        lines [row] = s_line (call, res, row, col);
        if (!lines [row])
            return -1;
    }
    *lines_p = lines;
    *count = (size_t) rows;
    return 0;
}

//  --------------------------------------------------------------------------
//  Report: year 0 is the current year; 2000 to 2100 otherwise.

int
guarantee_report (kj_call_t *call, const ProtobufCMessage *request,
                  ProtobufCMessage *reply)
{
    const Kj__GuaranteeReportRequest *in = (const Kj__GuaranteeReportRequest *)
        request;
    if (in->year != 0 && (in->year < 2000 || in->year > 2100))
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "year",
                             "year: %d; 2000 to 2100, or 0 for this year",
                             in->year);
    int year = in->year;
    if (year == 0) {
        //  The year a claim submitted now is paid from (SubmitClaim)
        PGresult
            *res = kj_db_exec (kj_call_db (call),
                               "SELECT extract (year FROM current_date)::int",
                               0, NULL);
        if (!res)
            return kj_call_fail_db (call);
        year = atoi (PQgetvalue (res, 0, 0));
        PQclear (res);
    }
    char year_text [16];
    snprintf (year_text, sizeof year_text, "%d", year);
    const char *params [] = { year_text };
    const kj_db_query_t queries [] = { { s_years, 1, params },
                                       { s_cities, 1, params },
                                       { s_guarantors, 1, params },
                                       { s_banks, 1, params },
                                       { s_total, 1, params } };
    PGresult *res [5];
    if (kj_db_exec_many (kj_call_db (call), queries, 5, res))
        return kj_call_fail_db (call);
    Kj__GuaranteeReport *out = (Kj__GuaranteeReport *) reply;
    out->year = year;
    Kj__GuaranteeReportLine **total = NULL;
    size_t totals = 0;
    int rc = s_lines (call, res [0], &out->years, &out->n_years)
          || s_lines (call, res [1], &out->cities, &out->n_cities)
          || s_lines (call, res [2], &out->guarantors, &out->n_guarantors)
          || s_lines (call, res [3], &out->banks, &out->n_banks)
          || s_lines (call, res [4], &total, &totals) || totals != 1;
    out->total = rc ? NULL : total [0];
    for (int i = 0; i < 5; i++)
        PQclear (res [i]);
    return rc ? guarantee_store_bad_row (call) : 0;
}
