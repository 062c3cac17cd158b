/*  =========================================================================
    matching_filter - the hard filters of loan matching: may this product
    serve this demand of this enterprise, and if not, why

    Pure rules, no I/O (docs/rules/matching.md §2). Every filter of
    domain §3.2 is checked, and each one that excludes the product adds a
    reason (a stable code and a sentence for people), so that "why not
    product X" lists all of them, not only the first. The region rule is
    common/kj_region's, the one the registry's product search applies.
    Amounts are int64 fen, dates yyyymmdd integers.
    =========================================================================
*/

#ifndef MATCHING_FILTER_H_INCLUDED
#define MATCHING_FILTER_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kj_region.h"

//  Most region tokens of one product the filter reads.
#define MATCHING_MAX_REGIONS 20
//  Most reasons one verdict holds.
#define MATCHING_MAX_REASONS 16

//  Liaoning IP pledge loans (辽知贷 basis, docs/rules/matching.md §3):
//  per loan 6m yuan for small and medium firms, 2m for micro ones; per
//  enterprise 8m a year; term at most 12 months.
#define MATCHING_IP_SME_CAP_FEN   INT64_C (600000000)
#define MATCHING_IP_MICRO_CAP_FEN INT64_C (200000000)
#define MATCHING_IP_YEAR_CAP_FEN  INT64_C (800000000)
#define MATCHING_IP_MAX_TERM      12
//  无还本续贷 for medium firms: loans maturing on or before this day.
#define MATCHING_RENEWAL_MEDIUM_CUTOFF 20270930

//  What the demand seeks (proto MatchingInstrument).
typedef enum {
    MATCHING_INSTRUMENT_NONE = 0,
    MATCHING_INSTRUMENT_LOAN,
    MATCHING_INSTRUMENT_EQUITY,
    MATCHING_INSTRUMENT_LEASING,
    MATCHING_INSTRUMENT_FACTORING,
    MATCHING_INSTRUMENT_GUARANTEE,
    MATCHING_INSTRUMENT_INSURANCE,
    MATCHING_INSTRUMENT_BOND,
    MATCHING_INSTRUMENT_COUNT
} matching_instrument_t;

//  Why a product is excluded; the codes are stable (the daemon sends them).
typedef enum {
    MATCHING_NO_INACTIVE = 1,   //  withdrawn, or its institution
    MATCHING_NO_NOT_VALID,      //  outside valid_from .. valid_to
    MATCHING_NO_INSTRUMENT,     //  not the instrument sought
    MATCHING_NO_STAGE,          //  stage not among the product's
    MATCHING_NO_STAGE_MAP,      //  type not offered at this stage
    MATCHING_NO_QUALIFICATION,  //  a required qualification missing
    MATCHING_NO_GRADE,          //  grade below the minimum
    MATCHING_NO_POINTS,         //  innovation points below the minimum
    MATCHING_NO_AMOUNT,         //  amount outside the range
    MATCHING_NO_TERM,           //  term outside the range
    MATCHING_NO_COLLATERAL,     //  collateral required, not offered
    MATCHING_NO_REGION,         //  region rule
    MATCHING_NO_FIRST_LOAN,     //  first-loan product, loan on record
    MATCHING_NO_RENEWAL,        //  renewal predicate
    MATCHING_NO_IP_CAP,         //  IP pledge per-loan or yearly cap
    MATCHING_NO_NEGATIVE_LIST   //  dishonest, abnormal, tax grade D
} matching_no_t;

//  A product as the filters read it. Sets are bit masks of proto enum
//  values: (1u << KJ__STAGE__STAGE_GROWTH). What the filters and the
//  ranking read of every product comes first, in 80 bytes, and the
//  struct is 112: a Match over 10,000 products streams 1.1 MB, not the
//  2.7 MB of a struct holding its region tokens (the tokens stay with
//  the product's record, regions points to them).
typedef struct {
    int64_t min_amount_fen, max_amount_fen;
    int type;  //  Kj__ProductType
    int min_term_months, max_term_months;
    int rate_bp;                  //  0: not applicable
    unsigned collateral;          //  required
    unsigned stages;              //  0: all four
    unsigned qualifications;      //  all required
    unsigned any_qualifications;  //  one required, if any
    int min_grade;                //  0 none, 1 C .. 5 AAA
    int min_points;               //  0: none
    unsigned region_bits;         //  matching_filter_region_bits of regions;
                                  //  0: compare the tokens instead
    int valid_from, valid_to;     //  yyyymmdd; 0: open
    int sla_days;                 //  institution's decision target
    bool listed;                  //  listed, and its institution too
    //  Read for a few products only (ties, tokens without bits, replies)
    const char *id;
    const char *institution_id;
    const char *const *regions;  //  n_regions tokens, at most
    size_t n_regions;            //  MATCHING_MAX_REGIONS
} matching_product_t;

