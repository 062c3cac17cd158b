/*  =========================================================================
    registry_product - the product supermarket's rules: what a product may
    say, which regions serve whom, and whether an enterprise may take a
    product

    Pure rules, no I/O. A product serves an enterprise of city C when its
    regions name C, or PROVINCE, or SHENYANG_METRO while C is in the
    Shenyang metropolitan area (7 cities + 沈抚示范区). With `intercity`
    (the 城际融资撮合中心 rule, docs/rules/regions.md §4), a metro enterprise is also
    served by a product of any other metro city.

    A search is answered from each worker's kept catalogue, or by SQL where
    the copy cannot answer (registry_supermarket_catalogue.c); this class
    turns a search request into the statement's parameters (sets of region
    tokens, grades, qualifications) and holds the same predicate in C,
    registry_product_eligible, which the kept catalogue filters with, the
    unit tests pin down, and the server checks what the SQL returned with.
    =========================================================================
*/

#ifndef REGISTRY_PRODUCT_H_INCLUDED
#define REGISTRY_PRODUCT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kj_proto.h"
#include "kj_region.h"
#include "registry.pb-c.h"
#include "registry_stage.h"

//  Most region tokens one product or institution names.
#define REGISTRY_PRODUCT_MAX_REGIONS 20

//  Credit grades, weakest first; NONE is "no grade" (a product without a
//  minimum, or an enterprise not yet rated).
typedef enum {
    REGISTRY_GRADE_NONE = 0,
    REGISTRY_GRADE_C,
    REGISTRY_GRADE_B,
    REGISTRY_GRADE_A,
    REGISTRY_GRADE_AA,
    REGISTRY_GRADE_AAA
} registry_grade_t;

//  A product's terms as the rules read them. Sets are bit masks of the
//  proto enum values: bit (1 << STAGE_GROWTH), (1 << QUAL_HIGH_TECH),
//  (1 << COLLATERAL_IP).
typedef struct {
    int type;  //  Kj__ProductType
    int64_t min_amount_fen, max_amount_fen;
    int min_term_months, max_term_months;
    unsigned stages;              //  eligible stages, never 0
    unsigned qualifications;      //  all required
    unsigned any_qualifications;  //  one required, if any
    unsigned collateral;          //  required collateral
    registry_grade_t min_grade;
    const char *regions [REGISTRY_PRODUCT_MAX_REGIONS];
    size_t n_regions;
    kj_date_t valid_from;
    kj_date_t valid_to;  //  year 0: open-ended
    bool listed;         //  listed, and its institution too
} registry_product_terms_t;

//  What an enterprise looks for and holds. A `has_` flag off means the
//  search does not filter on it.
typedef struct {
    const char *region;  //  city code or SFDZ; NULL: any
    bool intercity;
    int stage;           //  Kj__Stage; 0: any
    int64_t amount_fen;  //  0: any
    int term_months;     //  0: any
    bool has_held;
    unsigned held;  //  qualifications held
    bool has_offered;
    unsigned offered;  //  collateral offered
    bool has_grade;
    registry_grade_t grade;
    bool has_first_loan;
    bool first_loan;  //  no bank loan on record
    kj_date_t on;     //  valid on this date
} registry_product_profile_t;

//  --------------------------------------------------------------------------
//  Grade from its text ("", "C" .. "AAA"); -1 if not a grade.

int
    registry_product_grade (const char *text);

//  --------------------------------------------------------------------------
//  Text of a grade: "", "C", ..., "AAA".

const char *
    registry_product_grade_name (registry_grade_t grade);

//  --------------------------------------------------------------------------
//  Check a list of region tokens at field ("product.regions"): each valid,
//  at least one, at most REGISTRY_PRODUCT_MAX_REGIONS. Returns 0 or -1
//  with status naming field[i].

int
    registry_product_check_regions (char **regions, size_t n, const char *field,
                                    kj_status_t *status);

//  --------------------------------------------------------------------------
//  The input fields of a product (all of them when mask is NULL, else
//  those the update_mask names), under "product.". Cross-field rules
//  (min <= max, valid_from <= valid_to) are checked by
//  registry_product_check_terms on the merged product.

int
    registry_product_check (const Kj__Product *product, char **mask,
                            size_t n_mask, kj_status_t *status);

//  --------------------------------------------------------------------------
//  The update_mask names of a product, NULL ended: its rows' masks, made
//  at start (registry_check_attr_masks).

extern const char *registry_product_fields [];

//  --------------------------------------------------------------------------
//  Read a product's terms out of a (valid) message. Region pointers point
//  into the message. Dates that do not parse stay zero.

void
    registry_product_terms (const Kj__Product *product,
                            registry_product_terms_t *terms);

//  --------------------------------------------------------------------------
//  The rules that span fields, at "product.": max amount > 0 and >= min,
//  max term > 0 and >= min, valid_to (if any) >= valid_from. 0 or -1.

int
    registry_product_check_terms (const registry_product_terms_t *terms,
                                  kj_status_t *status);

//  --------------------------------------------------------------------------
//  True if an enterprise with profile may take the product. When not, and
//  why is not NULL, writes the first reason found for people.

bool
    registry_product_eligible (const registry_product_terms_t *terms,
                               const registry_product_profile_t *profile,
                               char *why, size_t size);

//  --------------------------------------------------------------------------
//  Bit mask of a repeated enum field; values outside 1..31 are ignored.

unsigned
    registry_product_bits (const int *values, size_t n);

#endif
