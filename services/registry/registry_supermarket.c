/*  =========================================================================
    registry_supermarket - the handlers of the financial institutions and
    the product supermarket (金融产品超市) of the Registry service

    Same shape as the enterprise handlers (registry_server.c): lock the row
    first, check the expected version, validate, write, load, add the
    events (registry.institution.* and registry.product.*, the whole record
    after the change, keyed by id). Withdrawing an institution withdraws
    its listed products too, each with its own event.

    The product search is one SQL statement (registry_store) fed by the
    sets registry_product computes; every row it returns is checked again
    with registry_product_eligible, the same rule in C.
    =========================================================================
*/

#include "registry_server.h"
#include "registry_check.h"
#include "registry_product.h"
#include "registry_store.h"
#include "registry_uscc.h"
#include "kj_money.h"

static const char *const s_institution_fields [] = {
    "name", "type", "uscc", "regions", "contact", "sponsor_code", NULL
};

//  --------------------------------------------------------------------------
//  Regions as given, checked and without repeats, in the call's memory.

static int
s_regions (kj_call_t *call, char **regions, size_t n, const char *field,
           char ***out, size_t *n_out)
{
    kj_status_t status;
    if (registry_product_check_regions (regions, n, field, &status))
        return kj_call_fail_status (call, &status);
    *out = (char **) kj_call_alloc (call, n * sizeof (char *));
    *n_out = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < *n_out && !seen; j++)
            seen = streq ((*out) [j], regions [i]);
        if (!seen)
            (*out) [(*n_out)++] = regions [i];
    }
    return 0;
}

//  An optional credit code at field, normalised into the call's memory.
static int
s_optional_code (kj_call_t *call, char **code, const char *field)
{
    char *text = registry_server_trim (call, *code);
    if (*text) {
        char normal [19];
        kj_status_t status;
        if (registry_uscc_normalize (text, normal, &status))
            return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, field,
                                 "%s: %s", field, status.message);
        text = kj_call_strdup (call, normal);
    }
    *code = text;
    return 0;
}

//  --------------------------------------------------------------------------
//  Institutions

//  Trim and check the fields of i that mask names (all when NULL).
static int
s_check_institution (kj_call_t *call, Kj__Institution *i, char **mask,
                     size_t n_mask)
{
    kj_status_t status;
    bool all = mask == NULL;
#define WANTS(name) (all || kj_check_masked (mask, n_mask, name))
    i->name = registry_server_trim (call, i->name);
    i->contact = registry_server_trim (call, i->contact);
    if (WANTS ("name")
        && kj_check_text (i->name, "institution.name", 200, true, &status))
        return kj_call_fail_status (call, &status);
    if (WANTS ("type")
        && (i->type == 0
            || !protobuf_c_enum_descriptor_get_value (
                &kj__institution_type__descriptor, i->type)))
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT,
                             "institution.type",
                             "institution.type: %d is "
                             "not an InstitutionType%s",
                             i->type, i->type == 0 ? " (it must be set)" : "");
    if (WANTS ("uscc") && s_optional_code (call, &i->uscc, "institution.uscc"))
        return -1;
    if (WANTS ("sponsor_code")
        && s_optional_code (call, &i->sponsor_code, "institution.sponsor_code"))
        return -1;
    if (WANTS ("regions")
        && s_regions (call, i->regions, i->n_regions, "institution.regions",
                      &i->regions, &i->n_regions))
        return -1;
    if (WANTS ("contact")
        && kj_check_text (i->contact, "institution.contact", 200, false,
                          &status))
        return kj_call_fail_status (call, &status);
#undef WANTS
    return 0;
}

static int
s_institution_id (kj_call_t *call, const char *input, const char *field,
                  char **id)
{
    *id = registry_server_trim (call, input);
    kj_status_t status;
    if (kj_check_id (*id, field, &status))
        return kj_call_fail_status (call, &status);
    return 0;
}

