/*  =========================================================================
    kj_keys - the node's CURVE keys: who may connect, in which role, and
    the ZAP handler that lets only them in

    Certificates are CZMQ's (zcert: ZPL files with curve/public-key and a
    metadata section), so any language's ZeroMQ binding that reads them
    (pyzmq's zmq.auth.load_certificate, for one) can use a key issued here.
    =========================================================================
*/

#include "kj_keys.h"
#include "kj_log.h"
#include "kj_util.h"
#include <ctype.h>
#include <dirent.h>
#include <sys/stat.h>

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"

struct _kj_keys_t {
    char *dir;          //  the key directory
    char *public_dir;   //  dir/public
    char *revoked_dir;  //  dir/revoked
    char *secret_dir;   //  dir/secret
};

static const char *s_roles [] = { "service", "operator", "integrator", "peer",
                                  NULL };

//  --------------------------------------------------------------------------
//  Names and lists of names

static bool
s_valid_name (const char *name)
{
    size_t size = strlen (name);
    if (size == 0 || size > 63 || strstr (name, ".."))
        return false;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')
              || ((*c == '_' || *c == '.' || *c == '-') && c != name)))
            return false;
    return true;
}

//  A comma-separated list of service names or topic prefixes, or "*"
static bool
s_valid_list (const char *list)
{
    if (streq (list, "*"))
        return true;
    if (!*list || *list == ',' || list [strlen (list) - 1] == ',')
        return false;
    for (const char *c = list; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'
              || *c == '.' || *c == '-' || *c == '$'
              || (*c == ',' && c [1] != ',')))
            return false;
    return true;
}

//  An integrator's topics: a list as above, whose items may name one
//  mirrored city first ("anshan/registry.", "anshan/": all of Anshan).

static bool
s_valid_topics (const char *list)
{
    if (streq (list, "*"))
        return true;
    char *copy = strdup (list);
    size_t at = 0, size = strlen (copy);
    for (const char *item = list; *item;) {
        size_t length = strcspn (item, ",");
        size_t city = kj_keys_topic_city (item, length);
        //  Drop the city: the rest is checked as a plain prefix
        memcpy (copy + at, item + city, length - city);
        at += length - city;
        if (city == length)
            copy [at++] = 'x';  //  "anshan/": a whole city
        if (item [length] == ',')
            copy [at++] = ',';
        item += length + (item [length] == ',');
    }
    assert (at <= size);
    copy [at] = 0;
    bool valid = *list && s_valid_list (copy);
    free (copy);
    return valid;
}

static char *
s_path (const char *dir, const char *name, const char *suffix)
{
    return zsys_sprintf ("%s/%s%s", dir, name, suffix);
}

//  Make the folder with mode, or narrow an existing one that allows more
//  than mode; one that allows less is left as it is, so that a daemon on
//  a read-only /etc (systemd's ProtectSystem=strict) opens it unchanged.
static int
s_mkdir (const char *path, mode_t mode)
{
    if (mkdir (path, mode) && errno != EEXIST) {
        kj_error ("keys.mkdir_failed", "path=%s error=\"%s\"", path,
                  strerror (errno));
        return -1;
    }
    struct stat st;
    if (stat (path, &st) == 0 && !(st.st_mode & 0777 & ~mode))
        return 0;
    if (chmod (path, mode)) {
        kj_error ("keys.mkdir_failed",
                  "path=%s error=\"%s\" reason=\"allows "
                  "more than mode %o\"",
                  path, strerror (errno), (unsigned) mode);
        return -1;
    }
    return 0;
}

//  --------------------------------------------------------------------------

kj_keys_t *
kj_keys_new (const char *dir)
{
    assert (dir);
    kj_keys_t *self = (kj_keys_t *) zmalloc (sizeof (kj_keys_t));
    self->dir = strdup (dir);
    self->public_dir = s_path (dir, "public", "");
    self->revoked_dir = s_path (dir, "revoked", "");
    self->secret_dir = s_path (dir, "secret", "");
    if (s_mkdir (dir, 0755) || s_mkdir (self->public_dir, 0755)
        || s_mkdir (self->revoked_dir, 0755)
        || s_mkdir (self->secret_dir, 0700))
        kj_keys_destroy (&self);
    return self;
}

