/*  =========================================================================
    registry_store - every SQL statement of kejin-registry

    Reads rows into the messages of proto/registry.proto and writes them
    back. Memory for what it reads comes from the caller's allocator (a
    call's memory in a handler, an arena in a job) and is never freed
    piece by piece. Functions return 1 (done, found), 0 (nothing there, or
    a conflict as documented) or -1 (a database error: kj_db_error and
    kj_db_sqlstate say why; inside a transaction the transaction failed).
    The caller holds the transaction; nothing here begins or commits one.
    =========================================================================
*/

#ifndef REGISTRY_STORE_H_INCLUDED
#define REGISTRY_STORE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <czmq.h>
#include <protobuf-c/protobuf-c.h>

#include "kj_db.h"
#include "registry.pb-c.h"
#include "registry_check.h"
#include "registry_stage.h"
#include "registry_techsme.h"

//  Page sizes of the lists.
#define REGISTRY_STORE_PAGE_DEFAULT 50
#define REGISTRY_STORE_PAGE_MAX     1000

//  --------------------------------------------------------------------------
//  The database's current_date, in its time zone: the one "today" of a
//  transaction, for expiry and ages.

int
    registry_store_today (kj_db_t *db, kj_date_t *today);

//  --------------------------------------------------------------------------
//  Enterprises

//  Insert the enterprise's own columns (not its lists) as a draft. 1, or
//  0 when the code exists already.
int
    registry_store_enterprise_insert (kj_db_t *db, const Kj__Enterprise *e,
                                      const char *by);

//  Lock the row (SELECT ... FOR UPDATE) and read its version. 1, 0 if no
//  such enterprise.
int
    registry_store_enterprise_lock (kj_db_t *db, const char *code,
                                    uint64_t *version);

//  True-ish (1) if the code is registered.
int
    registry_store_enterprise_exists (kj_db_t *db, const char *code);

//  Which of n codes are registered, in one query (code = ANY): writes up
//  to max of them to found (19 bytes each) and their names, cut to fit,
//  to names (names_size bytes each), in code order. Returns how many, or
//  -1 on a database error.
int
    registry_store_enterprise_names (kj_db_t *db, const char (*codes) [19],
                                     size_t n, int max, char (*found) [19],
                                     char *names, size_t names_size);

//  Write the input columns of e (name, region, industry, founded_on,
//  size_class, flags, credit, ip) and count a new version.
int
    registry_store_enterprise_save (kj_db_t *db, const Kj__Enterprise *e);

//  Count a new version (the lists or figures changed).
int
    registry_store_enterprise_touch (kj_db_t *db, const char *code);

//  Set the entry status, counting a new version.
int
    registry_store_enterprise_status (kj_db_t *db, const char *code,
                                      const char *status);

//  Write the stage columns from info (in force, computed, rule, reason,
//  version, review, override); stage_at moves when moved is set.
int
    registry_store_enterprise_stage (kj_db_t *db, const char *code,
                                     const Kj__StageInfo *info, bool moved);

//  Read an enterprise; with parts, its figures (by year), qualifications,
//  awards, rounds, loans, chain links and tech-SME score too, all in one
//  statement. 1, or 0 if no such enterprise.
int
    registry_store_enterprise_load (kj_db_t *db, const char *code, bool parts,
                                    ProtobufCAllocator *mem,
                                    Kj__Enterprise **out);

//  The same read with parts as one statement per part (nine in one round
//  trip): the reference that test_registry_read holds the one statement
//  to, reply byte for reply byte.
int
    registry_store_enterprise_load_each (kj_db_t *db, const char *code,
                                         ProtobufCAllocator *mem,
                                         Kj__Enterprise **out);

