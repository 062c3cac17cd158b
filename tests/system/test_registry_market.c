/*  =========================================================================
    test_registry_market - financial institutions and the product
    supermarket over the real daemons: CRUD with versions, withdrawal with
    its products, list and search with paging and every filter, exact
    =========================================================================
*/

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "registry_fixture.h"

//  --------------------------------------------------------------------------
//  Calls

static int
s_add_institution (rfx_t *fx, const char *id, const char *name,
                   Kj__InstitutionType type, const char *regions,
                   kj_status_t *status, Kj__Institution **out)
{
    Kj__AddInstitutionRequest request = KJ__ADD_INSTITUTION_REQUEST__INIT;
    Kj__Institution i = KJ__INSTITUTION__INIT;
    char buffer [200], *list [10];
    snprintf (buffer, sizeof buffer, "%s", regions);
    for (char *save = NULL, *r = strtok_r (buffer, ",", &save); r;
         r = strtok_r (NULL, ",", &save))
        list [i.n_regions++] = r;
    i.id = (char *) id;
    i.name = (char *) name;
    i.type = type;
    i.regions = list;
    request.institution = &i;
    Kj__InstitutionReply *reply = NULL;
    int rc = rfx_call (fx, "AddInstitution", &request.base,
                       &kj__institution_reply__descriptor, &reply, status, NULL,
                       false);
    if (out && reply) {
        *out = reply->institution;
        reply->institution = NULL;
    }
    if (reply)
        kj__institution_reply__free_unpacked (reply, NULL);
    return rc;
}

//  A product as the tests describe it.
typedef struct {
    const char *id, *institution, *name;
    Kj__ProductType type;
    int64_t min_wan, max_wan;  //  amounts in 万元
    int min_term, max_term;
    const char *regions;     //  comma-separated
    unsigned stages;         //  bits of Kj__Stage; 0: all
    unsigned requires, any;  //  bits of QualificationKind
    unsigned collateral;     //  bits of Collateral
    const char *min_grade;
    const char *valid_from, *valid_to;
} s_product_t;

static size_t
s_enums (unsigned bits, int *values)
{
    size_t n = 0;
    for (int v = 1; v < 32; v++)
        if (bits & (1u << v))
            values [n++] = v;
    return n;
}

static int
s_add_product (rfx_t *fx, const s_product_t *d, kj_status_t *status)
{
    Kj__AddProductRequest request = KJ__ADD_PRODUCT_REQUEST__INIT;
    Kj__Product p = KJ__PRODUCT__INIT;
    char buffer [200], *regions [10];
    int stages [8], requires [16], any [16], collateral [8];
    snprintf (buffer, sizeof buffer, "%s", d->regions);
    for (char *save = NULL, *r = strtok_r (buffer, ",", &save); r;
         r = strtok_r (NULL, ",", &save))
        regions [p.n_regions++] = r;
    p.id = (char *) d->id;
    p.institution_id = (char *) d->institution;
    p.name = (char *) d->name;
    p.type = d->type;
    p.min_amount_fen = d->min_wan * 1000000;
    p.max_amount_fen = d->max_wan * 1000000;
    p.min_term_months = d->min_term;
    p.max_term_months = d->max_term;
    p.regions = regions;
    p.n_stages = s_enums (d->stages, stages);
    p.stages = (Kj__Stage *) stages;
    p.n_qualifications = s_enums (d->requires, requires);
    p.qualifications = (Kj__QualificationKind *) requires;
    p.n_any_qualifications = s_enums (d->any, any);
    p.any_qualifications = (Kj__QualificationKind *) any;
    p.n_collateral = s_enums (d->collateral, collateral);
    p.collateral = (Kj__Collateral *) collateral;
    p.min_grade = (char *) (d->min_grade ? d->min_grade : "");
    p.valid_from = (char *) (d->valid_from ? d->valid_from : "");
    p.valid_to = (char *) (d->valid_to ? d->valid_to : "");
    request.product = &p;
    Kj__ProductReply *reply = NULL;
    int rc = rfx_call (fx, "AddProduct", &request.base,
                       &kj__product_reply__descriptor, &reply, status, NULL,
                       false);
    if (reply)
        kj__product_reply__free_unpacked (reply, NULL);
    return rc;
}

//  Run a list or search over every page (limit 2), and return the ids
//  joined by ',' (caller frees).
static char *
s_ids (rfx_t *fx, const char *method, Kj__SearchProductsRequest *request,
       uint64_t *total)
{
    char *joined = strdup ("");
    char after [48] = "";
    Kj__Page page = KJ__PAGE__INIT;
    page.limit = 2;
    request->page = &page;
    do {
        page.after = after;
        Kj__SearchProductsReply *reply = NULL;
        kj_status_t status;
        int rc = rfx_call (fx, method, &request->base,
                           &kj__search_products_reply__descriptor, &reply,
                           &status, NULL, true);
        if (rc)
            fail_msg ("%s: %s %s (%s)", method, kj_code_name (rc),
                      status.message, status.field);
        assert_true (reply->n_products <= 2);
        for (size_t i = 0; i < reply->n_products; i++) {
            char *next = zsys_sprintf ("%s%s%s", joined, *joined ? "," : "",
                                       reply->products [i]->id);
            free (joined);
            joined = next;
        }
        if (total)
            *total = reply->page_info->total;
        snprintf (after, sizeof after, "%s", reply->page_info->next);
        kj__search_products_reply__free_unpacked (reply, NULL);
    } while (*after);
    request->page = NULL;
    return joined;
}

