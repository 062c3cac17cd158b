/*  =========================================================================
    cli_ipo_demo - `kejin ipo demo`: a demo reserve pool in kejin-ipo made
    from the registry's enterprises, what `make up` loads so that a new
    user sees a provincial funnel (cli_ipo_pipeline.c hands the verb here)
    =========================================================================
*/

#include "cli.h"
#include "cli_reg.h"
#include "cli_ipo.h"
#include "ipo.pb-c.h"
#include "registry_bulk.pb-c.h"
#include <time.h>

//  --------------------------------------------------------------------------
//  kejin ipo demo: a reserve pool made from the registry's enterprises in
//  their maturity stage, so that a new user has a provincial funnel, firms
//  at every level of the pool, three firms reformed for STAR with three
//  years of figures (to fit, and to move on), and this year's budget

//  Firms of the demo pool: three per city, from the registry's mature
//  enterprises, in code order
#define S_DEMO_FIRMS 36

typedef struct {
    char code [65], name [201], city [33];
} s_demo_firm_t;

typedef struct {
    int columns [3];  //  code, name, region
    bool have_header;
    s_demo_firm_t firms [S_DEMO_FIRMS];
    size_t count;
    zhashx_t *per_city;  //  city -> firms taken
} s_demo_t;

static int
s_demo_row (uint32_t row, const char *const *fields, size_t count, void *arg)
{
    (void) row;
    s_demo_t *self = (s_demo_t *) arg;
    static const char *names [] = { "code", "name", "region" };
    if (!self->have_header) {
        for (int c = 0; c < 3; c++) {
            self->columns [c] = -1;
            for (size_t f = 0; f < count; f++)
                if (streq (fields [f], names [c]))
                    self->columns [c] = (int) f;
            if (self->columns [c] < 0)
                return -1;
        }
        self->have_header = true;
        return 0;
    }
    const char *city = fields [self->columns [2]];
    size_t taken = (size_t) zhashx_lookup (self->per_city, city);
    if (self->count == S_DEMO_FIRMS || taken == 3 || !*city)
        return 0;
    zhashx_update (self->per_city, city, (void *) (taken + 1));
    s_demo_firm_t *firm = &self->firms [self->count++];
    snprintf (firm->code, sizeof firm->code, "%s", fields [self->columns [0]]);
    snprintf (firm->name, sizeof firm->name, "%s", fields [self->columns [1]]);
    snprintf (firm->city, sizeof firm->city, "%s", city);
    return 0;
}

//  The date `days` ago in China Standard Time, as YYYY-MM-DD
static const char *
s_days_ago (int days, char *buf, size_t size)
{
    time_t when = time (NULL) + 8 * 3600 - (time_t) days * 86400;
    struct tm tm;
    gmtime_r (&when, &tm);
    strftime (buf, size, "%Y-%m-%d", &tm);
    return buf;
}

//  One call of the demo, quiet on success; 0 or the exit code
static int
s_demo_call (cli_t *cli, const char *method, const ProtobufCMessage *request,
             const ProtobufCMessageDescriptor *type)
{
    ProtobufCMessage *reply = NULL;
    int rc = cli_call (cli, "ipo", method, request, type, &reply, false);
    if (reply)
        protobuf_c_message_free_unpacked (reply, NULL);
    return rc;
}

//  Whether a firm has three years of figures running in the registry
static bool
s_demo_figures (cli_t *cli, const char *code)
{
    Kj__IpoFigures figures = KJ__IPO_FIGURES__INIT;
    Kj__IpoFitRequest fit = KJ__IPO_FIT_REQUEST__INIT;
    fit.firm = (char *) code;
    fit.figures = &figures;
    fit.from_registry = true;
    ProtobufCMessage *reply = NULL;
    kj_status_t status;
    kj_call_opts_t opts = { .read_only = true };
    int rc = kj_client_call (cli_client (cli), "ipo", "Fit", &fit.base,
                             &kj__ipo_fit_reply__descriptor, &reply, &status,
                             &opts);
    if (reply)
        protobuf_c_message_free_unpacked (reply, NULL);
    return rc == KJ__CODE__OK;
}