void
kj_keys_destroy (kj_keys_t **self_p)
{
    if (*self_p) {
        kj_keys_t *self = *self_p;
        free (self->dir);
        zstr_free (&self->public_dir);
        zstr_free (&self->revoked_dir);
        zstr_free (&self->secret_dir);
        free (self);
        *self_p = NULL;
    }
}

const char *
kj_keys_dir (kj_keys_t *self)
{
    return self->dir;
}

//  --------------------------------------------------------------------------
//  A certificate's metadata as info

static void
s_info_of (zcert_t *cert, kj_key_info_t *info)
{
    memset (info, 0, sizeof *info);
    const char *value;
    if ((value = zcert_meta (cert, "name")))
        kj_strlcpy (info->name, value, sizeof info->name);
    if ((value = zcert_meta (cert, "role")))
        kj_strlcpy (info->role, value, sizeof info->role);
    if ((value = zcert_meta (cert, "city")))
        kj_strlcpy (info->city, value, sizeof info->city);
    if ((value = zcert_meta (cert, "services")))
        kj_strlcpy (info->services, value, sizeof info->services);
    if ((value = zcert_meta (cert, "topics")))
        kj_strlcpy (info->topics, value, sizeof info->topics);
    kj_strlcpy (info->key, zcert_public_txt (cert), sizeof info->key);
}

static bool
s_exists (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0;
}

int
kj_keys_issue (kj_keys_t *self, kj_key_info_t *info, const char *secret_path,
               kj_status_t *status)
{
    kj_status_ok (status);
    bool known_role = false;
    for (const char **role = s_roles; *role; role++)
        known_role = known_role || streq (*role, info->role);
    if (!s_valid_name (info->name))
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "name",
                              "a key's name is 1 to 63 of a-z 0-9 _ . - "
                              "(starting with a letter or digit), not '%s'",
                              info->name);
    if (!known_role)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "role",
                              "role must be service, operator, integrator or "
                              "peer, not '%s'",
                              info->role);
    for (const char *c = info->city; *c; c++)
        if (*c < '0' || *c > '9' || strlen (info->city) != 6)
            return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "city",
                                  "city is a 6-digit region code (210100 "
                                  "Shenyang), not '%s'",
                                  info->city);
    bool service = streq (info->role, "service");
    bool integrator = streq (info->role, "integrator");
    if (service && !s_valid_list (info->services))
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "services",
                              "a service key names the MDP services it may "
                              "serve, comma-separated (or *), not '%s'",
                              info->services);
    //  A peer key (kejin-link) may name the services it brings from
    //  another city
    bool peer = streq (info->role, "peer");
    if (peer && *info->services && !s_valid_list (info->services))
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "services",
                              "a peer key names the MDP services its link "
                              "may serve, comma-separated (or *), not '%s'",
                              info->services);
    if (!service && !peer && *info->services)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "services",
                              "only a service or peer key names services; "
                              "this is a%s %s key",
                              streq (info->role, "operator") ? "n" : "",
                              info->role);
    if (integrator && !*info->topics)
        kj_strlcpy (info->topics, "*", sizeof info->topics);
    if (integrator && !s_valid_topics (info->topics))
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "topics",
                              "an integrator key names the topic prefixes it "
                              "may read, comma-separated (or *), each maybe "
                              "of one mirrored city (anshan/registry.), not "
                              "'%s'",
                              info->topics);
    if (!integrator && *info->topics)
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "topics",
                              "only an integrator key names topics; this is "
                              "a%s %s key",
                              streq (info->role, "operator") ? "n" : "",
                              info->role);
    char *public_path = s_path (self->public_dir, info->name, ".key");
    char *revoked_path = s_path (self->revoked_dir, info->name, ".key");
    char *own_secret = s_path (self->secret_dir, info->name, ".key_secret");
    int rc = 0;
    if (s_exists (public_path) || s_exists (revoked_path))
        rc = kj_status_set (status, KJ__CODE__ALREADY_EXISTS, "name",
                            "a key called %s exists already%s; give the new "
                            "one another name",
                            info->name,
                            s_exists (revoked_path) ? " (revoked)" : "");
    zcert_t *cert = rc ? NULL : zcert_new ();
    if (cert) {
        zcert_set_meta (cert, "name", "%s", info->name);
        zcert_set_meta (cert, "role", "%s", info->role);
        if (*info->city)
            zcert_set_meta (cert, "city", "%s", info->city);
        if (*info->services)
            zcert_set_meta (cert, "services", "%s", info->services);
        if (*info->topics)
            zcert_set_meta (cert, "topics", "%s", info->topics);
        char created [32];
        time_t now = time (NULL);
        strftime (created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", gmtime (&now));
        zcert_set_meta (cert, "created", "%s", created);
        const char *secret = secret_path ? secret_path : own_secret;
        mode_t mask = umask (077);
        //  The secret first: a public key without its secret is no use
        if (zcert_save_secret (cert, secret)
            || zcert_save_public (cert, public_path)) {
            rc = kj_status_set (status, KJ__CODE__INTERNAL, "out",
                                "could not write %s or %s: %s", secret,
                                public_path, strerror (errno));
            unlink (public_path);
        }
        umask (mask);
        chmod (public_path, 0644);
        kj_strlcpy (info->key, zcert_public_txt (cert), sizeof info->key);
        if (rc == 0)
            kj_info ("keys.issued", "name=%s role=%s city=%s key=%s",
                     info->name, info->role, info->city, info->key);
        zcert_destroy (&cert);
    }
    zstr_free (&public_path);
    zstr_free (&revoked_path);
    zstr_free (&own_secret);
    return rc;
}

