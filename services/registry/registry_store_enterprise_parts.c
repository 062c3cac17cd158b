/*  =========================================================================
    registry_store_enterprise_parts - an enterprise's parts read (figures,
    qualifications, awards, rounds, loans, chain links, tech-SME score):
    from their own statements, or as stored in the enterprise's row

    Part of registry_store (registry_store.h), beside
    registry_store_enterprise.c, which reads the enterprise's row.
    =========================================================================
*/

#include "kejin.h"
#include <jansson.h>
#include "registry_check.h"
#include "registry_store.h"
#include "registry_store_private.h"

//  --------------------------------------------------------------------------
//  Parts, read. A part's rows come either as the rows of its own
//  statement (registry_store_enterprise_load_each, the reference) or as
//  JSON, an array of rows each an array of values, stored in the
//  enterprise's row at write time (the view enterprise_read of
//  014_enterprise_parts.sql, in the same values and order as the
//  statements below). Each s_parse_* reads one part through s_text,
//  s_int, s_bool and s_enum, which read either the same way: NULL is ""
//  (text), 0 or false, as PQgetvalue gives it. A statement's values are
//  read by name: at gives value i's column, found once per result from
//  the part's names (s_part_names).

typedef struct {
    PGresult *res;      //  the part's own statement, with
    const int *at;      //  its columns of the parser's values; or
    json_t *rows;       //  the part as stored (NULL: no rows)
    const char *today;  //  with rows: the date, as DAY gives it
} s_part_t;

static int
s_count (const s_part_t *part)
{
    return part->res ? PQntuples (part->res)
                     : (int) json_array_size (part->rows);
}

//  The text of value i of row, "" when NULL.
static const char *
s_value (const s_part_t *part, int row, int i)
{
    if (part->res)
        return PQgetvalue (part->res, row, part->at [i]);
    const char *text = json_string_value (
        json_array_get (json_array_get (part->rows, (size_t) row), (size_t) i));
    return text ? text : "";
}

static char *
s_text (const s_part_t *part, int row, int i, ProtobufCAllocator *mem)
{
    const char *text = s_value (part, row, i);
    size_t size = strlen (text) + 1;
    char *copy = (char *) registry_store_alloc (mem, size);
    memcpy (copy, text, size);
    return copy;
}

static int64_t
s_int (const s_part_t *part, int row, int i)
{
    if (part->res)
        return registry_store_int (part->res, row, part->at [i]);
    return (int64_t) json_integer_value (
        json_array_get (json_array_get (part->rows, (size_t) row), (size_t) i));
}

static bool
s_bool (const s_part_t *part, int row, int i)
{
    if (part->res)
        return registry_store_bool (part->res, row, part->at [i]);
    return json_is_true (
        json_array_get (json_array_get (part->rows, (size_t) row), (size_t) i));
}

static int
s_enum (const s_part_t *part, int row, int i,
        const ProtobufCEnumDescriptor *descriptor, const char *prefix)
{
    int value = kj_check_enum_value (descriptor, prefix,
                                     s_value (part, row, i));
    return value < 0 ? 0 : value;
}

static void
s_parse_figures (const s_part_t *part, Kj__Enterprise *e,
                 ProtobufCAllocator *mem)
{
    int n = s_count (part);
    e->figures = (Kj__YearFigures **) registry_store_pointers (mem, (size_t) n);
    for (int row = 0; row < n; row++) {
        Kj__YearFigures *f = (Kj__YearFigures *)
            registry_store_alloc (mem, sizeof *f);
        kj__year_figures__init (f);
        f->year = (int32_t) s_int (part, row, 0);
        for (int i = 0; i < REGISTRY_FIGURES; i++)
            registry_check_figure_set (f, i, s_int (part, row, 1 + i));
        //  "rnd,staff": names of [a-z-] only (checked when stored)
        const char *names = s_value (part, row, 10);
        size_t count = *names ? 1 : 0;
        for (const char *c = names; *c; c++)
            count += *c == ',';
        f->not_reported = (char **) registry_store_pointers (mem, count);
        for (const char *c = names; *c;) {
            size_t size = strcspn (c, ",");
            char *name = (char *) registry_store_alloc (mem, size + 1);
            memcpy (name, c, size);
            f->not_reported [f->n_not_reported++] = name;
            c += size + (c [size] == ',');
        }
        e->figures [row] = f;
    }
    e->n_figures = (size_t) n;
}