//  Load an institution, locked when lock; NOT_FOUND when none.
static int
s_load_institution (kj_call_t *call, const char *id, bool lock,
                    Kj__Institution **out)
{
    ProtobufCAllocator mem;
    kj_call_allocator (call, &mem);
    int rc = registry_store_institution_load (kj_call_db (call), id, lock, &mem,
                                              out);
    if (rc < 0)
        return registry_server_db_failed (call);
    if (rc == 0)
        return kj_call_fail (call, KJ__CODE__NOT_FOUND, "id",
                             "institution %s is not on the platform; `kejin "
                             "institution list` shows those that are",
                             id);
    return 0;
}

int
registry_supermarket_add_institution (kj_call_t *call,
                                      const ProtobufCMessage *input,
                                      ProtobufCMessage *output)
{
    const Kj__AddInstitutionRequest
        *request = (const Kj__AddInstitutionRequest *) input;
    kj_audit_object (call, "institution",
                     request->institution ? request->institution->id : NULL);
    Kj__InstitutionReply *reply = (Kj__InstitutionReply *) output;
    kj_db_t *db = kj_call_db (call);
    if (!request->institution)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "institution",
                             "institution: missing; give its name, type and "
                             "regions");
    Kj__Institution i = *request->institution;
    i.id = registry_server_trim (call, i.id);
    kj_status_t status;
    if (*i.id && kj_check_id (i.id, "institution.id", &status))
        return kj_call_fail_status (call, &status);
    if (s_check_institution (call, &i, NULL, 0))
        return -1;
    char id [48];
    int rc = registry_store_institution_insert (db, &i, id);
    if (rc < 0)
        return registry_server_db_failed (call);
    if (rc == 0) {
        char named [48];
        if (registry_store_institution_named (db, i.name, named) == 1)
            return kj_call_fail (call, KJ__CODE__ALREADY_EXISTS,
                                 "institution.name",
                                 "an institution named "
                                 "%s is listed already (id %s)",
                                 i.name, named);
        return kj_call_fail (call, KJ__CODE__ALREADY_EXISTS, "institution.id",
                             "institution %s already exists", i.id);
    }
    if (s_load_institution (call, id, false, &reply->institution))
        return -1;
    kj_info ("registry.institution_listed", "id=%s type=%d by=%s", id, i.type,
             registry_server_who (call));
    return registry_server_emit (call, "registry.institution.listed", id,
                                 &reply->institution->base);
}

int
registry_supermarket_get_institution (kj_call_t *call,
                                      const ProtobufCMessage *input,
                                      ProtobufCMessage *output)
{
    const Kj__GetInstitutionRequest
        *request = (const Kj__GetInstitutionRequest *) input;
    Kj__InstitutionReply *reply = (Kj__InstitutionReply *) output;
    char *id;
    if (s_institution_id (call, request->id, "id", &id))
        return -1;
    return s_load_institution (call, id, false, &reply->institution);
}

int
registry_supermarket_list_institutions (kj_call_t *call,
                                        const ProtobufCMessage *input,
                                        ProtobufCMessage *output)
{
    const Kj__ListInstitutionsRequest
        *request = (const Kj__ListInstitutionsRequest *) input;
    Kj__ListInstitutionsReply *reply = (Kj__ListInstitutionsReply *) output;
    registry_store_institution_filter_t filter;
    memset (&filter, 0, sizeof filter);
    if (registry_server_page (call, request->page, &filter.after, &filter.limit)
        || registry_server_enum_names (call, &kj__institution_type__descriptor,
                                       "INSTITUTION_",
                                       (const int *) request->types,
                                       request->n_types, "types", false,
                                       &filter.types))
        return -1;
    filter.n_types = request->n_types;
    if (request->region && *request->region) {
        if (!kj_region_city_valid (request->region))
            return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "region",
                                 "region: '%.*s' is not a city code "
                                 "(210100 .. 211400) or SFDZ",
                                 kj_utf8_cut (request->region, 24),
                                 request->region);
        filter.serving = (const char **)
            kj_call_alloc (call,
                           REGISTRY_PRODUCT_MAX_REGIONS * sizeof (char *));
        filter.n_serving = kj_region_serving (request->region, false,
                                              filter.serving);
    }
    kj_status_t status;
    if (kj_check_text (request->name_contains, "name_contains", 200, false,
                       &status))
        return kj_call_fail_status (call, &status);
    filter.name_contains = request->name_contains;
    filter.include_withdrawn = request->include_withdrawn;
    ProtobufCAllocator mem;
    kj_call_allocator (call, &mem);
    uint64_t total;
    bool more;
    if (registry_store_institution_list (kj_call_db (call), &filter, &mem,
                                         &reply->institutions,
                                         &reply->n_institutions, &total, &more)
        < 0)
        return registry_server_db_failed (call);
    reply->page_info = registry_server_page_info (
        call, total, more,
        reply->n_institutions
            ? reply->institutions [reply->n_institutions - 1]->id
            : NULL);
    return 0;
}