static void
s_assert_ids (rfx_t *fx, const char *method, Kj__SearchProductsRequest *request,
              const char *expected)
{
    uint64_t total = 0;
    char *ids = s_ids (fx, method, request, &total);
    if (!streq (ids, expected))
        fail_msg ("%s: got [%s], expected [%s]", method, ids, expected);
    size_t count = *expected ? 1 : 0;
    for (const char *c = expected; *c; c++)
        count += *c == ',';
    assert_int_equal (total, count);
    free (ids);
}

//  List institutions (one page), expecting the ids joined by ',' and, when
//  total is not -1, that many matching in all.
static void
s_assert_institutions (rfx_t *fx, Kj__ListInstitutionsRequest *request,
                       const char *expected, int64_t total)
{
    Kj__ListInstitutionsReply *page = NULL;
    kj_status_t status;
    assert_int_equal (rfx_call (fx, "ListInstitutions", &request->base,
                                &kj__list_institutions_reply__descriptor, &page,
                                &status, NULL, true),
                      0);
    char ids [400] = "";
    for (size_t i = 0; i < page->n_institutions; i++)
        snprintf (ids + strlen (ids), sizeof ids - strlen (ids), "%s%s",
                  i ? "," : "", page->institutions [i]->id);
    assert_string_equal (ids, expected);
    if (total >= 0)
        assert_int_equal (page->page_info->total, total);
    kj__list_institutions_reply__free_unpacked (page, NULL);
}

#define BIT(x) (1u << (x))

//  Every registry here runs the search statement beside each SearchProducts
//  answered from its kept catalogue, and fails the call if they differ
static const char *s_check [] = { "-s", "registry/catalogue_check=true", NULL };

//  --------------------------------------------------------------------------
//  Institutions: add, refuse duplicates and bad input, update with a
//  version, list by type and region

