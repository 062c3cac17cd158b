/*  =========================================================================
    events_producer - a stand-in service for the event log's tests: writer
    threads that insert a row of `items` and its event in one transaction,
    and the service's kj_relay

    events_producer --dsn DSN --schema NAME --broker ENDPOINT
        [--writers N]     concurrent writer threads (4)
        [--count N]       transactions per writer (100; 0: relay only)
        [--sleep-ms N]    each sleeps 0..N ms between insert and commit (0)
        [--rollback N]    per mille of transactions rolled back (0)
        [--topics A,B]    topics, taken in turn ("test.item.created")
        [--payload N]     payload bytes per event (16)
        [--no-relay]      do not run the relay
        [--forever]       keep relaying until SIGTERM
        [--city CODE]     origin city (210100)

    Each event's key is its item's id. After the writers finish, it relays
    until the outbox is empty, then exits 0 (unless --forever). Prints
    "committed N rolled_back N" on stdout at the end.
    =========================================================================
*/

#include "kejin.h"
#include <pthread.h>

static const kj_migration_t s_migrations [] = {
    { 1, "001_items",
      "CREATE TABLE items (id bigserial PRIMARY KEY, writer int NOT NULL, "
      "seq int NOT NULL, created_at timestamptz DEFAULT clock_timestamp ());" },
    { 0, NULL, NULL }
};

typedef struct {
    const char *dsn;
    const char *schema;
    int index;
    int count;
    int sleep_ms;
    int rollback;
    int payload;
    char **topics;
    int n_topics;
    int committed;
    int rolled_back;
} writer_t;

static void *
s_writer (void *arg)
{
    writer_t *self = (writer_t *) arg;
    kj_db_t *db = kj_db_new (self->dsn, self->schema, 10000);
    if (!db)
        return NULL;
    uint8_t *data = (uint8_t *) zmalloc ((size_t) self->payload + 1);
    for (int seq = 0; seq < self->count && !kj_stopping (); seq++) {
        char writer [16], number [16];
        snprintf (writer, sizeof writer, "%d", self->index);
        snprintf (number, sizeof number, "%d", seq);
        const char *params [] = { writer, number };
        if (kj_db_begin (db)) {
            zclock_sleep (100);
            continue;
        }
        PGresult *res = kj_db_exec (
            db, "INSERT INTO items (writer, seq) VALUES ($1, $2) RETURNING id",
            2, params);
        if (!res) {
            kj_db_rollback (db);
            continue;
        }
        char key [32];
        kj_strlcpy (key, PQgetvalue (res, 0, 0), sizeof key);
        PQclear (res);
        Kj__EchoRequest payload = KJ__ECHO_REQUEST__INIT;
        payload.data.data = data;
        payload.data.len = (size_t) self->payload;
        payload.sleep_ms = (uint32_t) seq;
        //  A new item: no earlier event of it to be ordered against, but
        //  the outbox wants its lock held
        if (kj_db_lock_key (db, "test.item", key)
            || kj_outbox_add (db, self->topics [seq % self->n_topics], key,
                              &payload.base)) {
            kj_db_rollback (db);
            continue;
        }
        if (self->sleep_ms)
            zclock_sleep (randof (self->sleep_ms + 1));
        if (self->rollback && randof (1000) < self->rollback) {
            kj_db_rollback (db);
            self->rolled_back++;
        }
        else if (kj_db_commit (db) == 0)
            self->committed++;
        else
            kj_db_rollback (db);
    }
    free (data);
    kj_db_destroy (&db);
    return NULL;
}

static int64_t
s_outbox_rows (kj_db_t *db)
{
    PGresult *res = kj_db_exec (db, "SELECT count (*) FROM kj_outbox", 0, NULL);
    if (!res)
        return -1;
    int64_t rows = atoll (PQgetvalue (res, 0, 0));
    PQclear (res);
    return rows;
}

