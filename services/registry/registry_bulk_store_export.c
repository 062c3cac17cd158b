/*  =========================================================================
    registry_bulk_store_export - the export's pages of each kind, keyset
    paged, and the compact export for scoring (with_figures_of), read as
    stored at write time

    Part of registry_bulk_store (registry_bulk_store.h).
    =========================================================================
*/

#include "kejin.h"
#include "registry_bulk_store.h"
#include "registry_bulk_store_private.h"
#include "registry_check.h"
#include "registry_store_private.h"
#include "registry_entry.h"

//  --------------------------------------------------------------------------
//  Export

//  The enterprises' export page: its columns, by name (S_CODE .. S_TOTAL
//  after the enterprise's stored input columns), and the query built at
//  start from the enterprise's field tables
enum {
    S_CODE,
    S_STATUS = 1 + REGISTRY_ENTERPRISE_COLUMNS,
    S_STAGE,
    S_ROUND,
    S_CLOSED_ON,
    S_AMOUNT,
    S_KINDS,
    S_TOTAL,
    S_EXPORT_COLUMNS
};
static const char *s_export_names [S_EXPORT_COLUMNS];
static char s_export_sql [4096];

//  SQL laid out by hand
// clang-format off
__attribute__ ((constructor)) static void
s_build (void)
{
    static const char *const after [] = { "status", "stage", "round",
                                          "closed_on", "amount_fen", "kinds",
                                          "total" };
    s_export_names [S_CODE] = "code";
    for (int i = 0; i < REGISTRY_ENTERPRISE_COLUMNS; i++)
        s_export_names [1 + i] = registry_check_enterprise_column (i)->column;
    for (int i = S_STATUS; i < S_EXPORT_COLUMNS; i++)
        s_export_names [i] = after [i - S_STATUS];
    char names [512], read [1024];
    registry_store_enterprise_sql (names, sizeof names,
                                   REGISTRY_STORE_LIST_NAMES, NULL, 0);
    registry_store_enterprise_sql (read, sizeof read, REGISTRY_STORE_LIST_READ,
                                   "e", 0);
    registry_store_sql (s_export_sql, sizeof s_export_sql,
        //  One page of enterprises, then what each needs from the tables
        //  beside it read as ranges of the same codes (index range scans
        //  joined once, no query per row); not the columns stored for
        //  other readers (parts, facts)
        "WITH e AS MATERIALIZED (SELECT code, %s, status, stage "
        "FROM enterprise "
        "WHERE code > $1 AND ($2 = '' OR region = $2) "
        "AND ($3 = '' OR stage = $3) ORDER BY code LIMIT $4), "
        "last AS (SELECT max (code) AS code FROM e), "
        "q AS (SELECT q.code, string_agg (q.kind || ':' || "
        "to_char (q.expires_on, 'YYYY-MM-DD'), '|' ORDER BY "
        "array_position (ARRAY['high_tech', 'tech_sme', "
        "'innovative_sme', 'srdi', 'little_giant', 'eaglet', "
        "'gazelle', 'unicorn', 'incubator_resident', "
        "'listing_reserve'], q.kind)) AS kinds FROM qualification q "
        "WHERE q.code > $1 AND q.code <= (SELECT code FROM last) "
        "GROUP BY q.code), "
        "r AS (SELECT DISTINCT ON (x.code) x.code, x.round, "
        "to_char (x.closed_on, 'YYYY-MM-DD') AS closed_on, "
        "x.amount_fen FROM equity_round x WHERE x.code > $1 "
        "AND x.code <= (SELECT code FROM last) ORDER BY x.code, "
        "array_position (ARRAY['seed', 'angel', 'a', 'b', 'c_plus', "
        "'pre_ipo'], x.round) DESC, x.closed_on DESC), "
        "t AS (SELECT t.code, t.total FROM techsme_score t "
        "WHERE t.code > $1 AND t.code <= (SELECT code FROM last)) "
        "SELECT e.code, %s, e.status, e.stage, r.round, r.closed_on, "
        "r.amount_fen, coalesce (q.kinds, '') AS kinds, "
        "t.total FROM e LEFT JOIN q ON q.code = e.code "
        "LEFT JOIN r ON r.code = e.code LEFT JOIN t ON t.code = e.code "
        "ORDER BY e.code", names, read);
}
// clang-format on

