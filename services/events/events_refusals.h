/*  =========================================================================
    events_refusals - which refused live subscriptions get an audit row,
    coalesced so that a stranger's spam cannot make unbounded rows

    The broker reports each subscription it refused; kejin-events writes
    them into its audit trail. Within a window (EVENTS_REFUSAL_WINDOW_US),
    the first refusal of each key and topic gets a row at once; later ones
    of the same key and topic are counted, and one row per pair says how
    many when the window closes. At most EVENTS_REFUSAL_PAIRS pairs are
    itemised per window; refusals past that are counted in one row. So a
    window makes at most 2 * EVENTS_REFUSAL_PAIRS + 1 rows, whatever comes.
    No I/O here.
    =========================================================================
*/

#ifndef EVENTS_REFUSALS_H_INCLUDED
#define EVENTS_REFUSALS_H_INCLUDED

#include "kejin.h"

#define EVENTS_REFUSAL_WINDOW_US (10 * 1000000LL)
#define EVENTS_REFUSAL_PAIRS     1000

typedef struct _events_refusals_t events_refusals_t;

//  Called for each row a closing window makes: key, role, city and topic
//  of the pair (all "" and topic NULL for the overflow row) and how many
//  refusals it counts that had no row yet.
typedef void (events_refusals_fn) (const char *key, const char *role,
                                   const char *city, const char *topic,
                                   uint64_t count, void *arg);

events_refusals_t *
    events_refusals_new (int64_t window_us, size_t max_pairs);

void
    events_refusals_destroy (events_refusals_t **self_p);

//  Note one refusal at now_us (mono). True if it is the first of its key
//  and topic in this window: write its row now. False: counted for the
//  window's closing rows.
bool
    events_refusals_note (events_refusals_t *self, const char *key,
                          const char *role, const char *city, const char *topic,
                          int64_t now_us);

//  True if a window is open and over at now_us: events_refusals_close
//  would make its rows.
bool
    events_refusals_due (events_refusals_t *self, int64_t now_us);

//  If the window that began with its first refusal is over at now_us,
//  call fn for each pair refused again since its row, and once for the
//  overflow if any, then start afresh. The rows made.
size_t
    events_refusals_close (events_refusals_t *self, int64_t now_us,
                           events_refusals_fn *fn, void *arg);

#endif
