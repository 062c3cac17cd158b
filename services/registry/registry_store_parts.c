/*  =========================================================================
    registry_store_parts - the statements that write an enterprise's parts:
    yearly figures, qualifications and their expiry, awards, rounds,
    loans, chain links and the tech-SME score

    Part of registry_store (registry_store.h), split by entity.
    =========================================================================
*/

#include "kejin.h"
#include "registry_check.h"
#include "registry_entry.h"
#include "registry_store.h"
#include "registry_store_private.h"

//  --------------------------------------------------------------------------
//  Parts, written

int
registry_store_figures_put (kj_db_t *db, const char *code,
                            Kj__YearFigures *const *figures, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const Kj__YearFigures *f = figures [i];
        kj_params_t p = { .count = 0 };
        kj_params_add (&p, code);
        kj_params_add_int (&p, f->year);
        for (int at = 0; at < REGISTRY_FIGURES; at++)
            kj_params_add_int (&p, registry_check_figure_value (f, at));
        //  As an array literal: the names were checked ([a-z-] only)
        char names [160] = "{";
        for (size_t n = 0; n < f->n_not_reported; n++)
            snprintf (names + strlen (names), sizeof names - strlen (names),
                      "%s%s", n ? "," : "", f->not_reported [n]);
        strcat (names, "}");
        kj_params_add (&p, names);
        if (registry_store_run (
                db,
                "INSERT INTO figures (code, year, revenue_fen, rnd_fen, "
                "net_profit_fen, total_assets_fen, operating_cash_flow_fen, "
                "high_tech_revenue_fen, total_cost_fen, staff, tech_staff, "
                "not_reported) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
                "ON CONFLICT (code, year) DO UPDATE SET "
                "revenue_fen = excluded.revenue_fen, rnd_fen = "
                "excluded.rnd_fen, "
                "net_profit_fen = excluded.net_profit_fen, "
                "total_assets_fen = excluded.total_assets_fen, "
                "operating_cash_flow_fen = excluded.operating_cash_flow_fen, "
                "high_tech_revenue_fen = excluded.high_tech_revenue_fen, "
                "total_cost_fen = excluded.total_cost_fen, "
                "staff = excluded.staff, tech_staff = excluded.tech_staff, "
                "not_reported = excluded.not_reported, updated_at = now ()",
                &p)
            != 1)
            return -1;
    }
    return 1;
}

//  The parameters $2.. of the i-th of a part's items (the code is $1).
typedef void (s_item_fn) (kj_params_t *p, const void *items, size_t i);

//  Replace the rows of one of an enterprise's parts: delete them, then
//  insert each of the n items with the parameters add_item gives.
static int
s_replace (kj_db_t *db, const char *delete_sql, const char *insert_sql,
           const char *code, const void *items, size_t n, s_item_fn *add_item)
{
    const char *params [] = { code };
    if (kj_db_run (db, delete_sql, 1, params) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        kj_params_t p = { .count = 0 };
        kj_params_add (&p, code);
        add_item (&p, items, i);
        if (registry_store_run (db, insert_sql, &p) != 1)
            return -1;
    }
    return 1;
}

static void
s_add_award (kj_params_t *p, const void *items, size_t i)
{
    const Kj__Award *a = ((Kj__Award *const *) items) [i];
    kj_params_add (p, a->name);
    registry_store_add_enum (p, &kj__level__descriptor, "LEVEL_", a->level);
    kj_params_add_int (p, a->year);
    kj_params_add (p, a->rank ? a->rank : "");
}

int
registry_store_awards_replace (kj_db_t *db, const char *code,
                               Kj__Award *const *awards, size_t n)
{
    return s_replace (db, "DELETE FROM award WHERE code = $1",
                      "INSERT INTO award (code, name, level, year, rank) "
                      "VALUES ($1, $2, $3, $4, $5)",
                      code, awards, n, s_add_award);
}

