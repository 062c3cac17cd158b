/*  =========================================================================
    matching_roadshows - roadshows: AddRoadshow, Respond, GetRoadshow

    The state and helpers they share are in matching_handlers.h.
    =========================================================================
*/

#include "matching_handlers.h"

//  --------------------------------------------------------------------------
//  Roadshows

#define ROADSHOW_INVITEES_MAX 50

//  A roadshow with its invitees, or NULL after failing the call
static Kj__Roadshow *
s_roadshow_load (kj_call_t *call, const char *id, const char *field)
{
    if (matching_server_check_text (call, id, field, ID_MAX, true))
        return NULL;
    PGresult *res = kj_db_exec (
        kj_call_db (call),
        "SELECT r.id, r.demand_id, r.on_date::text AS on_date, r.created_by, "
        "i.institution_id, i.response, i.note, i.recorded_by, coalesce "
        "((extract (epoch FROM i.responded_at) * 1000000)::bigint, 0) "
        "AS responded_us "
        "FROM roadshow r JOIN roadshow_invitee i ON i.roadshow_id = r.id "
        "WHERE r.id = $1 ORDER BY i.institution_id",
        1, (const char *[]){ id });
    if (!res) {
        kj_call_fail_db (call);
        return NULL;
    }
    int rows = PQntuples (res);
    if (rows == 0) {
        PQclear (res);
        kj_call_fail (call, KJ__CODE__NOT_FOUND, field, "%s: no roadshow %s",
                      field, id);
        return NULL;
    }
    //  The invitees' columns, once for the rows (NOT NULL by the schema)
    enum { INSTITUTION, RESPONSE, NOTE, RECORDED_BY, RESPONDED, COLUMNS };
    static const char *const names [COLUMNS] = { "institution_id", "response",
                                                 "note", "recorded_by",
                                                 "responded_us" };
    int col [COLUMNS];
    Kj__Roadshow *r = kj_call_alloc (call, sizeof *r);
    kj__roadshow__init (r);
    if (kj_sql_columns (res, names, col, COLUMNS)
        || matching_server_text (call, res, 0, "id", &r->id)
        || matching_server_text (call, res, 0, "demand_id", &r->demand_id)
        || matching_server_text (call, res, 0, "on_date", &r->on_date)
        || matching_server_text (call, res, 0, "created_by", &r->created_by)) {
        PQclear (res);
        kj_call_fail_db (call);
        return NULL;
    }
    r->invitees = kj_call_alloc (call, (size_t) rows * sizeof (void *));
    for (int row = 0; row < rows; row++) {
        Kj__RoadshowInvitee *i = kj_call_alloc (call, sizeof *i);
        kj__roadshow_invitee__init (i);
        i->institution_id = kj_call_strdup (call,
                                            PQgetvalue (res, row,
                                                        col [INSTITUTION]));
        i->response = atoi (PQgetvalue (res, row, col [RESPONSE]));
        i->note = kj_call_strdup (call, PQgetvalue (res, row, col [NOTE]));
        i->recorded_by = kj_call_strdup (call, PQgetvalue (res, row,
                                                           col [RECORDED_BY]));
        i->responded_at_us = atoll (PQgetvalue (res, row, col [RESPONDED]));
        r->invitees [r->n_invitees++] = i;
    }
    PQclear (res);
    return r;
}