int
registry_supermarket_update_institution (kj_call_t *call,
                                         const ProtobufCMessage *input,
                                         ProtobufCMessage *output)
{
    const Kj__UpdateInstitutionRequest
        *request = (const Kj__UpdateInstitutionRequest *) input;
    kj_audit_object (call, "institution",
                     request->institution ? request->institution->id : NULL);
    Kj__InstitutionReply *reply = (Kj__InstitutionReply *) output;
    if (!request->institution)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "institution",
                             "institution: missing; give its id and the "
                             "fields named in update_mask");
    char *id;
    Kj__Institution *current;
    if (s_institution_id (call, request->institution->id, "institution.id", &id)
        || s_load_institution (call, id, true, &current))
        return -1;
    if (current->state == KJ__LISTING_STATE__LISTING_WITHDRAWN)
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION,
                             "institution.id",
                             "institution %s is withdrawn; "
                             "a withdrawn institution is not changed",
                             id);
    if (registry_server_check_version (call, "institution", id,
                                       request->expected_version,
                                       current->version))
        return -1;
    kj_status_t status;
    char **mask = request->update_mask;
    size_t n_mask = request->n_update_mask;
    if (kj_check_mask (mask, n_mask, s_institution_fields, &status))
        return kj_call_fail_status (call, &status);
    Kj__Institution asked = *request->institution;
    if (s_check_institution (call, &asked, mask, n_mask))
        return -1;
#define MASKED(name) kj_check_masked (mask, n_mask, name)
    if (MASKED ("name"))
        current->name = asked.name;
    if (MASKED ("type"))
        current->type = asked.type;
    if (MASKED ("uscc"))
        current->uscc = asked.uscc;
    if (MASKED ("regions")) {
        current->regions = asked.regions;
        current->n_regions = asked.n_regions;
    }
    if (MASKED ("contact"))
        current->contact = asked.contact;
    if (MASKED ("sponsor_code"))
        current->sponsor_code = asked.sponsor_code;
#undef MASKED
    int rc = registry_store_institution_save (kj_call_db (call), current);
    if (rc == 0)
        return kj_call_fail (call, KJ__CODE__ALREADY_EXISTS, "institution.name",
                             "an institution named %s is "
                             "listed already",
                             current->name);
    if (rc < 0)
        return registry_server_db_failed (call);
    if (s_load_institution (call, id, false, &reply->institution))
        return -1;
    return registry_server_emit (call, "registry.institution.changed", id,
                                 &reply->institution->base);
}

//  Withdraw one product in the caller's transaction: row locked already.
static int
s_withdraw_product (kj_call_t *call, const char *id, const char *reason,
                    Kj__Product **out)
{
    kj_db_t *db = kj_call_db (call);
    ProtobufCAllocator mem;
    kj_call_allocator (call, &mem);
    if (registry_store_product_withdraw (db, id, reason) != 1
        || registry_store_audit (db, registry_server_who (call), "withdraw",
                                 "product", id, "listed", "withdrawn", reason)
               < 0
        || registry_store_product_load (db, id, false, &mem, out) != 1)
        return registry_server_db_failed (call);
    return registry_server_emit (call, "registry.product.withdrawn", id,
                                 &(*out)->base);
}

