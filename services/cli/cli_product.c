/*  =========================================================================
    cli_product - `kejin product`: the financial product supermarket
    (金融产品超市): list products, and search those an enterprise may take
    =========================================================================
*/

#include "cli_reg.h"

//  The add options (%s) come from the product's table (cli_attrs_usage)
#define S_USAGE                                                                \
    N_ ("Usage: kejin product VERB [ARGS] [--json]\n\n"                        \
        "  add%s\n"                                                            \
        "        list a product; stages default to all four, valid-from "      \
        "to today\n"                                                           \
        "  show ID [--history]\n"                                              \
        "  list [--institution ID] [--type TYPE]... [--name TEXT] [--all]\n"   \
        "       [--limit N] [--after CURSOR]\n"                                \
        "        the catalogue; --all: withdrawn ones too\n"                   \
        "  search [--enterprise CODE] [--region R] [--intercity] "             \
        "[--stage S]\n"                                                        \
        "       [--amount YUAN] [--term MONTHS] [--held K1,K2|none]\n"         \
        "       [--collateral C1,C2|none] [--grade G] [--on DATE]\n"           \
        "       [--type TYPE]... [--institution ID] [--name TEXT] "            \
        "[--limit N]\n"                                                        \
        "       [--after CURSOR]\n"                                            \
        "        products listed and valid that an enterprise may take:\n"     \
        "        --enterprise takes its region, stage, qualifications and\n"   \
        "        loan record from the registry; the other options add to "     \
        "or\n"                                                                 \
        "        replace them\n"                                               \
        "  update ID [the add options] [--version N]\n"                        \
        "  withdraw ID --reason TEXT\n"                                        \
        "  import ..., export ...       bulk CSV\n\n"                          \
        "Types: credit, ip_pledge, guaranteed, first_loan, renewal,\n"         \
        "invest_loan_linkage, leasing, factoring, tech_insurance, bond, "      \
        "equity.\n"                                                            \
        "Collateral: ip, receivables, guarantee, real_estate. Stages: "        \
        "incubation,\n"                                                        \
        "startup, growth, mature. Grades: AAA, AA, A, B, C. Regions: city "    \
        "codes,\n"                                                             \
        "SFDZ, SHENYANG_METRO, PROVINCE. Amounts in yuan (300万), rate "      \
        "in\n"                                                                 \
        "percent.\n")

//  The usage, its add options from the table, in the CLI's language.
static const char *
s_usage (void)
{
    static char text [3000];
    char options [800];
    snprintf (text, sizeof text, _ (S_USAGE),
              cli_attrs_usage (registry_product_table, REGISTRY_PRODUCT_ATTRS,
                               "--institution ID", "[--id ID]", options,
                               sizeof options));
    return text;
}

static void
s_print (const Kj__Product *p)
{
    char when [32];
    printf ("%s  %s\n", p->id, p->name);
    printf (_ ("  institution %s %s (%s)\n"), p->institution_id,
            p->institution_name,
            cli_enum_label (&kj__institution_type__descriptor, "INSTITUTION_",
                            p->institution_type));
    //  Its own fields after the name, through its table
    cli_attrs_show (registry_product_table, 1, REGISTRY_PRODUCT_ATTRS,
                    &p->base);
    printf (_ ("  state       %s%s%s\n"),
            cli_enum_label (&kj__listing_state__descriptor, "LISTING_",
                            p->state),
            *p->withdraw_reason ? ": " : "", p->withdraw_reason);
    printf (_ ("  version     %" PRIu64 ", updated %s\n"), p->version,
            cli_time (p->updated_at_us, when, sizeof when));
}

//  A product reply as JSON or for people, under the line `what` (N_ ()
//  text) when given.
static int
s_show_product (cli_t *cli, const ProtobufCMessage *message, const char *what)
{
    const Kj__ProductReply *reply = (const Kj__ProductReply *) message;
    if (cli->json)
        cli_print_json (&reply->product->base);
    else {
        if (what)
            printf ("%s\n\n", _ (what));
        s_print (reply->product);
    }
    return CLI_OK;
}

