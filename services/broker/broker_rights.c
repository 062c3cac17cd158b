/*  =========================================================================
    broker_rights - who may do what, refusals, the stamp, federation

    Part of broker_core (broker_core_int.h). The rules of broker/rights and
    federation/carry, parsed once; the checks every request and READY
    pass; the counted and logged refusals; the caller the broker stamps on
    each request to a Kejin worker.
    =========================================================================
*/

#include "broker_core_int.h"

//  Why the broker refused a caller, counted in Stats
const char *broker_reasons [] = {
    "unauthenticated", "revoked",     "worker_role",
    "worker_service",  "method_role", "topic",
    "publisher",       "peer_city",   "hops",
    "unaudited"
};

//  --------------------------------------------------------------------------
//  Rights: is name in a comma-separated list (or is the list "*")?

static bool
s_listed (const char *list, const char *name)
{
    if (!list || !name || !*name)
        return false;
    if (streq (list, "*"))
        return true;
    size_t size = strlen (name);
    for (const char *item = list; item && *item;) {
        const char *end = strchr (item, ',');
        size_t length = end ? (size_t) (end - item) : strlen (item);
        if (length == size && memcmp (item, name, size) == 0)
            return true;
        item = end ? end + 1 : NULL;
    }
    return false;
}

//  May a service key whose certificate lists services serve name? A listed
//  X covers X and its sub-services X.<anything> (registry.bulk,
//  events.writer), the names one daemon serves.

bool
broker_serves (const char *services, const char *name)
{
    if (s_listed (services, name))
        return true;
    char base [256];
    kj_strlcpy (base, name, sizeof base);
    for (char *dot = strrchr (base, '.'); dot; dot = strrchr (base, '.')) {
        *dot = 0;
        if (s_listed (services, base))
            return true;
    }
    return false;
}

//  Does method only read: does it start with one of the read prefixes, the
//  prefix followed by the end or a capital ("GetEnterprise", "Stats")?

static bool
s_is_read (broker_core_t *self, const char *method)
{
    for (const char *item = self->read_methods;
         method && *method && item && *item;) {
        const char *end = strchr (item, ',');
        size_t length = end ? (size_t) (end - item) : strlen (item);
        if (length && strncmp (method, item, length) == 0
            && (method [length] == 0
                || (method [length] >= 'A' && method [length] <= 'Z')))
            return true;
        item = end ? end + 1 : NULL;
    }
    return false;
}

//  May caller call method of service? *allowed says which roles may.

bool
broker_may_call (broker_core_t *self, const broker_caller_t *caller,
                 const char *service, const char *method, const char **allowed)
{
    for (size_t i = 0; i < self->nrules; i++) {
        rule_t *rule = &self->rules [i];
        if (streq (rule->service, service)
            && (streq (rule->method, "*") || streq (rule->method, method))) {
            *allowed = rule->roles;
            return s_listed (rule->roles, caller->role);
        }
    }
    if (s_is_read (self, method)) {
        *allowed = "service,operator,integrator,peer";
        return true;
    }
    *allowed = "service,operator";
    return s_listed (*allowed, caller->role);
}

//  Count and log a refusal; the log says the first 100 of each reason,
//  then one in 1000, so that a flood of refusals cannot flood the log.

void
broker_count_refused (broker_core_t *self, int reason,
                      const broker_caller_t *caller, const char *service,
                      const char *method)
{
    uint64_t count = atomic_fetch_add (&self->refusals [reason], 1) + 1;
    if (count <= 100 || count % 1000 == 0)
        kj_warn ("broker.refused",
                 "reason=%s key=%s role=%s service=%s "
                 "method=%s count=%" PRIu64,
                 broker_reasons [reason],
                 caller && caller->name ? caller->name : "",
                 caller && caller->role ? caller->role : "", service,
                 method ? method : "", count);
}

//  body [0] as Kejin workers get it: the client's header with the caller
//  the broker vouches for in place of whatever the client wrote.

void
broker_stamp (broker_core_t *self, request_t *request,
              Kj__RequestHeader *header, const broker_caller_t *caller)
{
    Kj__Caller stamp = KJ__CALLER__INIT;
    if (caller) {
        stamp.identity = (char *) (caller->name ? caller->name : "");
        stamp.role = (char *) (caller->role ? caller->role : "");
        stamp.city = (char *) (caller->city ? caller->city : "");
        stamp.refused = (char *) (caller->refused ? caller->refused : "");
    }
    Kj__Caller *theirs = header->caller;
    header->caller = &stamp;
    size_t size = kj__request_header__get_packed_size (header);
    zmq_msg_init_size (&request->stamped, KJ_MAGIC_SIZE + size);
    byte *data = (byte *) zmq_msg_data (&request->stamped);
    memcpy (data, KJ_MAGIC, KJ_MAGIC_SIZE);
    kj__request_header__pack (header, data + KJ_MAGIC_SIZE);
    header->caller = theirs;
    request->has_stamp = true;
    request->cost += KJ_MAGIC_SIZE + size;
    self->bytes += KJ_MAGIC_SIZE + size;
}
//  --------------------------------------------------------------------------
//  Federation (docs/federation.md): requests of other cities come through
//  kejin-link, which holds a peer key here. The rules, all in this section:
//  - a request that crossed more links than federation/max_hops allows is
//    refused, so routes that make a loop cannot bounce a request forever;
//  - a peer key's request keeps the caller it carries (stamped by the
//    first broker) if the peer may carry callers of that city: its own
//    city, or the cities federation/carry gives its name; rights are then
//    checked against the carried caller's role;
//  - a peer key's workers get requests only while the service has no
//    local worker (broker_next_worker).

