/*  =========================================================================
    events_publish - the live stream: each committed batch goes to the
    broker's XSUB as (topic, offset, envelope) messages, followed by a
    "$batch" marker that counts them per topic, so that a subscriber can
    tell a gap. Idle markers carry the head. Called under the server's lock,
    which orders the stream as the log.
    =========================================================================
*/

#include "events_private.h"

//  --------------------------------------------------------------------------
//  One frame, never blocking: a full pipe to the broker drops (the
//  subscriber sees the gap by the marker and replays).

void
events_publish_frame (zsock_t *sock, const void *data, size_t size, bool more)
{
    zmq_send (zsock_resolve (sock), data, size,
              ZMQ_DONTWAIT | (more ? ZMQ_SNDMORE : 0));
}

//  --------------------------------------------------------------------------
//  A marker under topic ("$batch", or "<city>/$batch" at a hub) for
//  first..last with the counts per topic (none: idle). The local log's
//  and each mirrored city's (events_follow.c) go out here.

void
events_publish_marker_on (zsock_t *sock, const char *topic, uint64_t first,
                          uint64_t last, uint64_t head, Kj__TopicCount **counts,
                          size_t n_counts)
{
    Kj__BatchMarker marker = KJ__BATCH_MARKER__INIT;
    marker.first = first;
    marker.last = last;
    marker.head = head;
    marker.counts = counts;
    marker.n_counts = n_counts;
    size_t size = kj__batch_marker__get_packed_size (&marker);
    uint8_t *packed = (uint8_t *) malloc (size + 1);
    assert (packed);
    kj__batch_marker__pack (&marker, packed);
    uint8_t offset [8];
    kj_put_u64 (offset, last);
    events_publish_frame (sock, topic, strlen (topic), true);
    events_publish_frame (sock, offset, 8, true);
    events_publish_frame (sock, packed, size, false);
    free (packed);
}

//  --------------------------------------------------------------------------
//  The local log's marker for first..last.

void
events_publish_marker (events_server_t *self, uint64_t first, uint64_t last,
                       Kj__TopicCount **counts, size_t n_counts)
{
    events_publish_marker_on (self->pub, "$batch", first, last, self->head,
                              counts, n_counts);
    self->published_at = kj_mono_us ();
}

//  --------------------------------------------------------------------------
//  A committed batch, each event under its topic and offset, then its
//  marker.

void
events_publish_batch (events_server_t *self, const events_batch_t *batch)
{
    zhashx_t *counts = zhashx_new ();
    zlistx_t *topics = zlistx_new ();
    for (size_t i = 0; i < batch->count; i++) {
        const char *topic = batch->topics [i];
        uint8_t offset [8];
        kj_put_u64 (offset, batch->first + i);
        events_publish_frame (self->pub, topic, strlen (topic), true);
        events_publish_frame (self->pub, offset, 8, true);
        events_publish_frame (self->pub, batch->envelopes [i], batch->sizes [i],
                              false);
        size_t count = (size_t) zhashx_lookup (counts, topic);
        if (count == 0)
            zlistx_add_end (topics, (void *) topic);
        zhashx_update (counts, topic, (void *) (count + 1));
    }
    size_t n_counts = zlistx_size (topics);
    Kj__TopicCount *items = (Kj__TopicCount *) calloc (n_counts + 1,
                                                       sizeof (Kj__TopicCount));
    Kj__TopicCount **pointers = (Kj__TopicCount **)
        calloc (n_counts + 1, sizeof (Kj__TopicCount *));
    assert (items && pointers);
    size_t index = 0;
    for (char *topic = (char *) zlistx_first (topics); topic;
         topic = (char *) zlistx_next (topics), index++) {
        kj__topic_count__init (&items [index]);
        items [index].topic = topic;
        items [index].count = (uint32_t) (size_t) zhashx_lookup (counts, topic);
        pointers [index] = &items [index];
    }
    uint64_t last = batch->first + batch->count - 1;
    events_publish_marker (self, batch->first, last, pointers, n_counts);
    self->published = last;
    free (items);
    free (pointers);
    zlistx_destroy (&topics);
    zhashx_destroy (&counts);
}
