/*  =========================================================================
    scoring_list - ListGrades: the grades of a model's year, paged

    Each enterprise's grade from its latest portrait (the highest version)
    under a model for a year, by credit code; what kejin-matching loads at
    start before following scoring.portrait.scored. docs/scoring.md.
    =========================================================================
*/

#ifndef SCORING_LIST_H_INCLUDED
#define SCORING_LIST_H_INCLUDED

#include "scoring_server.h"

//  The handler of ListGrades (a read)
int
    scoring_list_grades (kj_call_t *call, const ProtobufCMessage *request,
                         ProtobufCMessage *reply);

#endif