int
registry_supermarket_withdraw_institution (kj_call_t *call,
                                           const ProtobufCMessage *input,
                                           ProtobufCMessage *output)
{
    const Kj__WithdrawInstitutionRequest
        *request = (const Kj__WithdrawInstitutionRequest *) input;
    kj_audit_object (call, "institution", request->id);
    Kj__InstitutionReply *reply = (Kj__InstitutionReply *) output;
    kj_db_t *db = kj_call_db (call);
    char *id;
    Kj__Institution *current;
    if (s_institution_id (call, request->id, "id", &id)
        || s_load_institution (call, id, true, &current))
        return -1;
    char *reason = registry_server_trim (call, request->reason);
    kj_status_t status;
    if (kj_check_text (reason, "reason", 500, true, &status))
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "reason",
                             "reason: required: say why the institution "
                             "leaves the platform");
    if (current->state == KJ__LISTING_STATE__LISTING_WITHDRAWN)
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "id",
                             "institution %s is withdrawn already", id);
    zlist_t *products = zlist_new ();
    zlist_autofree (products);
    int rc = registry_store_institution_withdraw (db, id, reason) == 1
                  && registry_store_audit (db, registry_server_who (call),
                                           "withdraw", "institution", id,
                                           "listed", "withdrawn", reason)
                         == 1
                  && registry_store_products_listed_of (db, id, products) == 1
               ? 0
               : registry_server_db_failed (call);
    if (rc == 0)
        rc = s_load_institution (call, id, false, &reply->institution);
    if (rc == 0)
        rc = registry_server_emit (call, "registry.institution.withdrawn", id,
                                   &reply->institution->base);
    char *why = kj_call_printf (call, "institution %s withdrawn: %s", id,
                                reason);
    for (char *product = (char *) zlist_first (products); product && rc == 0;
         product = (char *) zlist_next (products)) {
        Kj__Product *withdrawn;
        rc = s_withdraw_product (call, product, why, &withdrawn);
    }
    if (rc == 0)
        kj_info ("registry.institution_withdrawn", "id=%s products=%zu by=%s",
                 id, zlist_size (products), registry_server_who (call));
    zlist_destroy (&products);
    return rc;
}

//  --------------------------------------------------------------------------
//  Products

static const int s_all_stages [] = { KJ__STAGE__STAGE_INCUBATION,
                                     KJ__STAGE__STAGE_STARTUP,
                                     KJ__STAGE__STAGE_GROWTH,
                                     KJ__STAGE__STAGE_MATURE };

static int
s_load_product (kj_call_t *call, const char *id, bool lock, Kj__Product **out)
{
    ProtobufCAllocator mem;
    kj_call_allocator (call, &mem);
    int rc = registry_store_product_load (kj_call_db (call), id, lock, &mem,
                                          out);
    if (rc < 0)
        return registry_server_db_failed (call);
    if (rc == 0)
        return kj_call_fail (call, KJ__CODE__NOT_FOUND, "id",
                             "product %s is not in the supermarket; `kejin "
                             "product list` shows those that are",
                             id);
    return 0;
}

//  Trim the texts and fill what an empty field means: all four stages,
//  valid from today.
static void
s_product_defaults (kj_call_t *call, Kj__Product *p, kj_date_t today)
{
    p->name = registry_server_trim (call, p->name);
    p->description = registry_server_trim (call, p->description);
    p->min_grade = registry_server_trim (call, p->min_grade);
    p->valid_from = registry_server_trim (call, p->valid_from);
    p->valid_to = registry_server_trim (call, p->valid_to);
    if (p->n_stages == 0) {
        p->stages = (Kj__Stage *) s_all_stages;
        p->n_stages = 4;
    }
    if (!*p->valid_from) {
        char date [11];
        kj_check_date_format (today, date);
        p->valid_from = kj_call_strdup (call, date);
    }
}

static int
s_check_terms (kj_call_t *call, const Kj__Product *p)
{
    registry_product_terms_t terms;
    registry_product_terms (p, &terms);
    kj_status_t status;
    if (registry_product_check_terms (&terms, &status))
        return kj_call_fail_status (call, &status);
    return 0;
}