int
main (int argc, char **argv)
{
    const char *dsn = NULL, *schema = "producer", *broker = NULL;
    const char *topics = "test.item.created", *city = "210100";
    int writers = 4, count = 100, sleep_ms = 0, rollback = 0, payload = 16;
    bool relay = true, forever = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv [i];
        const char *value = i + 1 < argc ? argv [i + 1] : NULL;
        if (streq (arg, "--no-relay"))
            relay = false;
        else if (streq (arg, "--forever"))
            forever = true;
        else if (!value) {
            fprintf (stderr, "events_producer: %s needs a value\n", arg);
            return 2;
        }
        else {
            i++;
            if (streq (arg, "--dsn"))
                dsn = value;
            else if (streq (arg, "--schema"))
                schema = value;
            else if (streq (arg, "--broker"))
                broker = value;
            else if (streq (arg, "--writers"))
                writers = atoi (value);
            else if (streq (arg, "--count"))
                count = atoi (value);
            else if (streq (arg, "--sleep-ms"))
                sleep_ms = atoi (value);
            else if (streq (arg, "--rollback"))
                rollback = atoi (value);
            else if (streq (arg, "--topics"))
                topics = value;
            else if (streq (arg, "--payload"))
                payload = atoi (value);
            else if (streq (arg, "--city"))
                city = value;
            else {
                fprintf (stderr, "events_producer: unknown option %s\n", arg);
                return 2;
            }
        }
    }
    if (!dsn || (relay && !broker)) {
        fprintf (stderr, "usage: events_producer --dsn DSN --schema NAME "
                         "--broker ENDPOINT [options]\n");
        return 2;
    }
    kj_log_init ("events_producer", getenv ("KEJIN_LOG_LEVEL"));
    kj_signals_init ();

    kj_db_t *db = kj_db_new (dsn, schema, 10000);
    if (!db || kj_db_migrate (db, s_migrations)) {
        kj_error ("producer.db", "reason=\"cannot prepare schema %s\"", schema);
        return 1;
    }
    kj_relay_t *relayer = NULL;
    if (relay) {
        kj_relay_config_t rc = {
            .dsn = dsn, .schema = schema, .broker = broker, .city = city
        };
        relayer = kj_relay_new (&rc);
    }

    char *list = strdup (topics);
    char *names [16];
    int n_topics = 0;
    for (char *topic = strtok (list, ","); topic && n_topics < 16;
         topic = strtok (NULL, ","))
        names [n_topics++] = topic;
    writer_t *state = (writer_t *) zmalloc ((size_t) (writers > 0 ? writers : 1)
                                            * sizeof (writer_t));
    pthread_t *threads = (pthread_t *) zmalloc (
        (size_t) (writers > 0 ? writers : 1) * sizeof (pthread_t));
    for (int i = 0; count > 0 && i < writers; i++) {
        state [i] = (writer_t){ .dsn = dsn,
                                .schema = schema,
                                .index = i,
                                .count = count,
                                .sleep_ms = sleep_ms,
                                .rollback = rollback,
                                .payload = payload,
                                .topics = names,
                                .n_topics = n_topics };
        pthread_create (&threads [i], NULL, s_writer, &state [i]);
    }
    int committed = 0, rolled_back = 0;
    for (int i = 0; count > 0 && i < writers; i++) {
        pthread_join (threads [i], NULL);
        committed += state [i].committed;
        rolled_back += state [i].rolled_back;
    }
    kj_info ("producer.written", "committed=%d rolled_back=%d", committed,
             rolled_back);
    printf ("committed %d rolled_back %d\n", committed, rolled_back);
    fflush (stdout);

    //  Relay until the outbox is empty (or for ever)
    while (relayer && !kj_stopping ()) {
        if (!forever && s_outbox_rows (db) == 0)
            break;
        zclock_sleep (20);
    }
    kj_relay_destroy (&relayer);
    kj_db_destroy (&db);
    free (state);
    free (threads);
    free (list);
    return 0;
}