//  kejin ipo demo [--if-empty]; see the header
int
cli_ipo_demo (cli_t *cli, int argc, char **argv, const char *usage)
{
    cli_args_t *args = cli_args_verb (argc, argv, "if-empty!", usage, 0, NULL,
                                      N_ ("demo takes options only"));
    if (!args)
        return CLI_USAGE;
    bool if_empty = cli_args_flag (args, "if-empty");
    cli_args_destroy (&args);
    Kj__IpoListRequest list = KJ__IPO_LIST_REQUEST__INIT;
    list.limit = 1;
    Kj__IpoListReply *held = NULL;
    int rc = cli_call (cli, "ipo", "List", &list.base,
                       &kj__ipo_list_reply__descriptor,
                       (ProtobufCMessage **) &held, true);
    if (rc != CLI_OK)
        return rc;
    size_t firms = held->n_firms;
    kj__ipo_list_reply__free_unpacked (held, NULL);
    if (firms && if_empty) {
        printf (_ ("kejin ipo demo: the reserve pool holds firms already; "
                   "nothing loaded\n"));
        return CLI_OK;
    }
    //  The registry's mature enterprises, three per city
    Kj__BulkExportRequest export = KJ__BULK_EXPORT_REQUEST__INIT;
    export.kind = KJ__BULK_KIND__BULK_ENTERPRISES;
    export.stage = "mature";
    export.limit = 2000;
    Kj__BulkExportReply *page = NULL;
    rc = cli_call (cli, "registry.bulk", "Export", &export.base,
                   &kj__bulk_export_reply__descriptor,
                   (ProtobufCMessage **) &page, true);
    if (rc != CLI_OK)
        return rc;
    s_demo_t *demo = (s_demo_t *) calloc (1, sizeof (s_demo_t));
    assert (demo);
    demo->per_city = zhashx_new ();
    FILE *file = page->data.len
                   ? fmemopen (page->data.data, page->data.len, "r")
                   : NULL;
    char error [256];
    if (file) {
        kj_csv_read (file, s_demo_row, demo, error, sizeof error);
        fclose (file);
    }
    kj__bulk_export_reply__free_unpacked (page, NULL);
    char date [5][16];
    s_days_ago (400, date [0], sizeof date [0]);
    s_days_ago (380, date [1], sizeof date [1]);
    s_days_ago (300, date [2], sizeof date [2]);
    s_days_ago (200, date [3], sizeof date [3]);
    s_days_ago (0, date [4], sizeof date [4]);
    size_t pool = 0, province = 0, reformed = 0;
    for (size_t i = 0; i < demo->count && rc == CLI_OK; i++) {
        s_demo_firm_t *f = &demo->firms [i];
        Kj__IpoAdmitRequest admit = KJ__IPO_ADMIT_REQUEST__INIT;
        Kj__IpoAdvisers advisers = KJ__IPO_ADVISERS__INIT;
        admit.firm = f->code;
        admit.name = f->name;
        admit.city = f->city;
        admit.date = date [0];
        admit.advisers = &advisers;
        if (i % 3 == 0) {
            advisers.sponsor = "中信证券";
            advisers.auditor = "容诚会计师事务所";
            advisers.law_firm = "北京德恒律师事务所";
        }
        rc = s_demo_call (cli, "Admit", &admit.base,
                          &kj__ipo_firm_reply__descriptor);
        if (rc != CLI_OK || i % 3 == 2)
            continue;  //  every third stays a candidate
        Kj__IpoReviewRequest review = KJ__IPO_REVIEW_REQUEST__INIT;
        review.firm = f->code;
        review.approve = true;
        review.level = KJ__IPO_LEVEL__IPO_CITY;
        review.date = date [1];
        rc = s_demo_call (cli, "Review", &review.base,
                          &kj__ipo_move_reply__descriptor);
        pool++;
        if (rc != CLI_OK || i % 3 == 1)
            continue;
        review.level = KJ__IPO_LEVEL__IPO_PROVINCE;
        review.date = date [2];
        rc = s_demo_call (cli, "Review", &review.base,
                          &kj__ipo_move_reply__descriptor);
        province++;
        if (rc != CLI_OK || reformed == 3 || !s_demo_figures (cli, f->code))
            continue;
        Kj__IpoMoveRequest move = KJ__IPO_MOVE_REQUEST__INIT;
        move.firm = f->code;
        move.to = KJ__IPO_STATE__IPO_SHAREHOLDING_REFORMED;
        move.board = "STAR";
        move.date = date [3];
        move.note = "demo";
        rc = s_demo_call (cli, "Move", &move.base,
                          &kj__ipo_move_reply__descriptor);
        reformed++;
    }
    //  This year's budget (¥100m), unless one is set
    Kj__IpoBudgetRequest budget = KJ__IPO_BUDGET_REQUEST__INIT;
    budget.year = atoi (date [4]);
    Kj__IpoBudgetReply *set = NULL;
    if (rc == CLI_OK)
        rc = cli_call (cli, "ipo", "Budget", &budget.base,
                       &kj__ipo_budget_reply__descriptor,
                       (ProtobufCMessage **) &set, true);
    if (rc == CLI_OK && set->budget->budget_fen == 0) {
        budget.budget_fen = INT64_C (10000000000);
        rc = s_demo_call (cli, "SetBudget", &budget.base,
                          &kj__ipo_budget_reply__descriptor);
    }
    if (set)
        kj__ipo_budget_reply__free_unpacked (set, NULL);
    if (rc == CLI_OK)
        printf (_ ("kejin ipo demo: %zu firms in the reserve pool of %zu "
                   "cities, %zu in city pools, %zu in the provincial pool, "
                   "%zu reformed for STAR; a budget for %d. Try: kejin ipo "
                   "report\n"),
                demo->count, zhashx_size (demo->per_city), pool, province,
                reformed, budget.year);
    zhashx_destroy (&demo->per_city);
    free (demo);
    return rc;
}