static void
s_add_round (kj_params_t *p, const void *items, size_t i)
{
    const Kj__EquityRound *r = ((Kj__EquityRound *const *) items) [i];
    registry_store_add_enum (p, &kj__round__descriptor, "ROUND_", r->round);
    kj_params_add_int (p, r->amount_fen);
    kj_params_add (p, r->closed_on);
    kj_params_add (p, r->investors ? r->investors : "");
}

int
registry_store_rounds_replace (kj_db_t *db, const char *code,
                               Kj__EquityRound *const *rounds, size_t n)
{
    return s_replace (
        db, "DELETE FROM equity_round WHERE code = $1",
        "INSERT INTO equity_round (code, round, amount_fen, closed_on, "
        "investors) VALUES ($1, $2, $3, $4::date, $5)",
        code, rounds, n, s_add_round);
}

static void
s_add_loan (kj_params_t *p, const void *items, size_t i)
{
    const Kj__BankLoan *l = ((Kj__BankLoan *const *) items) [i];
    kj_params_add (p, l->lender);
    kj_params_add_int (p, l->amount_fen);
    kj_params_add (p, l->drawn_on);
    kj_params_add_opt (p, l->matures_on);
    kj_params_add_bool (p, l->outstanding);
}

int
registry_store_loans_replace (kj_db_t *db, const char *code,
                              Kj__BankLoan *const *loans, size_t n)
{
    return s_replace (
        db, "DELETE FROM loan WHERE code = $1",
        "INSERT INTO loan (code, lender, amount_fen, drawn_on, matures_on, "
        "outstanding) VALUES ($1, $2, $3, $4::date, $5::date, $6)",
        code, loans, n, s_add_loan);
}

static void
s_add_link (kj_params_t *p, const void *items, size_t i)
{
    const Kj__ChainLink *l = ((Kj__ChainLink *const *) items) [i];
    kj_params_add (p, l->leader_code);
    kj_params_add (p, l->chain ? l->chain : "");
}

int
registry_store_links_replace (kj_db_t *db, const char *code,
                              Kj__ChainLink *const *links, size_t n)
{
    //  The same leader twice: the last chain name wins
    return s_replace (
        db, "DELETE FROM chain_link WHERE code = $1",
        "INSERT INTO chain_link (code, leader_code, chain) VALUES ($1, $2, "
        "$3) ON CONFLICT (code, leader_code) DO UPDATE SET chain = "
        "excluded.chain",
        code, links, n, s_add_link);
}

int
registry_store_qualification_put (kj_db_t *db, const char *code,
                                  const Kj__Qualification *q)
{
    kj_params_t p = { .count = 0 };
    kj_params_add (&p, code);
    registry_store_add_enum (&p, &kj__qualification_kind__descriptor, "QUAL_",
                             q->kind);
    if (q->level)
        registry_store_add_enum (&p, &kj__level__descriptor, "LEVEL_",
                                 q->level);
    else
        kj_params_add (&p, "");
    kj_params_add (&p, q->certificate ? q->certificate : "");
    kj_params_add_opt (&p, q->granted_on);
    kj_params_add (&p, q->expires_on);
    return registry_store_run (
               db,
               "INSERT INTO qualification (code, kind, level, certificate, "
               "granted_on, expires_on) VALUES ($1, $2, $3, $4, $5::date, "
               "$6::date) "
               "ON CONFLICT (code, kind) DO UPDATE SET level = excluded.level, "
               "certificate = excluded.certificate, "
               "granted_on = excluded.granted_on, expires_on = "
               "excluded.expires_on, "
               "expired = false, added_at = now ()",
               &p)
                == 1
             ? 1
             : -1;
}

int
registry_store_qualification_delete (kj_db_t *db, const char *code, int kind)
{
    kj_params_t p = { .count = 0 };
    kj_params_add (&p, code);
    registry_store_add_enum (&p, &kj__qualification_kind__descriptor, "QUAL_",
                             kind);
    return registry_store_changed (registry_store_run (
        db, "DELETE FROM qualification WHERE code = $1 AND kind = $2", &p));
}