static Kj__Qualification *
s_qualification (const s_part_t *part, int row, ProtobufCAllocator *mem)
{
    Kj__Qualification *q = (Kj__Qualification *)
        registry_store_alloc (mem, sizeof *q);
    kj__qualification__init (q);
    q->kind = (Kj__QualificationKind)
        s_enum (part, row, 0, &kj__qualification_kind__descriptor, "QUAL_");
    q->level = (Kj__Level) s_enum (part, row, 1, &kj__level__descriptor,
                                   "LEVEL_");
    q->certificate = s_text (part, row, 2, mem);
    q->granted_on = s_text (part, row, 3, mem);
    q->expires_on = s_text (part, row, 4, mem);
    //  Stored without "expired" (a date passing is no write): DAY's
    //  dates compare as text
    q->expired = part->res ? s_bool (part, row, 5)
                           : strcmp (q->expires_on, part->today) < 0;
    return q;
}

Kj__Qualification *
registry_store_qualification_row (PGresult *res, int row, const int *at,
                                  ProtobufCAllocator *mem)
{
    s_part_t part = { .res = res, .at = at };
    return s_qualification (&part, row, mem);
}

static void
s_parse_qualifications (const s_part_t *part, Kj__Enterprise *e,
                        ProtobufCAllocator *mem)
{
    int n = s_count (part);
    e->qualifications = (Kj__Qualification **)
        registry_store_pointers (mem, (size_t) n);
    for (int row = 0; row < n; row++)
        e->qualifications [row] = s_qualification (part, row, mem);
    e->n_qualifications = (size_t) n;
}

static void
s_parse_awards (const s_part_t *part, Kj__Enterprise *e,
                ProtobufCAllocator *mem)
{
    int n = s_count (part);
    e->awards = (Kj__Award **) registry_store_pointers (mem, (size_t) n);
    for (int row = 0; row < n; row++) {
        Kj__Award *a = (Kj__Award *) registry_store_alloc (mem, sizeof *a);
        kj__award__init (a);
        a->name = s_text (part, row, 0, mem);
        a->level = (Kj__Level) s_enum (part, row, 1, &kj__level__descriptor,
                                       "LEVEL_");
        a->year = (int32_t) s_int (part, row, 2);
        a->rank = s_text (part, row, 3, mem);
        e->awards [row] = a;
    }
    e->n_awards = (size_t) n;
}

static void
s_parse_rounds (const s_part_t *part, Kj__Enterprise *e,
                ProtobufCAllocator *mem)
{
    int n = s_count (part);
    e->rounds = (Kj__EquityRound **) registry_store_pointers (mem, (size_t) n);
    for (int row = 0; row < n; row++) {
        Kj__EquityRound *r = (Kj__EquityRound *)
            registry_store_alloc (mem, sizeof *r);
        kj__equity_round__init (r);
        r->round = (Kj__Round) s_enum (part, row, 0, &kj__round__descriptor,
                                       "ROUND_");
        r->amount_fen = s_int (part, row, 1);
        r->closed_on = s_text (part, row, 2, mem);
        r->investors = s_text (part, row, 3, mem);
        e->rounds [row] = r;
    }
    e->n_rounds = (size_t) n;
}

static void
s_parse_loans (const s_part_t *part, Kj__Enterprise *e, ProtobufCAllocator *mem)
{
    int n = s_count (part);
    e->loans = (Kj__BankLoan **) registry_store_pointers (mem, (size_t) n);
    for (int row = 0; row < n; row++) {
        Kj__BankLoan *l = (Kj__BankLoan *) registry_store_alloc (mem,
                                                                 sizeof *l);
        kj__bank_loan__init (l);
        l->lender = s_text (part, row, 0, mem);
        l->amount_fen = s_int (part, row, 1);
        l->drawn_on = s_text (part, row, 2, mem);
        l->matures_on = s_text (part, row, 3, mem);
        l->outstanding = s_bool (part, row, 4);
        e->loans [row] = l;
    }
    e->n_loans = (size_t) n;
}