int
kj_keys_revoke (kj_keys_t *self, const char *name, kj_status_t *status)
{
    kj_status_ok (status);
    if (!s_valid_name (name))
        return kj_status_set (status, KJ__CODE__INVALID_ARGUMENT, "name",
                              "'%s' is not a key's name", name);
    char *public_path = s_path (self->public_dir, name, ".key");
    char *revoked_path = s_path (self->revoked_dir, name, ".key");
    int rc = 0;
    if (rename (public_path, revoked_path)) {
        if (errno == ENOENT && s_exists (revoked_path))
            rc = kj_status_set (status, KJ__CODE__FAILED_PRECONDITION, "name",
                                "the key %s is revoked already", name);
        else if (errno == ENOENT)
            rc = kj_status_set (status, KJ__CODE__NOT_FOUND, "name",
                                "no key is called %s (kejin keys list shows "
                                "them)",
                                name);
        else
            rc = kj_status_set (status, KJ__CODE__INTERNAL, "name",
                                "could not move %s to %s: %s", public_path,
                                revoked_path, strerror (errno));
    }
    else
        kj_info ("keys.revoked", "name=%s", name);
    zstr_free (&public_path);
    zstr_free (&revoked_path);
    return rc;
}

//  --------------------------------------------------------------------------
//  Listing

typedef struct {
    kj_key_info_t info;
    bool revoked;
} s_entry_t;

static int
s_compare (const void *a, const void *b)
{
    return strcmp (((const s_entry_t *) a)->info.name,
                   ((const s_entry_t *) b)->info.name);
}

static void
s_scan (const char *dir, bool revoked, zlist_t *entries)
{
    DIR *handle = opendir (dir);
    struct dirent *entry;
    while (handle && (entry = readdir (handle))) {
        size_t size = strlen (entry->d_name);
        if (size < 5 || !streq (entry->d_name + size - 4, ".key"))
            continue;
        char *path = s_path (dir, entry->d_name, "");
        zcert_t *cert = zcert_load (path);
        if (cert) {
            s_entry_t *item = (s_entry_t *) zmalloc (sizeof (s_entry_t));
            s_info_of (cert, &item->info);
            item->revoked = revoked;
            zlist_append (entries, item);
            zcert_destroy (&cert);
        }
        zstr_free (&path);
    }
    if (handle)
        closedir (handle);
}

void
kj_keys_list (kj_keys_t *self, kj_keys_fn *fn, void *arg)
{
    zlist_t *entries = zlist_new ();
    s_scan (self->public_dir, false, entries);
    s_scan (self->revoked_dir, true, entries);
    size_t count = zlist_size (entries);
    s_entry_t *sorted = (s_entry_t *) zmalloc ((count + 1) * sizeof *sorted);
    s_entry_t *item;
    for (size_t i = 0; (item = (s_entry_t *) zlist_pop (entries)); i++) {
        sorted [i] = *item;
        free (item);
    }
    qsort (sorted, count, sizeof *sorted, s_compare);
    for (size_t i = 0; i < count; i++)
        fn (&sorted [i].info, sorted [i].revoked, arg);
    free (sorted);
    zlist_destroy (&entries);
}