worker_t *
broker_next_worker (service_t *service)
{
    worker_t *worker = service->ready_head;
    if (!service->peer_workers || service->peer_workers == service->workers)
        return worker;
    //  Local workers exist: only they get requests, even when all are busy
    while (worker && worker->peer)
        worker = worker->next;
    return worker;
}

//  May the peer key carry callers of city: its own city, or one that
//  federation/carry ("PEER=CITY,CITY PEER=*") gives its name?

static bool
s_may_carry (broker_core_t *self, const broker_caller_t *peer, const char *city)
{
    if (!*city)
        return false;
    if (peer->city && streq (peer->city, city))
        return true;
    size_t size = strlen (peer->name);
    for (const char *item = self->carry; item && *item;) {
        item += strspn (item, " \t");
        size_t length = strcspn (item, " \t");
        char cities [256];
        if (length > size + 1 && length - size - 1 < sizeof cities
            && item [size] == '=' && memcmp (item, peer->name, size) == 0) {
            memcpy (cities, item + size + 1, length - size - 1);
            cities [length - size - 1] = 0;
            if (s_listed (cities, city))
                return true;
        }
        item += length;
    }
    return false;
}

//  Before the rights: the hop limit, and the caller a peer carries. 0 to
//  go on (*caller_p is then the carried caller, in *carried, when a peer
//  carries one), -1 when refused (frames closed).

int
broker_federation_admit (broker_core_t *self, zmq_msg_t *frames, int count,
                         Kj__RequestHeader *header, const char *name,
                         const broker_caller_t **caller_p,
                         broker_caller_t *carried)
{
    const broker_caller_t *caller = *caller_p;
    if (header && header->hops > (uint32_t) self->max_hops) {
        broker_count_refused (self, REFUSED_HOPS, caller, name, header->method);
        broker_refuse (
            self, frames, count, header, KJ__CODE__FAILED_PRECONDITION, "hops",
            "508",
            "the request to %s crossed %u links between cities, more "
            "than federation/max_hops (%d) allows: the cities' link "
            "routes make a loop or too long a chain",
            name, header->hops, self->max_hops);
        return -1;
    }
    if (!self->secure || !caller || caller->revoked
        || !streq (caller->role, "peer") || !header || !header->caller
        || !*header->caller->identity)
        return 0;
    Kj__Caller *theirs = header->caller;
    if (!s_listed ("service,operator,integrator,peer", theirs->role)
        || !s_may_carry (self, caller, theirs->city)) {
        broker_count_refused (self, REFUSED_PEER_CITY, caller, name,
                              header->method);
        broker_refuse (self, frames, count, header, KJ__CODE__PERMISSION_DENIED,
                       "caller.city", "403",
                       "the peer key %s (city %s) may not carry the caller %s "
                       "(role %s, city %s): a peer carries callers of its own "
                       "city and of those federation/carry gives it",
                       caller->name, caller->city ? caller->city : "",
                       theirs->identity, theirs->role, theirs->city);
        return -1;
    }
    memset (carried, 0, sizeof *carried);
    carried->name = theirs->identity;
    carried->role = theirs->role;
    carried->city = theirs->city;
    carried->services = "";
    *caller_p = carried;
    return 0;
}

int
broker_core_set_federation (broker_core_t *self, int max_hops,
                            const char *carry)
{
    self->max_hops = max_hops;
    free (self->carry);
    self->carry = strdup (carry ? carry : "");
    for (const char *item = self->carry; *item;) {
        item += strspn (item, " \t");
        size_t length = strcspn (item, " \t");
        const char *equals = memchr (item, '=', length);
        if (length
            && (!equals || equals == item || equals == item + length - 1)) {
            kj_error ("broker.bad_carry",
                      "rule=\"%.*s\" reason=\"a rule is PEER=CITY,CITY "
                      "(or PEER=*)\"",
                      (int) length, item);
            return -1;
        }
        item += length;
    }
    return 0;
}
//  --------------------------------------------------------------------------
//  Rights on: the rules parsed once, here

int
broker_core_set_rights (broker_core_t *self, const char *rights,
                        const char *read_methods)
{
    free (self->rules);
    self->rules = NULL;
    self->nrules = 0;
    free (self->read_methods);
    self->read_methods = strdup (read_methods ? read_methods : "");
    char *copy = strdup (rights ? rights : "");
    char *save = NULL;
    int rc = 0;
    for (char *item = strtok_r (copy, " \t", &save); item && rc == 0;
         item = strtok_r (NULL, " \t", &save)) {
        char *slash = strchr (item, '/');
        char *equals = slash ? strchr (slash, '=') : NULL;
        if (!slash || !equals || slash == item || equals == slash + 1
            || !equals [1] || slash - item > 255 || equals - slash > 64
            || strlen (equals + 1) > 63) {
            kj_error ("broker.bad_rights",
                      "rule=\"%s\" reason=\"a rule is "
                      "SERVICE/METHOD=ROLE,ROLE (METHOD may be *)\"",
                      item);
            rc = -1;
            break;
        }
        self->rules = (rule_t *) realloc (self->rules,
                                          (self->nrules + 1) * sizeof (rule_t));
        rule_t *rule = &self->rules [self->nrules++];
        *slash = *equals = 0;
        kj_strlcpy (rule->service, item, sizeof rule->service);
        kj_strlcpy (rule->method, slash + 1, sizeof rule->method);
        kj_strlcpy (rule->roles, equals + 1, sizeof rule->roles);
    }
    free (copy);
    self->secure = rc == 0;
    return rc;
}

void
broker_core_count_refusal (broker_core_t *self, const char *reason)
{
    for (int i = 0; i < REFUSAL_REASONS; i++)
        if (streq (broker_reasons [i], reason))
            atomic_fetch_add (&self->refusals [i], 1);
}
