/*  =========================================================================
    kj_hist - latency histogram with about 3% precision, fixed size

    Values up to 63 are exact; above, each power of two is split into 32
    buckets. No allocation after new, so the broker can record every
    request, and percentiles are read without sorting.
    =========================================================================
*/

#ifndef KJ_HIST_H_INCLUDED
#define KJ_HIST_H_INCLUDED

#include <stdint.h>

typedef struct _kj_hist_t kj_hist_t;

kj_hist_t *
    kj_hist_new (void);

void
    kj_hist_destroy (kj_hist_t **self_p);

void
    kj_hist_record (kj_hist_t *self, uint64_t value);

//  Add every value of other into self.
void
    kj_hist_merge (kj_hist_t *self, const kj_hist_t *other);

void
    kj_hist_reset (kj_hist_t *self);

uint64_t
    kj_hist_count (const kj_hist_t *self);

//  The value at `permille` (500 = median, 990 = p99), as the upper edge of
//  its bucket; 0 when empty.
uint64_t
    kj_hist_percentile (const kj_hist_t *self, int permille);

uint64_t
    kj_hist_max (const kj_hist_t *self);

#endif