zcert_t *
kj_keys_secret (kj_keys_t *self, const char *name)
{
    if (!s_valid_name (name))
        return NULL;
    //  zcert_load reads NAME.key_secret before NAME.key
    char *path = s_path (self->secret_dir, name, ".key");
    zcert_t *cert = zcert_load (path);
    zstr_free (&path);
    if (cert
        && streq (zcert_secret_txt (cert),
                  "0000000000000000000000000000000000000000"))
        zcert_destroy (&cert);
    return cert;
}

int
kj_keys_find (kj_keys_t *self, const char *name, kj_key_info_t *info)
{
    if (!s_valid_name (name))
        return -1;
    char *path = s_path (self->public_dir, name, ".key");
    zcert_t *cert = zcert_load (path);
    zstr_free (&path);
    if (!cert)
        return -1;
    s_info_of (cert, info);
    zcert_destroy (&cert);
    return 0;
}

size_t
kj_keys_topic_city (const char *topic, size_t size)
{
    if (size == 0 || !islower ((unsigned char) topic [0]))
        return 0;
    for (size_t i = 1; i < size && i <= KJ_KEYS_CITY_MAX; i++) {
        if (topic [i] == '/')
            return i + 1;
        if (!islower ((unsigned char) topic [i])
            && !isdigit ((unsigned char) topic [i]) && topic [i] != '_')
            return 0;
    }
    return 0;
}

bool
kj_keys_topic_allowed (const char *topics, const char *topic, size_t size)
{
    if (!topics)
        return false;
    if (streq (topics, "*"))
        return true;
    size_t city = kj_keys_topic_city (topic, size);
    for (const char *item = topics; item && *item;) {
        const char *end = strchr (item, ',');
        size_t length = end ? (size_t) (end - item) : strlen (item);
        if (length && size >= length && memcmp (topic, item, length) == 0)
            return true;
        //  A plain prefix allows it in every mirrored city too
        if (length && city && !kj_keys_topic_city (item, length)
            && size - city >= length
            && memcmp (topic + city, item, length) == 0)
            return true;
        item = end ? end + 1 : NULL;
    }
    return false;
}

//  --------------------------------------------------------------------------
//  Sockets

int
kj_keys_server (zsock_t *sock, zcert_t *cert)
{
    return kj_keys_server_domain (sock, cert, KJ_ZAP_DOMAIN);
}

int
kj_keys_server_domain (zsock_t *sock, zcert_t *cert, const char *domain)
{
    zcert_apply (cert, sock);
    zsock_set_curve_server (sock, 1);
    zsock_set_zap_domain (sock, domain);
    //  ZMQ_ZAP_ENFORCE_DOMAIN (93, draft in libzmq 4.3): without a ZAP
    //  handler the handshake then fails instead of letting everyone in
    int one = 1;
    if (zmq_setsockopt (zsock_resolve (sock), 93, &one, sizeof one)) {
        kj_error ("keys.no_enforce",
                  "error=\"%s\" reason=\"libzmq cannot "
                  "enforce the ZAP domain\"",
                  zmq_strerror (zmq_errno ()));
        return -1;
    }
    return 0;
}

int
kj_keys_client (zsock_t *sock, zcert_t *cert, const char *server_key)
{
    if (!server_key || strlen (server_key) != 40)
        return -1;
    zcert_apply (cert, sock);
    zsock_set_curve_serverkey (sock, server_key);
    return 0;
}

int
kj_keys_client_env (zsock_t *sock, const char *default_name)
{
    const char *dir = getenv ("KEJIN_NODE_KEYS");
    if (!dir || !*dir)
        return 1;
    const char *name = getenv ("KEJIN_KEY");
    if (!name || !*name)
        name = default_name;
    const char *server = getenv ("KEJIN_BROKER_KEY");
    if (!server || !*server)
        server = "broker";
    kj_keys_t *keys = kj_keys_new (dir);
    zcert_t *cert = keys ? kj_keys_secret (keys, name) : NULL;
    kj_key_info_t info;
    int rc = -1;
    if (!cert)
        kj_error ("keys.no_secret",
                  "keys=%s name=%s reason=\"no secret key "
                  "of that name in secret/ (KEJIN_KEY names it)\"",
                  dir, name);
    else if (kj_keys_find (keys, server, &info))
        kj_error ("keys.no_server_key",
                  "keys=%s name=%s reason=\"no public "
                  "key of the broker of that name in public/\"",
                  dir, server);
    else
        rc = kj_keys_client (sock, cert, info.key);
    zcert_destroy (&cert);
    kj_keys_destroy (&keys);
    return rc;
}

