/*  =========================================================================
    fuzz_broker - the broker's frame parsing and rules (broker_core), fed
    made-up messages from a few peers and a made-up clock

    Input: a list of operations, each starting with one byte `op`:
      op % 8 == 0   tick: the clock moves (next byte) * 10 ms, then
                    broker_core_tick
      op % 8 == 1   take the statistics (broker_core_stats), as
                    kejin.broker Stats does
      op % 8 == 2   peer (op / 8) % 4 is gone, or back: sends to it fail
                    as ZMQ_ROUTER_MANDATORY makes them fail
      otherwise     one message from peer (op / 8) % 4: a byte of frame
                    count (1 + n % 12), then each frame as a length byte L
                    and L bytes. Some L stand for frames a fuzzer cannot
                    guess: 255 the last request handle the broker sent to
                    this peer, 254 "MDPW01", 253 "MDPC01", 252 a Kejin
                    request header, 251 a Kejin worker hello. With
                    branch broker's core, op & 0x80 hands the message
                    over as one cut short (broker_core_message_cut).
                    With the compact framing (kj_mdp.h has KJ_KJC): 250
                    a KJC01 frame with one request to "echo", 249 a
                    KJW01 frame with one REPLY to the last handle, 248
                    and 247 "KJC01" and "KJW01" followed by the next
                    length byte's bytes; 246 a hello asking for the
                    compact framing. What is gathered for compact peers
                    is sent at every tick and every look at the
                    statistics, as the server sends it before it waits.
    Frame 0 (the routing id) is always the peer's.
    =========================================================================
*/

#include "kejin.h"
#include "broker_core.h"

#define PEERS      4
#define FRAMES_MAX 12

static uint8_t s_handle [PEERS][64];  //  last handle sent to each peer
static size_t s_handle_size [PEERS];
static bool s_gone [PEERS];
static uint8_t s_header [64];
static size_t s_header_size;
static uint8_t s_hello [64];
static size_t s_hello_size;
#ifdef KJ_KJC
static uint8_t s_hello_compact [64];
static size_t s_hello_compact_size;
static uint8_t s_reply [64];  //  a Kejin OK reply header
static size_t s_reply_size;
#endif

//  Sent messages are checked for form and dropped; a REQUEST's handle
//  (frame 4) is kept for the peer to echo.
static int
s_send (void *arg, zmq_msg_t *frames, int count)
{
    assert (count >= 1);
    assert (zmq_msg_size (&frames [0]) == 2);
    int peer = ((const uint8_t *) zmq_msg_data (&frames [0])) [1] - '0';
    assert (peer >= 0 && peer < PEERS);
    if (count >= 5 && zmq_msg_size (&frames [3]) == 1
        && ((const uint8_t *) zmq_msg_data (&frames [3])) [0] == KJ_MDPW_REQUEST
        && zmq_msg_size (&frames [4]) <= sizeof s_handle [0]) {
        s_handle_size [peer] = zmq_msg_size (&frames [4]);
        memcpy (s_handle [peer], zmq_msg_data (&frames [4]),
                s_handle_size [peer]);
    }
#ifdef KJ_KJC
    //  A KJW01 frame: the first record's handle
    const uint8_t *data = (const uint8_t *) zmq_msg_data (&frames [count - 1]);
    size_t size = zmq_msg_size (&frames [count - 1]);
    if (count == 2 && kj_compact_is (data, size, KJ_KJW)
        && size >= KJ_KJX_SIZE + KJ_KJW_HEAD) {
        s_handle_size [peer] = 8;
        memcpy (s_handle [peer], data + KJ_KJX_SIZE + 5, 8);
    }
#endif
    for (int i = 0; i < count; i++)
        zmq_msg_close (&frames [i]);
    return s_gone [peer] ? BROKER_GONE : 0;
}