//  A page of enterprises (without parts), ordered by code, after `after`.
//  Every list gives the page's items, the count of all matching items
//  (whatever the cursor) and whether more come after the page.
typedef struct {
    char **regions;  //  region codes, expanded by the caller
    size_t n_regions;
    const char **stages;  //  stored names
    size_t n_stages;
    const char **statuses;
    size_t n_statuses;
    const char **qualifications;
    size_t n_qualifications;
    const char *name_contains;  //  NULL: any
    const char *industry;       //  NULL: any
    const char *after;          //  "" or NULL: from the start
    int limit;
} registry_store_enterprise_filter_t;

int
    registry_store_enterprise_list (kj_db_t *db,
                                    const registry_store_enterprise_filter_t *f,
                                    ProtobufCAllocator *mem,
                                    Kj__Enterprise ***out, size_t *n,
                                    uint64_t *total, bool *more);

//  --------------------------------------------------------------------------
//  Parts of an enterprise

//  Add or replace the figures of each year given.
int
    registry_store_figures_put (kj_db_t *db, const char *code,
                                Kj__YearFigures *const *figures, size_t n);

//  Replace a list as a whole.
int
    registry_store_awards_replace (kj_db_t *db, const char *code,
                                   Kj__Award *const *awards, size_t n);
int
    registry_store_rounds_replace (kj_db_t *db, const char *code,
                                   Kj__EquityRound *const *rounds, size_t n);
int
    registry_store_loans_replace (kj_db_t *db, const char *code,
                                  Kj__BankLoan *const *loans, size_t n);
int
    registry_store_links_replace (kj_db_t *db, const char *code,
                                  Kj__ChainLink *const *links, size_t n);

//  Add or renew a qualification (clears its expired mark).
int
    registry_store_qualification_put (kj_db_t *db, const char *code,
                                      const Kj__Qualification *q);

//  Remove one; 1, or 0 if the enterprise does not hold it.
int
    registry_store_qualification_delete (kj_db_t *db, const char *code,
                                         int kind);

//  Store the tech-SME result of a year, or remove it (result NULL).
int
    registry_store_techsme_put (kj_db_t *db, const char *code, int year,
                                const registry_techsme_result_t *result);

//  Codes with a qualification past its expiry and not yet announced, at
//  most limit, appended to codes, an autofree list (it copies them).
int
    registry_store_expiry_due (kj_db_t *db, int limit, zlist_t *codes);

//  Mark the qualifications of code that are past expiry and not yet
//  announced as expired; the ones marked come back in out. 1 if any, 0 if
//  none (another copy of the daemon did it, or the row was renewed).
int
    registry_store_expire (kj_db_t *db, const char *code,
                           ProtobufCAllocator *mem, Kj__Qualification ***out,
                           size_t *n);

//  --------------------------------------------------------------------------
//  Audit trail and rule sets

int
    registry_store_audit (kj_db_t *db, const char *who, const char *action,
                          const char *kind, const char *subject,
                          const char *before, const char *after,
                          const char *reason);

//  Entries of a subject, oldest first, after entry id `after` (0: from
//  the first); *last is the id of the last entry returned.
int
    registry_store_history (kj_db_t *db, const char *kind, const char *subject,
                            int64_t after, int limit, ProtobufCAllocator *mem,
                            Kj__AuditEntry ***out, size_t *n, int64_t *last,
                            uint64_t *total, bool *more);

//  Record the rule set text of a version. 1 if recorded or already there
//  with the same text; 0 if the version exists with another text.
int
    registry_store_stage_rules (kj_db_t *db, const char *version,
                                const char *text);

//  --------------------------------------------------------------------------
//  Institutions

//  Insert; an empty id is made from a sequence ("I000001") and written to
//  id_out (48 bytes). 1, or 0 on a conflict: the id exists, or a listed
//  institution has that name.
int
    registry_store_institution_insert (kj_db_t *db, const Kj__Institution *i,
                                       char *id_out);

//  Read, optionally locking the row. 1, or 0 if none.
int
    registry_store_institution_load (kj_db_t *db, const char *id, bool lock,
                                     ProtobufCAllocator *mem,
                                     Kj__Institution **out);

