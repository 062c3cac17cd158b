/*  =========================================================================
    registry_demo - realistic synthetic data for the registry: enterprises
    of all 15 regions with their yearly figures, financial institutions and
    the products of the supermarket

    Pure rules, no I/O: rows go to a callback as the messages of
    proto/registry.proto (registry_csv formats them). Deterministic: the
    same seed, count and reference date give the same rows, byte for byte,
    on any machine; enterprise i depends only on (seed, i, today), so the
    first 100 of a million are the 100 of a hundred.

    Every enterprise has a valid credit code (both check characters), a
    region code of a real district of its city (Shenfu zone enterprises
    carry a Shenyang or Fushun district code and region SFDZ), figures for
    the years it has existed (up to three), consistent with a target stage,
    and the qualifications its figures earn under the published grids; its
    stage is what registry_stage computes from all that, under the default
    rules, on the reference date.
    =========================================================================
*/

#ifndef REGISTRY_DEMO_H_INCLUDED
#define REGISTRY_DEMO_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#include "kj_proto.h"
#include "registry.pb-c.h"
#include "registry_csv.h"
#include "registry_stage.h"

//  Bounds of the enterprise count.
#define REGISTRY_DEMO_MIN_ENTERPRISES 100
#define REGISTRY_DEMO_MAX_ENTERPRISES 1000000

typedef struct {
    uint64_t seed;
    int64_t enterprises;  //  100 .. 1,000,000
    kj_date_t today;      //  reference date: ages, years, expiry
} registry_demo_config_t;

//  What a run generated, for summaries and tests.
typedef struct {
    int64_t enterprises;
    int64_t figures;              //  figures rows (enterprise-years)
    int64_t by_stage [5];         //  by registry_stage_t
    int64_t by_region [16];       //  by kj_region_t
    int64_t qualifications [11];  //  by Kj__QualificationKind
    int64_t retries;              //  draws that missed their target stage
} registry_demo_stats_t;

typedef struct _registry_demo_t registry_demo_t;

//  --------------------------------------------------------------------------
//  A generator. Returns NULL with status set (INVALID_ARGUMENT) for a count
//  out of bounds or an invalid date.

registry_demo_t *
    registry_demo_new (const registry_demo_config_t *config,
                       kj_status_t *status);

void
    registry_demo_destroy (registry_demo_t **self_p);

//  --------------------------------------------------------------------------
//  Enterprise i (0 .. count-1), with its figures (by year), qualifications,
//  latest round, computed stage and tech-SME score. Valid until the next
//  call on this generator.

const Kj__Enterprise *
    registry_demo_enterprise (registry_demo_t *self, int64_t index);

//  --------------------------------------------------------------------------
//  Every enterprise in index order: for each, one ENTERPRISES row and then
//  one FIGURES row per year it has figures for. Counts into the stats.

void
    registry_demo_enterprises (registry_demo_t *self, registry_csv_row_fn *fn,
                               void *arg);

//  --------------------------------------------------------------------------
//  The institutions (40, of every type, with the regions they serve), and
//  the products (100, of every type, among them 辽科贷, 辽知贷, 金信贷,
//  first loans, renewals and IP pledge loans), as INSTITUTIONS and PRODUCTS
//  rows. They do not depend on the seed.

void
    registry_demo_institutions (registry_demo_t *self, registry_csv_row_fn *fn,
                                void *arg);
void
    registry_demo_products (registry_demo_t *self, registry_csv_row_fn *fn,
                            void *arg);

//  --------------------------------------------------------------------------
//  What has been generated so far.

const registry_demo_stats_t *
    registry_demo_stats (registry_demo_t *self);

#endif
