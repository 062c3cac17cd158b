/*  =========================================================================
    kj_mdp - the Majordomo protocol's constants (ZeroMQ RFC 7/MDP), shared
    by the broker and kj_client / kj_worker, and Kejin's compact framing

    The compact framing (docs/protocol.md, "Compact framing") carries what
    MDP spreads over five to seven frames in one frame, and several
    requests or replies in that frame when several are ready: under CURVE
    every frame is sealed and opened on its own, so frames, not bytes, are
    what a request costs. Only Kejin's own peers use it, after asking: a
    kj_worker says so in its WorkerHello, a kj_client asks kejin.broker
    Hello. The frame is the protocol name, then records:

        ["KJC01" record...]   client <-> broker
        ["KJW01" record...]   worker <-> broker (REQUEST and REPLY only)

        record  = size:u32 content (size bytes)
        content = service-size:u8 service part...     (KJC01)
                | command:u8 handle:u64 part...       (KJW01)
        part    = size:u32 bytes                      (an MDP body frame)

    Numbers are big-endian. The functions below read and write them; none
    allocates, none trusts a size it did not check.
    =========================================================================
*/

#ifndef KJ_MDP_H_INCLUDED
#define KJ_MDP_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define KJ_MDPC "MDPC01"  //  protocol frame of clients
#define KJ_MDPW "MDPW01"  //  protocol frame of workers

//  Worker commands, one byte each
enum {
    KJ_MDPW_READY = 1,
    KJ_MDPW_REQUEST = 2,
    KJ_MDPW_REPLY = 3,
    KJ_MDPW_HEARTBEAT = 4,
    KJ_MDPW_DISCONNECT = 5
};

#define KJ_KJC        "KJC01"  //  compact framing of Kejin clients
#define KJ_KJW        "KJW01"  //  compact framing of Kejin workers
#define KJ_KJX_SIZE   5        //  either name's size
#define KJ_PART_HEAD  4        //  a part's size field
#define KJ_KJW_HEAD   (4 + 1 + 8)  //  a KJW01 record before its parts

//  One part of a record: a pointer into the frame
typedef struct {
    const uint8_t *data;
    size_t size;
} kj_part_t;

static inline void
kj_put_u32 (uint8_t *dst, uint32_t value)
{
    dst [0] = (uint8_t) (value >> 24);
    dst [1] = (uint8_t) (value >> 16);
    dst [2] = (uint8_t) (value >> 8);
    dst [3] = (uint8_t) value;
}

static inline uint32_t
kj_get_u32 (const uint8_t *src)
{
    return ((uint32_t) src [0] << 24) | ((uint32_t) src [1] << 16)
         | ((uint32_t) src [2] << 8) | (uint32_t) src [3];
}

//  Is frame data a compact frame of that protocol (KJ_KJC or KJ_KJW)?
static inline bool
kj_compact_is (const void *data, size_t size, const char *protocol)
{
    return size >= KJ_KJX_SIZE && memcmp (data, protocol, KJ_KJX_SIZE) == 0;
}

//  The next record of a frame: *at moves past it, *record and *size say
//  where its content is. 1 for a record, 0 at the end, -1 when the frame
//  is cut short (a size that runs past its end).
static inline int
kj_compact_next (const uint8_t **at, const uint8_t *end,
                 const uint8_t **record, size_t *size)
{
    if (*at == end)
        return 0;
    if ((size_t) (end - *at) < 4)
        return -1;
    size_t length = kj_get_u32 (*at);
    if ((size_t) (end - *at) - 4 < length)
        return -1;
    *record = *at + 4;
    *size = length;
    *at += 4 + length;
    return 1;
}

//  The parts of a record's tail: up to max into parts; returns how many
//  there are (more than max: only max were kept), -1 when a size runs
//  past the end.
static inline int
kj_compact_parts (const uint8_t *data, size_t size, kj_part_t *parts, int max)
{
    int count = 0;
    const uint8_t *at = data, *end = data + size;
    const uint8_t *part;
    size_t length;
    int rc;
    while ((rc = kj_compact_next (&at, end, &part, &length)) == 1) {
        if (count < max) {
            parts [count].data = part;
            parts [count].size = length;
        }
        count++;
    }
    return rc < 0 ? -1 : count;
}

//  Write one part (its size, then its bytes) at dst; returns the bytes
//  written (KJ_PART_HEAD + size).
static inline size_t
kj_compact_put_part (uint8_t *dst, const void *data, size_t size)
{
    kj_put_u32 (dst, (uint32_t) size);
    if (size)
        memcpy (dst + KJ_PART_HEAD, data, size);
    return KJ_PART_HEAD + size;
}

#endif
