/*  =========================================================================
    registry_supermarket_search - the product supermarket's catalogue
    (ListProducts) and its search for an enterprise (SearchProducts), with
    the reason each product matched

    Part of the supermarket handlers (registry_supermarket.c has the
    institutions and the product writes). A search is answered from the
    catalogue each worker thread keeps (registry_supermarket_catalogue.c)
    when it is at the database's version, else by one SQL statement
    (registry_store) fed by the sets registry_product computes; every row
    either returns is checked again with registry_product_eligible, the
    same rule in C.
    =========================================================================
*/

#include <stdarg.h>

#include "registry_server.h"
#include "registry_check.h"
#include "registry_product.h"
#include "registry_store.h"
#include "registry_supermarket.h"
#include "registry_uscc.h"
#include "kj_money.h"

//  --------------------------------------------------------------------------
//  ListProducts and SearchProducts

//  The catalogue filters both methods share.
static int
s_catalogue_filter (kj_call_t *call, const Kj__SearchProductsRequest *request,
                    registry_store_product_filter_t *filter)
{
    memset (filter, 0, sizeof *filter);
    if (registry_server_page (call, request->page, &filter->after,
                              &filter->limit)
        || registry_server_enum_names (call, &kj__product_type__descriptor,
                                       "PRODUCT_", (const int *) request->types,
                                       request->n_types, "types", false,
                                       &filter->types))
        return -1;
    filter->n_types = request->n_types;
    kj_status_t status;
    if (request->institution_id && *request->institution_id
        && kj_check_id (request->institution_id, "institution_id", &status))
        return kj_call_fail_status (call, &status);
    if (kj_check_text (request->name_contains, "name_contains", 200, false,
                       &status))
        return kj_call_fail_status (call, &status);
    filter->institution_id = request->institution_id;
    filter->name_contains = request->name_contains;
    return 0;
}

static int
s_list_products (kj_call_t *call, registry_store_product_filter_t *filter,
                 Kj__SearchProductsReply *reply)
{
    ProtobufCAllocator mem;
    kj_call_allocator (call, &mem);
    uint64_t total;
    bool more;
    if (registry_store_product_list (kj_call_db (call), filter, &mem,
                                     &reply->products, &reply->n_products,
                                     &total, &more)
        < 0)
        return registry_server_db_failed (call);
    reply->page_info = registry_server_page_info (
        call, total, more,
        reply->n_products ? reply->products [reply->n_products - 1]->id : NULL);
    return 0;
}

int
registry_supermarket_list_products (kj_call_t *call,
                                    const ProtobufCMessage *input,
                                    ProtobufCMessage *output)
{
    const Kj__SearchProductsRequest
        *request = (const Kj__SearchProductsRequest *) input;
    registry_store_product_filter_t filter;
    if (s_catalogue_filter (call, request, &filter))
        return -1;
    filter.include_withdrawn = request->include_withdrawn;
    return s_list_products (call, &filter, (Kj__SearchProductsReply *) output);
}

//  --------------------------------------------------------------------------
//  One clause more of a reason: "; " and the formatted text, cut at size.

static void
s_clause (char *buf, size_t size, size_t *at, const char *format, ...)
{
    if (*at >= size)
        return;
    if (*at)
        *at += (size_t) snprintf (buf + *at, size - *at, "; ");
    if (*at >= size)
        return;
    va_list args;
    va_start (args, format);
    *at += (size_t) vsnprintf (buf + *at, size - *at, format, args);
    va_end (args);
}

//  --------------------------------------------------------------------------
//  The names of the set bits of a mask, comma-separated, into buf.

static const char *
s_bit_names (const ProtobufCEnumDescriptor *descriptor, const char *prefix,
             unsigned bits, char *buf, size_t size)
{
    size_t at = 0;
    buf [0] = 0;
    for (int value = 1; value < 32 && at < size; value++) {
        char name [48];
        if ((bits & (1u << value))
            && kj_check_enum_label (descriptor, prefix, value, name,
                                    sizeof name))
            at += (size_t) snprintf (buf + at, size - at, "%s%s",
                                     at ? ", " : "", name);
    }
    return buf;
}

//  --------------------------------------------------------------------------
//  Why a product that passed every rule matched the profile, for people:
//  one clause for each thing the search asked about or the product asks
//  for ("serves 210100; takes stage growth; amount ..."), in the caller's
//  language.