//  An enterprise row of the export query into a message (strings point
//  into res), its columns where at says.
static void
s_export_enterprise (PGresult *res, int row, const int *at, Kj__Enterprise *e,
                     Kj__CreditFlags *credit, Kj__IpAssets *ip,
                     Kj__StageInfo *stage, Kj__TechSmeScore *techsme,
                     Kj__EquityRound *round, Kj__EquityRound **round_ptr,
                     Kj__Qualification *quals, Kj__Qualification **qual_ptrs,
                     char *qual_text)
{
    kj__enterprise__init (e);
    kj__credit_flags__init (credit);
    kj__ip_assets__init (ip);
    kj__stage_info__init (stage);
    e->credit = credit;
    e->ip = ip;
    e->stage = stage;
    e->code = PQgetvalue (res, row, at [S_CODE]);
    for (int i = 0; i < REGISTRY_ENTERPRISE_COLUMNS; i++) {
        const registry_field_t *f = registry_check_enterprise_column (i);
        void *target = registry_check_enterprise_field (e, f);
        int c = at [1 + i];
        assert (target);  //  the unit tests hold the tables to the proto
        switch (f->kind) {
            case REGISTRY_FIELD_TEXT:
            case REGISTRY_FIELD_DATE:
                *(char **) target = PQgetvalue (res, row, c);
                break;
            case REGISTRY_FIELD_ENUM: {
                int value = kj_check_enum_value (f->type, f->prefix,
                                                 PQgetvalue (res, row, c));
                *(int *) target = value < 0 ? 0 : value;
                break;
            }
            case REGISTRY_FIELD_FLAG:
                *(protobuf_c_boolean *) target = registry_bulk_store_true (res,
                                                                           row,
                                                                           c);
                break;
            case REGISTRY_FIELD_COUNT:
                *(int32_t *) target = (int32_t) registry_bulk_store_value (res,
                                                                           row,
                                                                           c);
                break;
        }
    }
    int status = registry_entry_state_from_name (
        PQgetvalue (res, row, at [S_STATUS]));
    e->status = status < 0 ? 0 : (Kj__EntryStatus) status;
    int value = registry_stage_from_name (PQgetvalue (res, row, at [S_STAGE]));
    stage->stage = value < 0 ? 0 : (Kj__Stage) value;
    int c = at [S_ROUND];
    if (!PQgetisnull (res, row, c)) {
        kj__equity_round__init (round);
        value = registry_stage_round_from_name (PQgetvalue (res, row, c));
        round->round = value < 0 ? 0 : (Kj__Round) value;
        round->closed_on = PQgetvalue (res, row, at [S_CLOSED_ON]);
        round->amount_fen = registry_bulk_store_value (res, row, at [S_AMOUNT]);
        *round_ptr = round;
        e->rounds = round_ptr;
        e->n_rounds = 1;
    }
    //  "kind:expires|kind:expires", in the order of the enum
    kj_strlcpy (qual_text, PQgetvalue (res, row, at [S_KINDS]), 1024);
    e->qualifications = qual_ptrs;
    for (char *item = qual_text; *item && e->n_qualifications < 11;) {
        char *end = strchr (item, '|');
        if (end)
            *end = 0;
        char *colon = strchr (item, ':');
        if (colon) {
            *colon = 0;
            Kj__Qualification *q = &quals [e->n_qualifications];
            kj__qualification__init (q);
            value = kj_check_enum_value (&kj__qualification_kind__descriptor,
                                         "QUAL_", item);
            q->kind = value < 0 ? 0 : (Kj__QualificationKind) value;
            q->expires_on = colon + 1;
            qual_ptrs [e->n_qualifications++] = q;
        }
        if (!end)
            break;
        item = end + 1;
    }
    if (!PQgetisnull (res, row, at [S_TOTAL])) {
        kj__tech_sme_score__init (techsme);
        techsme->total = (int32_t) registry_bulk_store_value (res, row,
                                                              at [S_TOTAL]);
        e->techsme = techsme;
    }
}

//  The compact enterprises export (with_figures_of): columns in the order
//  of this header, each row's cells stored at write time, so that a page
//  costs one index range read and two copies per row
const char registry_bulk_store_facts_header [] =
    "code,region,status,stage,dishonest,abnormal,tax_grade,"
    "invention_patents,round_amount_fen,qualifications,"
    "year,revenue_fen,rnd_fen,net_profit_fen,total_assets_fen,"
    "high_tech_revenue_fen,total_cost_fen,staff,tech_staff,"
    "prev_year,prev_revenue_fen,prev_rnd_fen,prev_net_profit_fen,"
    "prev_total_assets_fen,prev_high_tech_revenue_fen,prev_total_cost_fen,"
    "prev_staff,prev_tech_staff\n";

