/*  =========================================================================
    registry_supermarket - the handlers of the financial institutions and
    the product supermarket (金融产品超市) of the Registry service

    Same shape as the enterprise handlers (registry_server.c): lock the row
    first, check the expected version, validate, write, load, add the
    events (registry.institution.* and registry.product.*, the whole record
    after the change, keyed by id). Withdrawing an institution withdraws
    its listed products too, each with its own event.

    The catalogue and the search are in registry_supermarket_search.c.
    =========================================================================
*/

#include "registry_server.h"
#include "registry_check.h"
#include "registry_product.h"
#include "registry_store.h"
#include "registry_uscc.h"
#include "kj_money.h"

//  --------------------------------------------------------------------------
//  Regions as given (checked) without repeats, in the call's memory.

static void
s_regions (kj_call_t *call, char ***regions, size_t *n)
{
    if (*n == 0)
        return;
    char **out = (char **) kj_call_alloc (call, *n * sizeof (char *));
    size_t kept = 0;
    for (size_t i = 0; i < *n; i++) {
        bool seen = false;
        for (size_t j = 0; j < kept && !seen; j++)
            seen = streq (out [j], (*regions) [i]);
        if (!seen)
            out [kept++] = (*regions) [i];
    }
    *regions = out;
    *n = kept;
}

//  An optional credit code (checked), normalised into the call's memory.
static void
s_optional_code (kj_call_t *call, char **code)
{
    char normal [19];
    kj_status_t status;
    if (*code && registry_uscc_normalize (*code, normal, &status) == 0)
        *code = kj_call_strdup (call, normal);
}

//  --------------------------------------------------------------------------
//  Institutions

//  Trim the fields of i that mask names (all when NULL), check them against
//  the institution's table, then keep codes normalised and regions once.
static int
s_check_institution (kj_call_t *call, Kj__Institution *i, char **mask,
                     size_t n_mask)
{
    i->name = registry_server_trim (call, i->name);
    i->contact = registry_server_trim (call, i->contact);
    i->uscc = registry_server_trim (call, i->uscc);
    i->sponsor_code = registry_server_trim (call, i->sponsor_code);
    kj_status_t status;
    if (registry_check_institution (i, mask, n_mask, &status))
        return kj_call_fail_status (call, &status);
    s_optional_code (call, &i->uscc);
    s_optional_code (call, &i->sponsor_code);
    s_regions (call, &i->regions, &i->n_regions);
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
        if (registry_server_city (call, request->region))
            return -1;
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
    if (registry_server_check_version (call, N_ ("institution"), id,
                                       request->expected_version,
                                       current->version))
        return -1;
    kj_status_t status;
    char **mask = request->update_mask;
    size_t n_mask = request->n_update_mask;
    if (kj_check_mask (mask, n_mask, registry_check_institution_fields,
                       &status))
        return kj_call_fail_status (call, &status);
    Kj__Institution asked = *request->institution;
    if (s_check_institution (call, &asked, mask, n_mask))
        return -1;
    registry_check_attrs_merge (registry_check_institution_table,
                                REGISTRY_INSTITUTION_ATTRS, &current->base,
                                &asked.base, mask, n_mask);
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
    if (registry_server_check_version (call, N_ ("product"), id,
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
    registry_check_attrs_merge (registry_product_table, REGISTRY_PRODUCT_ATTRS,
                                &current->base, &asked.base, mask, n_mask);
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
