/*  =========================================================================
    test_registry_demo - the demo data: valid and unique credit codes of
    all 15 regions, determinism by seed, the stage mix and stages that the
    rules confirm, qualifications the figures earn, institutions and
    products of every type
    =========================================================================
*/

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kejin.h"
#include "registry_check.h"
#include "registry_csv.h"
#include "registry_demo.h"
#include "registry_product.h"
#include "registry_techsme.h"
#include "registry_uscc.h"

#define TODAY ((kj_date_t){ 2026, 5, 10 })

static registry_demo_t *
s_demo (uint64_t seed, int64_t count)
{
    registry_demo_config_t config = { .seed = seed,
                                      .enterprises = count,
                                      .today = TODAY };
    kj_status_t status;
    registry_demo_t *demo = registry_demo_new (&config, &status);
    assert_non_null (demo);
    return demo;
}

//  Every row of a generator as CSV, one buffer per kind.
static void
s_collect (const registry_csv_row_t *row, void *arg)
{
    registry_csv_buf_t *files = (registry_csv_buf_t *) arg;
    registry_csv_format (NULL, row, &files [row->kind]);
}

static void
s_generate (uint64_t seed, int64_t count, registry_csv_buf_t files [5])
{
    registry_demo_t *demo = s_demo (seed, count);
    for (int kind = 0; kind < 5; kind++)
        memset (&files [kind], 0, sizeof files [kind]);
    registry_demo_institutions (demo, s_collect, files);
    registry_demo_products (demo, s_collect, files);
    registry_demo_enterprises (demo, s_collect, files);
    registry_demo_destroy (&demo);
}

static void
s_free (registry_csv_buf_t files [5])
{
    for (int kind = 0; kind < 5; kind++)
        registry_csv_buf_free (&files [kind]);
}

//  --------------------------------------------------------------------------

static void
test_codes_valid_unique_and_in_their_region (void **state)
{
    registry_demo_t *demo = s_demo (42, 20000);
    zhashx_t *seen = zhashx_new ();
    for (int64_t i = 0; i < 20000; i++) {
        const Kj__Enterprise *e = registry_demo_enterprise (demo, i);
        char code [19];
        kj_status_t status;
        if (registry_uscc_normalize (e->code, code, &status))
            fail_msg ("enterprise %" PRId64 ": %s: %s", i, e->code,
                      status.message);
        assert_string_equal (code, e->code);
        assert_int_equal (zhashx_insert (seen, e->code, (void *) 1), 0);
        kj_region_t city;
        assert_int_equal (registry_uscc_region (code, &city, &status),
                          REGISTRY_USCC_REGION_CITY);
        if (streq (e->region, "SFDZ"))
            assert_true (city == KJ_REGION_SHENYANG
                         || city == KJ_REGION_FUSHUN);
        else
            assert_string_equal (kj_region_info (city)->code, e->region);
        //  Enterprises (91); "MA" codes only for firms founded after the
        //  2015 reform
        assert_memory_equal (code, "91", 2);
        if (code [8] == 'M')
            assert_true (strcmp (e->founded_on, "2015-10-01") >= 0);
    }
    assert_int_equal (zhashx_size (seen), 20000);
    zhashx_destroy (&seen);
    registry_demo_destroy (&demo);
}

static void
test_deterministic_by_seed (void **state)
{
    registry_csv_buf_t a [5], b [5], c [5], small [5];
    s_generate (1, 1000, a);
    s_generate (1, 1000, b);
    s_generate (2, 1000, c);
    s_generate (1, 100, small);
    for (int kind = 1; kind <= 4; kind++)
        assert_string_equal (a [kind].data, b [kind].data);
    assert_string_not_equal (a [REGISTRY_CSV_ENTERPRISES].data,
                             c [REGISTRY_CSV_ENTERPRISES].data);
    //  Institutions and products do not depend on the seed
    assert_string_equal (a [REGISTRY_CSV_PRODUCTS].data,
                         c [REGISTRY_CSV_PRODUCTS].data);
    //  Enterprise i depends on (seed, i) only: 100 are the first 100 of 1000
    assert_memory_equal (a [REGISTRY_CSV_ENTERPRISES].data,
                         small [REGISTRY_CSV_ENTERPRISES].data,
                         small [REGISTRY_CSV_ENTERPRISES].size);
    s_free (a);
    s_free (b);
    s_free (c);
    s_free (small);
}

