/*  =========================================================================
    guarantee_ledger - the provincial budget and the double-entry ledger
    =========================================================================
*/

#include "guarantee_ledger.h"
#include "guarantee_server.h"
#include "guarantee_store.h"

//  Most problems a ledger check lists (it counts them all)
#define LEDGER_PROBLEMS_MAX 100

//  --------------------------------------------------------------------------
//  One transaction, one debit, one credit.

int
guarantee_ledger_post (kj_db_t *db, const char *kind, int64_t claim_id,
                       int year, const char *debit, const char *credit,
                       int64_t amount_fen)
{
    assert (amount_fen > 0);
    char claim [24], year_text [16], amount [24];
    snprintf (claim, sizeof claim, "%" PRId64, claim_id);
    snprintf (year_text, sizeof year_text, "%d", year);
    snprintf (amount, sizeof amount, "%" PRId64, amount_fen);
    const char *params [] = { kind,      claim_id ? claim : NULL,
                              year_text, debit,
                              credit,    amount };
    return kj_db_run (db, GUARANTEE_LEDGER_POST_SQL, 6, params) == 2 ? 0 : -1;
}

//  --------------------------------------------------------------------------
//  The budget guards: never read-then-written unless the row is locked
//  (LOCK) or the isolation level refuses the lost update (SERIALIZABLE).

int
guarantee_budget_take (kj_db_t *db, int guard, int year, int64_t amount_fen,
                       int64_t left_fen)
{
    char year_text [16], amount [24], left [24];
    snprintf (year_text, sizeof year_text, "%d", year);
    snprintf (amount, sizeof amount, "%" PRId64, amount_fen);
    snprintf (left, sizeof left, "%" PRId64, left_fen - amount_fen);
    int64_t rows;
    if (guard == GUARANTEE_GUARD_SERIALIZABLE)
        rows = left_fen < amount_fen
                 ? 0
                 : kj_db_run (db,
                              "UPDATE budget SET remaining_fen = $1::bigint "
                              "WHERE year = $2::int",
                              2, (const char *[]){ left, year_text });
    else
        rows = kj_db_run (
            db,
            "UPDATE budget SET remaining_fen = remaining_fen - $1::bigint "
            "WHERE year = $2::int AND remaining_fen >= $1::bigint",
            2, (const char *[]){ amount, year_text });
    return rows < 0 ? -1 : rows == 1;
}

//  --------------------------------------------------------------------------
//  The ledger check: one query that lists every disagreement, a row each:
//  its kind and up to five figures, written here in the caller's language,
//  amounts in yuan.

//  Each kind of disagreement: its sentence (a %s a figure, in order), and
//  which figures are amounts in fen (bit i: figure i)
static const struct {
    const char *format;
    unsigned amounts;
} s_problems [] = {
    { N_ ("transaction %s: debits minus credits %s, %s entries"), 0x2 },
    { N_ ("budget %s: %s left, account budget:%s holds %s"), 0xa },
    { N_ ("budget %s: %s allotted, account appropriation:%s holds %s"), 0xa },
    { N_ ("budget %s: %s allotted, %s left, %s paid"), 0xe },
    { N_ ("guarantor %s: paid %s less refunds %s, account compensation:%s "
          "holds %s"),
      0x16 },
    { N_ ("guarantor %s: paid %s in %s, running total %s"), 0xa },
    { N_ ("claim %s: %s paid, payment of %s"), 0x6 }
};

#define S_FIGURES 5

//  One row of the check as a sentence, or NULL when the row is not one
static char *
s_problem (kj_call_t *call, PGresult *res, int row, const int *columns)
{
    int kind = atoi (PQgetvalue (res, row, columns [0]));
    if (kind < 0 || kind >= (int) (sizeof s_problems / sizeof s_problems [0]))
        return NULL;
    const char *figures [S_FIGURES];
    char amounts [S_FIGURES][40];
    for (int i = 0; i < S_FIGURES; i++) {
        figures [i] = PQgetvalue (res, row, columns [1 + i]);
        int64_t fen;
        if ((s_problems [kind].amounts & (1u << i))
            && kj_sql_int64_at (res, row, columns [1 + i], &fen) == 0)
            figures [i] = kj_money_yuan (fen, true, amounts [i],
                                         sizeof amounts [i]);
    }
    return kj_call_printf (call, _ (s_problems [kind].format), figures [0],
                           figures [1], figures [2], figures [3], figures [4]);
}

