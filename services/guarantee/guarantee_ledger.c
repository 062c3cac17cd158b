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
//  The ledger check: one query that lists every disagreement as text.

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

    res = kj_db_exec (
        db,
        "WITH bal AS ("
        "  SELECT account, sum (debit_fen::numeric - credit_fen) AS balance"
        "  FROM ledger_entry GROUP BY account) "
        "SELECT format ('transaction %s: debits minus credits %s, "
        "%s entries', t.id, coalesce (sum ("
        "               e.debit_fen::numeric - e.credit_fen), 0), count (e.id))"
        " AS problem "
        "FROM ledger_txn t LEFT JOIN ledger_entry e ON e.txn_id = t.id "
        "GROUP BY t.id "
        "HAVING coalesce (sum (e.debit_fen::numeric - e.credit_fen), 0) <> 0"
        "    OR count (e.id) < 2 "
        "UNION ALL "
        "SELECT format ('budget %s: %s left, account budget:%s holds %s',"
        "               b.year, b.remaining_fen, b.year,"
        "               coalesce (bal.balance, 0)) "
        "FROM budget_left b "
        "LEFT JOIN bal ON bal.account = 'budget:' || b.year "
        "WHERE coalesce (bal.balance, 0) <> b.remaining_fen "
        "UNION ALL "
        "SELECT format ('budget %s: %s allotted, account appropriation:%s "
        "holds %s', b.year, b.total_fen, b.year,"
        "               coalesce (-bal.balance, 0)) "
        "FROM budget b "
        "LEFT JOIN bal ON bal.account = 'appropriation:' || b.year "
        "WHERE coalesce (-bal.balance, 0) <> b.total_fen "
        "UNION ALL "
        "SELECT format ('budget %s: %s allotted, %s left, %s paid',"
        "               b.year, b.total_fen, b.remaining_fen,"
        "               coalesce (p.paid, 0)) "
        "FROM budget_left b LEFT JOIN (SELECT year, sum (amount_fen) AS paid"
        "                         FROM payment GROUP BY year) p"
        "  ON p.year = b.year "
        "WHERE b.total_fen - b.remaining_fen <> coalesce (p.paid, 0) "
        "UNION ALL "
        "SELECT format ('guarantor %s: paid %s less refunds %s, account "
        "compensation:%s holds %s', g.id, coalesce (p.paid, 0),"
        "               coalesce (r.refunded, 0), g.id,"
        "               coalesce (bal.balance, 0)) "
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
        "SELECT format ('guarantor %s: paid %s in %s, running total %s',"
        "               coalesce (p.guarantor_id, t.guarantor_id),"
        "               coalesce (p.paid, 0), coalesce (p.year, t.year),"
        "               coalesce (t.paid_fen, 0)) "
        "FROM (SELECT guarantor_id, year, sum (amount_fen) AS paid"
        "      FROM payment GROUP BY guarantor_id, year) p "
        "FULL JOIN guarantor_paid t USING (guarantor_id, year) "
        "WHERE coalesce (p.paid, 0) <> coalesce (t.paid_fen, 0) "
        "UNION ALL "
        "SELECT format ('claim %s: %s paid, payment of %s', c.id,"
        "               c.paid_fen, coalesce (p.amount_fen, 0)) "
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
    int problem;  //  format () is never NULL
    int rc = kj_sql_columns (res, (const char *[]){ "problem" }, &problem, 1);
    for (int row = 0; row < listed && rc == 0; row++)
        check->problems [row] = kj_call_strdup (call,
                                                PQgetvalue (res, row, problem));
    PQclear (res);
    return rc ? guarantee_store_bad_row (call) : 0;
}