int
matching_roadshows_add_roadshow (kj_call_t *call,
                                 const ProtobufCMessage *request,
                                 ProtobufCMessage *reply)
{
    const Kj__Roadshow *in = ((const Kj__AddRoadshowRequest *) request)
                                 ->roadshow;
    kj_audit_object (call, "demand", in ? in->demand_id : NULL);
    if (!in)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "roadshow",
                             "roadshow: required");
    int on = matching_registry_date (in->on_date);
    if (!on)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT,
                             "roadshow.on_date",
                             "roadshow.on_date: a date, YYYY-MM-DD");
    if (on < matching_today ())
        return kj_call_fail (call, KJ__CODE__OUT_OF_RANGE, "roadshow.on_date",
                             "roadshow.on_date: %s is past; today or later",
                             in->on_date);
    if (in->n_invitees < 1 || in->n_invitees > ROADSHOW_INVITEES_MAX)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT,
                             "roadshow.invitees",
                             "roadshow.invitees: 1 to %d institutions, not "
                             "%zu",
                             ROADSHOW_INVITEES_MAX, in->n_invitees);
    Kj__Demand *demand = matching_server_demand_load (call, in->demand_id,
                                                      "roadshow.demand_id");
    if (!demand)
        return -1;
    if (demand->state != A (DEMAND_POSTED) && demand->state != A (MATCHED))
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION,
                             "roadshow.demand_id",
                             "roadshow.demand_id: %s is no longer open",
                             demand->id);
    //  Every institution known to the registry, none twice
    server_t *self = STATE (call);
    zchunk_t *ids = zchunk_new ("{", 1);
    int rc = 0;
    for (size_t i = 0; i < in->n_invitees && rc == 0; i++) {
        const char *id = in->invitees [i] ? in->invitees [i]->institution_id
                                          : NULL;
        rc = matching_server_check_text (call, id,
                                         "roadshow.invitees.institution_id",
                                         ID_MAX, true);
        for (size_t j = 0; j < i && rc == 0; j++)
            if (strcmp (in->invitees [j]->institution_id, id) == 0)
                rc = kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT,
                                   "roadshow.invitees.institution_id",
                                   "roadshow.invitees.institution_id: %s "
                                   "twice",
                                   id);
        Kj__InstitutionReply *found = NULL;
        kj_status_t status;
        if (rc == 0
            && matching_registry_institution (self->registry, id,
                                              "roadshow.invitees."
                                              "institution_id",
                                              &found, &status))
            rc = kj_call_fail_status (call, &status);
        if (found)
            kj__institution_reply__free_unpacked (found, NULL);
        if (rc == 0) {
            //  An array literal element, quoted
            zchunk_extend (ids, i ? ",\"" : "\"", i ? 2 : 1);
            for (const char *c = id; *c; c++) {
                if (*c == '"' || *c == '\\')
                    zchunk_extend (ids, "\\", 1);
                zchunk_extend (ids, c, 1);
            }
            zchunk_extend (ids, "\"", 1);
        }
    }
    zchunk_extend (ids, "}", 2);
    char *array = kj_call_strdup (call, (const char *) zchunk_data (ids));
    zchunk_destroy (&ids);
    if (rc)
        return -1;
    const char *params [] = { demand->id, in->on_date,
                              matching_server_caller (call), array };
    PGresult *res = kj_db_exec (
        kj_call_db (call),
        "WITH r AS (INSERT INTO roadshow (id, demand_id, on_date, "
        "created_by) VALUES ('R' || lpad (nextval ('roadshow_seq')::text, "
        "6, '0'), $1, $2::date, $3) RETURNING id) "
        "INSERT INTO roadshow_invitee (roadshow_id, institution_id) "
        "SELECT r.id, unnest ($4::text[]) FROM r RETURNING roadshow_id",
        4, params);
    if (!res)
        return kj_call_fail_db (call);
    char *id = kj_call_strdup (call, PQgetvalue (res, 0, 0));
    PQclear (res);
    Kj__Roadshow *r = s_roadshow_load (call, id, "id");
    if (!r)
        return -1;
    ((Kj__RoadshowReply *) reply)->roadshow = r;
    if (matching_server_lock (call, "matching.roadshow", r->id)
        || kj_outbox_add (kj_call_db (call), "matching.roadshow.scheduled",
                          r->id, &r->base))
        return kj_call_fail_db (call);
    return 0;
}

int
matching_roadshows_respond (kj_call_t *call, const ProtobufCMessage *request,
                            ProtobufCMessage *reply)
{
    const Kj__RespondRequest *in = (const Kj__RespondRequest *) request;
    kj_audit_object (call, "roadshow", in->roadshow_id);
    if (matching_server_check_text (call, in->institution_id, "institution_id",
                                    ID_MAX, true)
        || matching_server_check_text (call, in->note, "note", PURPOSE_MAX,
                                       false))
        return -1;
    if (in->response < KJ__ROADSHOW_RESPONSE__ROADSHOW_INTERESTED
        || in->response > KJ__ROADSHOW_RESPONSE__ROADSHOW_DECLINED)
        return kj_call_fail (call, KJ__CODE__INVALID_ARGUMENT, "response",
                             "response: interested, needs_info or declined");
    Kj__Roadshow *r = s_roadshow_load (call, in->roadshow_id, "roadshow_id");
    if (!r || matching_server_lock (call, "matching.roadshow", r->id))
        return -1;
    const char *params [] = { r->id, in->institution_id,
                              matching_server_i64 (call, in->response),
                              in->note ? in->note : "",
                              matching_server_caller (call) };
    int64_t rows = kj_db_run (
        kj_call_db (call),
        "UPDATE roadshow_invitee SET response = $3, note = $4, recorded_by "
        "= $5, responded_at = now () WHERE roadshow_id = $1 AND "
        "institution_id = $2",
        5, params);
    if (rows < 0)
        return kj_call_fail_db (call);
    if (rows == 0)
        return kj_call_fail (call, KJ__CODE__FAILED_PRECONDITION,
                             "institution_id",
                             "institution_id: %s is not invited to "
                             "roadshow %s",
                             in->institution_id, r->id);
    r = s_roadshow_load (call, r->id, "roadshow_id");
    if (!r)
        return -1;
    ((Kj__RoadshowReply *) reply)->roadshow = r;
    if (kj_outbox_add (kj_call_db (call), "matching.roadshow.responded", r->id,
                       &r->base))
        return kj_call_fail_db (call);
    return 0;
}

int
matching_roadshows_get_roadshow (kj_call_t *call,
                                 const ProtobufCMessage *request,
                                 ProtobufCMessage *reply)
{
    Kj__Roadshow *r =
        s_roadshow_load (call, ((const Kj__GetRoadshowRequest *) request)->id,
                         "id");
    if (!r)
        return -1;
    ((Kj__RoadshowReply *) reply)->roadshow = r;
    return 0;
}