//  A range given as two options: on add the lower end defaults to 0, on
//  update both are given together; 0 or -1 (said)
static int
s_range (cli_args_t *args, const char *lo, const char *hi, bool adding,
         const char *complaint)
{
    bool low = cli_args_get (args, lo) != NULL;
    bool high = cli_args_get (args, hi) != NULL;
    if ((low || high) && ((!low && !adding) || !high)) {
        fprintf (stderr, "%s", _ (complaint));
        return -1;
    }
    return 0;
}

//  The product fields given, into p and mask, through the product's table;
//  what they allocate in owned.
static int
s_fields (cli_args_t *args, Kj__Product *p, cli_mask_t *mask,
          cli_attrs_owned_t *owned, bool adding)
{
    if (cli_attrs_read (args, registry_product_table, REGISTRY_PRODUCT_ATTRS,
                        &p->base, mask, owned))
        return -1;
    if (s_range (args, "min-amount", "max-amount", adding,
                 N_ ("kejin: give --min-amount and --max-amount together\n"))
        || s_range (args, "min-term", "max-term", adding,
                    N_ ("kejin: give --min-term and --max-term together\n")))
        return -1;
    return 0;
}

//  The options of add and update, in buf.
static const char *
s_spec (char *buf, size_t size)
{
    return cli_attrs_spec (registry_product_table, REGISTRY_PRODUCT_ATTRS,
                           "id= institution=", "version=", buf, size);
}

static int
s_add (cli_t *cli, int argc, char **argv)
{
    char spec [512];
    cli_args_t *args = cli_args_verb (
        argc, argv, s_spec (spec, sizeof spec), s_usage (), 0,
        "institution name type max-amount max-term regions",
        "product add needs --institution, --name, --type, --max-amount, "
        "--max-term and --regions, e.g.\n  kejin product add --institution "
        "I000001 --name 科技信用贷 --type credit --min-amount 0 --max-amount "
        "300万 --min-term 1 --max-term 12 --regions PROVINCE");
    if (!args)
        return CLI_USAGE;
    int rc = CLI_USAGE;
    Kj__Product p = KJ__PRODUCT__INIT;
    cli_mask_t mask = { .count = 0 };
    cli_attrs_owned_t owned;
    //  Ranges default their lower end to 0
    if (s_fields (args, &p, &mask, &owned, true) == 0) {
        p.id = cli_args_text (args, "id");
        p.institution_id = (char *) cli_args_get (args, "institution");
        Kj__AddProductRequest request = KJ__ADD_PRODUCT_REQUEST__INIT;
        request.product = &p;
        rc = cli_call_show (cli, "registry", "AddProduct", &request.base,
                            &kj__product_reply__descriptor, false,
                            s_show_product, N_ ("Listed:"));
    }
    cli_attrs_free (&owned);
    cli_args_destroy (&args);
    return rc;
}

//  show ID [--history]
static int
s_shown (cli_t *cli, cli_args_t *args, const ProtobufCMessage *reply)
{
    s_show_product (cli, reply, NULL);
    return cli_args_flag (args, "history")
             ? cli_reg_history (cli, "product",
                                ((const Kj__ProductReply *) reply)->product->id,
                                false)
             : CLI_OK;
}

static const cli_call_verb_t s_show = {
    .spec = "history!",
    .positional = 1,
    .complaint = N_ ("product show takes one id"),
    .service = "registry",
    .method = "GetProduct",
    .request_type = &kj__get_product_request__descriptor,
    .reply_type = &kj__product_reply__descriptor,
    .read_only = true,
    .show = s_shown,
};

//  A page of products as a table, or JSON.
static void
s_print_page (cli_t *cli, Kj__SearchProductsReply *reply, const char *empty)
{
    if (cli->json) {
        cli_print_json (&reply->base);
        return;
    }
    //  A search says why each product matched
    bool why = reply->n_reasons == reply->n_products && reply->n_reasons;
    cli_table_t *table = cli_table_new (N_ ("ID"), N_ ("NAME"), N_ ("TYPE"),
                                        N_ ("INSTITUTION"), N_ ("AMOUNT"),
                                        N_ ("TERM"), N_ ("RATE"), N_ ("STATE"),
                                        why ? N_ ("WHY") : NULL, NULL);
    for (size_t i = 0; i < reply->n_products; i++) {
        const Kj__Product *p = reply->products [i];
        char a [64], b [64], amount [140], term [32], rate [32];
        snprintf (amount, sizeof amount, "%s-%s",
                  cli_yuan (p->min_amount_fen, a, 64),
                  cli_yuan (p->max_amount_fen, b, 64));
        snprintf (term, sizeof term, "%d-%dm", p->min_term_months,
                  p->max_term_months);
        cli_table_row (table, p->id, p->name,
                       cli_enum_label (&kj__product_type__descriptor,
                                       "PRODUCT_", p->type),
                       p->institution_name, amount, term,
                       p->rate_bp ? cli_percent (p->rate_bp, rate, sizeof rate)
                                  : "-",
                       cli_enum_label (&kj__listing_state__descriptor,
                                       "LISTING_", p->state),
                       why ? reply->reasons [i] : NULL);
    }
    cli_page_print (&table, reply->n_products, empty, reply->page_info);
}

