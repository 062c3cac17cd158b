/*  =========================================================================
    ipo_enums - the C enums that mirror proto enums, checked

    Each pair of numbers checked at compile time, as registry_enums.c
    explains.
    =========================================================================
*/

#include "ipo.pb-c.h"
#include "ipo_pipeline.h"

//  ipo_state_t is kj.IpoState; IPO_STATE_END is one past the last
_Static_assert((int) IPO_STATE_CANDIDATE == (int) KJ__IPO_STATE__IPO_CANDIDATE,
               "IPO_STATE_CANDIDATE is KJ__IPO_STATE__IPO_CANDIDATE");
_Static_assert((int) IPO_STATE_CITY_POOL == (int) KJ__IPO_STATE__IPO_CITY_POOL,
               "IPO_STATE_CITY_POOL is KJ__IPO_STATE__IPO_CITY_POOL");
_Static_assert((int) IPO_STATE_PROVINCE_POOL
                   == (int) KJ__IPO_STATE__IPO_PROVINCE_POOL,
               "IPO_STATE_PROVINCE_POOL is KJ__IPO_STATE__IPO_PROVINCE_POOL");
_Static_assert((int) IPO_STATE_SHAREHOLDING_REFORMED
                   == (int) KJ__IPO_STATE__IPO_SHAREHOLDING_REFORMED,
               "IPO_STATE_SHAREHOLDING_REFORMED is "
               "KJ__IPO_STATE__IPO_SHAREHOLDING_REFORMED");
_Static_assert((int) IPO_STATE_TUTORING_FILED
                   == (int) KJ__IPO_STATE__IPO_TUTORING_FILED,
               "IPO_STATE_TUTORING_FILED is KJ__IPO_STATE__IPO_TUTORING_FILED");
_Static_assert(
    (int) IPO_STATE_TUTORING_ACCEPTED
        == (int) KJ__IPO_STATE__IPO_TUTORING_ACCEPTED,
    "IPO_STATE_TUTORING_ACCEPTED is KJ__IPO_STATE__IPO_TUTORING_ACCEPTED");
_Static_assert((int) IPO_STATE_APPLICATION_ACCEPTED
                   == (int) KJ__IPO_STATE__IPO_APPLICATION_ACCEPTED,
               "IPO_STATE_APPLICATION_ACCEPTED is "
               "KJ__IPO_STATE__IPO_APPLICATION_ACCEPTED");
_Static_assert((int) IPO_STATE_UNDER_INQUIRY
                   == (int) KJ__IPO_STATE__IPO_UNDER_INQUIRY,
               "IPO_STATE_UNDER_INQUIRY is KJ__IPO_STATE__IPO_UNDER_INQUIRY");
_Static_assert(
    (int) IPO_STATE_COMMITTEE_REVIEW
        == (int) KJ__IPO_STATE__IPO_COMMITTEE_REVIEW,
    "IPO_STATE_COMMITTEE_REVIEW is KJ__IPO_STATE__IPO_COMMITTEE_REVIEW");
_Static_assert((int) IPO_STATE_REGISTRATION_SUBMITTED
                   == (int) KJ__IPO_STATE__IPO_REGISTRATION_SUBMITTED,
               "IPO_STATE_REGISTRATION_SUBMITTED is "
               "KJ__IPO_STATE__IPO_REGISTRATION_SUBMITTED");
_Static_assert((int) IPO_STATE_REGISTERED
                   == (int) KJ__IPO_STATE__IPO_REGISTERED,
               "IPO_STATE_REGISTERED is KJ__IPO_STATE__IPO_REGISTERED");
_Static_assert((int) IPO_STATE_LISTED == (int) KJ__IPO_STATE__IPO_LISTED,
               "IPO_STATE_LISTED is KJ__IPO_STATE__IPO_LISTED");
_Static_assert((int) IPO_STATE_WITHDRAWN == (int) KJ__IPO_STATE__IPO_WITHDRAWN,
               "IPO_STATE_WITHDRAWN is KJ__IPO_STATE__IPO_WITHDRAWN");
_Static_assert((int) IPO_STATE_TERMINATED
                   == (int) KJ__IPO_STATE__IPO_TERMINATED,
               "IPO_STATE_TERMINATED is KJ__IPO_STATE__IPO_TERMINATED");
_Static_assert((int) IPO_STATE_REJECTED == (int) KJ__IPO_STATE__IPO_REJECTED,
               "IPO_STATE_REJECTED is KJ__IPO_STATE__IPO_REJECTED");
_Static_assert((int) IPO_STATE_NEEQ_BASIC
                   == (int) KJ__IPO_STATE__IPO_NEEQ_BASIC,
               "IPO_STATE_NEEQ_BASIC is KJ__IPO_STATE__IPO_NEEQ_BASIC");
_Static_assert(
    (int) IPO_STATE_NEEQ_INNOVATION == (int) KJ__IPO_STATE__IPO_NEEQ_INNOVATION,
    "IPO_STATE_NEEQ_INNOVATION is KJ__IPO_STATE__IPO_NEEQ_INNOVATION");
_Static_assert((int) IPO_STATE_END
                   == (int) KJ__IPO_STATE__IPO_NEEQ_INNOVATION + 1,
               "IPO_STATE_END is KJ__IPO_STATE__IPO_NEEQ_INNOVATION + 1");