static void
test_stage_mix_and_the_rules_agree (void **state)
{
    registry_demo_t *demo = s_demo (3, 10000);
    registry_csv_buf_t files [5] = { { 0 } };
    registry_demo_enterprises (demo, s_collect, files);
    const registry_demo_stats_t *stats = registry_demo_stats (demo);
    assert_int_equal (stats->enterprises, 10000);
    assert_int_equal (stats->by_stage [REGISTRY_STAGE_UNKNOWN], 0);
    //  Aimed at 20 / 35 / 35 / 10 %
    assert_in_range (stats->by_stage [REGISTRY_STAGE_INCUBATION], 1700, 2300);
    assert_in_range (stats->by_stage [REGISTRY_STAGE_STARTUP], 3200, 3800);
    assert_in_range (stats->by_stage [REGISTRY_STAGE_GROWTH], 3200, 3800);
    assert_in_range (stats->by_stage [REGISTRY_STAGE_MATURE], 800, 1200);
    //  Every draw reached its stage first time or nearly
    assert_true (stats->retries < 100);
    //  Figures consistent with each stage
    for (int64_t i = 0; i < 2000; i++) {
        const Kj__Enterprise *e = registry_demo_enterprise (demo, i);
        const Kj__YearFigures *latest = e->n_figures
                                          ? e->figures [e->n_figures - 1]
                                          : NULL;
        int64_t revenue = latest ? latest->revenue_fen : 0;
        assert_false (e->stage->needs_review);
        switch (e->stage->stage) {
            case KJ__STAGE__STAGE_INCUBATION:
                assert_int_equal (revenue, 0);
                assert_int_equal (e->n_rounds, 0);
                break;
            case KJ__STAGE__STAGE_STARTUP:
                assert_true (revenue > 0 || e->n_rounds);
                assert_true (revenue < INT64_C (2000000000));
                break;
            case KJ__STAGE__STAGE_GROWTH:
                assert_true (revenue >= INT64_C (2000000000));
                assert_true (revenue < INT64_C (40000000000));
                break;
            case KJ__STAGE__STAGE_MATURE:
                assert_true (revenue >= INT64_C (40000000000)
                             || latest->net_profit_fen >= INT64_C (5000000000)
                             || e->board_standard || e->listing_tutoring);
                break;
            default:
                fail ();
        }
        //  Years in order, the last one last year, none before founding
        for (size_t k = 0; k < e->n_figures; k++) {
            kj_status_t status;
            assert_int_equal (registry_check_figures (e->figures [k], "f",
                                                      &status),
                              0);
            assert_int_equal (e->figures [k]->year,
                              2025 - (int) (e->n_figures - 1 - k));
            assert_true (e->figures [k]->year >= atoi (e->founded_on));
        }
    }
    registry_demo_destroy (&demo);
    s_free (files);
}

static void
test_regions_all_covered (void **state)
{
    registry_demo_t *demo = s_demo (9, 100);
    registry_csv_buf_t files [5] = { { 0 } };
    registry_demo_enterprises (demo, s_collect, files);
    const registry_demo_stats_t *stats = registry_demo_stats (demo);
    for (int region = KJ_REGION_SHENYANG; region < KJ_REGION_COUNT; region++)
        assert_true (stats->by_region [region] >= 1);
    registry_demo_destroy (&demo);
    s_free (files);
}

static void
test_qualifications_earned_by_the_figures (void **state)
{
    registry_demo_t *demo = s_demo (5, 5000);
    int held [11] = { 0 };
    for (int64_t i = 0; i < 5000; i++) {
        const Kj__Enterprise *e = registry_demo_enterprise (demo, i);
        const Kj__YearFigures *f = e->n_figures ? e->figures [e->n_figures - 1]
                                                : NULL;
        for (size_t q = 0; q < e->n_qualifications; q++) {
            const Kj__Qualification *qual = e->qualifications [q];
            held [qual->kind]++;
            kj_status_t status;
            assert_int_equal (registry_check_qualification (qual, "q", &status),
                              0);
            //  Every qualification runs past today
            assert_true (strcmp (qual->expires_on, "2026-05-10") > 0);
            if (qual->kind == KJ__QUALIFICATION_KIND__QUAL_TECH_SME) {
                registry_techsme_input_t input = {
                    .staff = f->staff,
                    .tech_staff = f->tech_staff,
                    .sales_fen = f->revenue_fen,
                    .rnd_fen = f->rnd_fen,
                    .cost_fen = f->total_cost_fen,
                    .total_assets_fen = f->total_assets_fen,
                    .ip_class1 = e->ip->invention_patents,
                    .ip_class2 = e->ip->class2_ip,
                    .abnormal = e->credit->abnormal,
                    .dishonest = e->credit->dishonest
                };
                registry_techsme_result_t result;
                assert_int_equal (registry_techsme_evaluate (&input, &result,
                                                             &status),
                                  0);
                assert_true (result.eligible);
                assert_int_equal (e->techsme->total, result.total);
            }
            if (qual->kind == KJ__QUALIFICATION_KIND__QUAL_HIGH_TECH) {
                //  高企: core IP, tech staff >= 10%, high-tech revenue
                //  >= 60%
                assert_true (e->ip->invention_patents >= 1);
                assert_true (f->tech_staff * 10 >= f->staff);
                assert_true (f->high_tech_revenue_fen * 10
                             >= f->revenue_fen * 6);
            }
        }
    }
    //  Each kind appears in a few thousand enterprises
    for (int kind = KJ__QUALIFICATION_KIND__QUAL_HIGH_TECH;
         kind <= KJ__QUALIFICATION_KIND__QUAL_LISTING_RESERVE; kind++)
        if (kind != KJ__QUALIFICATION_KIND__QUAL_UNICORN)
            assert_true (held [kind] >= 5);
    registry_demo_destroy (&demo);
}