int
guarantee_ledger_check (kj_call_t *call, Kj__LedgerReport *check)
{
    kj_db_t *db = kj_call_db (call);
    PGresult *res = kj_db_exec (db,
                                "SELECT (SELECT count (*) FROM ledger_txn)"
                                "       AS transactions,"
                                "       (SELECT count (*) FROM ledger_entry)"
                                "       AS entries",
                                0, NULL);
    if (!res)
        return kj_call_fail_db (call);
    int64_t transactions, entries;
    bool readable = kj_sql_int64 (res, 0, "transactions", &transactions) == 0
                 && kj_sql_int64 (res, 0, "entries", &entries) == 0;
    PQclear (res);
    if (!readable)
        return guarantee_store_bad_row (call);
    check->transactions = (uint64_t) transactions;
    check->entries = (uint64_t) entries;

    //  Each arm: kind (the row of s_problems), then figures a to e
    res = kj_db_exec (
        db,
        "WITH bal AS ("
        "  SELECT account, sum (debit_fen::numeric - credit_fen) AS balance"
        "  FROM ledger_entry GROUP BY account) "
        "SELECT 0 AS kind, t.id::text AS a, coalesce (sum ("
        "  e.debit_fen::numeric - e.credit_fen), 0)::text AS b,"
        " count (e.id)::text AS c, '' AS d, '' AS e "
        "FROM ledger_txn t LEFT JOIN ledger_entry e ON e.txn_id = t.id "
        "GROUP BY t.id "
        "HAVING coalesce (sum (e.debit_fen::numeric - e.credit_fen), 0) <> 0"
        "    OR count (e.id) < 2 "
        "UNION ALL "
        "SELECT 1, b.year::text, b.remaining_fen::text, b.year::text,"
        " coalesce (bal.balance, 0)::text, '' "
        "FROM budget_left b "
        "LEFT JOIN bal ON bal.account = 'budget:' || b.year "
        "WHERE coalesce (bal.balance, 0) <> b.remaining_fen "
        "UNION ALL "
        "SELECT 2, b.year::text, b.total_fen::text, b.year::text,"
        " coalesce (-bal.balance, 0)::text, '' "
        "FROM budget b "
        "LEFT JOIN bal ON bal.account = 'appropriation:' || b.year "
        "WHERE coalesce (-bal.balance, 0) <> b.total_fen "
        "UNION ALL "
        "SELECT 3, b.year::text, b.total_fen::text, b.remaining_fen::text,"
        " coalesce (p.paid, 0)::text, '' "
        "FROM budget_left b LEFT JOIN (SELECT year, sum (amount_fen) AS paid"
        "                         FROM payment GROUP BY year) p"
        "  ON p.year = b.year "
        "WHERE b.total_fen - b.remaining_fen <> coalesce (p.paid, 0) "
        "UNION ALL "
        "SELECT 4, g.id, coalesce (p.paid, 0)::text,"
        " coalesce (r.refunded, 0)::text, g.id,"
        " coalesce (bal.balance, 0)::text "
        "FROM guarantor g "
        "LEFT JOIN (SELECT guarantor_id, sum (amount_fen) AS paid"
        "           FROM payment GROUP BY guarantor_id) p"
        "  ON p.guarantor_id = g.id "
        "LEFT JOIN (SELECT guarantor_id, sum (refunded_fen) AS refunded"
        "           FROM claim GROUP BY guarantor_id) r"
        "  ON r.guarantor_id = g.id "
        "LEFT JOIN bal ON bal.account = 'compensation:' || g.id "
        "WHERE coalesce (p.paid, 0) - coalesce (r.refunded, 0)"
        "   <> coalesce (bal.balance, 0) "
        "UNION ALL "
        "SELECT 5, coalesce (p.guarantor_id, t.guarantor_id),"
        " coalesce (p.paid, 0)::text, coalesce (p.year, t.year)::text,"
        " coalesce (t.paid_fen, 0)::text, '' "
        "FROM (SELECT guarantor_id, year, sum (amount_fen) AS paid"
        "      FROM payment GROUP BY guarantor_id, year) p "
        "FULL JOIN guarantor_paid t USING (guarantor_id, year) "
        "WHERE coalesce (p.paid, 0) <> coalesce (t.paid_fen, 0) "
        "UNION ALL "
        "SELECT 6, c.id::text, c.paid_fen::text,"
        " coalesce (p.amount_fen, 0)::text, '', '' "
        "FROM claim c LEFT JOIN payment p ON p.claim_id = c.id "
        "WHERE c.paid_fen <> coalesce (p.amount_fen, 0)"
        "   OR (c.state = 'PAID') <> (p.id IS NOT NULL)",
        0, NULL);
    if (!res)
        return kj_call_fail_db (call);
    int rows = PQntuples (res);
    int listed = rows < LEDGER_PROBLEMS_MAX ? rows : LEDGER_PROBLEMS_MAX;
    check->balanced = rows == 0;
    check->n_problems = (size_t) listed;
    check->problems = kj_call_alloc (call, sizeof (char *) * (listed + 1));
    int columns [1 + S_FIGURES];
    int rc = kj_sql_columns (res,
                             (const char *[]){ "kind", "a", "b", "c", "d",
                                               "e" },
                             columns, 1 + S_FIGURES);
    for (int row = 0; row < listed && rc == 0; row++)
        if (!(check->problems [row] = s_problem (call, res, row, columns)))
            rc = -1;
    PQclear (res);
    return rc ? guarantee_store_bad_row (call) : 0;
}