//  This harness found two faults of the broker_core on main at once: a
//  service name with a NUL in a request or a READY reads past the end of
//  the retry_safe list (s_service_require with an empty name), and a tick
//  that finds several dead workers reads one in s_worker_delete after it
//  was freed (the use after free of issue 9). Branch `broker`
//  fixes both (their inputs are in corpus/broker/: nul_service_name,
//  tick_two_dead_workers); its broker_core.h defines BROKER_MAX_FRAMES.
//  Against an older core the harness steers around the two faults (no
//  NUL names, no peer goes away) so that it can look for others.
#ifdef BROKER_MAX_FRAMES
#define OLD_CORE 0
#else
#define OLD_CORE 1
#endif

#if OLD_CORE
static bool
s_is (zmq_msg_t *frame, const char *text, size_t size)
{
    return zmq_msg_size (frame) == size
        && memcmp (zmq_msg_data (frame), text, size) == 0;
}

static bool
s_nul_name (zmq_msg_t *frames, int count)
{
    zmq_msg_t *name = NULL;
    if (count > 3 && s_is (&frames [2], KJ_MDPC, 6))
        name = &frames [3];
    else if (count > 4 && s_is (&frames [2], KJ_MDPW, 6)
             && s_is (&frames [3], "\001", 1))
        name = &frames [4];
    return name && memchr (zmq_msg_data (name), 0, zmq_msg_size (name));
}
#endif

static void
s_frame (zmq_msg_t *frame, const void *data, size_t size)
{
    zmq_msg_init_size (frame, size);
    if (size)
        memcpy (zmq_msg_data (frame), data, size);
}

static void
s_init (void)
{
    kj_log_init ("fuzz_broker", "error");
    Kj__RequestHeader header = KJ__REQUEST_HEADER__INIT;
    header.request_id = 1;
    header.method = "Echo";
    header.timeout_ms = 500;
    header.retry_safe = true;
    zframe_t *frame = kj_proto_frame (&header.base, true);
    s_header_size = zframe_size (frame);
    memcpy (s_header, zframe_data (frame), s_header_size);
    zframe_destroy (&frame);
    Kj__WorkerHello hello = KJ__WORKER_HELLO__INIT;
    hello.credit = 4;
    frame = kj_proto_frame (&hello.base, true);
    s_hello_size = zframe_size (frame);
    memcpy (s_hello, zframe_data (frame), s_hello_size);
    zframe_destroy (&frame);
#ifdef KJ_KJC
    hello.compact = true;
    frame = kj_proto_frame (&hello.base, true);
    s_hello_compact_size = zframe_size (frame);
    memcpy (s_hello_compact, zframe_data (frame), s_hello_compact_size);
    zframe_destroy (&frame);
    kj_status_t ok;
    kj_status_ok (&ok);
    frame = kj_proto_reply_frame (1, &ok);
    s_reply_size = zframe_size (frame);
    memcpy (s_reply, zframe_data (frame), s_reply_size);
    zframe_destroy (&frame);
#endif
}

