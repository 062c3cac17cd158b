/*  =========================================================================
    kj_mdp - the Majordomo protocol's constants (ZeroMQ RFC 7/MDP), shared
    by the broker and kj_client / kj_worker
    =========================================================================
*/

#ifndef KJ_MDP_H_INCLUDED
#define KJ_MDP_H_INCLUDED

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

#endif