//  The compact export's page: one keyset range of the enterprise table,
//  every cell stored at write time (014_enterprise_parts.sql): the
//  enterprise's own cells and what comes from the tables beside (latest
//  round, qualifications), then every year's nine cells, "year,...;...",
//  from which a row takes its two years here. Stored in another format:
//  computed live (never stale). A year not on file is nine empty cells;
//  a figure not reported an empty cell (unknown, not 0). SQL built with
//  macros: laid out by hand
// clang-format off
#define S_FACTS_CURRENT "parts_format = enterprise_parts_format ()"
#define S_FACTS_QUERY(more) \
    "SELECT facts || ',' || CASE WHEN " S_FACTS_CURRENT " THEN facts_parts " \
    "ELSE (enterprise_read_of (code)).facts_parts END AS line, " \
    "CASE WHEN " S_FACTS_CURRENT " THEN facts_years " \
    "ELSE (enterprise_read_of (code)).facts_years END AS years, code " \
    "FROM enterprise WHERE code > $1 " more "AND ($2 = '' OR region = $2) " \
    "AND ($3 = '' OR stage = $3) ORDER BY code LIMIT $4"
// clang-format on

//  Append year's nine cells from "year,...;year,..." (or nine empty ones)
static void
s_facts_year (registry_csv_buf_t *out, const char *years, int year)
{
    char prefix [16];
    int size = snprintf (prefix, sizeof prefix, "%d,", year);
    for (const char *at = years; *at;) {
        const char *end = strchr (at, ';');
        size_t length = end ? (size_t) (end - at) : strlen (at);
        if (length > (size_t) size && memcmp (at, prefix, (size_t) size) == 0) {
            registry_csv_buf_append (out, at, length);
            return;
        }
        if (!end)
            break;
        at = end + 1;
    }
    registry_csv_buf_append (out, ",,,,,,,,", 8);
}

//  One page of the compact export; as registry_bulk_store_export
static int
s_export_facts (kj_db_t *db, const registry_bulk_export_t *filter,
                registry_csv_buf_t *out, uint32_t *rows, char *next,
                size_t next_size)
{
    char limit [16];
    snprintf (limit, sizeof limit, "%d", filter->limit);
    const char *params [] = { filter->after ? filter->after : "",
                              filter->region ? filter->region : "",
                              filter->stage ? filter->stage : "", limit,
                              filter->until };
    //  The range's end as a bound of the index scan (a condition that may
    //  be off would be a filter, and a range would read to the end)
    bool until = filter->until && *filter->until;
    PGresult *res = kj_db_exec (db,
                                until ? S_FACTS_QUERY ("AND code <= $5 ")
                                      : S_FACTS_QUERY (""),
                                until ? 5 : 4, params);
    if (!res) {
        registry_bulk_store_failed ("export", NULL, db);
        return -1;
    }
    enum { LINE, YEARS, CODE };
    int col [3];
    if (kj_sql_columns (res, (const char *const []){ "line", "years", "code" },
                        col, 3)) {
        PQclear (res);
        return -1;
    }
    int count = PQntuples (res);
    for (int row = 0; row < count; row++) {
        registry_csv_buf_append (out, PQgetvalue (res, row, col [LINE]),
                                 (size_t) PQgetlength (res, row, col [LINE]));
        registry_csv_buf_append (out, ",", 1);
        const char *years = PQgetvalue (res, row, col [YEARS]);
        s_facts_year (out, years, filter->with_figures_of);
        registry_csv_buf_append (out, ",", 1);
        s_facts_year (out, years, filter->with_figures_of - 1);
        registry_csv_buf_append (out, "\n", 1);
    }
    *rows = (uint32_t) count;
    kj_strlcpy (next,
                count == filter->limit ? PQgetvalue (res, count - 1, col [CODE])
                                       : "",
                next_size);
    PQclear (res);
    return 0;
}