static void
s_match_reason (const registry_product_terms_t *terms,
                const registry_product_profile_t *profile, char *buf,
                size_t size)
{
    size_t at = 0;
    char a [48], b [48], c [48], names [200];
    buf [0] = 0;
    if (profile->region)
        s_clause (buf, size, &at, _ ("serves %s"), profile->region);
    if (profile->stage)
        s_clause (buf, size, &at, _ ("takes stage %s"),
                  kj_check_enum_label (&kj__stage__descriptor, "STAGE_",
                                       profile->stage, a, sizeof a));
    if (profile->amount_fen)
        s_clause (buf, size, &at, _ ("amount %s within %s to %s"),
                  kj_money_yuan (profile->amount_fen, false, a, sizeof a),
                  kj_money_yuan (terms->min_amount_fen, false, b, sizeof b),
                  kj_money_yuan (terms->max_amount_fen, false, c, sizeof c));
    if (profile->term_months)
        s_clause (buf, size, &at, _ ("term %d months within %d to %d"),
                  profile->term_months, terms->min_term_months,
                  terms->max_term_months);
    if (terms->qualifications)
        s_clause (buf, size, &at,
                  profile->has_held ? _ ("holds %s") : _ ("requires %s"),
                  s_bit_names (&kj__qualification_kind__descriptor, "QUAL_",
                               terms->qualifications, names, sizeof names));
    if (terms->any_qualifications)
        s_clause (buf, size, &at,
                  profile->has_held ? _ ("holds one of %s")
                                    : _ ("requires one of %s"),
                  s_bit_names (&kj__qualification_kind__descriptor, "QUAL_",
                               profile->has_held
                                   ? terms->any_qualifications & profile->held
                                   : terms->any_qualifications,
                               names, sizeof names));
    if (terms->collateral)
        s_clause (buf, size, &at,
                  profile->has_offered ? _ ("collateral %s offered")
                                       : _ ("asks collateral %s"),
                  s_bit_names (&kj__collateral__descriptor, "COLLATERAL_",
                               terms->collateral, names, sizeof names));
    else if (profile->has_offered)
        s_clause (buf, size, &at, _ ("no collateral needed"));
    if (terms->min_grade && profile->has_grade)
        s_clause (buf, size, &at, _ ("grade %s at least %s"),
                  registry_product_grade_name (profile->grade),
                  registry_product_grade_name (terms->min_grade));
    if (terms->type == KJ__PRODUCT_TYPE__PRODUCT_FIRST_LOAN
        && profile->has_first_loan)
        s_clause (buf, size, &at, _ ("no bank loan on record (first loan)"));
    if (at == 0)
        s_clause (buf, size, &at,
                  _ ("listed and valid; the search named "
                     "no condition"));
}

//  True if two messages pack to the same bytes.
static bool
s_same (kj_call_t *call, const ProtobufCMessage *a, const ProtobufCMessage *b)
{
    size_t size = protobuf_c_message_get_packed_size (a);
    if (size != protobuf_c_message_get_packed_size (b))
        return false;
    uint8_t *packed_a = (uint8_t *) kj_call_alloc (call, size + 1);
    uint8_t *packed_b = (uint8_t *) kj_call_alloc (call, size + 1);
    protobuf_c_message_pack (a, packed_a);
    protobuf_c_message_pack (b, packed_b);
    return memcmp (packed_a, packed_b, size) == 0;
}

//  --------------------------------------------------------------------------
//  The search from the catalogue this thread keeps: 1 with the reply's
//  products and page, 0 if the statement must answer, -1 with the call
//  failed. With registry/catalogue_check the statement answers too, and
//  the two must agree row for row.

