/*  =========================================================================
    kj_keys - the node's CURVE keys: who may connect, in which role, and
    the ZAP handler that lets only them in

    A key directory holds public/ (one certificate per key allowed in, with
    its name, role, city and rights as metadata), revoked/ (keys taken
    back) and secret/ (mode 700: the node's own daemons' secret keys).
    `kejin keys new|list|revoke` edits it; every daemon with a TCP endpoint
    runs the ZAP handler over it, so a key issued or revoked takes effect at
    the next handshake without a restart.

    Fails closed: the ZAP domain is set and enforced on every server socket,
    and kj_keys_selftest proves, before a daemon opens its port, that an
    unknown key is refused (with no handler, or enforcement off, it is not,
    and the daemon refuses to start).

    Roles (docs/security.md): service (registers workers for the services
    its certificate names), operator (changes and approves), integrator
    (reads and subscribes to the topics its certificate names), peer
    (another city's broker).
    =========================================================================
*/

#ifndef KJ_KEYS_H_INCLUDED
#define KJ_KEYS_H_INCLUDED

#include <czmq.h>
#include "kj_proto.h"

//  The ZAP domain of every Kejin server socket
#define KJ_ZAP_DOMAIN "kejin"
//  The ZAP domain of a socket only services may connect to (the broker's
//  XSUB, where kejin-events publishes): any other valid key is refused at
//  the handshake
#define KJ_ZAP_DOMAIN_SERVICE "kejin.service"

//  What a certificate says of its holder (metadata of the public file, and
//  ZAP metadata on every message the holder sends: zframe_meta (frame,
//  "kj-role") and so on)
typedef struct {
    char name [64];       //  unique in the node: [a-z0-9][a-z0-9_.-]*
    char role [16];       //  service, operator, integrator, peer
    char city [16];       //  region code, e.g. 210100 (may be empty)
    char services [256];  //  service: MDP services it may serve
    char topics [256];    //  integrator: topic prefixes it may read
    char key [41];        //  public key, Z85
} kj_key_info_t;

typedef struct _kj_keys_t kj_keys_t;

//  Open (and create, if missing) the key directory dir. NULL, logged, if it
//  cannot be made.
kj_keys_t *
    kj_keys_new (const char *dir);

void
    kj_keys_destroy (kj_keys_t **self_p);

const char *
    kj_keys_dir (kj_keys_t *self);

//  Issue a new key with the name, role, city and rights of info; its
//  public certificate goes to public/, its secret certificate to
//  secret_path (NULL: secret/NAME.key_secret), mode 600. info->key gets
//  the public key. -1 with status (naming the field) for a bad or taken
//  name, an unknown role, rights that do not fit the role.
int
    kj_keys_issue (kj_keys_t *self, kj_key_info_t *info,
                   const char *secret_path, kj_status_t *status);

//  Revoke the key called name: its certificate moves to revoked/, so the
//  next handshake with it fails. -1 with status if there is no such key.
int
    kj_keys_revoke (kj_keys_t *self, const char *name, kj_status_t *status);

//  Every key, valid and revoked, sorted by name; calls fn for each with
//  revoked set for the revoked ones.
typedef void (kj_keys_fn) (const kj_key_info_t *info, bool revoked, void *arg);
void
    kj_keys_list (kj_keys_t *self, kj_keys_fn *fn, void *arg);

//  The secret certificate of name from secret/ (the node's own daemons'),
//  or NULL. The caller destroys it.
zcert_t *
    kj_keys_secret (kj_keys_t *self, const char *name);

//  The valid (not revoked) key name: 0 and its info, or -1.
int
    kj_keys_find (kj_keys_t *self, const char *name, kj_key_info_t *info);

//  A live subscription the broker refused is reported up its XSUB to the
//  event log, which audits it: one frame, this byte (0 and 1 begin
//  subscriptions) and a kj.SubscriptionRefused, its topic cut to
//  KJ_REFUSAL_TOPIC_MAX bytes.
#define KJ_REFUSAL_FRAME     2
#define KJ_REFUSAL_TOPIC_MAX 256

//  May a holder of topics (a certificate's: comma-separated prefixes, or
//  "*") read topic (size bytes, not terminated)? Empty topics allow none.
//  A mirrored city's topic ("anshan/registry.x", as a hub publishes it)
//  is allowed by the same prefixes without the city ("registry.") or with
//  it ("anshan/registry.").
bool
    kj_keys_topic_allowed (const char *topics, const char *topic, size_t size);

#define KJ_KEYS_CITY_MAX 31  //  bytes of a mirrored city's name

//  The length of topic's city prefix ("anshan/": a lower-case name of
//  a-z, 0-9 and _ and a slash), 0 when it has none (a local topic).
size_t
    kj_keys_topic_city (const char *topic, size_t size);

//  --------------------------------------------------------------------------
//  Sockets

//  Make sock a CURVE server with cert, ZAP domain KJ_ZAP_DOMAIN enforced.
//  Call before bind. -1 if an option is refused.
int
    kj_keys_server (zsock_t *sock, zcert_t *cert);

//  The same in ZAP domain `domain` (KJ_ZAP_DOMAIN or KJ_ZAP_DOMAIN_SERVICE).
int
    kj_keys_server_domain (zsock_t *sock, zcert_t *cert, const char *domain);

//  Make sock a CURVE client with cert, of the server whose public key is
//  server_key (Z85). Call before connect.
int
    kj_keys_client (zsock_t *sock, zcert_t *cert, const char *server_key);

//  Make sock a CURVE client with the node's keys, if the environment names
//  them: KEJIN_NODE_KEYS is the key directory, KEJIN_KEY the name of this
//  process's key in its secret/ (else default_name), KEJIN_BROKER_KEY the
//  name of the server's public key in public/ (else "broker"). Call before
//  connect. 0 when applied, 1 when KEJIN_NODE_KEYS is unset or empty (an
//  open node: nothing done), -1 (logged) when a key is missing.
int
    kj_keys_client_env (zsock_t *sock, const char *default_name);

//  The ZAP handler over the key directory dir: an actor, one per process,
//  started before any server socket binds. Lets in CURVE clients whose key
//  is in public/ (reloaded when the folder changes), with their name as
//  User-Id and kj-name, kj-role, kj-city, kj-services, kj-topics as
//  metadata (in KJ_ZAP_DOMAIN_SERVICE only service keys); refuses every
//  other key, every other mechanism and domain,
//  each refusal logged and counted. `$COUNT` on its pipe answers the
//  number of refusals. NULL (logged) if a handler runs already.
zactor_t *
    kj_keys_zap_new (const char *dir);

//  Before binding a server socket with cert: binds a scratch socket the
//  same way on loopback and connects with a key nobody issued; 0 if the
//  handler zap refused it, -1 (logged) if it got in or zap is NULL or never
//  saw it (no handler, or the enforcement off): the daemon must not start.
int
    kj_keys_selftest (zcert_t *cert, zactor_t *zap);

#endif
