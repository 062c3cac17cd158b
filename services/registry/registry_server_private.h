/*  =========================================================================
    registry_server_private - what the registry_server_* files share

    kejin-registry's handlers are split by entity (registry_server.c: the
    state, the helpers every handler uses, the method table, start and
    stop; _enterprise: register, get, list, update; _parts: figures,
    qualifications and the stage; _entry: the entry's transitions, code
    checks and history; _jobs: qualification expiry and restaging). These
    are the state and helpers they share. Private to those files.
    =========================================================================
*/

#ifndef REGISTRY_SERVER_PRIVATE_H_INCLUDED
#define REGISTRY_SERVER_PRIVATE_H_INCLUDED

#include "registry_server.h"

//  Enterprises the expiry job takes per pass.
#define EXPIRY_BATCH 500

struct _registry_server_t {
    registry_config_t config;
    registry_stage_rules_t rules;
};

int
    registry_server_register (kj_call_t *call, const ProtobufCMessage *input,
                              ProtobufCMessage *output);

int
    registry_server_get (kj_call_t *call, const ProtobufCMessage *input,
                         ProtobufCMessage *output);

int
    registry_server_list (kj_call_t *call, const ProtobufCMessage *input,
                          ProtobufCMessage *output);

int
    registry_server_update (kj_call_t *call, const ProtobufCMessage *input,
                            ProtobufCMessage *output);

int
    registry_server_set_figures (kj_call_t *call, const ProtobufCMessage *input,
                                 ProtobufCMessage *output);

int
    registry_server_qualify (kj_call_t *call, const ProtobufCMessage *input,
                             ProtobufCMessage *output);

int
    registry_server_override_stage (kj_call_t *call,
                                    const ProtobufCMessage *input,
                                    ProtobufCMessage *output);

int
    registry_server_recompute_stage (kj_call_t *call,
                                     const ProtobufCMessage *input,
                                     ProtobufCMessage *output);

int
    registry_server_transition (kj_call_t *call, const ProtobufCMessage *input,
                                ProtobufCMessage *output);

int
    registry_server_check_code (kj_call_t *call, const ProtobufCMessage *input,
                                ProtobufCMessage *output);

int
    registry_server_history (kj_call_t *call, const ProtobufCMessage *input,
                             ProtobufCMessage *output);

//  Normalise a code as typed into out, or fail the call naming field.
int
    registry_server_code (kj_call_t *call, const char *input, const char *field,
                          char out [19]);

//  The same, for a change that leaves the stage to the rules.
int
    registry_server_finish (kj_call_t *call, const char *code,
                            const char *topic, Kj__Enterprise **out);

//  Load e with its parts and refresh it (s_load_refreshed), then add
//  `topic` with it, plus stage_changed when its stage moved: from before
//  (the stage before the caller's change), or from the stage it had on
//  file when before is -1.
int
    registry_server_finish_from (kj_call_t *call, const char *code,
                                 const char *topic, int before,
                                 Kj__Enterprise **out);

//  Load an enterprise with its parts (it exists: the caller holds its
//  lock) into the call's memory, and refresh its stage and score.
int
    registry_server_load_refreshed (kj_call_t *call, const char *code,
                                    Kj__Enterprise **e,
                                    registry_refresh_t *refresh);

//  Lock an enterprise named by a code as typed, checking its version.
int
    registry_server_lock (kj_call_t *call, const char *input, const char *field,
                          uint64_t expected, char code [19]);

int
    registry_server_not_found (kj_call_t *call, const char *code);

#endif
