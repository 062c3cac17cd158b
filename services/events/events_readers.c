/*  =========================================================================
    events_readers - the MDP service "events": Replay, Info, Report,
    OffsetForTime, Schemas, on kj_service's reader threads, each with its
    own connection. Replay of an integrator is narrowed to the topics its
    certificate allows.
    =========================================================================
*/

#include "events_private.h"

#define REPLAY_DEFAULT 1000
#define REPLAY_MAX     10000
#define REPLAY_SCAN    1000000            //  offsets scanned per replay
#define REPLAY_BYTES   (4 * 1024 * 1024)  //  envelope bytes per reply
#define PREFIXES_MAX   64

//  --------------------------------------------------------------------------
//  Events.Replay, Info, Report, on the reader's own connection

//  The city a call names, at a hub (events_follow), or NULL for this
//  node's own log

static const char *
s_city (const char *city)
{
    return city && *city ? city : NULL;
}

//  The topic prefixes an integrator may replay, as the live stream allows
//  it: its certificate's topics (from the node's key directory,
//  KEJIN_NODE_KEYS, by the name the broker stamped) narrow what it asked.
//  A prefix wider than its topics becomes the topics within it; one
//  outside them is refused. Other roles read every topic. 0 with
//  *prefixes_p and *count_p set, or -1 (the call failed).

static int
s_replay_topics (kj_call_t *call, const Kj__ReplayRequest *request,
                 const char *city, char ***prefixes_p, size_t *count_p)
{
    *prefixes_p = request->prefixes;
    *count_p = request->n_prefixes;
    const Kj__Caller *caller = kj_call_caller (call);
    if (!caller->role || !streq (caller->role, "integrator"))
        return 0;
    const char *dir = getenv ("KEJIN_NODE_KEYS");
    kj_keys_t *keys = dir && *dir ? kj_keys_new (dir) : NULL;
    kj_key_info_t info;
    int found = keys ? kj_keys_find (keys, caller->identity, &info) : -1;
    kj_keys_destroy (&keys);
    if (found)
        return kj_call_fail (call, KJ__CODE__PERMISSION_DENIED, NULL,
                             "the event log does not find the key %s among "
                             "the node's keys",
                             caller->identity);
    if (streq (info.topics, "*"))
        return 0;
    //  Its topics, split in the call's memory; those of one mirrored city
    //  ("anshan/registry.") count for that city's log only
    char *allowed [PREFIXES_MAX];
    size_t n_allowed = 0;
    char *list = kj_call_strdup (call, info.topics), *rest = NULL;
    for (char *item = strtok_r (list, ",", &rest);
         item && n_allowed < PREFIXES_MAX; item = strtok_r (NULL, ",", &rest)) {
        size_t named = kj_keys_topic_city (item, strlen (item));
        if (named == 0)
            allowed [n_allowed++] = item;
        else if (city && named == strlen (city) + 1
                 && strncmp (item, city, named - 1) == 0)
            allowed [n_allowed++] = item + named;
    }
    char **prefixes = (char **) kj_call_alloc (call,
                                               PREFIXES_MAX * sizeof (char *));
    size_t count = 0;
    if (request->n_prefixes == 0) {
        memcpy (prefixes, allowed, n_allowed * sizeof (char *));
        count = n_allowed;
    }
    for (size_t i = 0; i < request->n_prefixes; i++) {
        const char *prefix = request->prefixes [i];
        size_t size = strlen (prefix);
        bool kept = false;
        for (size_t a = 0; !kept && a < n_allowed; a++)
            kept = strncmp (prefix, allowed [a], strlen (allowed [a])) == 0;
        if (kept && count < PREFIXES_MAX)
            prefixes [count++] = (char *) prefix;
        for (size_t a = 0; !kept && a < n_allowed; a++)
            if (strncmp (allowed [a], prefix, size) == 0) {
                if (count < PREFIXES_MAX)
                    prefixes [count++] = allowed [a];
                kept = true;
            }
        if (!kept)
            return kj_call_fail (call, KJ__CODE__PERMISSION_DENIED, "prefixes",
                                 "prefix %zu '%s' is outside the topics the "
                                 "key %s may read (%s)",
                                 i, prefix, caller->identity, info.topics);
    }
    if (count == 0)
        return kj_call_fail (call, KJ__CODE__PERMISSION_DENIED, "prefixes",
                             "the key %s may read no topic", caller->identity);
    *prefixes_p = prefixes;
    *count_p = count;
    return 0;
}