static int
s_from_catalogue (kj_call_t *call, const Kj__SearchProductsRequest *request,
                  registry_store_product_filter_t *filter,
                  registry_product_profile_t *profile,
                  Kj__SearchProductsReply *reply)
{
    ProtobufCAllocator mem;
    kj_call_allocator (call, &mem);
    registry_supermarket_page_t page;
    int rc = registry_supermarket_catalogue_search (kj_call_db (call), request,
                                                    filter, profile, &mem,
                                                    &page);
    if (rc < 0)
        return registry_server_db_failed (call);
    if (rc == 0)
        return 0;
    reply->products = page.products;
    reply->n_products = page.n;
    reply->page_info =
        registry_server_page_info (call, page.total, page.more,
                                   page.n ? page.products [page.n - 1]->id
                                          : NULL);
    registry_server_t *self = (registry_server_t *) kj_call_state (call);
    if (!registry_server_config (self)->catalogue_check)
        return 1;
    Kj__SearchProductsReply sql = KJ__SEARCH_PRODUCTS_REPLY__INIT;
    if (s_list_products (call, filter, &sql))
        return -1;
    bool same = sql.n_products == page.n && sql.page_info->total == page.total
             && !strcmp (sql.page_info->next, reply->page_info->next);
    for (size_t i = 0; same && i < page.n; i++)
        same = s_same (call, &sql.products [i]->base, &page.products [i]->base);
    if (same)
        return 1;
    kj_error ("registry.catalogue_mismatch", "statement=%zu catalogue=%zu",
              sql.n_products, page.n);
    return kj_call_fail (call, KJ__CODE__INTERNAL, NULL,
                         "the kept catalogue's page (%zu products) differs "
                         "from the statement's (%zu)",
                         page.n, sql.n_products);
}

