/*  =========================================================================
    mirror_link - which links a hub holds, and what state each is in

    The rules only: parsing mirror/links and deciding a link's state from
    what mirror_server saw of it. No I/O, so the unit tests drive every
    case.
    =========================================================================
*/

#include "mirror.h"

//  --------------------------------------------------------------------------
//  A city name is a lower-case identifier, since it names a database
//  (kejin_mirror_<city>) and a subscription.

static bool
s_city_ok (const char *city, size_t size)
{
    if (size == 0 || size > MIRROR_CITY_MAX || !islower ((unsigned char) *city))
        return false;
    for (size_t i = 0; i < size; i++)
        if (!islower ((unsigned char) city [i])
            && !isdigit ((unsigned char) city [i]) && city [i] != '_')
            return false;
    return true;
}

//  --------------------------------------------------------------------------

int
mirror_links_parse (const char *text, mirror_peer_t *peers, int *count,
                    kj_status_t *status)
{
    assert (text);
    assert (peers);
    assert (count);
    *count = 0;
    const char *item = text;
    while (*item) {
        const char *end = strchr (item, ';');
        size_t size = end ? (size_t) (end - item) : strlen (item);
        while (size && isspace ((unsigned char) *item)) {
            item++;
            size--;
        }
        while (size && isspace ((unsigned char) item [size - 1]))
            size--;
        if (size) {
            const char *equals = memchr (item, '=', size);
            size_t name = equals ? (size_t) (equals - item) : size;
            while (name && isspace ((unsigned char) item [name - 1]))
                name--;
            if (!s_city_ok (item, name) || !equals
                || strspn (equals + 1, " \t")
                       >= (size_t) (item + size - equals - 1)) {
                mirror_links_free (peers, *count);
                return kj_status_set (
                    status, KJ__CODE__INVALID_ARGUMENT, "mirror/links",
                    "mirror/links: \"%.*s\" is not city=CONNINFO (a city of "
                    "a-z, 0-9 and _, at most %d bytes, then a libpq "
                    "connection string)",
                    (int) kj_utf8_cut (item, size < 60 ? size : 60), item,
                    MIRROR_CITY_MAX);
            }
            for (int i = 0; i < *count; i++)
                if (strlen (peers [i].city) == name
                    && memcmp (peers [i].city, item, name) == 0) {
                    mirror_links_free (peers, *count);
                    return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT,
                                          "mirror/links",
                                          "mirror/links: city %.*s twice",
                                          (int) name, item);
                }
            if (*count == MIRROR_LINKS_MAX) {
                mirror_links_free (peers, *count);
                return kj_status_set (status, KJ__CODE__OUT_OF_RANGE,
                                      "mirror/links",
                                      "mirror/links: more than %d links",
                                      MIRROR_LINKS_MAX);
            }
            mirror_peer_t *peer = &peers [(*count)++];
            memcpy (peer->city, item, name);
            peer->city [name] = 0;
            const char *conninfo = equals + 1;
            while (isspace ((unsigned char) *conninfo))
                conninfo++;
            peer->conninfo = strndup (conninfo,
                                      (size_t) (item + size - conninfo));
        }
        if (!end)
            break;
        item = end + 1;
    }
    return 0;
}

void
mirror_links_free (mirror_peer_t *peers, int count)
{
    for (int i = 0; i < count; i++)
        zstr_free (&peers [i].conninfo);
}

//  --------------------------------------------------------------------------
//  GAP first and for good: once the origin dropped rows this hub had not
//  copied, nothing that happens later may make the link look whole.

Kj__LinkState
mirror_link_state (const mirror_seen_t *seen, const char **reason)
{
    assert (seen);
    assert (reason);
    *reason = "";
    if (seen->previous == KJ__LINK_STATE__LINK_GAP) {
        *reason = N_ ("the origin dropped events this hub had not copied; "
                      "re-seed the link");
        return KJ__LINK_STATE__LINK_GAP;
    }
    if (seen->origin_reached && (seen->slot_lost || !seen->slot_found)) {
        *reason = seen->slot_lost
                    ? N_ ("the origin gave up the link's WAL "
                          "(max_slot_wal_keep_size): events were dropped "
                          "before this hub copied them")
                    : N_ ("the link's replication slot is gone at the origin");
        return KJ__LINK_STATE__LINK_GAP;
    }
    if (!seen->origin_reached) {
        *reason = seen->origin_error && *seen->origin_error
                    ? seen->origin_error
                    : N_ ("the origin does not answer");
        return KJ__LINK_STATE__LINK_DOWN;
    }
    if (!seen->running) {
        *reason = N_ ("the subscription's apply worker is not running");
        return KJ__LINK_STATE__LINK_DOWN;
    }
    return seen->hub_head >= seen->origin_head
             ? KJ__LINK_STATE__LINK_OK
             : KJ__LINK_STATE__LINK_CATCHING_UP;
}

const char *
mirror_link_topic (Kj__LinkState state)
{
    switch (state) {
        case KJ__LINK_STATE__LINK_OK:
            return "mirror.link.ok";
        case KJ__LINK_STATE__LINK_CATCHING_UP:
            return "mirror.link.catching_up";
        case KJ__LINK_STATE__LINK_DOWN:
            return "mirror.link.down";
        case KJ__LINK_STATE__LINK_GAP:
            return "mirror.link.gap";
        default:
            return "mirror.link.unknown";
    }
}