static int
s_replay (kj_call_t *call, const ProtobufCMessage *input,
          ProtobufCMessage *output)
{
    const Kj__ReplayRequest *request = (const Kj__ReplayRequest *) input;
    Kj__ReplayReply *reply = (Kj__ReplayReply *) output;
    if (request->n_prefixes > PREFIXES_MAX)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "prefixes",
                             "at most %d topic prefixes per replay",
                             PREFIXES_MAX);
    for (size_t i = 0; i < request->n_prefixes; i++)
        if (strlen (request->prefixes [i]) > EVENTS_TOPIC_MAX
            || !kj_utf8_valid (request->prefixes [i]))
            return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "prefixes",
                                 "prefix %zu is not a topic's start: UTF-8 "
                                 "text of at most %d bytes",
                                 i, EVENTS_TOPIC_MAX);
    //  A mirrored city's log, at a hub (events_follow)
    events_server_t *self = (events_server_t *) kj_call_state (call);
    const char *city = s_city (request->city);
    char **prefixes;
    size_t n_prefixes;
    if (s_replay_topics (call, request, city, &prefixes, &n_prefixes))
        return -1;
    kj_db_t *db = city ? events_follow_acquire (self->follow, call, city)
                       : kj_call_db (call);
    if (!db)
        return -1;
    uint32_t max = request->max_events ? request->max_events : REPLAY_DEFAULT;
    if (max > REPLAY_MAX)
        max = REPLAY_MAX;

    ProtobufCAllocator allocator;
    kj_call_allocator (call, &allocator);
    events_replay_t replay;
    int rc = events_store_replay (db, city != NULL, request->from_offset,
                                  request->to_offset, prefixes, n_prefixes, max,
                                  REPLAY_SCAN, REPLAY_BYTES, &allocator,
                                  &replay);
    if (city)
        events_follow_release (self->follow, city, &db);
    if (rc)
        return kj_call_fail (call, KJ__CODE__UNAVAILABLE, NULL,
                             "the log's database is unavailable; retry");
    if (request->from_offset && request->from_offset < replay.tail)
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "from_offset",
                             "offset %" PRIu64 " is before retention: the "
                             "log now starts at tail %" PRIu64 " (head %" PRIu64
                             "); replay from %" PRIu64 " and treat "
                             "the events before it as lost to you",
                             request->from_offset, replay.tail, replay.head,
                             replay.tail);
    //  The stored envelopes go out as they are, as unknown fields numbered
    //  1 whose data is a length and the envelope (protobuf-c writes an
    //  unknown field as its tag and its data): on the wire exactly
    //  `repeated Envelope events = 1`. Decoding each envelope only to
    //  encode it again took most of replay's time.
    ProtobufCMessageUnknownField *fields = (ProtobufCMessageUnknownField *)
        kj_call_alloc (call, (replay.n_events + 1)
                                 * sizeof (ProtobufCMessageUnknownField));
    for (size_t i = 0; i < replay.n_events; i++) {
        fields [i].tag = 1;
        fields [i].wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
        fields [i].len = replay.sizes [i];
        fields [i].data = replay.envelopes [i];
    }
    reply->base.unknown_fields = fields;
    reply->base.n_unknown_fields = (unsigned) replay.n_events;
    reply->next_offset = replay.next_offset;
    reply->head = replay.head;
    reply->tail = replay.tail;
    return 0;
}