static void
test_institutions_and_products_of_every_type (void **state)
{
    registry_csv_buf_t files [5];
    s_generate (1, 100, files);
    //  Both files parse back with no problem
    registry_csv_options_t options = { .today = TODAY };
    for (int kind = REGISTRY_CSV_INSTITUTIONS; kind <= REGISTRY_CSV_PRODUCTS;
         kind++) {
        kj_status_t status;
        registry_csv_buf_t header = { 0 };
        registry_csv_header ((registry_csv_kind_t) kind, &header);
        registry_csv_t *csv = registry_csv_new ((registry_csv_kind_t) kind,
                                                header.data, header.size - 1,
                                                &options, &status);
        assert_non_null (csv);
        uint32_t rows = registry_csv_parse (csv, files [kind].data,
                                            files [kind].size, 2, NULL, NULL,
                                            NULL);
        assert_int_equal (rows, kind == REGISTRY_CSV_INSTITUTIONS ? 40 : 100);
        registry_csv_destroy (&csv);
        registry_csv_buf_free (&header);
    }
    //  Every institution type, every product type
    const char *text = files [REGISTRY_CSV_INSTITUTIONS].data;
    const char *institution_types [] = {
        ",bank,",       ",guarantee,",  ",angel_fund,",     ",vc,",
        ",pe,",         ",insurer,",    ",leasing,",        ",factoring,",
        ",small_loan,", ",securities,", ",equity_exchange,"
    };
    for (size_t i = 0; i < 11; i++)
        assert_non_null (strstr (text, institution_types [i]));
    text = files [REGISTRY_CSV_PRODUCTS].data;
    const char *product_types [] = {
        ",credit,",     ",ip_pledge,", ",guaranteed,",
        ",first_loan,", ",renewal,",   ",invest_loan_linkage,",
        ",leasing,",    ",factoring,", ",tech_insurance,",
        ",bond,",       ",equity,"
    };
    for (size_t i = 0; i < 11; i++)
        assert_non_null (strstr (text, product_types [i]));
    assert_non_null (strstr (text, "辽科贷（"));
    assert_non_null (strstr (text, "辽知贷（"));
    assert_non_null (strstr (text, "金信贷（"));
    s_free (files);
}

static void
test_bounds_refused (void **state)
{
    kj_status_t status;
    registry_demo_config_t config = { .seed = 1,
                                      .enterprises = 99,
                                      .today = TODAY };
    assert_null (registry_demo_new (&config, &status));
    assert_string_equal (status.field, "enterprises");
    assert_string_equal (status.message,
                         "enterprises: 99 is out of range (100 to 1000000)");
    config.enterprises = 1000001;
    assert_null (registry_demo_new (&config, &status));
    config.enterprises = 100;
    config.today = (kj_date_t){ 2026, 2, 30 };
    assert_null (registry_demo_new (&config, &status));
    assert_string_equal (status.field, "today");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_codes_valid_unique_and_in_their_region),
        cmocka_unit_test (test_deterministic_by_seed),
        cmocka_unit_test (test_stage_mix_and_the_rules_agree),
        cmocka_unit_test (test_regions_all_covered),
        cmocka_unit_test (test_qualifications_earned_by_the_figures),
        cmocka_unit_test (test_institutions_and_products_of_every_type),
        cmocka_unit_test (test_bounds_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