//  Id of the listed institution named name, into id_out (48 bytes); 1 or 0.
int
    registry_store_institution_named (kj_db_t *db, const char *name,
                                      char *id_out);

//  Write the input columns and count a new version. 0 if a listed
//  institution has that name already.
int
    registry_store_institution_save (kj_db_t *db, const Kj__Institution *i);

//  Withdraw with reason, counting a new version.
int
    registry_store_institution_withdraw (kj_db_t *db, const char *id,
                                         const char *reason);

typedef struct {
    const char **types;  //  stored names
    size_t n_types;
    const char **serving;  //  region tokens that serve the region asked
    size_t n_serving;
    const char *name_contains;
    bool include_withdrawn;
    const char *after;
    int limit;
} registry_store_institution_filter_t;

int
    registry_store_institution_list (
        kj_db_t *db, const registry_store_institution_filter_t *f,
        ProtobufCAllocator *mem, Kj__Institution ***out, size_t *n,
        uint64_t *total, bool *more);

//  --------------------------------------------------------------------------
//  Products

int
    registry_store_product_insert (kj_db_t *db, const Kj__Product *p,
                                   char *id_out);

int
    registry_store_product_load (kj_db_t *db, const char *id, bool lock,
                                 ProtobufCAllocator *mem, Kj__Product **out);

int
    registry_store_product_save (kj_db_t *db, const Kj__Product *p);

int
    registry_store_product_withdraw (kj_db_t *db, const char *id,
                                     const char *reason);

//  Ids of the listed products of an institution, locked, appended to ids,
//  an autofree list (it copies them).
int
    registry_store_products_listed_of (kj_db_t *db, const char *institution,
                                       zlist_t *ids);

//  The product filter: NULL or unset fields do not filter.
typedef struct {
    const char **types;
    size_t n_types;
    const char *institution_id;
    const char *name_contains;
    bool search;             //  listed, of a listed institution, valid
    bool include_withdrawn;  //  list: withdrawn products too
    const char **serving;    //  region tokens serving the enterprise
    size_t n_serving;
    bool has_serving;
    const char *stage;   //  stored name
    int64_t amount_fen;  //  0: any
    int term_months;     //  0: any
    bool has_held;
    const char **held;
    size_t n_held;
    bool has_offered;
    const char **offered;
    size_t n_offered;
    bool has_grade;
    const char **grades;  //  the grades at or below the one given
    size_t n_grades;
    bool has_first_loan;
    bool first_loan;
    const char *on_date;  //  "YYYY-MM-DD"; NULL: today (search only)
    kj_date_t *used_on;   //  if set, receives the date judged on (if rows)
    const char *after;
    int limit;
} registry_store_product_filter_t;

int
    registry_store_product_list (kj_db_t *db,
                                 const registry_store_product_filter_t *f,
                                 ProtobufCAllocator *mem, Kj__Product ***out,
                                 size_t *n, uint64_t *total, bool *more);

//  The statement registry_store_product_list runs, with its 16 parameters
//  in the order of that function: tests/bench/bench_registry.c runs it raw
//  beside SearchProducts.
extern const char *const registry_store_product_list_sql;

//  The rows a page holds for a limit asked (0: the default; at most
//  REGISTRY_STORE_PAGE_MAX).
int
    registry_store_limit (int limit);

//  The catalogue's version (sql/015_product_catalogue.sql: one more at the
//  commit of every write of a product or an institution) and the date a
//  search judges validity on (on_date, or the database's today). 0 or -1.
int
    registry_store_catalogue_version (kj_db_t *db, const char *on_date,
                                      int64_t *version, kj_date_t *on);

//  Every listed product of a listed institution, in id order, with the
//  version they are at, read in one snapshot. 1, 0 if there are more than
//  max (nothing read), or -1.
int
    registry_store_catalogue_load (kj_db_t *db, int max,
                                   ProtobufCAllocator *mem, int64_t *version,
                                   Kj__Product ***out, size_t *n);

