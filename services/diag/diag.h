/*  =========================================================================
    diag - the Diag service: Echo, to check a node end to end and to
    measure the broker

    The smallest Kejin service and the worked example of
    docs/adding-a-service.md: a method table with one handler, no
    database, no state. kejin-diag serves it on kj_service; the test tool
    diag_worker serves it on a bare kj_worker.
    =========================================================================
*/

#ifndef DIAG_H_INCLUDED
#define DIAG_H_INCLUDED

#include "kejin.h"

//  Longest hold an Echo may ask for (EchoRequest.sleep_ms), milliseconds:
//  a worker holding a request sends no heartbeat, so this stays well
//  under the broker's busy timeout.
#define DIAG_SLEEP_MAX 10000

//  The methods of the service "diag" (proto/diag.proto).
extern const kj_method_t diag_methods [];

//  Every option of kejin-diag (diag_options.c), { NULL } ended
extern const kj_option_t diag_options [];

#endif
