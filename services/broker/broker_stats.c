/*  =========================================================================
    broker_stats - the broker's statistics (kejin.broker Stats)

    Part of broker_core (broker_core_int.h).
    =========================================================================
*/

#include "broker_core_int.h"

//  --------------------------------------------------------------------------
//  The copies serving a service: its workers grouped by host and pid, in
//  item->copies (each copy and the array freed by the caller; strings
//  point into the workers).

static void
s_stats_copies (broker_core_t *self, service_t *service, Kj__ServiceStats *item)
{
    item->copies = (Kj__WorkerCopy **) calloc (service->workers + 1,
                                               sizeof (Kj__WorkerCopy *));
    for (worker_t *w = (worker_t *) zhashx_first (self->workers); w;
         w = (worker_t *) zhashx_next (self->workers)) {
        if (w->service != service)
            continue;
        size_t c = 0;
        while (c < item->n_copies
               && (item->copies [c]->pid != w->pid
                   || !streq (item->copies [c]->host, w->host)))
            c++;
        if (c == item->n_copies) {
            if (c == service->workers)
                continue;  //  never: the service counts its workers
            Kj__WorkerCopy *copy = (Kj__WorkerCopy *) malloc (sizeof *copy);
            kj__worker_copy__init (copy);
            copy->pid = w->pid;
            copy->host = w->host;
            copy->instance = w->copy;
            item->copies [item->n_copies++] = copy;
        }
        item->copies [c]->workers++;
    }
}

//  --------------------------------------------------------------------------
//  Statistics: built by encoding the parts we own and decoding the whole,
//  so the result is one unpacked message the caller frees in one call.

Kj__BrokerStats *
broker_core_stats (broker_core_t *self, int64_t now)
{
    Kj__BrokerStats stats = KJ__BROKER_STATS__INIT;
    if (self->info)
        stats = *self->info;
    stats.malformed = self->malformed;
    stats.dropped = self->dropped;
    stats.clients = zhashx_size (self->clients);
    size_t n = zhashx_size (self->services);
    Kj__ServiceStats *items = (Kj__ServiceStats *)
        calloc (n + 1, sizeof (Kj__ServiceStats));
    Kj__ServiceStats **list = (Kj__ServiceStats **)
        calloc (n + 1, sizeof (Kj__ServiceStats *));
    kj_hist_t *both = kj_hist_new ();
    size_t i = 0;
    for (service_t *service = (service_t *) zhashx_first (self->services);
         service; service = (service_t *) zhashx_next (self->services)) {
        Kj__ServiceStats *item = &items [i];
        kj__service_stats__init (item);
        item->name = service->name;
        item->workers = service->workers;
        uint32_t idle = 0;
        for (worker_t *w = service->ready_head; w; w = w->next)
            idle++;
        item->idle = idle;
        item->credit = service->credit;
        item->queued = (uint32_t) service->queued;
        item->queued_bytes = service->queued_bytes;
        item->in_flight = service->in_flight;
        item->served = service->served;
        item->failed = service->failed;
        item->expired = service->expired;
        item->retried = service->retried;
        kj_hist_reset (both);
        kj_hist_merge (both, service->latency);
        kj_hist_merge (both, service->latency_prev);
        item->p50_us = kj_hist_percentile (both, 500);
        item->p99_us = kj_hist_percentile (both, 990);
        s_stats_copies (self, service, item);
        list [i++] = item;
    }
    kj_hist_destroy (&both);
    stats.n_services = i;
    stats.services = list;
    stats.insecure = self->insecure;
    Kj__Refusal refusals [REFUSAL_REASONS], *refusal_list [REFUSAL_REASONS];
    for (int r = 0; r < REFUSAL_REASONS; r++) {
        kj__refusal__init (&refusals [r]);
        refusals [r].reason = (char *) broker_reasons [r];
        refusals [r].count = atomic_load (&self->refusals [r]);
        refusal_list [r] = &refusals [r];
    }
    stats.n_refusals = REFUSAL_REASONS;
    stats.refusals = refusal_list;
    size_t size = kj__broker_stats__get_packed_size (&stats);
    uint8_t *buffer = (uint8_t *) malloc (size ? size : 1);
    kj__broker_stats__pack (&stats, buffer);
    Kj__BrokerStats *result = kj__broker_stats__unpack (NULL, size, buffer);
    free (buffer);
    for (size_t k = 0; k < i; k++) {
        for (size_t c = 0; c < items [k].n_copies; c++)
            free (items [k].copies [c]);
        free (items [k].copies);
    }
    free (items);
    free (list);
    return result;
}