//  The export of institutions and products: their ids, their field
//  table's columns as registry_store_attrs_read reads them (arrays as
//  text, dates as YYYY-MM-DD or ''), their status; keyset paged by id,
//  filtered by type
static void
s_attrs_select (registry_csv_kind_t kind, char *sql, size_t size)
{
    bool products = kind == REGISTRY_CSV_PRODUCTS;
    const registry_attr_t *table = products ? registry_product_table
                                            : registry_check_institution_table;
    size_t rows = products ? REGISTRY_PRODUCT_ATTRS
                           : REGISTRY_INSTITUTION_ATTRS;
    size_t at = (size_t) snprintf (sql, size, "SELECT id%s",
                                   products ? ", institution_id" : "");
    for (size_t r = 0; r < rows && at < size; r++) {
        const char *path = table [r].path;
        switch (table [r].kind) {
            case REGISTRY_ATTR_ENUMS:
            case REGISTRY_ATTR_REGIONS:
                at += (size_t) snprintf (sql + at, size - at, ", %s::text",
                                         path);
                break;
            case REGISTRY_ATTR_DATE:
                at += (size_t) snprintf (sql + at, size - at,
                                         ", coalesce (to_char (%s, "
                                         "'YYYY-MM-DD'), '')",
                                         path);
                break;
            default:
                at += (size_t) snprintf (sql + at, size - at, ", %s", path);
                break;
        }
    }
    if (at < size)
        snprintf (sql + at, size - at,
                  ", status FROM %s WHERE id > $1 AND ($2 = '' OR type = $2) "
                  "ORDER BY id LIMIT $3",
                  products ? "product" : "institution");
}

//  The field table's columns first .. of an export row into message, read
//  as the registry reads its rows (in mem); returns the listing state, in
//  the column after them.
static Kj__ListingState
s_export_attrs (PGresult *res, int row, int first, const registry_attr_t *table,
                size_t rows, ProtobufCMessage *message, ProtobufCAllocator *mem)
{
    registry_store_attrs_read (res, row, first, table, rows, message, mem);
    return streq (PQgetvalue (res, row, first + (int) rows), "withdrawn")
             ? KJ__LISTING_STATE__LISTING_WITHDRAWN
             : KJ__LISTING_STATE__LISTING_LISTED;
}

