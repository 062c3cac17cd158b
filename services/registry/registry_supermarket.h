/*  =========================================================================
    registry_supermarket - what the supermarket's handlers share: the
    catalogue SearchProducts keeps (registry_supermarket_catalogue.c)
    =========================================================================
*/

#ifndef REGISTRY_SUPERMARKET_H_INCLUDED
#define REGISTRY_SUPERMARKET_H_INCLUDED

#include "kejin.h"
#include "registry_product.h"
#include "registry_store.h"

//  Listed products a worker thread keeps at most; a larger catalogue is
//  searched by the statement
#define REGISTRY_CATALOGUE_MAX 5000

//  A page of a search answered from the catalogue
typedef struct {
    Kj__Product **products;  //  the catalogue's, until this thread's next call
    size_t n;
    uint64_t total;  //  every match (0 if the page is empty, as the statement)
    bool more;
} registry_supermarket_page_t;

//  --------------------------------------------------------------------------
//  SearchProducts from this thread's copy of the catalogue, read again if
//  the database's version moved on: the request's types, the filter's
//  institution, cursor and limit, and registry_product_eligible with
//  profile (whose `on` this sets: the date asked, or the database's
//  today). 1 with the page; 0 if the statement must answer (a name filter,
//  a cursor not in the copy, a catalogue too large); -1 on a database
//  error.

int
    registry_supermarket_catalogue_search (
        kj_db_t *db, const Kj__SearchProductsRequest *request,
        const registry_store_product_filter_t *filter,
        registry_product_profile_t *profile, ProtobufCAllocator *mem,
        registry_supermarket_page_t *page);

#endif