int
registry_supermarket_add_product (kj_call_t *call,
                                  const ProtobufCMessage *input,
                                  ProtobufCMessage *output)
{
    const Kj__AddProductRequest *request = (const Kj__AddProductRequest *)
        input;
    kj_audit_object (call, "product",
                     request->product ? request->product->id : NULL);
    Kj__ProductReply *reply = (Kj__ProductReply *) output;
    kj_db_t *db = kj_call_db (call);
    if (!request->product)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "product",
                             "product: missing; give its institution, name, "
                             "type, amounts, terms and regions");
    Kj__Product p = *request->product;
    p.id = registry_server_trim (call, p.id);
    p.institution_id = registry_server_trim (call, p.institution_id);
    kj_status_t status;
    if (*p.id && kj_check_id (p.id, "product.id", &status))
        return kj_call_fail_status (call, &status);
    kj_date_t today;
    if (registry_store_today (db, &today) < 0)
        return registry_server_db_failed (call);
    s_product_defaults (call, &p, today);
    if (registry_product_check (&p, NULL, 0, &status))
        return kj_call_fail_status (call, &status);
    if (s_check_terms (call, &p))
        return -1;
    //  The institution row first: a withdrawal waits for this product, or
    //  this product sees the withdrawal
    Kj__Institution *institution;
    ProtobufCAllocator mem;
    kj_call_allocator (call, &mem);
    int rc = registry_store_institution_load (db, p.institution_id, true, &mem,
                                              &institution);
    if (rc < 0)
        return registry_server_db_failed (call);
    if (rc == 0)
        return kj_call_fail (call, KJ__CODE__NOT_FOUND,
                             "product.institution_id",
                             "institution %s is not "
                             "on the platform; add it first (`kejin "
                             "institution add`)",
                             p.institution_id);
    if (institution->state != KJ__LISTING_STATE__LISTING_LISTED)
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION,
                             "product.institution_id",
                             "institution %s is "
                             "withdrawn: it cannot list products",
                             p.institution_id);
    char id [48];
    rc = registry_store_product_insert (db, &p, id);
    if (rc < 0)
        return registry_server_db_failed (call);
    if (rc == 0)
        return kj_call_fail (call, KJ__CODE__ALREADY_EXISTS, "product.id",
                             "product %s already exists", p.id);
    if (s_load_product (call, id, false, &reply->product))
        return -1;
    kj_info ("registry.product_listed", "id=%s institution=%s by=%s", id,
             p.institution_id, registry_server_who (call));
    return registry_server_emit (call, "registry.product.listed", id,
                                 &reply->product->base);
}

int
registry_supermarket_get_product (kj_call_t *call,
                                  const ProtobufCMessage *input,
                                  ProtobufCMessage *output)
{
    const Kj__GetProductRequest *request = (const Kj__GetProductRequest *)
        input;
    Kj__ProductReply *reply = (Kj__ProductReply *) output;
    char *id;
    if (s_institution_id (call, request->id, "id", &id))
        return -1;
    return s_load_product (call, id, false, &reply->product);
}

int
registry_supermarket_update_product (kj_call_t *call,
                                     const ProtobufCMessage *input,
                                     ProtobufCMessage *output)
{
    const Kj__UpdateProductRequest *request = (const Kj__UpdateProductRequest *)
        input;
    kj_audit_object (call, "product",
                     request->product ? request->product->id : NULL);
    Kj__ProductReply *reply = (Kj__ProductReply *) output;
    kj_db_t *db = kj_call_db (call);
    if (!request->product)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "product",
                             "product: missing; give its id and the fields "
                             "named in update_mask");
    char *id;
    Kj__Product *current;
    if (s_institution_id (call, request->product->id, "product.id", &id)
        || s_load_product (call, id, true, &current))
        return -1;
    if (current->state == KJ__LISTING_STATE__LISTING_WITHDRAWN)
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "product.id",
                             "product %s is withdrawn; list a new product "
                             "instead",
                             id);
    if (registry_server_check_version (call, "product", id,
                                       request->expected_version,
                                       current->version))
        return -1;
    kj_status_t status;
    char **mask = request->update_mask;
    size_t n_mask = request->n_update_mask;
    if (kj_check_mask (mask, n_mask, registry_product_fields, &status))
        return kj_call_fail_status (call, &status);
    kj_date_t today;
    if (registry_store_today (db, &today) < 0)
        return registry_server_db_failed (call);
    Kj__Product asked = *request->product;
    s_product_defaults (call, &asked, today);
    if (registry_product_check (&asked, mask, n_mask, &status))
        return kj_call_fail_status (call, &status);
