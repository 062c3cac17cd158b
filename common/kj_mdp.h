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

    Numbers are big-endian. The functions below (kj_mdp.c) read and write
    them; none allocates, none trusts a size it did not check.
    =========================================================================
*/

#ifndef KJ_MDP_H_INCLUDED
#define KJ_MDP_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

#define KJ_KJC       "KJC01"      //  compact framing of Kejin clients
#define KJ_KJW       "KJW01"      //  compact framing of Kejin workers
#define KJ_KJX_SIZE  5            //  either name's size
#define KJ_PART_HEAD 4            //  a part's size field
#define KJ_KJW_HEAD  (4 + 1 + 8)  //  a KJW01 record before its parts

//  One part of a record: a pointer into the frame
typedef struct {
    const uint8_t *data;
    size_t size;
} kj_part_t;

//  Store a uint32 as 4 big-endian bytes, and read it back.
void
    kj_put_u32 (uint8_t *dst, uint32_t value);
uint32_t
    kj_get_u32 (const uint8_t *src);

//  Is frame data a compact frame of that protocol (KJ_KJC or KJ_KJW)?
bool
    kj_compact_is (const void *data, size_t size, const char *protocol);

//  The next record of a frame: *at moves past it, *record and *size say
//  where its content is. 1 for a record, 0 at the end, -1 when the frame
//  is cut short (a size that runs past its end).
int
    kj_compact_next (const uint8_t **at, const uint8_t *end,
                     const uint8_t **record, size_t *size);

//  The parts of a record's tail: up to max into parts; returns how many
//  there are (more than max: only max were kept), -1 when a size runs
//  past the end.
int
    kj_compact_parts (const uint8_t *data, size_t size, kj_part_t *parts,
                      int max);

//  Write one part (its size, then its bytes) at dst; returns the bytes
//  written (KJ_PART_HEAD + size).
size_t
    kj_compact_put_part (uint8_t *dst, const void *data, size_t size);

#endif
