/*  =========================================================================
    events_refusals - which refused live subscriptions get an audit row,
    coalesced per key and topic per window (events_refusals.h)
    =========================================================================
*/

#include "events_refusals.h"

typedef struct {
    char *key, *role, *city, *topic;
    uint64_t again;  //  refusals since its row
} s_pair_t;

struct _events_refusals_t {
    int64_t window_us;
    size_t max_pairs;
    int64_t opened_us;  //  first refusal of the window (0: none yet)
    zhashx_t *pairs;    //  "key\ntopic" -> s_pair_t
    uint64_t overflow;  //  refusals past max_pairs
};

//  --------------------------------------------------------------------------
//  A pair's destructor for the table

static void
s_pair_destroy (void **item_p)
{
    s_pair_t *pair = (s_pair_t *) *item_p;
    if (pair) {
        free (pair->key);
        free (pair->role);
        free (pair->city);
        free (pair->topic);
        free (pair);
        *item_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  A new, empty set of windows.

events_refusals_t *
events_refusals_new (int64_t window_us, size_t max_pairs)
{
    events_refusals_t *self = (events_refusals_t *) zmalloc (
        sizeof (events_refusals_t));
    self->window_us = window_us;
    self->max_pairs = max_pairs;
    self->pairs = zhashx_new ();
    zhashx_set_destructor (self->pairs, s_pair_destroy);
    return self;
}

//  --------------------------------------------------------------------------
//  Destroy, forgetting what was not yet closed.

void
events_refusals_destroy (events_refusals_t **self_p)
{
    if (*self_p) {
        events_refusals_t *self = *self_p;
        zhashx_destroy (&self->pairs);
        free (self);
        *self_p = NULL;
    }
}

//  --------------------------------------------------------------------------
//  One refusal: first of its pair in the window, or counted.

bool
events_refusals_note (events_refusals_t *self, const char *key,
                      const char *role, const char *city, const char *topic,
                      int64_t now_us)
{
    if (self->opened_us == 0)
        self->opened_us = now_us ? now_us : 1;
    char *name = zsys_sprintf ("%s\n%s", key, topic);
    assert (name);
    s_pair_t *pair = (s_pair_t *) zhashx_lookup (self->pairs, name);
    bool first = false;
    if (pair)
        pair->again++;
    else if (zhashx_size (self->pairs) < self->max_pairs) {
        pair = (s_pair_t *) zmalloc (sizeof (s_pair_t));
        pair->key = strdup (key);
        pair->role = strdup (role);
        pair->city = strdup (city);
        pair->topic = strdup (topic);
        assert (pair->key && pair->role && pair->city && pair->topic);
        zhashx_insert (self->pairs, name, pair);
        first = true;
    }
    else
        self->overflow++;
    zstr_free (&name);
    return first;
}

//  --------------------------------------------------------------------------
//  Is the window over?

bool
events_refusals_due (events_refusals_t *self, int64_t now_us)
{
    return self->opened_us && now_us - self->opened_us >= self->window_us;
}

//  --------------------------------------------------------------------------
//  Close the window when it is over: a row per pair refused again, one for
//  the overflow.

size_t
events_refusals_close (events_refusals_t *self, int64_t now_us,
                       events_refusals_fn *fn, void *arg)
{
    if (!events_refusals_due (self, now_us))
        return 0;
    size_t rows = 0;
    for (s_pair_t *pair = (s_pair_t *) zhashx_first (self->pairs); pair;
         pair = (s_pair_t *) zhashx_next (self->pairs))
        if (pair->again) {
            fn (pair->key, pair->role, pair->city, pair->topic, pair->again,
                arg);
            rows++;
        }
    if (self->overflow) {
        fn ("", "", "", NULL, self->overflow, arg);
        rows++;
    }
    zhashx_purge (self->pairs);
    self->overflow = 0;
    self->opened_us = 0;
    return rows;
}