static int
s_info (kj_call_t *call, const ProtobufCMessage *input,
        ProtobufCMessage *output)
{
    const Kj__EventsInfoRequest *request = (const Kj__EventsInfoRequest *)
        input;
    events_server_t *self = (events_server_t *) kj_call_state (call);
    Kj__EventsInfo *info = (Kj__EventsInfo *) output;
    ProtobufCAllocator allocator;
    kj_call_allocator (call, &allocator);
    const char *city = s_city (request->city);
    int rc;
    if (city) {
        //  The copy's own figures; its subscribers are in our database
        kj_db_t *db = events_follow_acquire (self->follow, call, city);
        if (!db)
            return -1;
        rc = events_store_mirror_info (db, info);
        events_follow_release (self->follow, city, &db);
        rc = rc ? rc
                : events_store_subscribers (kj_call_db (call), city, info,
                                            &allocator);
    }
    else {
        rc = events_store_info (kj_call_db (call), info, &allocator);
        info->retention_days = self->config.retention_days;
        info->retention_bytes = self->config.retention_bytes;
    }
    if (rc)
        return kj_call_fail (call, KJ__CODE__UNAVAILABLE, NULL,
                             "the log's database is unavailable; retry");
    return 0;
}

static int
s_report (kj_call_t *call, const ProtobufCMessage *input,
          ProtobufCMessage *output)
{
    const Kj__ReportRequest *request = (const Kj__ReportRequest *) input;
    events_server_t *self = (events_server_t *) kj_call_state (call);
    if (!request->name || !*request->name
        || strlen (request->name) > EVENTS_NAME_MAX)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "name",
                             "name is 1 to %d bytes", EVENTS_NAME_MAX);
    //  A city's subscriber is kept as "<city>/<name>": a name with "/"
    //  could pass for one
    if (strchr (request->name, '/'))
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "name",
                             "name '%s' has a '/'; give the city in city",
                             request->name);
    const char *city = s_city (request->city);
    char *name = request->name;
    if (city) {
        kj_db_t *db = events_follow_acquire (self->follow, call, city);
        if (!db)
            return -1;  //  not a city this hub follows: NOT_FOUND
        events_follow_release (self->follow, city, &db);
        name = kj_call_alloc (call, strlen (city) + strlen (request->name) + 2);
        sprintf (name, "%s/%s", city, request->name);
    }
    if (events_store_report (kj_call_db (call), name, request->offset))
        return kj_call_fail (call, KJ__CODE__UNAVAILABLE, NULL,
                             "the log's database is unavailable; retry");
    return 0;
}

//  Where to replay from for a point in time (Kafka's offsets for times).
static int
s_offset_for_time (kj_call_t *call, const ProtobufCMessage *input,
                   ProtobufCMessage *output)
{
    const Kj__OffsetForTimeRequest *request = (const Kj__OffsetForTimeRequest *)
        input;
    Kj__OffsetForTimeReply *reply = (Kj__OffsetForTimeReply *) output;
    events_server_t *self = (events_server_t *) kj_call_state (call);
    if (request->time_us < 0)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "time_us",
                             "time_us: %" PRId64 " is before 1970; give "
                             "microseconds since the epoch",
                             request->time_us);
    const char *city = s_city (request->city);
    kj_db_t *db = city ? events_follow_acquire (self->follow, call, city)
                       : kj_call_db (call);
    if (!db)
        return -1;
    int rc = events_store_offset_for_time (db, city != NULL, request->time_us,
                                           &reply->offset,
                                           &reply->appended_at_us, &reply->head,
                                           &reply->tail);
    if (city)
        events_follow_release (self->follow, city, &db);
    if (rc)
        return kj_call_fail (call, KJ__CODE__UNAVAILABLE, NULL,
                             "the log's database is unavailable; retry");
    return 0;
}

//  The descriptor set of every proto file of this build (Makefile:
//  build/gen/kj_schemas.c)
extern const unsigned char kj_schemas [];
extern const size_t kj_schemas_size;
extern const char *const kj_schema_files [];

static int
s_schemas (kj_call_t *call, const ProtobufCMessage *input,
           ProtobufCMessage *output)
{
    Kj__SchemasReply *reply = (Kj__SchemasReply *) output;
    reply->descriptor_set.data = (uint8_t *) kj_schemas;
    reply->descriptor_set.len = kj_schemas_size;
    size_t n = 0;
    while (kj_schema_files [n])
        n++;
    reply->files = (char **) kj_schema_files;
    reply->n_files = n;
    return 0;
}

const kj_method_t events_reader_methods [] = {
    { "Replay", s_replay, 0 },   { "Info", s_info, 0 },
    { "Report", s_report, 0 },   { "OffsetForTime", s_offset_for_time, 0 },
    { "Schemas", s_schemas, 0 }, { NULL }
};