//  Options both list and search take.
static int
s_catalogue (cli_args_t *args, Kj__SearchProductsRequest *request,
             Kj__Page *page, int *types)
{
    if (cli_args_enums (args, "type", &kj__product_type__descriptor, "PRODUCT_",
                        types, 32, &request->n_types))
        return -1;
    request->types = (Kj__ProductType *) types;
    if (cli_page_options (args, page))
        return -1;
    request->page = page;
    request->institution_id = cli_args_text (args, "institution");
    request->name_contains = cli_args_text (args, "name");
    return 0;
}

static int
s_list (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args =
        cli_args_verb (argc, argv,
                       "institution= type= name= all! limit= after=",
                       s_usage (), 0, NULL, "product list takes options only");
    if (!args)
        return CLI_USAGE;
    int rc = CLI_USAGE;
    Kj__SearchProductsRequest request = KJ__SEARCH_PRODUCTS_REQUEST__INIT;
    Kj__Page page = KJ__PAGE__INIT;
    int types [32];
    if (s_catalogue (args, &request, &page, types) == 0) {
        request.include_withdrawn = cli_args_flag (args, "all");
        Kj__SearchProductsReply *reply = NULL;
        rc = cli_call (cli, "registry", "ListProducts", &request.base,
                       &kj__search_products_reply__descriptor,
                       (ProtobufCMessage **) &reply, true);
        if (rc == CLI_OK) {
            s_print_page (cli, reply, N_ ("no product matches"));
            kj__search_products_reply__free_unpacked (reply, NULL);
        }
    }
    cli_args_destroy (&args);
    return rc;
}

static int
s_search (cli_t *cli, int argc, char **argv)
{
    cli_args_t *args = cli_args_verb (
        argc, argv,
        "enterprise= region= intercity! stage= amount= term= held= "
        "collateral= grade= on= type= institution= name= limit= after=",
        s_usage (), 0, NULL,
        "product search takes options only, e.g.\n"
        "  kejin product search --enterprise 91210100MA0QEK7B6N --amount "
        "200万 --term 12");
    if (!args)
        return CLI_USAGE;
    int rc = CLI_USAGE;
    Kj__SearchProductsRequest request = KJ__SEARCH_PRODUCTS_REQUEST__INIT;
    Kj__Page page = KJ__PAGE__INIT;
    Kj__QualificationSet held = KJ__QUALIFICATION_SET__INIT;
    Kj__CollateralSet offered = KJ__COLLATERAL_SET__INIT;
    int types [32], *held_values = NULL, *offered_values = NULL;
    const char *value;
    bool ok = cli_args_needs (args, "intercity", "region enterprise",
                              N_ ("it widens the region searched"))
               == 0
           && s_catalogue (args, &request, &page, types) == 0;
    if (ok && (value = cli_args_get (args, "stage"))) {
        int stage;
        ok = cli_parse_enum ("--stage", value, &kj__stage__descriptor, "STAGE_",
                             false, &stage)
          == 0;
        request.stage = (Kj__Stage) stage;
    }
    if (ok && (value = cli_args_get (args, "amount")))
        ok = cli_parse_yuan ("--amount", value, &request.amount_fen) == 0;
    if (ok && (value = cli_args_get (args, "term"))) {
        int64_t term;
        ok = cli_parse_int ("--term", value, 1, 600, &term) == 0;
        request.term_months = (int32_t) term;
    }
    if (ok && (value = cli_args_get (args, "held"))) {
        ok = cli_parse_enums ("--held", value,
                              &kj__qualification_kind__descriptor, "QUAL_",
                              &held_values, &held.n_kinds)
          == 0;
        held.kinds = (Kj__QualificationKind *) held_values;
        request.held = &held;
    }
    if (ok && (value = cli_args_get (args, "collateral"))) {
        ok = cli_parse_enums ("--collateral", value,
                              &kj__collateral__descriptor, "COLLATERAL_",
                              &offered_values, &offered.n_kinds)
          == 0;
        offered.kinds = (Kj__Collateral *) offered_values;
        request.offered = &offered;
    }
    if (ok) {
        request.enterprise_code = cli_args_text (args, "enterprise");
        request.region = cli_args_text (args, "region");
        request.intercity = cli_args_flag (args, "intercity");
        request.grade = cli_args_text (args, "grade");
        request.on_date = cli_args_text (args, "on");
        Kj__SearchProductsReply *reply = NULL;
        rc = cli_call (cli, "registry", "SearchProducts", &request.base,
                       &kj__search_products_reply__descriptor,
                       (ProtobufCMessage **) &reply, true);
        if (rc == CLI_OK) {
            s_print_page (cli, reply,
                          N_ ("no product fits: widen the search "
                              "(amount, term, --intercity) or check the "
                              "enterprise's stage and qualifications"));
            kj__search_products_reply__free_unpacked (reply, NULL);
        }
    }
    free (held_values);
    free (offered_values);
    cli_args_destroy (&args);
    return rc;
}