static void
s_parse_chain_links (const s_part_t *part, Kj__Enterprise *e,
                     ProtobufCAllocator *mem)
{
    int n = s_count (part);
    e->chain_links = (Kj__ChainLink **) registry_store_pointers (mem,
                                                                 (size_t) n);
    for (int row = 0; row < n; row++) {
        Kj__ChainLink *c = (Kj__ChainLink *) registry_store_alloc (mem,
                                                                   sizeof *c);
        kj__chain_link__init (c);
        c->leader_code = s_text (part, row, 0, mem);
        c->chain = s_text (part, row, 1, mem);
        e->chain_links [row] = c;
    }
    e->n_chain_links = (size_t) n;
}

static void
s_parse_techsme (const s_part_t *part, Kj__Enterprise *e,
                 ProtobufCAllocator *mem)
{
    if (s_count (part) != 1)
        return;
    Kj__TechSmeScore *t = (Kj__TechSmeScore *) registry_store_alloc (mem,
                                                                     sizeof *t);
    kj__tech_sme_score__init (t);
    t->year = (int32_t) s_int (part, 0, 0);
    t->tech_staff_bp = s_int (part, 0, 1);
    t->rnd_sales_bp = s_int (part, 0, 2);
    t->rnd_cost_bp = s_int (part, 0, 3);
    t->tech_staff_score = (int32_t) s_int (part, 0, 4);
    t->rnd_sales_score = (int32_t) s_int (part, 0, 5);
    t->rnd_cost_score = (int32_t) s_int (part, 0, 6);
    t->rnd_score = (int32_t) s_int (part, 0, 7);
    t->ip_score = (int32_t) s_int (part, 0, 8);
    t->total = (int32_t) s_int (part, 0, 9);
    t->eligible = s_bool (part, 0, 10);
    t->reason = s_text (part, 0, 11, mem);
    t->undecided = REGISTRY_TECHSME_UNDECIDED ((unsigned) s_int (part, 0, 12));
    e->techsme = t;
}

typedef void (s_parser_fn) (const s_part_t *, Kj__Enterprise *,
                            ProtobufCAllocator *);
static s_parser_fn *const s_parsers [] = {
    s_parse_figures, s_parse_qualifications, s_parse_awards, s_parse_rounds,
    s_parse_loans,   s_parse_chain_links,    s_parse_techsme
};
#define PARTS (int) (sizeof s_parsers / sizeof s_parsers [0])

//  Each part's values by name, in the order its parser reads them (the
//  output names of the statements below), NULL ended
#define PART_VALUES_MAX 16
static const char *const s_part_names [][PART_VALUES_MAX] = {
    { "year", "revenue_fen", "rnd_fen", "net_profit_fen", "total_assets_fen",
      "operating_cash_flow_fen", "high_tech_revenue_fen", "total_cost_fen",
      "staff", "tech_staff", "not_reported", NULL },
    { "kind", "level", "certificate", "granted_day", "expires_day", "expired",
      NULL },
    { "name", "level", "year", "rank", NULL },
    { "round", "amount_fen", "closed_day", "investors", NULL },
    { "lender", "amount_fen", "drawn_day", "matures_day", "outstanding", NULL },
    { "leader_code", "chain", NULL },
    { "year", "tech_staff_bp", "rnd_sales_bp", "rnd_cost_bp",
      "tech_staff_score", "rnd_sales_score", "rnd_cost_score", "rnd_score",
      "ip_score", "total", "eligible", "reason", "reasons", NULL }
};
_Static_assert(sizeof s_part_names / sizeof s_part_names [0] == PARTS,
               "a name list per part");