//  --------------------------------------------------------------------------
//  Stage recomputation after a change of rules (sql/010_restage.sql). An
//  enterprise is to do while its stage_version is not `version` and not
//  a version first used after it (a copy still on older rules never undoes
//  newer work).

//  Lock up to max enterprises to do, skipping those locked elsewhere, in
//  code order; append their codes to codes. Returns how many, or -1.
int
    registry_store_restage_claim (kj_db_t *db, const char *version, int max,
                                  zlist_t *codes);

//  How many are to do (0: none), or -1.
int64_t
    registry_store_restage_left (kj_db_t *db, const char *version);

//  Start the progress row of version with total, unless there is one.
//  Returns 1 if started now, 0 if it was there, -1 on error.
int
    registry_store_restage_start (kj_db_t *db, const char *version,
                                  int64_t total);

//  Count done and moved into the progress row; finished marks it done.
int
    registry_store_restage_progress (kj_db_t *db, const char *version, int done,
                                     int moved, bool finished);

//  --------------------------------------------------------------------------
//  The column lists of a field table (registry_check.h), from its rows in
//  their order (registry_store_columns.c): the statements of institutions
//  and products, interactive and bulk, are built from them at start.

typedef enum {
    REGISTRY_STORE_LIST_READ,    //  p.name, p.stages::text, to_char (...)
    REGISTRY_STORE_LIST_NAMES,   //  name, stages, valid_from
    REGISTRY_STORE_LIST_VALUES,  //  $3, $11::text[], $16::date
    REGISTRY_STORE_LIST_SETS,    //  name = $2, stages = $10::text[]
    REGISTRY_STORE_LIST_STAGED   //  name, CASE WHEN ... stages END
} registry_store_list_t;

//  The rows' list of the form asked, ", " between items, into sql (size
//  bytes, which must hold it): READ prefixes each column with alias and a
//  dot (none when alias is NULL or ""); VALUES and SETS number the first
//  row's parameter `first`; STAGED gives a row's staged SQL for its
//  column, its path when it has none.
void
    registry_store_attrs_sql (char *sql, size_t size,
                              registry_store_list_t form,
                              const registry_attr_t *table, size_t rows,
                              const char *alias, int first);

//  The five lists of a table's statements: the read's (columns prefixed
//  with alias), the insert's names and values (parameters from first),
//  the update's sets (parameters from 2: $1 is the key) and the bulk
//  commit's staged columns.
typedef struct {
    char read [768], names [512], values [384], sets [768], staged [768];
} registry_store_lists_t;

void
    registry_store_attrs_lists (registry_store_lists_t *lists,
                                const registry_attr_t *table, size_t rows,
                                const char *alias, int first);

//  The enterprise's stored input columns (registry_check_enterprise_column,
//  in its order) as a list of the form asked, as registry_store_attrs_sql:
//  READ gives a date as YYYY-MM-DD or '' under its column's name; STAGED
//  is NAMES (the staging table's columns are the enterprise's).
void
    registry_store_enterprise_sql (char *sql, size_t size,
                                   registry_store_list_t form,
                                   const char *alias, int first);

//  snprintf into a statement's buffer, which must hold it.
void
    registry_store_sql (char *sql, size_t size, const char *format, ...)
        __attribute__ ((format (printf, 3, 4)));

//  The statements of institutions, products and enterprises, as built at
//  start (for test_registry_attrs: their column lists are the tables'
//  rows).
typedef struct {
    const char *select;  //  the read of one by id
    const char *insert;
    const char *update;
    const char *bulk;  //  the bulk commit's INSERT ... SELECT
} registry_store_statements_t;

const registry_store_statements_t *
    registry_store_institution_statements (void);

const registry_store_statements_t *
    registry_store_product_statements (void);

//  The enterprise's: select is the read of one by code without its parts
//  (registry_store_enterprise_load_each's), bulk the bulk commit's.
const registry_store_statements_t *
    registry_store_enterprise_statements (void);

#endif