#define MASKED(name) kj_check_masked (mask, n_mask, name)
    if (MASKED ("name"))
        current->name = asked.name;
    if (MASKED ("type"))
        current->type = asked.type;
    if (MASKED ("amount")) {
        current->min_amount_fen = asked.min_amount_fen;
        current->max_amount_fen = asked.max_amount_fen;
    }
    if (MASKED ("term")) {
        current->min_term_months = asked.min_term_months;
        current->max_term_months = asked.max_term_months;
    }
    if (MASKED ("rate_bp"))
        current->rate_bp = asked.rate_bp;
    if (MASKED ("collateral")) {
        current->collateral = asked.collateral;
        current->n_collateral = asked.n_collateral;
    }
    if (MASKED ("stages")) {
        current->stages = asked.stages;
        current->n_stages = asked.n_stages;
    }
    if (MASKED ("qualifications")) {
        current->qualifications = asked.qualifications;
        current->n_qualifications = asked.n_qualifications;
    }
    if (MASKED ("any_qualifications")) {
        current->any_qualifications = asked.any_qualifications;
        current->n_any_qualifications = asked.n_any_qualifications;
    }
    if (MASKED ("min_grade"))
        current->min_grade = asked.min_grade;
    if (MASKED ("regions")) {
        current->regions = asked.regions;
        current->n_regions = asked.n_regions;
    }
    if (MASKED ("valid_from"))
        current->valid_from = asked.valid_from;
    if (MASKED ("valid_to"))
        current->valid_to = asked.valid_to;
    if (MASKED ("description"))
        current->description = asked.description;
#undef MASKED
    if (s_check_terms (call, current))
        return -1;
    if (registry_store_product_save (db, current) != 1)
        return registry_server_db_failed (call);
    if (s_load_product (call, id, false, &reply->product))
        return -1;
    return registry_server_emit (call, "registry.product.changed", id,
                                 &reply->product->base);
}

int
registry_supermarket_withdraw_product (kj_call_t *call,
                                       const ProtobufCMessage *input,
                                       ProtobufCMessage *output)
{
    const Kj__WithdrawProductRequest
        *request = (const Kj__WithdrawProductRequest *) input;
    kj_audit_object (call, "product", request->id);
    Kj__ProductReply *reply = (Kj__ProductReply *) output;
    char *id;
    Kj__Product *current;
    if (s_institution_id (call, request->id, "id", &id)
        || s_load_product (call, id, true, &current))
        return -1;
    char *reason = registry_server_trim (call, request->reason);
    kj_status_t status;
    if (kj_check_text (reason, "reason", 500, true, &status))
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "reason",
                             "reason: required: say why the product is "
                             "withdrawn");
    if (current->state == KJ__LISTING_STATE__LISTING_WITHDRAWN)
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION, "id",
                             "product %s is withdrawn already", id);
    return s_withdraw_product (call, id, reason, &reply->product);
}

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
            && kj_check_enum_name (descriptor, prefix, value, name,
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
                  kj_check_enum_name (&kj__stage__descriptor, "STAGE_",
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
        if (!kj_region_city_valid (request->region))
            return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "region",
                                 "region: '%.*s' is not a city code "
                                 "(210100 .. 211400) or SFDZ",
                                 kj_utf8_cut (request->region, 24),
                                 request->region);
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
    if (s_list_products (call, &filter, reply))
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
