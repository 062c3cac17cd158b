/*  =========================================================================
    kj_outbox - a service's events, written in the same transaction as the
    change they describe

    The table (created by kj_db_migrate in every service schema):
        kj_outbox (id bigserial, txid xid8 default pg_current_xact_id (),
                   topic, key, payload_type, payload bytea, occurred_at)
    txid is what makes the relay safe: ids are taken before commit, so they
    do not say in which order rows become visible; see kj_relay.

    After the transaction commits, kj_db sends a NOTIFY on the schema's
    channel that wakes the relay at once; outside the transaction, so
    that a full notification queue never fails a commit (kj_db.h).
    =========================================================================
*/

#include "kejin.h"

int
kj_outbox_add (kj_db_t *db, const char *topic, const char *key,
               const ProtobufCMessage *payload)
{
    //  An event outside a transaction could commit without its change:
    //  that is a mistake of the caller, not of its input
    assert (kj_db_in_tx (db));
    assert (topic && *topic && *topic != '$');

    const char *type = payload ? payload->descriptor->name : "";
    size_t size = payload ? protobuf_c_message_get_packed_size (payload) : 0;
    uint8_t *packed = (uint8_t *) malloc (size + 1);
    char *hex = (char *) malloc (2 * size + 1);
    assert (packed && hex);
    if (payload)
        protobuf_c_message_pack (payload, packed);
    static const char digits [] = "0123456789abcdef";
    for (size_t i = 0; i < size; i++) {
        hex [2 * i] = digits [packed [i] >> 4];
        hex [2 * i + 1] = digits [packed [i] & 15];
    }
    hex [2 * size] = 0;

    const char *params [] = { topic, key ? key : "", type, hex };
    int64_t rows = kj_db_run (db,
        "INSERT INTO kj_outbox (topic, key, payload_type, payload) "
        "VALUES ($1, $2, $3, decode ($4, 'hex'))", 4, params);
    free (packed);
    free (hex);
    if (rows != 1) {
        kj_warn ("outbox.add_failed", "topic=%s sqlstate=%s reason=\"%s\"",
                 topic, kj_db_sqlstate (db), kj_db_error (db));
        return -1;
    }
    char channel [64];
    kj_outbox_channel (kj_db_schema (db), channel);
    kj_db_notify_after_commit (db, channel);
    return 0;
}

//  --------------------------------------------------------------------------
//  Schema names are [a-z_][a-z0-9_]*, so the channel is one too.

void
kj_outbox_channel (const char *schema, char channel [64])
{
    snprintf (channel, 64, "kj_outbox_%s", schema);
}