static int
s_update (cli_t *cli, int argc, char **argv)
{
    char spec [512];
    cli_args_t *args =
        cli_args_verb (argc, argv, s_spec (spec, sizeof spec), s_usage (), 1,
                       NULL,
                       "product update takes one id and the fields to change");
    if (!args)
        return CLI_USAGE;
    int rc = CLI_USAGE;
    Kj__Product p = KJ__PRODUCT__INIT;
    cli_mask_t mask = { .count = 0 };
    cli_attrs_owned_t owned;
    memset (&owned, 0, sizeof owned);
    int64_t version;
    if (cli_args_get (args, "institution") || cli_args_get (args, "id"))
        fprintf (stderr, _ ("kejin: a product's id and institution do not "
                            "change; withdraw it and list a new one\n"));
    else if (s_fields (args, &p, &mask, &owned, false) == 0
             && cli_args_version (args, &version) == 0) {
        if (mask.count == 0)
            fprintf (stderr, _ ("kejin: nothing to change: give at least one "
                                "field\n"));
        else {
            p.id = (char *) cli_args_positional (args, 0);
            Kj__UpdateProductRequest request = KJ__UPDATE_PRODUCT_REQUEST__INIT;
            request.product = &p;
            request.update_mask = (char **) mask.names;
            request.n_update_mask = mask.count;
            request.expected_version = (uint64_t) version;
            rc = cli_call_show (cli, "registry", "UpdateProduct", &request.base,
                                &kj__product_reply__descriptor, false,
                                s_show_product, N_ ("Updated:"));
        }
    }
    cli_attrs_free (&owned);
    cli_args_destroy (&args);
    return rc;
}

//  withdraw ID --reason TEXT
static int
s_withdrawn (cli_t *cli, cli_args_t *args, const ProtobufCMessage *reply)
{
    return s_show_product (cli, reply, N_ ("Withdrawn:"));
}

static const cli_call_verb_t s_withdraw = {
    .spec = "reason=",
    .positional = 1,
    .required = "reason",
    .complaint = N_ ("product withdraw takes one id and --reason TEXT"),
    .service = "registry",
    .method = "WithdrawProduct",
    .request_type = &kj__withdraw_product_request__descriptor,
    .reply_type = &kj__product_reply__descriptor,
    .show = s_withdrawn,
};

int
cli_product (cli_t *cli, int argc, char **argv)
{
    static const cli_verb_t verbs [] = { { "add", s_add },
                                         { "show", NULL, &s_show },
                                         { "list", s_list },
                                         { "search", s_search },
                                         { "update", s_update },
                                         { "withdraw", NULL, &s_withdraw },
                                         { NULL } };
    return cli_reg_run (cli, argc, argv, "product", s_usage (), verbs);
}