int
registry_store_techsme_put (kj_db_t *db, const char *code, int year,
                            const registry_techsme_result_t *r)
{
    if (!r) {
        const char *params [] = { code };
        return kj_db_run (db, "DELETE FROM techsme_score WHERE code = $1", 1,
                          params)
                     < 0
                 ? -1
                 : 1;
    }
    kj_params_t p = { .count = 0 };
    kj_params_add (&p, code);
    kj_params_add_int (&p, year);
    kj_params_add_int (&p, r->tech_staff_bp);
    kj_params_add_int (&p, r->rnd_sales_bp);
    kj_params_add_int (&p, r->rnd_cost_bp);
    kj_params_add_int (&p, r->tech_staff_score);
    kj_params_add_int (&p, r->rnd_sales_score);
    kj_params_add_int (&p, r->rnd_cost_score);
    kj_params_add_int (&p, r->rnd_score);
    kj_params_add_int (&p, r->ip_score);
    kj_params_add_int (&p, r->total);
    kj_params_add_bool (&p, r->eligible);
    kj_params_add_int (&p, (int64_t) r->reasons);
    kj_params_add (&p, r->reason);
    return registry_store_run (
               db,
               "INSERT INTO techsme_score (code, year, tech_staff_bp, "
               "rnd_sales_bp, "
               "rnd_cost_bp, tech_staff_score, rnd_sales_score, "
               "rnd_cost_score, "
               "rnd_score, ip_score, total, eligible, reasons, reason) VALUES "
               "($1, "
               "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) "
               "ON CONFLICT (code) DO UPDATE SET year = excluded.year, "
               "tech_staff_bp = excluded.tech_staff_bp, "
               "rnd_sales_bp = excluded.rnd_sales_bp, "
               "rnd_cost_bp = excluded.rnd_cost_bp, "
               "tech_staff_score = excluded.tech_staff_score, "
               "rnd_sales_score = excluded.rnd_sales_score, "
               "rnd_cost_score = excluded.rnd_cost_score, "
               "rnd_score = excluded.rnd_score, ip_score = excluded.ip_score, "
               "total = excluded.total, eligible = excluded.eligible, "
               "reasons = excluded.reasons, reason = excluded.reason, "
               "evaluated_at = now ()",
               &p)
                == 1
             ? 1
             : -1;
}

int
registry_store_expiry_due (kj_db_t *db, int limit, zlist_t *codes)
{
    char text [16];
    snprintf (text, sizeof text, "%d", limit);
    const char *params [] = { text };
    PGresult *res =
        kj_db_exec (db,
                    "SELECT DISTINCT code FROM qualification WHERE NOT expired "
                    "AND expires_on < current_date ORDER BY code LIMIT $1::int",
                    1, params);
    if (!res)
        return -1;
    int code;
    if (kj_sql_columns (res, (const char *const []){ "code" }, &code, 1)) {
        PQclear (res);
        return -1;
    }
    for (int row = 0; row < PQntuples (res); row++)
        zlist_append (codes, PQgetvalue (res, row, code));
    int found = PQntuples (res) > 0;
    PQclear (res);
    return found;
}

int
registry_store_expire (kj_db_t *db, const char *code, ProtobufCAllocator *mem,
                       Kj__Qualification ***out, size_t *n)
{
    const char *params [] = { code };
    PGresult *res = kj_db_exec (
        db,
        "UPDATE qualification SET expired = true WHERE code = $1 "
        "AND NOT expired AND expires_on < current_date "
        "RETURNING kind, level, certificate, "
        "coalesce (" DAY ("granted_on") ", '') AS granted_day, " DAY (
            "expires_on") " AS expires_day, true AS expired",
        1, params);
    if (!res)
        return -1;
    int at [REGISTRY_STORE_QUALIFICATION_VALUES];
    if (registry_store_qualification_columns (res, at)) {
        PQclear (res);
        return -1;  //  logged
    }
    *n = (size_t) PQntuples (res);
    *out = (Kj__Qualification **) registry_store_pointers (mem, *n);
    for (size_t row = 0; row < *n; row++)
        (*out) [row] = registry_store_qualification_row (res, (int) row, at,
                                                         mem);
    PQclear (res);
    return *n > 0;
}