#ifdef KJ_KJC
//  Frame i as one of the compact forms the `length` byte names (250 to
//  246); false when length names none of them. May read a length byte
//  and bytes from data.
static bool
s_compact_frame (zmq_msg_t *frame, size_t length, int peer, const uint8_t *data,
                 size_t size, size_t *at)
{
    uint8_t buffer [512];
    size_t used = KJ_KJX_SIZE;
    memcpy (buffer, length == 250 || length == 248 ? KJ_KJC : KJ_KJW,
            KJ_KJX_SIZE);
    if (length == 250) {
        //  [size] [4] "echo" [header] []
        size_t record = 5 + 2 * KJ_PART_HEAD + s_header_size;
        kj_put_u32 (buffer + used, (uint32_t) record);
        memcpy (buffer + used + 4,
                "\x04"
                "echo",
                5);
        used += 9;
        used += kj_compact_put_part (buffer + used, s_header, s_header_size);
        used += kj_compact_put_part (buffer + used, NULL, 0);
    }
    else if (length == 249) {
        //  [size] [0x03] [handle] [reply header]
        size_t record = 9 + KJ_PART_HEAD + s_reply_size;
        kj_put_u32 (buffer + used, (uint32_t) record);
        buffer [used + 4] = KJ_MDPW_REPLY;
        memset (buffer + used + 5, 0, 8);
        if (s_handle_size [peer] == 8)
            memcpy (buffer + used + 5, s_handle [peer], 8);
        used += 13;
        used += kj_compact_put_part (buffer + used, s_reply, s_reply_size);
    }
    else if (length == 248 || length == 247) {
        size_t raw = *at < size ? data [(*at)++] : 0;
        if (raw > size - *at)
            raw = size - *at;
        memcpy (buffer + used, data + *at, raw);
        used += raw;
        *at += raw;
    }
    else if (length == 246) {
        s_frame (frame, s_hello_compact, s_hello_compact_size);
        return true;
    }
    else
        return false;
    s_frame (frame, buffer, used);
    return true;
}
#endif

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static bool initialised;
    if (!initialised) {
        s_init ();
        initialised = true;
    }
    memset (s_handle_size, 0, sizeof s_handle_size);
    memset (s_gone, 0, sizeof s_gone);
    broker_limits_t limits;
    broker_limits_default (&limits);
    limits.queue_max = 8;
    limits.client_max = 4;
    limits.max_services = 8;
    limits.retry_safe = "echo";
    broker_core_t *core = broker_core_new (&limits, s_send, NULL);
    int64_t now = 1000000000;
    size_t at = 0;
    while (at < size) {
        uint8_t op = data [at++];
        if (op % 8 == 0) {
            now += (int64_t) (at < size ? data [at++] : 1) * 10000;
            broker_core_tick (core, now);
#ifdef KJ_KJC
            broker_core_flush (core, now);
#endif
            continue;
        }
        if (op % 8 == 1) {
            Kj__BrokerStats *stats = broker_core_stats (core, now);
            kj__broker_stats__free_unpacked (stats, NULL);
#ifdef KJ_KJC
            broker_core_flush (core, now);
#endif
            continue;
        }
        int peer = (op / 8) % PEERS;
        if (op % 8 == 2) {
            s_gone [peer] = !s_gone [peer] && !OLD_CORE;
            continue;
        }
        int count = 1 + (at < size ? data [at++] : 0) % FRAMES_MAX;
        zmq_msg_t frames [FRAMES_MAX];
        char id [2] = { 'P', (char) ('0' + peer) };
        s_frame (&frames [0], id, 2);
        for (int i = 1; i < count; i++) {
            size_t length = at < size ? data [at++] : 0;
            if (length == 255)
                s_frame (&frames [i], s_handle [peer], s_handle_size [peer]);
            else if (length == 254)
                s_frame (&frames [i], KJ_MDPW, 6);
            else if (length == 253)
                s_frame (&frames [i], KJ_MDPC, 6);
            else if (length == 252)
                s_frame (&frames [i], s_header, s_header_size);
            else if (length == 251)
                s_frame (&frames [i], s_hello, s_hello_size);
#ifdef KJ_KJC
            else if (s_compact_frame (&frames [i], length, peer, data, size,
                                      &at))
                ;
#endif
            else {
                if (length > size - at)
                    length = size - at;
                s_frame (&frames [i], data + at, length);
                at += length;
            }
        }
#if OLD_CORE
        if (s_nul_name (frames, count)) {
            for (int i = 0; i < count; i++)
                zmq_msg_close (&frames [i]);
            continue;
        }
#endif
#if !OLD_CORE
        if (op & 0x80) {
            //  As if the receiver had cut a longer message to these frames
            broker_core_message_cut (core, frames, count, now);
            continue;
        }
#endif
        broker_core_message (core, frames, count, now);
    }
    broker_core_close (core, now);
    broker_core_destroy (&core);
    return 0;
}