//  --------------------------------------------------------------------------
//  The ZAP handler (RFC 27): one REP socket on ZAP_ENDPOINT

typedef struct {
    zsock_t *pipe;
    zsock_t *handler;
    zcertstore_t *store;  //  dir/public, reloaded when it changes
    uint64_t refused;
} s_zap_t;

//  ZMTP property: name length (1 octet), name, value length (4, network
//  order), value
static void
s_property (zchunk_t *chunk, const char *name, const char *value)
{
    size_t name_size = strlen (name), value_size = strlen (value);
    byte size = (byte) name_size;
    zchunk_extend (chunk, &size, 1);
    zchunk_extend (chunk, name, name_size);
    byte length [4] = { (byte) (value_size >> 24), (byte) (value_size >> 16),
                        (byte) (value_size >> 8), (byte) value_size };
    zchunk_extend (chunk, length, 4);
    zchunk_extend (chunk, value, value_size);
}

static void
s_zap_reply (s_zap_t *self, const char *request_id, const char *code,
             const char *text, const kj_key_info_t *info)
{
    zchunk_t *metadata = zchunk_new (NULL, 0);
    if (info) {
        s_property (metadata, "kj-name", info->name);
        s_property (metadata, "kj-role", info->role);
        s_property (metadata, "kj-city", info->city);
        s_property (metadata, "kj-services", info->services);
        s_property (metadata, "kj-topics", info->topics);
    }
    zmsg_t *reply = zmsg_new ();
    zmsg_addstr (reply, "1.0");
    zmsg_addstr (reply, request_id);
    zmsg_addstr (reply, code);
    zmsg_addstr (reply, text);
    zmsg_addstr (reply, info ? info->name : "");
    zmsg_addmem (reply, zchunk_data (metadata), zchunk_size (metadata));
    zchunk_destroy (&metadata);
    if (zmsg_send (&reply, self->handler))
        zmsg_destroy (&reply);
}

static void
s_zap_request (s_zap_t *self)
{
    zmsg_t *request = zmsg_recv (self->handler);
    if (!request)
        return;
    char *version = zmsg_popstr (request);
    char *request_id = zmsg_popstr (request);
    char *domain = zmsg_popstr (request);
    char *address = zmsg_popstr (request);
    char *identity = zmsg_popstr (request);
    char *mechanism = zmsg_popstr (request);
    zframe_t *key = zmsg_pop (request);
    const char *why = NULL;
    kj_key_info_t info;
    char key_txt [41] = "";
    if (!version || !streq (version, "1.0") || !mechanism)
        why = "not a ZAP 1.0 request";
    else if (!streq (domain, KJ_ZAP_DOMAIN)
             && !streq (domain, KJ_ZAP_DOMAIN_SERVICE))
        why = "wrong ZAP domain";
    else if (!streq (mechanism, "CURVE"))
        why = "only CURVE keys may connect";
    else if (!key || zframe_size (key) != 32)
        why = "no CURVE key";
    else {
        zmq_z85_encode (key_txt, zframe_data (key), 32);
        zcert_t *cert = zcertstore_lookup (self->store, key_txt);
        if (!cert)
            why = "unknown or revoked key";
        else
            s_info_of (cert, &info);
        if (cert && streq (domain, KJ_ZAP_DOMAIN_SERVICE)
            && !streq (info.role, "service"))
            why = "only service keys may connect here";
    }
    if (why) {
        self->refused++;
        kj_warn ("keys.refused",
                 "address=%s mechanism=%s key=%s "
                 "reason=\"%s\"",
                 address ? address : "", mechanism ? mechanism : "", key_txt,
                 why);
    }
    //  A reply goes out even to a malformed request: its sender waits
    if (version && request_id)
        s_zap_reply (self, request_id, why ? "400" : "200", why ? why : "OK",
                     why ? NULL : &info);
    zstr_free (&version);
    zstr_free (&request_id);
    zstr_free (&domain);
    zstr_free (&address);
    zstr_free (&identity);
    zstr_free (&mechanism);
    zframe_destroy (&key);
    zmsg_destroy (&request);
}

