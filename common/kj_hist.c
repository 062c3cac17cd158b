/*  =========================================================================
    kj_hist - latency histogram with about 3% precision, fixed size
    =========================================================================
*/

#include "kejin.h"
#include "kj_hist.h"

#define SUB_BITS 5   //  32 buckets per octave
#define LINEAR   64  //  exact below this
#define OCTAVES  (64 - 6)
#define BUCKETS  (LINEAR + OCTAVES * (1 << SUB_BITS))

struct _kj_hist_t {
    uint64_t count;
    uint64_t max;
    uint64_t buckets [BUCKETS];
};

static int
s_bucket (uint64_t value)
{
    if (value < LINEAR)
        return (int) value;
    int exponent = 63 - __builtin_clzll (value);  //  >= 6
    int sub = (int) ((value >> (exponent - SUB_BITS)) & ((1 << SUB_BITS) - 1));
    return LINEAR + (exponent - 6) * (1 << SUB_BITS) + sub;
}

//  Highest value that falls in bucket b
static uint64_t
s_upper (int b)
{
    if (b < LINEAR)
        return (uint64_t) b;
    int exponent = (b - LINEAR) / (1 << SUB_BITS) + 6;
    uint64_t sub = (uint64_t) ((b - LINEAR) % (1 << SUB_BITS));
    uint64_t base = (1ULL << exponent) + (sub << (exponent - SUB_BITS));
    return base + (1ULL << (exponent - SUB_BITS)) - 1;
}

kj_hist_t *
kj_hist_new (void)
{
    return (kj_hist_t *) zmalloc (sizeof (kj_hist_t));
}

void
kj_hist_destroy (kj_hist_t **self_p)
{
    if (*self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

void
kj_hist_record (kj_hist_t *self, uint64_t value)
{
    self->buckets [s_bucket (value)]++;
    self->count++;
    if (value > self->max)
        self->max = value;
}

void
kj_hist_merge (kj_hist_t *self, const kj_hist_t *other)
{
    for (int b = 0; b < BUCKETS; b++)
        self->buckets [b] += other->buckets [b];
    self->count += other->count;
    if (other->max > self->max)
        self->max = other->max;
}

void
kj_hist_reset (kj_hist_t *self)
{
    memset (self, 0, sizeof (kj_hist_t));
}

uint64_t
kj_hist_count (const kj_hist_t *self)
{
    return self->count;
}

uint64_t
kj_hist_max (const kj_hist_t *self)
{
    return self->max;
}

uint64_t
kj_hist_percentile (const kj_hist_t *self, int permille)
{
    if (self->count == 0)
        return 0;
    //  Rank of the wanted value, 1-based, rounded up
    uint64_t rank = (self->count * (uint64_t) permille + 999) / 1000;
    if (rank == 0)
        rank = 1;
    uint64_t seen = 0;
    for (int b = 0; b < BUCKETS; b++) {
        seen += self->buckets [b];
        if (seen >= rank) {
            uint64_t upper = s_upper (b);
            return upper < self->max ? upper : self->max;
        }
    }
    return self->max;
}