int
registry_bulk_store_export (kj_db_t *db, registry_csv_kind_t kind,
                            const registry_bulk_export_t *filter,
                            registry_csv_buf_t *out, uint32_t *rows, char *next,
                            size_t next_size)
{
    if (kind == REGISTRY_CSV_ENTERPRISES && filter->with_figures_of)
        return s_export_facts (db, filter, out, rows, next, next_size);
    char limit [16], after_year [16] = "0";
    snprintf (limit, sizeof limit, "%d", filter->limit);
    char after [64];
    kj_strlcpy (after, filter->after ? filter->after : "", sizeof after);
    if (kind == REGISTRY_CSV_FIGURES) {
        //  The cursor is "code:year"
        char *colon = strchr (after, ':');
        if (colon) {
            *colon = 0;
            kj_strlcpy (after_year, colon + 1, sizeof after_year);
        }
    }
    const char *region = filter->region ? filter->region : "";
    const char *stage = filter->stage ? filter->stage : "";
    const char *type = filter->type ? filter->type : "";
    PGresult *res = NULL;
    switch (kind) {
        case REGISTRY_CSV_ENTERPRISES: {
            const char *params [] = { after, region, stage, limit };
            res = kj_db_exec (db, s_export_sql, 4, params);
            break;
        }
        case REGISTRY_CSV_FIGURES: {
            const char *params [] = { after, after_year, region, stage, limit };
            res = kj_db_exec (
                db,
                "SELECT f.code, f.year, f.revenue_fen, f.rnd_fen, "
                "f.net_profit_fen, f.total_assets_fen, "
                "f.operating_cash_flow_fen, f.high_tech_revenue_fen, "
                "f.total_cost_fen, f.staff, f.tech_staff, "
                "array_to_string (f.not_reported, '|') AS not_reported FROM "
                "figures f "
                "WHERE (f.code, f.year) > ($1, $2::int) "
                "AND ($3 = '' AND $4 = '' OR EXISTS (SELECT 1 FROM "
                "enterprise e WHERE e.code = f.code "
                "AND ($3 = '' OR e.region = $3) AND ($4 = '' OR e.stage = "
                "$4))) "
                "ORDER BY f.code, f.year LIMIT $5",
                5, params);
            break;
        }
        case REGISTRY_CSV_INSTITUTIONS:
        case REGISTRY_CSV_PRODUCTS: {
            const char *params [] = { after, type, limit };
            char sql [2048];
            s_attrs_select (kind, sql, sizeof sql);
            res = kj_db_exec (db, sql, 3, params);
            break;
        }
    }
    if (!res) {
        registry_bulk_store_failed ("export", NULL, db);
        return -1;
    }
    int count = PQntuples (res);
    int at [S_EXPORT_COLUMNS];
    if (kind == REGISTRY_CSV_ENTERPRISES
        && kj_sql_columns (res, s_export_names, at, S_EXPORT_COLUMNS)) {
        PQclear (res);
        return -1;  //  logged
    }
    //  The figures' columns by name: code, year, not_reported, then each
    //  figure in the table's order; the others' ids
    enum { F_CODE, F_YEAR, F_UNREPORTED, F_FIGURES };
    const char *names [F_FIGURES + REGISTRY_FIGURES] = { "code", "year",
                                                         "not_reported" };
    for (int i = 0; i < REGISTRY_FIGURES; i++)
        names [F_FIGURES + i] = registry_check_figure_table [i].column;
    bool figures = kind == REGISTRY_CSV_FIGURES;
    int fig [F_FIGURES + REGISTRY_FIGURES];
    bool attrs = kind == REGISTRY_CSV_INSTITUTIONS
              || kind == REGISTRY_CSV_PRODUCTS;
    int id = kj_sql_column (res, attrs ? "id" : "code");
    int owner = kj_sql_column (res, "institution_id");
    if ((figures
         && kj_sql_columns (res, names, fig, F_FIGURES + REGISTRY_FIGURES))
        || id < 0 || (kind == REGISTRY_CSV_PRODUCTS && owner < 0)) {
        kj_error ("registry.export", "the %s page lacks a column it names",
                  registry_csv_kind_name (kind));
        PQclear (res);
        return -1;
    }
    kj_arena_t *arena = kj_arena_new ();  //  the rows' lists, this page's
    for (int row = 0; row < count; row++) {
        registry_csv_row_t line = { .kind = kind };
        switch (kind) {
            case REGISTRY_CSV_ENTERPRISES: {
                Kj__Enterprise e;
                Kj__CreditFlags credit;
                Kj__IpAssets ip;
                Kj__StageInfo stage_info;
                Kj__TechSmeScore techsme;
                Kj__EquityRound round, *round_ptr;
                Kj__Qualification quals [11], *qual_ptrs [11];
                char qual_text [1024];
                s_export_enterprise (res, row, at, &e, &credit, &ip,
                                     &stage_info, &techsme, &round, &round_ptr,
                                     quals, qual_ptrs, qual_text);
                line.enterprise = &e;
                registry_csv_format (NULL, &line, out);
                break;
            }
            case REGISTRY_CSV_FIGURES: {
                Kj__YearFigures f;
                kj__year_figures__init (&f);
                f.year = (int32_t) registry_bulk_store_value (res, row,
                                                              fig [F_YEAR]);
                for (int i = 0; i < REGISTRY_FIGURES; i++)
                    registry_check_figure_set (
                        &f, i,
                        registry_bulk_store_value (res, row,
                                                   fig [F_FIGURES + i]));
                char *unreported [REGISTRY_FIGURES];
                f.not_reported = unreported;
                f.n_not_reported =
                    registry_bulk_store_split (PQgetvalue (res, row,
                                                           fig [F_UNREPORTED]),
                                               unreported, REGISTRY_FIGURES);
                line.code = PQgetvalue (res, row, id);
                line.figures = &f;
                registry_csv_format (NULL, &line, out);
                break;
            }
            case REGISTRY_CSV_INSTITUTIONS: {
                Kj__Institution i;
                kj__institution__init (&i);
                i.id = PQgetvalue (res, row, id);
                i.state = s_export_attrs (res, row, 1,
                                          registry_check_institution_table,
                                          REGISTRY_INSTITUTION_ATTRS, &i.base,
                                          kj_arena_allocator (arena));
                line.institution = &i;
                registry_csv_format (NULL, &line, out);
                break;
            }
            case REGISTRY_CSV_PRODUCTS: {
                Kj__Product p;
                kj__product__init (&p);
                p.id = PQgetvalue (res, row, id);
                p.institution_id = PQgetvalue (res, row, owner);
                p.state = s_export_attrs (res, row, 2, registry_product_table,
                                          REGISTRY_PRODUCT_ATTRS, &p.base,
                                          kj_arena_allocator (arena));
                line.product = &p;
                registry_csv_format (NULL, &line, out);
                break;
            }
        }
    }
    kj_arena_destroy (&arena);
    *rows = (uint32_t) count;
    next [0] = 0;
    if (count > 0 && count == filter->limit) {
        if (figures)
            snprintf (next, next_size, "%s:%s", PQgetvalue (res, count - 1, id),
                      PQgetvalue (res, count - 1, fig [F_YEAR]));
        else
            kj_strlcpy (next, PQgetvalue (res, count - 1, id), next_size);
    }
    PQclear (res);
    return 1;
}