//  The enterprise, as the registry and scoring describe it.
typedef struct {
    const char *code;
    const char *region;       //  city code or SFDZ
    int size;                 //  Kj__SizeClass
    int stage;                //  Kj__Stage
    unsigned qualifications;  //  held, unexpired
    int grade;                //  0 none, 1 C .. 5 AAA
    int points;               //  innovation points, 0: none
    bool first_loan;          //  no bank loan on record
    bool dishonest, abnormal;
    bool tax_grade_d;
    int64_t ip_pledged_year_fen;  //  IP pledge loans this year
    //  Optional, for speed over many products: the region tokens that
    //  serve it (kj_region_serving with intercity); n_serving 0: the
    //  filter works them out each time
    const char *serving [KJ_REGION_MAX_SERVING];
    size_t n_serving;
    unsigned serving_bits;  //  matching_filter_region_bits of serving
} matching_enterprise_t;

//  The demand.
typedef struct {
    int64_t amount_fen;
    int term_months;
    matching_instrument_t instrument;
    unsigned collateral;  //  offered
    bool renewal;         //  renews an existing loan
    int renew_maturity;   //  that loan's maturity, yyyymmdd
    bool renew_arrears;   //  arrears on it
    int on;               //  today, yyyymmdd
} matching_demand_t;

typedef struct {
    matching_no_t code;
    char text [160];  //  for people, in their language
} matching_reason_t;

typedef struct {
    size_t count;
    matching_reason_t reasons [MATCHING_MAX_REASONS];
} matching_verdict_t;

//  --------------------------------------------------------------------------
//  True if the product passes every hard filter. verdict (may be NULL)
//  receives every reason that excludes it, in the order of §3.2.

bool
    matching_filter_check (const matching_product_t *product,
                           const matching_enterprise_t *enterprise,
                           const matching_demand_t *demand,
                           matching_verdict_t *verdict);

//  --------------------------------------------------------------------------
//  The filters over a catalogue: the index of each of products [0, count)
//  that matching_filter_check passes, in order, into passing [] (room for
//  count); returns how many. *listed (may be NULL): how many of the count
//  are listed. One call for the catalogue, not one a product: the checks
//  are compiled into its loop without the reasons' text.

size_t
    matching_filter_all (const matching_product_t *products, size_t count,
                         const matching_enterprise_t *enterprise,
                         const matching_demand_t *demand, uint32_t *passing,
                         size_t *listed);

//  --------------------------------------------------------------------------
//  True if the instrument covers the product type (a guaranteed loan is
//  both a loan and a guarantee).

bool
    matching_filter_instrument_covers (matching_instrument_t instrument,
                                       int product_type);

//  --------------------------------------------------------------------------
//  True if measure 1's stage-to-instrument map offers product_type to an
//  enterprise at stage (Kj__Stage).

bool
    matching_filter_stage_offers (int stage, int product_type);

//  --------------------------------------------------------------------------
//  The 无还本续贷 predicate of §3.1: size micro or small, or medium with
//  the loan maturing on or before 2027-09-30; applied before maturity; no
//  arrears; not on the negative list.

bool
    matching_filter_renewal_eligible (int size, int maturity, int on,
                                      bool arrears, bool blacklisted);

//  --------------------------------------------------------------------------
//  The IP pledge cap on one loan for a size class; 0 if the fund does not
//  serve it (large firms, unknown size).

int64_t
    matching_filter_ip_cap (int size);

//  --------------------------------------------------------------------------
//  Region tokens as a bit set (a table code by its kj_region_t, then
//  SHENYANG_METRO and PROVINCE), so the region filter is one AND when
//  both sides have one; tokens of no region add nothing, as they would
//  match nothing.

unsigned
    matching_filter_region_bits (const char *const *tokens, size_t n);

//  --------------------------------------------------------------------------
//  Stable name of a reason code ("region", "ip_cap"), for the wire.

const char *
    matching_filter_code_name (matching_no_t code);

//  --------------------------------------------------------------------------
//  Instrument by its name ("loan", "equity" ...); NONE if unknown.

matching_instrument_t
    matching_filter_instrument (const char *name);

const char *
    matching_filter_instrument_name (matching_instrument_t instrument);

#endif