int
registry_supermarket_search_products (kj_call_t *call,
                                      const ProtobufCMessage *input,
                                      ProtobufCMessage *output)
{
    const Kj__SearchProductsRequest
        *request = (const Kj__SearchProductsRequest *) input;
    Kj__SearchProductsReply *reply = (Kj__SearchProductsReply *) output;
    kj_db_t *db = kj_call_db (call);
    registry_store_product_filter_t filter;
    if (s_catalogue_filter (call, request, &filter))
        return -1;
    filter.search = true;
    registry_product_profile_t profile;
    memset (&profile, 0, sizeof profile);
    kj_status_t status;

    //  The enterprise's own profile first; the request's fields win
    const char *region = NULL;
    if (request->enterprise_code && *request->enterprise_code) {
        char code [19];
        if (registry_uscc_normalize (request->enterprise_code, code, &status))
            return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT,
                                 "enterprise_code", "enterprise_code: %s",
                                 status.message);
        ProtobufCAllocator mem;
        kj_call_allocator (call, &mem);
        Kj__Enterprise *e = NULL;
        int rc = registry_store_enterprise_load (db, code, true, &mem, &e);
        if (rc < 0)
            return registry_server_db_failed (call);
        if (rc == 0)
            return kj_call_fail (call, KJ__CODE__NOT_FOUND, "enterprise_code",
                                 "enterprise %s is not registered", code);
        if (kj_region_city_valid (e->region))
            region = e->region;
        profile.stage = e->stage->stage;
        profile.has_held = true;
        for (size_t i = 0; i < e->n_qualifications; i++)
            if (!e->qualifications [i]->expired)
                profile.held |= 1u << e->qualifications [i]->kind;
        profile.has_first_loan = true;
        profile.first_loan = e->first_loan;
    }
    if (request->region && *request->region) {
        if (registry_server_city (call, request->region))
            return -1;
        region = request->region;
    }
    profile.region = region;
    profile.intercity = request->intercity;
    if (request->stage) {
        if (request->stage < KJ__STAGE__STAGE_INCUBATION
            || request->stage > KJ__STAGE__STAGE_MATURE)
            return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "stage",
                                 "stage: %d is not a stage", request->stage);
        profile.stage = request->stage;
    }
    if (request->amount_fen < 0 || request->term_months < 0)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT,
                             request->amount_fen < 0 ? "amount_fen"
                                                     : "term_months",
                             "%s: negative; give 0 for any",
                             request->amount_fen < 0 ? "amount_fen"
                                                     : "term_months");
    profile.amount_fen = request->amount_fen;
    profile.term_months = request->term_months;
    if (request->held) {
        const char **names;
        if (registry_server_enum_names (call,
                                        &kj__qualification_kind__descriptor,
                                        "QUAL_",
                                        (const int *) request->held->kinds,
                                        request->held->n_kinds, "held.kinds",
                                        false, &names))
            return -1;
        profile.has_held = true;
        profile.held = registry_product_bits ((const int *)
                                                  request->held->kinds,
                                              request->held->n_kinds);
    }
    if (request->offered) {
        for (size_t i = 0; i < request->offered->n_kinds; i++)
            if (!protobuf_c_enum_descriptor_get_value (
                    &kj__collateral__descriptor, request->offered->kinds [i]))
                return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT,
                                     "offered.kinds",
                                     "offered.kinds[%zu]: "
                                     "%d is not a Collateral",
                                     i, request->offered->kinds [i]);
        profile.has_offered = true;
        profile.offered = registry_product_bits ((const int *)
                                                     request->offered->kinds,
                                                 request->offered->n_kinds);
    }
    if (request->grade && *request->grade) {
        int grade = registry_product_grade (request->grade);
        if (grade < 0)
            return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "grade",
                                 "grade: '%.*s' is not a grade; one of AAA, "
                                 "AA, A, B, C",
                                 kj_utf8_cut (request->grade, 20),
                                 request->grade);
        profile.has_grade = true;
        profile.grade = (registry_grade_t) grade;
    }
    //  Today is the database's: the statement says which date it used
    if (request->on_date && *request->on_date) {
        if (kj_check_date (request->on_date, "on_date", &profile.on, &status))
            return kj_call_fail_status (call, &status);
        char on [11];
        kj_check_date_format (profile.on, on);
        filter.on_date = kj_call_strdup (call, on);
    }
    else
        filter.used_on = &profile.on;

    //  The profile as the statement's sets
    if (profile.region) {
        filter.has_serving = true;
        filter.serving = (const char **)
            kj_call_alloc (call,
                           REGISTRY_PRODUCT_MAX_REGIONS * sizeof (char *));
        filter.n_serving = kj_region_serving (profile.region, profile.intercity,
                                              filter.serving);
    }
    char stage [48];
    if (profile.stage)
        filter.stage = kj_check_enum_name (&kj__stage__descriptor, "STAGE_",
                                           profile.stage, stage, sizeof stage);
    filter.amount_fen = profile.amount_fen;
    filter.term_months = profile.term_months;
    filter.has_held = profile.has_held;
    filter.held = (const char **) kj_call_alloc (call, 32 * sizeof (char *));
    filter.offered = (const char **) kj_call_alloc (call, 32 * sizeof (char *));
    for (int value = 1; value < 32; value++) {
        char buffer [48];
        if ((profile.held & (1u << value))
            && kj_check_enum_name (&kj__qualification_kind__descriptor, "QUAL_",
                                   value, buffer, sizeof buffer))
            filter.held [filter.n_held++] = kj_call_strdup (call, buffer);
        if ((profile.offered & (1u << value))
            && kj_check_enum_name (&kj__collateral__descriptor, "COLLATERAL_",
                                   value, buffer, sizeof buffer))
            filter.offered [filter.n_offered++] = kj_call_strdup (call, buffer);
    }
    filter.has_offered = profile.has_offered;
    filter.has_grade = profile.has_grade;
    filter.grades = (const char **) kj_call_alloc (call, 6 * sizeof (char *));
    for (int grade = REGISTRY_GRADE_NONE; grade <= (int) profile.grade; grade++)
        filter.grades [filter.n_grades++] = registry_product_grade_name (
            (registry_grade_t) grade);
    filter.has_first_loan = profile.has_first_loan;
    filter.first_loan = profile.first_loan;
    int kept = s_from_catalogue (call, request, &filter, &profile, reply);
    if (kept < 0 || (kept == 0 && s_list_products (call, &filter, reply)))
        return -1;

    //  The same rule in C, on what the statement returned, and why each
    //  product matched for people
    reply->reasons = (char **) kj_call_alloc (call, (reply->n_products + 1)
                                                        * sizeof (char *));
    for (size_t i = 0; i < reply->n_products; i++) {
        registry_product_terms_t terms;
        registry_product_terms (reply->products [i], &terms);
        char why [200];
        if (!registry_product_eligible (&terms, &profile, why, sizeof why))
            kj_error ("registry.search_mismatch", "product=%s reason=\"%s\"",
                      reply->products [i]->id, why);
        char reason [1024];
        s_match_reason (&terms, &profile, reason, sizeof reason);
        reply->reasons [reply->n_reasons++] = kj_call_strdup (call, reason);
    }
    return 0;
}
