/*  =========================================================================
    kejin-registry - the life-cycle financial service library of a Kejin
    city node: enterprises, financial institutions, the product supermarket

    Parses options, bootstraps and migrates the schema "registry", starts
    the worker threads of each MDP service in s_services (each thread with
    its own database connection), the outbox relay and the qualification-
    expiry job; serves until SIGTERM or SIGINT; stops cleanly.
    =========================================================================
*/

#include "registry_server.h"
#include "registry_bulk.h"

//  One row per MDP service this daemon serves: another service is one row
//  (and its thread-count option) more. Every row's handlers get the same
//  state, the registry_server_t, as kj_call_state.
typedef struct {
    const char *service;                            //  MDP service name
    const ProtobufCServiceDescriptor *descriptor;   //  its proto service
    const kj_method_t *methods;                     //  one per method
    const char *threads;                            //  option: thread count
} s_service_t;

static const s_service_t s_services [] = {
    { "registry", &kj__registry__descriptor, registry_methods,
      "registry/workers" },
    { "registry.bulk", &kj__registry_bulk__descriptor, registry_bulk_methods,
      "registry/bulk_workers" },
    { NULL }
};

//  The role to bootstrap: the option, else the user db/dsn logs in as
//  (bootstrapping any other role would leave db/dsn unable to connect),
//  else kejin_registry. Written to buf.
static const char *
s_role (kj_config_t *config, char *buf, size_t size)
{
    const char *role = kj_config_get (config, "registry/role");
    if (*role)
        return role;
    snprintf (buf, size, "kejin_registry");
    PQconninfoOption *options =
        PQconninfoParse (kj_config_get (config, "db/dsn"), NULL);
    for (PQconninfoOption *o = options; o && o->keyword; o++)
        if (streq (o->keyword, "user") && o->val && *o->val)
            snprintf (buf, size, "%s", o->val);
    PQconninfoFree (options);
    return buf;
}

//  The stage rules text from the file or the inline option; NULL (logged)
//  if the file cannot be read. The caller frees it.
static char *
s_stage_rules (kj_config_t *config)
{
    const char *path = kj_config_get (config, "registry/stage_rules_file");
    if (*path) {
        FILE *file = fopen (path, "r");
        if (!file) {
            kj_error ("registry.bad_config", "option=registry/stage_rules_file "
                      "path=%s reason=\"%s\"", path, strerror (errno));
            return NULL;
        }
        char *text = (char *) zmalloc (65536);
        size_t size = fread (text, 1, 65535, file);
        fclose (file);
        text [size] = 0;
        return text;
    }
    char *text = strdup (kj_config_get (config, "registry/stage_rules"));
    for (char *c = text; *c; c++)
        if (*c == ';')
            *c = '\n';
    return text;
}

int
main (int argc, char **argv)
{
    kj_config_t *config = kj_config_from_args (argc, argv, "kejin-registry",
        "The life-cycle financial service library: enterprises by credit "
        "code,\ntheir stage and qualifications, financial institutions and "
        "the product\nsupermarket. Serves the MDP service \"registry\".",
        registry_options);
    kj_signals_init ();
    kj_config_log (config);

    char instance [64];
    const char *name = kj_config_get (config, "registry/instance");
    if (*name)
        kj_strlcpy (instance, name, sizeof instance);
    else
        snprintf (instance, sizeof instance, "registry-%d", (int) getpid ());
    //  Ranges (interval, thread counts) are checked by kj_config already
    int64_t interval = kj_config_int (config, "registry/expiry_interval_s");
    char *rules = s_stage_rules (config);
    char role [64];
    if (!rules) {
        kj_config_destroy (&config);
        return 2;
    }
    registry_config_t rc = {
        .broker = kj_config_get (config, "node/broker"),
        .dsn = kj_config_get (config, "db/dsn"),
        .admin_dsn = kj_config_get (config, "db/admin_dsn"),
        .role = s_role (config, role, sizeof role),
        .city = kj_config_get (config, "node/city"),
        .instance = instance,
        .allow_outside = kj_config_bool (config, "registry/allow_outside"),
        .uscc_exceptions = kj_config_get (config, "registry/uscc_exceptions"),
        .stage_rules = rules,
        .expiry_interval_ms = (int) interval * 1000,
        .relay = kj_config_bool (config, "registry/relay")
    };
    kj_status_t status;
    registry_server_t *server = registry_server_new (&rc, &status);
    if (!server) {
        kj_error ("registry.start_failed", "field=%s reason=\"%s\"",
                  status.field, status.message);
        free (rules);
        kj_config_destroy (&config);
        return status.code == KJ__CODE__INVALID_ARGUMENT
            || status.code == KJ__CODE__FAILED_PRECONDITION ? 2 : 1;
    }
    for (const s_service_t *s = s_services; s->service; s++)
        registry_server_add_workers (server, s->service, s->descriptor,
            s->methods, (int) kj_config_int (config, s->threads));
    while (!kj_stopping ())
        zclock_sleep (100);
    kj_info ("registry.stopping", "instance=%s", instance);
    registry_server_destroy (&server);
    free (rules);
    kj_config_destroy (&config);
    zsys_shutdown ();
    return 0;
}
