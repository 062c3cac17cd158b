/*  =========================================================================
    registry_supermarket_catalogue - the catalogue SearchProducts keeps:
    every listed product of a listed institution, one copy per worker
    thread, checked against the database's catalogue version at every
    search

    The search statement cost PostgreSQL 110-240 us of CPU per call on 100
    products, most of it fixed executor work over a plan of five nodes; a
    read of one version row costs what a look-up by key does. So a search
    reads the version (and the date it judges validity on) in one small
    statement, and when the copy is at that version answers from it with
    registry_product_eligible, the rule the statement states in SQL. The
    version goes up at the commit of every write of a product or an
    institution (sql/015_product_catalogue.sql), so a copy at the version
    a search reads holds the rows that search would read. Searches the copy
    cannot answer the same way (a name filter, a cursor that is not a
    listed product, a catalogue larger than REGISTRY_CATALOGUE_MAX) run
    the statement. docs/registry.md, "SearchProducts from a kept
    catalogue".
    =========================================================================
*/

#include <pthread.h>

#include "registry_server.h"
#include "registry_product.h"
#include "registry_store.h"
#include "registry_supermarket.h"

typedef struct {
    int64_t version;
    bool usable;        //  loaded, and small and plain enough to answer from
    kj_arena_t *arena;  //  the copy's memory, freed together
    Kj__Product **products;  //  in id order, as the database sorts
    registry_product_terms_t *terms;
    size_t n;
} s_catalogue_t;

static pthread_key_t s_key;
static pthread_once_t s_key_once = PTHREAD_ONCE_INIT;

//  Forget the copy's rows.
static void
s_clear (s_catalogue_t *self)
{
    kj_arena_reset (self->arena);
    self->usable = false;
    self->products = NULL;
    self->terms = NULL;
    self->n = 0;
}

//  At a worker thread's end.
static void
s_destroy (void *data)
{
    s_catalogue_t *self = (s_catalogue_t *) data;
    s_clear (self);
    kj_arena_destroy (&self->arena);
    free (self);
}

static void
s_key_create (void)
{
    int rc = pthread_key_create (&s_key, s_destroy);
    assert (rc == 0);
}

//  This thread's copy, made empty the first time.
static s_catalogue_t *
s_catalogue (void)
{
    pthread_once (&s_key_once, s_key_create);
    s_catalogue_t *self = (s_catalogue_t *) pthread_getspecific (s_key);
    if (!self) {
        self = (s_catalogue_t *) calloc (1, sizeof *self);
        assert (self);
        self->version = -1;
        self->arena = kj_arena_new ();
        pthread_setspecific (s_key, self);
    }
    return self;
}

//  --------------------------------------------------------------------------
//  Read the catalogue again: 0 or -1. A catalogue too large, or with a
//  product the C rule cannot read whole (more regions than it keeps), is
//  remembered at its version as not usable.

static int
s_load (s_catalogue_t *self, kj_db_t *db)
{
    s_clear (self);
    ProtobufCAllocator *mem = kj_arena_allocator (self->arena);
    int rc = registry_store_catalogue_load (db, REGISTRY_CATALOGUE_MAX, mem,
                                            &self->version, &self->products,
                                            &self->n);
    if (rc < 0) {
        self->version = -1;
        return -1;
    }
    if (rc == 0) {
        //  Too large: its version is unknown here, so read it each time
        self->version = -1;
        s_clear (self);
        return 0;
    }
    self->terms = (registry_product_terms_t *)
                      mem->alloc (mem->allocator_data,
                                  (self->n + 1)
                                      * sizeof (registry_product_terms_t));
    self->usable = true;
    for (size_t i = 0; i < self->n; i++) {
        registry_product_terms (self->products [i], &self->terms [i]);
        if (self->products [i]->n_regions > REGISTRY_PRODUCT_MAX_REGIONS)
            self->usable = false;
    }
    return 0;
}

//  True if the product passes the catalogue filters the C rule does not
//  hold: the types and the institution asked for.
static bool
s_in_filter (const Kj__Product *product, int type,
             const Kj__SearchProductsRequest *request,
             const registry_store_product_filter_t *filter)
{
    if (request->n_types) {
        size_t t = 0;
        while (t < request->n_types && (int) request->types [t] != type)
            t++;
        if (t == request->n_types)
            return false;
    }
    return !(filter->institution_id && *filter->institution_id
             && strcmp (product->institution_id, filter->institution_id));
}

//  --------------------------------------------------------------------------
//  See registry_supermarket.h.

int
registry_supermarket_catalogue_search (
    kj_db_t *db, const Kj__SearchProductsRequest *request,
    const registry_store_product_filter_t *filter,
    registry_product_profile_t *profile, ProtobufCAllocator *mem,
    registry_supermarket_page_t *page)
{
    if (filter->name_contains && *filter->name_contains)
        return 0;  //  ILIKE is the database's
    s_catalogue_t *self = s_catalogue ();
    int64_t version;
    if (registry_store_catalogue_version (db, filter->on_date, &version,
                                          &profile->on))
        return -1;
    if (version != self->version && s_load (self, db))
        return -1;
    if (!self->usable || version != self->version)
        return 0;

    //  The cursor: the rows after the product it names, in the order the
    //  database sorted; one not in the copy is the statement's to place
    size_t from = 0;
    const char *after = filter->after ? filter->after : "";
    if (*after) {
        while (from < self->n && strcmp (self->products [from]->id, after))
            from++;
        if (from == self->n)
            return 0;
        from++;
    }
    size_t limit = (size_t) registry_store_limit (filter->limit);
    memset (page, 0, sizeof *page);
    page->products = (Kj__Product **) mem->alloc (mem->allocator_data,
                                                  limit * sizeof (void *));
    for (size_t i = 0; i < self->n; i++) {
        const registry_product_terms_t *terms = &self->terms [i];
        if (!s_in_filter (self->products [i], terms->type, request, filter)
            || !registry_product_eligible (terms, profile, NULL, 0))
            continue;
        page->total++;
        if (i < from)
            continue;
        if (page->n < limit)
            page->products [page->n++] = self->products [i];
        else
            page->more = true;
    }
    //  As the statement counts: an empty page has no total
    if (page->n == 0)
        page->total = 0;
    return 1;
}
