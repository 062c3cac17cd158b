/*  =========================================================================
    kejin-broker - the Majordomo broker of a Kejin city node

    Parses options, binds, serves until SIGTERM or SIGINT, drains, exits.
    With a key directory, starts the ZAP handler and proves that it refuses
    a key nobody issued before it binds anything; exits 2 if it cannot, or
    if there are neither keys nor an explicit broker/insecure.
    =========================================================================
*/

#include "kejin.h"
#include "broker_server.h"

int
main (int argc, char **argv)
{
    kj_config_t *config = kj_config_from_args (
        argc, argv, "kejin-broker",
        "Routes MDP/0.1 requests to service workers and carries the event "
        "stream\nout to subscribers.",
        broker_options);
    kj_signals_init ();
    kj_config_log (config);

    broker_config_t bc;
    memset (&bc, 0, sizeof bc);
    broker_limits_default (&bc.limits);
    bc.endpoint = kj_config_get (config, "broker/endpoint");
    bc.pub_endpoint = kj_config_get (config, "broker/pub_endpoint");
    bc.sub_endpoint = kj_config_get (config, "broker/sub_endpoint");
    bc.endpoints_file = kj_config_get (config, "broker/endpoints_file");
    bc.city = kj_config_get (config, "node/city");
    bc.sndhwm = (int) kj_config_int (config, "broker/sndhwm");
    bc.pub_hwm = (int) kj_config_int (config, "broker/pub_hwm");
    bc.max_message = kj_config_int (config, "broker/max_message");
    bc.drain_ms = (int) kj_config_int (config, "broker/drain_ms");
    bc.limits.heartbeat_ms = (int) kj_config_int (config,
                                                  "broker/heartbeat_ms");
    bc.limits.liveness = (int) kj_config_int (config, "broker/liveness");
    bc.limits.busy_timeout_ms = (int) kj_config_int (config,
                                                     "broker/busy_timeout_ms");
    bc.limits.default_wait_ms = (int) kj_config_int (config,
                                                     "broker/default_wait_ms");
    bc.limits.max_wait_ms = (int) kj_config_int (config, "broker/max_wait_ms");
    bc.limits.queue_max = (size_t) kj_config_int (config, "broker/queue_max");
    bc.limits.queue_max_bytes = (size_t)
        kj_config_int (config, "broker/queue_max_bytes");
    bc.limits.client_max = (size_t) kj_config_int (config, "broker/client_max");
    bc.limits.max_services = (size_t) kj_config_int (config,
                                                     "broker/max_services");
    bc.limits.peer_services = (size_t) kj_config_int (config,
                                                      "broker/peer_services");
    bc.limits.max_bytes = (size_t) kj_config_int (config, "broker/max_bytes");
    bc.limits.max_retries = (int) kj_config_int (config, "broker/max_retries");
    bc.limits.retry_safe = kj_config_get (config, "broker/retry_safe");

    bc.keys = kj_config_get (config, "broker/keys");
    bc.rights = kj_config_get (config, "broker/rights");
    bc.read_methods = kj_config_get (config, "broker/read_methods");
    bc.max_hops = (int) kj_config_int (config, "federation/max_hops");
    bc.carry = kj_config_get (config, "federation/carry");
    zactor_t *zap = NULL;
    if (bc.keys && *bc.keys) {
        kj_keys_t *keys = kj_keys_new (bc.keys);
        const char *name = kj_config_get (config, "broker/cert");
        bc.cert = keys ? kj_keys_secret (keys, name) : NULL;
        kj_keys_destroy (&keys);
        if (!bc.cert)
            kj_error ("broker.no_cert",
                      "keys=%s cert=%s reason=\"no secret "
                      "certificate of that name in secret/\"",
                      bc.keys, name);
        else
            zap = kj_keys_zap_new (bc.keys);
        if (!bc.cert || kj_keys_selftest (bc.cert, zap)) {
            zcert_destroy (&bc.cert);
            zactor_destroy (&zap);
            kj_config_destroy (&config);
            return 2;
        }
    }
    else if (kj_config_bool (config, "broker/insecure"))
        kj_warn ("broker.insecure",
                 "reason=\"broker/insecure is true: no "
                 "keys, anyone who reaches the ports may register workers, "
                 "call every method and publish events; for development "
                 "only\"");
    else {
        kj_error ("broker.no_keys",
                  "reason=\"set broker/keys (the key "
                  "directory) and broker/cert, or broker/insecure = true for "
                  "development\"");
        kj_config_destroy (&config);
        return 2;
    }
    broker_server_t *server = broker_server_new (&bc);
    if (!server) {
        zcert_destroy (&bc.cert);
        zactor_destroy (&zap);
        kj_config_destroy (&config);
        return 1;
    }
    broker_server_run (server);
    broker_server_destroy (&server);
    zcert_destroy (&bc.cert);
    zactor_destroy (&zap);
    kj_config_destroy (&config);
    zsys_shutdown ();
    return 0;
}