static void
s_zap_actor (zsock_t *pipe, void *args)
{
    s_zap_t self = { .pipe = pipe };
    char *public_dir = s_path ((const char *) args, "public", "");
    self.store = zcertstore_new (public_dir);
    zstr_free (&public_dir);
    self.handler = zsock_new (ZMQ_REP);
    if (self.handler && zsock_bind (self.handler, ZAP_ENDPOINT)) {
        kj_error ("keys.zap_failed", "reason=\"another ZAP handler runs in "
                                     "this process\"");
        zsock_destroy (&self.handler);
    }
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, self.handler, NULL);
    while (true) {
        zsock_t *which = (zsock_t *) zpoller_wait (poller, -1);
        if (which && which == self.handler)
            s_zap_request (&self);
        else if (which == pipe) {
            char *command = zstr_recv (pipe);
            bool term = !command || streq (command, "$TERM");
            if (command && streq (command, "$COUNT"))
                zstr_sendf (pipe, "%" PRIu64, self.refused);
            else if (command && streq (command, "$READY"))
                zstr_send (pipe, self.handler ? "yes" : "no");
            zstr_free (&command);
            if (term)
                break;
        }
        else
            break;
    }
    zpoller_destroy (&poller);
    zcertstore_destroy (&self.store);
    zsock_destroy (&self.handler);
}

zactor_t *
kj_keys_zap_new (const char *dir)
{
    //  The actor reads dir before it signals, so dir may go after this
    zactor_t *actor = zactor_new (s_zap_actor, (void *) dir);
    zstr_send (actor, "$READY");
    char *ready = zstr_recv (actor);
    if (!ready || !streq (ready, "yes"))
        zactor_destroy (&actor);
    zstr_free (&ready);
    return actor;
}

//  --------------------------------------------------------------------------
//  Self-test: a key nobody issued must be refused, by our handler

static uint64_t
s_refusals (zactor_t *zap)
{
    zstr_send (zap, "$COUNT");
    char *count = zstr_recv (zap);
    uint64_t value = count ? strtoull (count, NULL, 10) : 0;
    zstr_free (&count);
    return value;
}

int
kj_keys_selftest (zcert_t *cert, zactor_t *zap)
{
    if (!zap) {
        kj_error ("keys.selftest_failed", "reason=\"no ZAP handler: every "
                                          "key would get in\"");
        return -1;
    }
    uint64_t before = s_refusals (zap);
    zsock_t *server = zsock_new (ZMQ_ROUTER);
    zsock_t *client = zsock_new (ZMQ_DEALER);
    zcert_t *stranger = zcert_new ();
    int rc = -1;
    int port = -1;
    if (server && client && stranger && kj_keys_server (server, cert) == 0
        && (port = zsock_bind (server, "tcp://127.0.0.1:*")) > 0
        && kj_keys_client (client, stranger, zcert_public_txt (cert)) == 0
        && zsock_connect (client, "tcp://127.0.0.1:%d", port) == 0) {
        zsock_set_sndtimeo (client, 0);
        zstr_send (client, "selftest");
        //  Refused when our handler counted it; in when the probe arrives
        int64_t deadline = kj_mono_us () + 3000000;
        rc = 1;
        while (rc == 1 && kj_mono_us () < deadline) {
            if (zsock_events (server) & ZMQ_POLLIN) {
                kj_error ("keys.selftest_failed",
                          "reason=\"a key nobody "
                          "issued got in: is the ZAP domain enforced?\"");
                rc = -1;
            }
            else if (s_refusals (zap) > before)
                rc = 0;
            else
                zclock_sleep (5);
        }
        if (rc == 1) {
            kj_error ("keys.selftest_failed", "reason=\"the ZAP handler never "
                                              "saw the probe key within 3 s\"");
            rc = -1;
        }
    }
    else
        kj_error ("keys.selftest_failed", "reason=\"could not set up the "
                                          "probe sockets\"");
    zcert_destroy (&stranger);
    zsock_destroy (&client);
    zsock_destroy (&server);
    return rc;
}
