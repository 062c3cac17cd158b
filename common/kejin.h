/*  =========================================================================
    kejin - the shared library of every Kejin daemon (prefix kj_)

    One include for a daemon or a test: CZMQ, protobuf-c, the generated
    common messages, and every kj_ class.
    =========================================================================
*/

#ifndef KEJIN_H_INCLUDED
#define KEJIN_H_INCLUDED

#include <czmq.h>
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stdint.h>

#include "common.pb-c.h"
#include "broker.pb-c.h"
#include "diag.pb-c.h"
#include "events.pb-c.h"

#define KEJIN_VERSION "0.1.0"

//  Size limit of one message on every Kejin socket (ZMQ_MAXMSGSIZE).
#define KJ_MAX_MSG_SIZE (64 * 1024 * 1024)

#include "kj_util.h"
#include "kj_i18n.h"
#include "kj_log.h"
#include "kj_config.h"
#include "kj_mdp.h"
#include "kj_proto.h"
#include "kj_hist.h"
#include "kj_json.h"
#include "kj_money.h"
#include "kj_csv.h"
#include "kj_client.h"
#include "kj_db.h"
#include "kj_sql.h"
#include "kj_locks.h"
#include "kj_worker.h"
#include "kj_service.h"
#include "kj_audit.h"
#include "kj_outbox.h"
#include "kj_relay.h"
#include "kj_check.h"
#include "kj_keys.h"
#include "kj_subscriber.h"

#endif