//  Part i's columns of res into at: 0, or -1 (logged)
static int
s_part_columns (const PGresult *res, int i, int *at)
{
    int count = 0;
    while (s_part_names [i][count])
        count++;
    return kj_sql_columns (res, s_part_names [i], at, count);
}

int
registry_store_qualification_columns (const PGresult *res, int *at)
{
    //  The qualifications' part, second of s_parsers
    _Static_assert(REGISTRY_STORE_QUALIFICATION_VALUES == 6,
                   "the qualification's names");
    return s_part_columns (res, 1, at);
}

//  Each part's values, in the order its parser reads them, and its order,
//  as enterprise_read stores them too (SQL built with the DAY macro: laid
//  out by hand)
// clang-format off
#define FIGURES_VALUES \
    "year, revenue_fen, rnd_fen, net_profit_fen, total_assets_fen, " \
    "operating_cash_flow_fen, high_tech_revenue_fen, total_cost_fen, " \
    "staff, tech_staff, array_to_string (not_reported, ',') AS not_reported"
#define FIGURES_ORDER "year"
#define QUALIFICATIONS_VALUES \
    "kind, level, certificate, coalesce (" DAY ("granted_on") ", '') " \
    "AS granted_day, " DAY ("expires_on") " AS expires_day, " \
    "expires_on < current_date AS expired"
#define QUALIFICATIONS_ORDER "kind"
#define AWARDS_VALUES "name, level, year, rank"
#define AWARDS_ORDER  "id"
#define ROUNDS_VALUES \
    "round, amount_fen, " DAY ("closed_on") " AS closed_day, investors"
#define ROUNDS_ORDER "closed_on, id"
#define LOANS_VALUES \
    "lender, amount_fen, " DAY ("drawn_on") " AS drawn_day, " \
    "coalesce (" DAY ("matures_on") ", '') AS matures_day, outstanding"
#define LOANS_ORDER  "drawn_on, id"
#define LINKS_VALUES "leader_code, chain"
#define LINKS_ORDER  "leader_code"
#define TECHSME_VALUES \
    "year, tech_staff_bp, rnd_sales_bp, rnd_cost_bp, tech_staff_score, " \
    "rnd_sales_score, rnd_cost_score, rnd_score, ip_score, total, " \
    "eligible, reason, reasons"
#define TECHSME_ORDER "code"

//  A part as its own statement
#define PART_SQL(values, table, order) \
    "SELECT " values " FROM " table " WHERE code = $1 ORDER BY " order

//  The parts one statement each, in the order of s_parsers
const char *const registry_store_part_sql [REGISTRY_STORE_PARTS] = {
    PART_SQL (FIGURES_VALUES, "figures", FIGURES_ORDER),
    PART_SQL (QUALIFICATIONS_VALUES, "qualification", QUALIFICATIONS_ORDER),
    PART_SQL (AWARDS_VALUES, "award", AWARDS_ORDER),
    PART_SQL (ROUNDS_VALUES, "equity_round", ROUNDS_ORDER),
    PART_SQL (LOANS_VALUES, "loan", LOANS_ORDER),
    PART_SQL (LINKS_VALUES, "chain_link", LINKS_ORDER),
    PART_SQL (TECHSME_VALUES, "techsme_score", TECHSME_ORDER)
};
// clang-format on

void
registry_store_parts_of_json (json_t *all, const char *today, Kj__Enterprise *e,
                              ProtobufCAllocator *mem)
{
    for (int i = 0; i < PARTS; i++) {
        s_part_t part = { .rows = json_array_get (all, (size_t) i),
                          .today = today };
        s_parsers [i](&part, e, mem);
    }
}

int
registry_store_parts_of_results (PGresult *const *results, Kj__Enterprise *e,
                                 ProtobufCAllocator *mem)
{
    int at [PARTS][PART_VALUES_MAX];
    for (int i = 0; i < PARTS; i++)
        if (s_part_columns (results [i], i, at [i]))
            return -1;  //  logged
    for (int i = 0; i < PARTS; i++) {
        s_part_t part = { .res = results [i], .at = at [i] };
        s_parsers [i](&part, e, mem);
    }
    return 0;
}