static void
test_institutions (void **state)
{
    rfx_t fx;
    rfx_start (&fx, "registry_inst", s_check);
    kj_status_t status;
    Kj__Institution *made = NULL;
    assert_int_equal (s_add_institution (&fx, "", "中国银行辽宁省分行",
                                         KJ__INSTITUTION_TYPE__INSTITUTION_BANK,
                                         "PROVINCE", &status, &made),
                      0);
    assert_string_equal (made->id, "I000001");
    assert_int_equal (made->state, KJ__LISTING_STATE__LISTING_LISTED);
    assert_int_equal (made->version, 1);
    kj__institution__free_unpacked (made, NULL);
    assert_int_equal (
        s_add_institution (&fx, "SYDB", "沈阳科技担保",
                           KJ__INSTITUTION_TYPE__INSTITUTION_GUARANTEE,
                           "210100,SFDZ,210100", &status, &made),
        0);
    assert_int_equal (made->n_regions, 2);  //  the repeat dropped
    kj__institution__free_unpacked (made, NULL);
    assert_int_equal (s_add_institution (&fx, "", "沈阳都市圈创投",
                                         KJ__INSTITUTION_TYPE__INSTITUTION_VC,
                                         "SHENYANG_METRO", &status, NULL),
                      0);
    assert_int_equal (s_add_institution (&fx, "", "大连银行",
                                         KJ__INSTITUTION_TYPE__INSTITUTION_BANK,
                                         "210200", &status, NULL),
                      0);

    //  Refused: the same name, the same id, a bad region, no type
    assert_int_equal (s_add_institution (&fx, "", "大连银行",
                                         KJ__INSTITUTION_TYPE__INSTITUTION_BANK,
                                         "210200", &status, NULL),
                      KJ__CODE__ALREADY_EXISTS);
    assert_string_equal (status.field, "institution.name");
    assert_non_null (strstr (status.message, "I000003"));
    assert_int_equal (
        s_add_institution (&fx, "SYDB", "另一家担保",
                           KJ__INSTITUTION_TYPE__INSTITUTION_GUARANTEE,
                           "210100", &status, NULL),
        KJ__CODE__ALREADY_EXISTS);
    assert_string_equal (status.field, "institution.id");
    assert_int_equal (s_add_institution (&fx, "", "某银行",
                                         KJ__INSTITUTION_TYPE__INSTITUTION_BANK,
                                         "210100,Dalian", &status, NULL),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "institution.regions[1]");
    assert_int_equal (s_add_institution (&fx, "", "某机构", 0, "210100",
                                         &status, NULL),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "institution.type");
    assert_int_equal (rfx_outbox_count (&fx, "registry.institution.listed",
                                        "I000001"),
                      1);

    //  Update with the version read, then with a stale one
    Kj__UpdateInstitutionRequest update = KJ__UPDATE_INSTITUTION_REQUEST__INIT;
    Kj__Institution changes = KJ__INSTITUTION__INIT;
    char *regions [] = { "210200", "210100" };
    char *mask [] = { "regions", "contact" };
    changes.id = "I000003";
    changes.regions = regions;
    changes.n_regions = 2;
    changes.contact = "0411-12345678";
    update.institution = &changes;
    update.update_mask = mask;
    update.n_update_mask = 2;
    update.expected_version = 1;
    Kj__InstitutionReply *reply = NULL;
    assert_int_equal (rfx_call (&fx, "UpdateInstitution", &update.base,
                                &kj__institution_reply__descriptor, &reply,
                                &status, NULL, false),
                      0);
    assert_int_equal (reply->institution->version, 2);
    assert_int_equal (reply->institution->n_regions, 2);
    assert_string_equal (reply->institution->contact, "0411-12345678");
    assert_string_equal (reply->institution->name, "大连银行");
    kj__institution_reply__free_unpacked (reply, NULL);
    assert_int_equal (rfx_call (&fx, "UpdateInstitution", &update.base,
                                &kj__institution_reply__descriptor, &reply,
                                &status, NULL, false),
                      KJ__CODE__ABORTED);
    assert_int_equal (rfx_outbox_count (&fx, "registry.institution.changed",
                                        "I000003"),
                      1);

    //  Lists: by type, by the city served
    Kj__ListInstitutionsRequest list = KJ__LIST_INSTITUTIONS_REQUEST__INIT;
    Kj__InstitutionType banks [] = { KJ__INSTITUTION_TYPE__INSTITUTION_BANK };
    list.types = banks;
    list.n_types = 1;
    s_assert_institutions (&fx, &list, "I000001,I000003", -1);
    list.n_types = 0;
    //  Anshan: the province-wide bank and the metro VC
    list.region = "210300";
    s_assert_institutions (&fx, &list, "I000001,I000002", 2);
    //  Shenyang: every one of them now that Dalian Bank serves it too
    list.region = "210100";
    s_assert_institutions (&fx, &list, "I000001,I000002,I000003,SYDB", -1);
    rfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  Products: the catalogue and the search, exact, page by page

static void
test_products_search (void **state)
{
    rfx_t fx;
    rfx_start (&fx, "registry_prod", s_check);
    kj_status_t status;
    assert_int_equal (s_add_institution (&fx, "BOC", "中国银行辽宁省分行",
                                         KJ__INSTITUTION_TYPE__INSTITUTION_BANK,
                                         "PROVINCE", &status, NULL),
                      0);
    assert_int_equal (
        s_add_institution (&fx, "SYDB", "沈阳科技担保",
                           KJ__INSTITUTION_TYPE__INSTITUTION_GUARANTEE,
                           "210100", &status, NULL),
        0);
    assert_int_equal (s_add_institution (&fx, "DLVC", "大连创投",
                                         KJ__INSTITUTION_TYPE__INSTITUTION_VC,
                                         "210200", &status, NULL),
                      0);

    const unsigned early = BIT (KJ__STAGE__STAGE_INCUBATION)
                         | BIT (KJ__STAGE__STAGE_STARTUP);
    const unsigned growth = BIT (KJ__STAGE__STAGE_GROWTH);
    const s_product_t products [] = {
        //  id, institution, name, type, 万 min..max, term, regions, stages,
        //  requires, any, collateral, grade, valid from, to
        { "P01", "BOC", "科技信用贷", KJ__PRODUCT_TYPE__PRODUCT_CREDIT, 0, 300,
          1, 12, "PROVINCE", 0, 0, 0, 0, "", "2020-01-01", NULL },
        { "P02", "BOC", "知识产权质押贷", KJ__PRODUCT_TYPE__PRODUCT_IP_PLEDGE,
          10, 600, 1, 12, "SHENYANG_METRO", growth,
          BIT (KJ__QUALIFICATION_KIND__QUAL_HIGH_TECH), 0,
          BIT (KJ__COLLATERAL__COLLATERAL_IP), "", "2020-01-01", NULL },
        { "P03", "SYDB", "首贷通", KJ__PRODUCT_TYPE__PRODUCT_FIRST_LOAN, 0, 100,
          1, 12, "210100", early, 0, 0, 0, "A", "2020-01-01", NULL },
        { "P04", "SYDB", "专精特新贷", KJ__PRODUCT_TYPE__PRODUCT_GUARANTEED, 50,
          1000, 6, 36, "210100,SFDZ", growth, 0,
          BIT (KJ__QUALIFICATION_KIND__QUAL_SRDI)
              | BIT (KJ__QUALIFICATION_KIND__QUAL_LITTLE_GIANT),
          BIT (KJ__COLLATERAL__COLLATERAL_GUARANTEE), "B", "2020-01-01", NULL },
        { "P05", "DLVC", "天使投资", KJ__PRODUCT_TYPE__PRODUCT_EQUITY, 100,
          2000, 12, 84, "210200", early, 0, 0, 0, "", "2020-01-01", NULL },
        { "P06", "BOC", "过期产品", KJ__PRODUCT_TYPE__PRODUCT_CREDIT, 0, 300, 1,
          12, "PROVINCE", 0, 0, 0, 0, "", "2020-01-01", "2021-12-31" },
        { "P07", "BOC", "未来产品", KJ__PRODUCT_TYPE__PRODUCT_CREDIT, 0, 300, 1,
          12, "PROVINCE", 0, 0, 0, 0, "", "2199-01-01", NULL },
        { "P08", "SYDB", "鞍山保理", KJ__PRODUCT_TYPE__PRODUCT_FACTORING, 10,
          500, 1, 6, "210300", 0, 0, 0,
          BIT (KJ__COLLATERAL__COLLATERAL_RECEIVABLES), "", "2020-01-01",
          NULL },
    };
    for (size_t i = 0; i < sizeof products / sizeof products [0]; i++) {
        int rc = s_add_product (&fx, &products [i], &status);
        if (rc)
            fail_msg ("add %s: %s %s", products [i].id, kj_code_name (rc),
                      status.message);
    }
    //  Refused: an unknown institution, bad ranges, no regions
    s_product_t bad = products [0];
    bad.id = "P99";
    bad.institution = "NOPE";
    assert_int_equal (s_add_product (&fx, &bad, &status), KJ__CODE__NOT_FOUND);
    assert_string_equal (status.field, "product.institution_id");
    bad.institution = "BOC";
    bad.min_wan = 500;
    assert_int_equal (s_add_product (&fx, &bad, &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "product.max_amount_fen");
    bad.min_wan = 0;
    bad.regions = "";
    assert_int_equal (s_add_product (&fx, &bad, &status),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "product.regions");
    bad.regions = "PROVINCE";
    bad.id = "P01";
    assert_int_equal (s_add_product (&fx, &bad, &status),
                      KJ__CODE__ALREADY_EXISTS);

    //  The catalogue: all eight, by id, page by page
    Kj__SearchProductsRequest request = KJ__SEARCH_PRODUCTS_REQUEST__INIT;
    s_assert_ids (&fx, "ListProducts", &request,
                  "P01,P02,P03,P04,P05,P06,P07,P08");
    request.institution_id = "SYDB";
    s_assert_ids (&fx, "ListProducts", &request, "P03,P04,P08");
    request.institution_id = "";
    Kj__ProductType credit [] = { KJ__PRODUCT_TYPE__PRODUCT_CREDIT,
                                  KJ__PRODUCT_TYPE__PRODUCT_EQUITY };
    request.types = credit;
    request.n_types = 2;
    s_assert_ids (&fx, "ListProducts", &request, "P01,P05,P06,P07");
    request.n_types = 0;
    request.name_contains = "贷";
    s_assert_ids (&fx, "ListProducts", &request, "P01,P02,P03,P04");
    request.name_contains = "";

    //  Search with no profile: listed and valid today
    s_assert_ids (&fx, "SearchProducts", &request, "P01,P02,P03,P04,P05,P08");
    request.on_date = "2021-06-01";
    s_assert_ids (&fx, "SearchProducts", &request,
                  "P01,P02,P03,P04,P05,P06,P08");
    request.on_date = "";

    //  A Shenyang enterprise: province-wide, metro, Shenyang ones
    request.region = "210100";
    s_assert_ids (&fx, "SearchProducts", &request, "P01,P02,P03,P04");
    //  With the intercity rule, Anshan's factoring too; never Dalian's
    request.intercity = true;
    s_assert_ids (&fx, "SearchProducts", &request, "P01,P02,P03,P04,P08");
    request.intercity = false;
    //  Shenfu zone: the metro products and those naming SFDZ
    request.region = "SFDZ";
    s_assert_ids (&fx, "SearchProducts", &request, "P01,P02,P04");
    request.region = "210200";
    s_assert_ids (&fx, "SearchProducts", &request, "P01,P05");

    //  Shenyang, growth stage, ¥2m over 12 months
    request.region = "210100";
    request.stage = KJ__STAGE__STAGE_GROWTH;
    request.amount_fen = 200000000;
    request.term_months = 12;
    s_assert_ids (&fx, "SearchProducts", &request, "P01,P02,P04");
    //  Holding nothing, offering nothing: only the unsecured credit loan
    Kj__QualificationSet held = KJ__QUALIFICATION_SET__INIT;
    Kj__CollateralSet offered = KJ__COLLATERAL_SET__INIT;
    request.held = &held;
    request.offered = &offered;
    s_assert_ids (&fx, "SearchProducts", &request, "P01");
    //  HIGH_TECH and IP: the pledge loan comes in
    Kj__QualificationKind kinds [] = {
        KJ__QUALIFICATION_KIND__QUAL_HIGH_TECH,
        KJ__QUALIFICATION_KIND__QUAL_LITTLE_GIANT
    };
    Kj__Collateral pledges [] = { KJ__COLLATERAL__COLLATERAL_IP,
                                  KJ__COLLATERAL__COLLATERAL_GUARANTEE };
    held.kinds = kinds;
    held.n_kinds = 1;
    offered.kinds = pledges;
    offered.n_kinds = 1;
    s_assert_ids (&fx, "SearchProducts", &request, "P01,P02");
    //  A little giant with a guarantor, grade C: below P04's B
    held.n_kinds = 2;
    offered.n_kinds = 2;
    request.grade = "C";
    s_assert_ids (&fx, "SearchProducts", &request, "P01,P02");
    request.grade = "AA";
    s_assert_ids (&fx, "SearchProducts", &request, "P01,P02,P04");
    //  ¥20m is above every ceiling, P04's ¥10m included
    request.amount_fen = 2000000000;
    s_assert_ids (&fx, "SearchProducts", &request, "");
    request.amount_fen = 0;
    request.term_months = 24;
    s_assert_ids (&fx, "SearchProducts", &request, "P04");

    //  Bad search input is named
    request.grade = "BBB";
    Kj__SearchProductsReply *reply = NULL;
    assert_int_equal (rfx_call (&fx, "SearchProducts", &request.base,
                                &kj__search_products_reply__descriptor, &reply,
                                &status, NULL, true),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "grade");
    request.grade = "";
    request.region = "Shenyang";
    assert_int_equal (rfx_call (&fx, "SearchProducts", &request.base,
                                &kj__search_products_reply__descriptor, &reply,
                                &status, NULL, true),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "region");
    rfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  The search from an enterprise's own record: region, stage,
//  qualifications and the first-loan predicate

static void
test_search_for_enterprise (void **state)
{
    rfx_t fx;
    rfx_start (&fx, "registry_match", s_check);
    kj_status_t status;
    assert_int_equal (
        s_add_institution (&fx, "SYDB", "沈阳科技担保",
                           KJ__INSTITUTION_TYPE__INSTITUTION_GUARANTEE,
                           "SHENYANG_METRO", &status, NULL),
        0);
    const s_product_t products [] = {
        { "F1", "SYDB", "首贷", KJ__PRODUCT_TYPE__PRODUCT_FIRST_LOAN, 0, 100, 1,
          12, "SHENYANG_METRO", 0, 0, 0, 0, "", "2020-01-01", NULL },
        { "F2", "SYDB", "高企贷", KJ__PRODUCT_TYPE__PRODUCT_CREDIT, 0, 100, 1,
          12, "SHENYANG_METRO", 0, BIT (KJ__QUALIFICATION_KIND__QUAL_HIGH_TECH),
          0, 0, "", "2020-01-01", NULL },
        { "F3", "SYDB", "孵化贷", KJ__PRODUCT_TYPE__PRODUCT_CREDIT, 0, 100, 1,
          12, "SHENYANG_METRO", BIT (KJ__STAGE__STAGE_INCUBATION), 0, 0, 0, "",
          "2020-01-01", NULL },
    };
    for (size_t i = 0; i < 3; i++)
        assert_int_equal (s_add_product (&fx, &products [i], &status), 0);

    //  An Anshan enterprise founded this year: incubation, no loans
    char code [19], founded [16];
    rfx_code ("210300", 515, code);
    snprintf (founded, sizeof founded, "%d-01-01", rfx_year (&fx));
    Kj__EnterpriseReply *reply = rfx_register (&fx, code, "鞍山孵化企业",
                                               founded);
    assert_int_equal (reply->enterprise->stage->stage,
                      KJ__STAGE__STAGE_INCUBATION);
    assert_true (reply->enterprise->first_loan);
    kj__enterprise_reply__free_unpacked (reply, NULL);
    Kj__SearchProductsRequest request = KJ__SEARCH_PRODUCTS_REQUEST__INIT;
    request.enterprise_code = code;
    s_assert_ids (&fx, "SearchProducts", &request, "F1,F3");

    //  HIGH_TECH and a bank loan on record: no first loan any more
    assert_int_equal (rfx_qualify (&fx, code,
                                   KJ__QUALIFICATION_KIND__QUAL_HIGH_TECH, 0,
                                   "2199-01-01", &status, NULL),
                      0);
    Kj__UpdateEnterpriseRequest update = KJ__UPDATE_ENTERPRISE_REQUEST__INIT;
    Kj__Enterprise e = KJ__ENTERPRISE__INIT;
    Kj__BankLoan loan = KJ__BANK_LOAN__INIT;
    Kj__BankLoan *loans [] = { &loan };
    char *mask [] = { "loans" };
    loan.lender = "中国银行";
    loan.amount_fen = 50000000;
    loan.drawn_on = founded;
    loan.outstanding = true;
    e.code = code;
    e.loans = loans;
    e.n_loans = 1;
    update.enterprise = &e;
    update.update_mask = mask;
    update.n_update_mask = 1;
    assert_int_equal (rfx_call (&fx, "UpdateEnterprise", &update.base,
                                &kj__enterprise_reply__descriptor, &reply,
                                &status, NULL, false),
                      0);
    assert_false (reply->enterprise->first_loan);
    kj__enterprise_reply__free_unpacked (reply, NULL);
    s_assert_ids (&fx, "SearchProducts", &request, "F2,F3");
    //  The request's own fields take precedence over the record
    request.stage = KJ__STAGE__STAGE_GROWTH;
    s_assert_ids (&fx, "SearchProducts", &request, "F2");
    request.enterprise_code = "91210300000000515X";
    Kj__SearchProductsReply *page = NULL;
    assert_int_equal (rfx_call (&fx, "SearchProducts", &request.base,
                                &kj__search_products_reply__descriptor, &page,
                                &status, NULL, true),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "enterprise_code");
    rfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  Withdrawal: a product, then an institution with what it still lists;
//  each announced, nothing changed afterwards

static void
test_withdraw (void **state)
{
    rfx_t fx;
    rfx_start (&fx, "registry_withdraw", s_check);
    kj_status_t status;
    assert_int_equal (s_add_institution (&fx, "BOC", "中国银行",
                                         KJ__INSTITUTION_TYPE__INSTITUTION_BANK,
                                         "PROVINCE", &status, NULL),
                      0);
    s_product_t p = { "W1",
                      "BOC",
                      "信用贷",
                      KJ__PRODUCT_TYPE__PRODUCT_CREDIT,
                      0,
                      300,
                      1,
                      12,
                      "PROVINCE",
                      0,
                      0,
                      0,
                      0,
                      "",
                      "2020-01-01",
                      NULL };
    for (int i = 1; i <= 3; i++) {
        char id [8];
        snprintf (id, sizeof id, "W%d", i);
        p.id = id;
        assert_int_equal (s_add_product (&fx, &p, &status), 0);
    }
    Kj__WithdrawProductRequest wp = KJ__WITHDRAW_PRODUCT_REQUEST__INIT;
    wp.id = "W2";
    Kj__ProductReply *reply = NULL;
    assert_int_equal (rfx_call (&fx, "WithdrawProduct", &wp.base,
                                &kj__product_reply__descriptor, &reply, &status,
                                NULL, false),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "reason");
    wp.reason = "产品到期下架";
    assert_int_equal (rfx_call (&fx, "WithdrawProduct", &wp.base,
                                &kj__product_reply__descriptor, &reply, &status,
                                NULL, false),
                      0);
    assert_int_equal (reply->product->state,
                      KJ__LISTING_STATE__LISTING_WITHDRAWN);
    assert_int_equal (reply->product->version, 2);
    kj__product_reply__free_unpacked (reply, NULL);
    assert_int_equal (rfx_call (&fx, "WithdrawProduct", &wp.base,
                                &kj__product_reply__descriptor, &reply, &status,
                                NULL, false),
                      KJ__CODE__FAILED_PRECONDITION);

    Kj__SearchProductsRequest request = KJ__SEARCH_PRODUCTS_REQUEST__INIT;
    s_assert_ids (&fx, "SearchProducts", &request, "W1,W3");
    s_assert_ids (&fx, "ListProducts", &request, "W1,W3");
    request.include_withdrawn = true;
    s_assert_ids (&fx, "ListProducts", &request, "W1,W2,W3");

    //  The institution goes, and its two listed products with it
    Kj__WithdrawInstitutionRequest wi = KJ__WITHDRAW_INSTITUTION_REQUEST__INIT;
    wi.id = "BOC";
    wi.reason = "退出平台";
    Kj__InstitutionReply *gone = NULL;
    assert_int_equal (rfx_call (&fx, "WithdrawInstitution", &wi.base,
                                &kj__institution_reply__descriptor, &gone,
                                &status, NULL, false),
                      0);
    assert_int_equal (gone->institution->state,
                      KJ__LISTING_STATE__LISTING_WITHDRAWN);
    assert_string_equal (gone->institution->withdraw_reason, "退出平台");
    kj__institution_reply__free_unpacked (gone, NULL);
    request.include_withdrawn = false;
    s_assert_ids (&fx, "ListProducts", &request, "");
    assert_int_equal (rfx_outbox_count (&fx, "registry.institution.withdrawn",
                                        "BOC"),
                      1);
    for (int i = 1; i <= 3; i++) {
        char id [8];
        snprintf (id, sizeof id, "W%d", i);
        assert_int_equal (rfx_outbox_count (&fx, "registry.product.withdrawn",
                                            id),
                          1);
    }
    //  Nothing more for a withdrawn institution
    p.id = "W4";
    assert_int_equal (s_add_product (&fx, &p, &status),
                      KJ__CODE__FAILED_PRECONDITION);
    Kj__UpdateProductRequest up = KJ__UPDATE_PRODUCT_REQUEST__INIT;
    Kj__Product changes = KJ__PRODUCT__INIT;
    char *mask [] = { "name" };
    changes.id = "W1";
    changes.name = "新名字";
    up.product = &changes;
    up.update_mask = mask;
    up.n_update_mask = 1;
    assert_int_equal (rfx_call (&fx, "UpdateProduct", &up.base,
                                &kj__product_reply__descriptor, &reply, &status,
                                NULL, false),
                      KJ__CODE__FAILED_PRECONDITION);
    assert_int_equal (rfx_call (&fx, "WithdrawInstitution", &wi.base,
                                &kj__institution_reply__descriptor, &gone,
                                &status, NULL, false),
                      KJ__CODE__FAILED_PRECONDITION);

    //  Audit: who withdrew what and why
    PGresult *res = kj_db_exec (
        fx.db,
        "SELECT who, reason FROM audit WHERE subject_kind = 'institution' "
        "AND subject = 'BOC' AND action = 'withdraw'",
        0, NULL);
    assert_non_null (res);
    assert_int_equal (PQntuples (res), 1);
    assert_string_equal (PQgetvalue (res, 0, 0), "operator");
    assert_string_equal (PQgetvalue (res, 0, 1), "退出平台");
    PQclear (res);
    rfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  Update of a product: partial, versioned, re-checked as a whole

static void
test_product_update (void **state)
{
    rfx_t fx;
    rfx_start (&fx, "registry_produp", s_check);
    kj_status_t status;
    assert_int_equal (s_add_institution (&fx, "BOC", "中国银行",
                                         KJ__INSTITUTION_TYPE__INSTITUTION_BANK,
                                         "PROVINCE", &status, NULL),
                      0);
    s_product_t p = {
        "",         "BOC", "信用贷", KJ__PRODUCT_TYPE__PRODUCT_CREDIT,
        10,         300,   1,        12,
        "PROVINCE", 0,     0,        0,
        0,          "",    NULL,     NULL
    };
    assert_int_equal (s_add_product (&fx, &p, &status), 0);

    Kj__GetProductRequest get = KJ__GET_PRODUCT_REQUEST__INIT;
    get.id = "P000001";
    Kj__ProductReply *reply = NULL;
    assert_int_equal (rfx_call (&fx, "GetProduct", &get.base,
                                &kj__product_reply__descriptor, &reply, &status,
                                NULL, true),
                      0);
    assert_int_equal (reply->product->n_stages, 4);  //  all, by default
    assert_string_equal (reply->product->institution_name, "中国银行");
    assert_true (strlen (reply->product->valid_from) == 10);
    kj__product_reply__free_unpacked (reply, NULL);

    Kj__UpdateProductRequest up = KJ__UPDATE_PRODUCT_REQUEST__INIT;
    Kj__Product changes = KJ__PRODUCT__INIT;
    changes.id = "P000001";
    changes.min_amount_fen = 500000000;  //  above the max of ¥3m
    char *amount [] = { "amount" };
    up.product = &changes;
    up.update_mask = amount;
    up.n_update_mask = 1;
    changes.max_amount_fen = 0;
    assert_int_equal (rfx_call (&fx, "UpdateProduct", &up.base,
                                &kj__product_reply__descriptor, &reply, &status,
                                NULL, false),
                      KJ__CODE__INVALID_ARGUMENT);
    assert_string_equal (status.field, "product.max_amount_fen");
    changes.max_amount_fen = 800000000;
    char *both [] = { "amount", "rate_bp" };
    changes.rate_bp = 365;
    up.update_mask = both;
    up.n_update_mask = 2;
    up.expected_version = 1;
    assert_int_equal (rfx_call (&fx, "UpdateProduct", &up.base,
                                &kj__product_reply__descriptor, &reply, &status,
                                NULL, false),
                      0);
    assert_int_equal (reply->product->min_amount_fen, 500000000);
    assert_int_equal (reply->product->max_amount_fen, 800000000);
    assert_int_equal (reply->product->rate_bp, 365);
    assert_int_equal (reply->product->max_term_months, 12);  //  untouched
    assert_int_equal (reply->product->version, 2);
    kj__product_reply__free_unpacked (reply, NULL);
    assert_int_equal (rfx_call (&fx, "UpdateProduct", &up.base,
                                &kj__product_reply__descriptor, &reply, &status,
                                NULL, false),
                      KJ__CODE__ABORTED);
    assert_int_equal (rfx_outbox_count (&fx, "registry.product.changed",
                                        "P000001"),
                      1);
    assert_int_equal (rfx_outbox_count (&fx, "registry.product.listed",
                                        "P000001"),
                      1);
    rfx_stop (&fx);
}

//  --------------------------------------------------------------------------
//  SearchProducts from the kept catalogue: random searches over random
//  products, every page, with writes between them (through the registry,
//  by hand SQL, in a transaction rolled back); the registry runs the
//  statement beside each answer (registry/catalogue_check) and fails the
//  call if the two differ. A write that skips the catalogue's version (its
//  trigger disabled) must be caught: the answer came from the copy.

static uint64_t
s_next (uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

//  Products the random searches returned, in all
static size_t s_found;

//  A random search, every page of it (limit 1 to 4); the status code of
//  the first call that fails, else 0.
static int
s_random_search (rfx_t *fx, uint64_t *state, kj_status_t *status)
{
    static const char *regions [] = { "",       "210100", "210200", "210300",
                                      "210400", "211400", "SFDZ" };
    static const char *grades [] = { "", "C", "B", "A", "AA", "AAA" };
    Kj__SearchProductsRequest request = KJ__SEARCH_PRODUCTS_REQUEST__INIT;
    Kj__QualificationSet held = KJ__QUALIFICATION_SET__INIT;
    Kj__CollateralSet offered = KJ__COLLATERAL_SET__INIT;
    int held_kinds [4], offered_kinds [4], types [2];
    uint64_t r = s_next (state);
    request.region = (char *) regions [r % 7];
    request.intercity = (r >> 3) % 2;
    request.stage = (Kj__Stage) ((r >> 4) % 5);
    request.amount_fen = (r >> 7) % 3 ? 0 : (int64_t) ((r >> 9) % 80) * 1000000;
    request.term_months = (r >> 16) % 3 ? 0 : (int32_t) ((r >> 18) % 40);
    request.grade = (char *) grades [(r >> 24) % 6];
    if ((r >> 27) % 2) {
        held.n_kinds = s_enums ((unsigned) (r >> 28) & 0x1e, held_kinds);
        held.kinds = (Kj__QualificationKind *) held_kinds;
        request.held = &held;
    }
    if ((r >> 33) % 2) {
        offered.n_kinds = s_enums ((unsigned) (r >> 34) & 0x1e, offered_kinds);
        offered.kinds = (Kj__Collateral *) offered_kinds;
        request.offered = &offered;
    }
    if ((r >> 40) % 4 == 0) {
        types [0] = KJ__PRODUCT_TYPE__PRODUCT_CREDIT;
        types [1] = KJ__PRODUCT_TYPE__PRODUCT_FIRST_LOAN;
        request.n_types = 1 + (r >> 42) % 2;
        request.types = (Kj__ProductType *) types;
    }
    if ((r >> 44) % 5 == 0)
        request.institution_id = (r >> 46) % 2 ? "I1" : "I2";
    Kj__Page page = KJ__PAGE__INIT;
    page.limit = 1 + (uint32_t) ((r >> 48) % 4);
    request.page = &page;
    char after [48] = "";
    int pages = 0;
    do {
        page.after = after;
        Kj__SearchProductsReply *reply = NULL;
        int rc = rfx_call (fx, "SearchProducts", &request.base,
                           &kj__search_products_reply__descriptor, &reply,
                           status, NULL, true);
        if (rc)
            return rc;
        assert_int_equal (reply->n_reasons, reply->n_products);
        s_found += reply->n_products;
        snprintf (after, sizeof after, "%s", reply->page_info->next);
        kj__search_products_reply__free_unpacked (reply, NULL);
    } while (*after && ++pages < 100);
    return 0;
}

//  Add product n of the random set.
static void
s_random_product (rfx_t *fx, uint64_t *state, int n)
{
    static const char *regions [] = { "PROVINCE", "SHENYANG_METRO",
                                      "210100",   "210200,210300",
                                      "211400",   "SFDZ" };
    static const char *grades [] = { "", "C", "B", "A", "AA", "AAA" };
    char id [16], institution [8], name [32];
    uint64_t r = s_next (state);
    snprintf (id, sizeof id, "R%02d", n);
    snprintf (institution, sizeof institution, "I%d", 1 + (int) (r % 3));
    snprintf (name, sizeof name, "产品 %d", n);
    int64_t min = (int64_t) ((r >> 2) % 20);
    int term = 1 + (int) ((r >> 7) % 12);
    s_product_t p = { id,
                      institution,
                      name,
                      (r >> 11) % 3 ? KJ__PRODUCT_TYPE__PRODUCT_CREDIT
                                    : KJ__PRODUCT_TYPE__PRODUCT_FIRST_LOAN,
                      min,
                      min + 1 + (int64_t) ((r >> 13) % 60),
                      term,
                      term + (int) ((r >> 19) % 30),
                      regions [(r >> 24) % 6],
                      (unsigned) (r >> 27) & 0x1e,
                      (r >> 31) % 3 ? 0 : BIT (1 + (r >> 33) % 3),
                      (r >> 35) % 3 ? 0 : (unsigned) (r >> 37) & 0x1e,
                      (r >> 41) % 2 ? 0 : BIT (1 + (r >> 42) % 3),
                      grades [(r >> 44) % 6],
                      (r >> 47) % 5 ? "2020-01-01" : "2099-01-01",
                      (r >> 47) % 5 && (r >> 50) % 5 == 0 ? "2021-01-01"
                                                          : NULL };
    kj_status_t status;
    if (s_add_product (fx, &p, &status))
        fail_msg ("AddProduct %s: %s", id, status.message);
}

static void
test_search_catalogue (void **state)
{
    rfx_t fx;
    rfx_start (&fx, "registry_catalogue", s_check);
    kj_status_t status;
    for (int i = 1; i <= 3; i++) {
        char id [8], name [32];
        snprintf (id, sizeof id, "I%d", i);
        snprintf (name, sizeof name, "机构 %d", i);
        assert_int_equal (
            s_add_institution (&fx, id, name,
                               KJ__INSTITUTION_TYPE__INSTITUTION_BANK,
                               "PROVINCE", &status, NULL),
            0);
    }
    uint64_t seed = 88172645463325252ULL;
    for (int n = 1; n <= 30; n++)
        s_random_product (&fx, &seed, n);
    for (int round = 0; round < 6; round++) {
        for (int i = 0; i < 40; i++)
            if (s_random_search (&fx, &seed, &status))
                fail_msg ("round %d search %d: %s", round, i, status.message);
        //  A write of each kind between the rounds
        if (round == 0)
            s_random_product (&fx, &seed, 31);
        else if (round == 1) {
            Kj__WithdrawProductRequest w = KJ__WITHDRAW_PRODUCT_REQUEST__INIT;
            w.id = "R03";
            w.reason = "下架";
            Kj__ProductReply *withdrawn = NULL;
            assert_int_equal (rfx_call (&fx, "WithdrawProduct", &w.base,
                                        &kj__product_reply__descriptor,
                                        &withdrawn, &status, NULL, false),
                              0);
            kj__product_reply__free_unpacked (withdrawn, NULL);
        }
        else if (round == 2)
            assert_int_equal (kj_db_run (fx.db,
                                         "UPDATE product SET max_amount_fen = "
                                         "max_amount_fen + 5000000, stages = "
                                         "'{growth}' WHERE id < 'R10'",
                                         0, NULL),
                              9);
        else if (round == 3)
            assert_int_equal (
                kj_db_run (fx.db,
                           "UPDATE institution SET status = 'withdrawn' "
                           "WHERE id = 'I2'",
                           0, NULL),
                1);
        else if (round == 4) {
            //  Rolled back: the version stays, and so do the rows
            assert_int_equal (kj_db_begin (fx.db), 0);
            assert_true (kj_db_run (fx.db,
                                    "UPDATE product SET regions = "
                                    "'{210100}'",
                                    0, NULL)
                         > 0);
            kj_db_rollback (fx.db);
        }
    }
    assert_true (s_found > 200);
    //  A write the version does not see: the copy answers, and the check
    //  catches it
    assert_int_equal (kj_db_run (fx.db,
                                 "ALTER TABLE product DISABLE TRIGGER "
                                 "product_catalogue",
                                 0, NULL),
                      0);
    assert_true (
        kj_db_run (fx.db, "UPDATE product SET status = 'withdrawn'", 0, NULL)
        > 0);
    Kj__SearchProductsRequest request = KJ__SEARCH_PRODUCTS_REQUEST__INIT;
    Kj__SearchProductsReply *reply = NULL;
    assert_int_equal (rfx_call (&fx, "SearchProducts", &request.base,
                                &kj__search_products_reply__descriptor, &reply,
                                &status, NULL, true),
                      KJ__CODE__INTERNAL);
    rfx_stop (&fx);
}

int
main (void)
{
    kj_log_init ("test_registry_market", getenv ("KEJIN_LOG_LEVEL"));
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_institutions),
        cmocka_unit_test (test_products_search),
        cmocka_unit_test (test_search_for_enterprise),
        cmocka_unit_test (test_withdraw),
        cmocka_unit_test (test_product_update),
        cmocka_unit_test (test_search_catalogue),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
