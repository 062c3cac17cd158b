/*  =========================================================================
    matching_enums - the C enums that mirror proto enums, checked

    Each pair of numbers checked at compile time, as registry_enums.c
    explains.
    =========================================================================
*/

#include "matching.pb-c.h"
#include "matching_filter.h"

//  matching_instrument_t is kj.MatchingInstrument
_Static_assert((int) MATCHING_INSTRUMENT_NONE
                   == (int)
                       KJ__MATCHING_INSTRUMENT__MATCHING_INSTRUMENT_UNSPECIFIED,
               "MATCHING_INSTRUMENT_NONE is "
               "KJ__MATCHING_INSTRUMENT__MATCHING_INSTRUMENT_UNSPECIFIED");
_Static_assert(
    (int) MATCHING_INSTRUMENT_LOAN
        == (int) KJ__MATCHING_INSTRUMENT__MATCHING_LOAN,
    "MATCHING_INSTRUMENT_LOAN is KJ__MATCHING_INSTRUMENT__MATCHING_LOAN");
_Static_assert(
    (int) MATCHING_INSTRUMENT_EQUITY
        == (int) KJ__MATCHING_INSTRUMENT__MATCHING_EQUITY,
    "MATCHING_INSTRUMENT_EQUITY is KJ__MATCHING_INSTRUMENT__MATCHING_EQUITY");
_Static_assert(
    (int) MATCHING_INSTRUMENT_LEASING
        == (int) KJ__MATCHING_INSTRUMENT__MATCHING_LEASING,
    "MATCHING_INSTRUMENT_LEASING is KJ__MATCHING_INSTRUMENT__MATCHING_LEASING");
_Static_assert((int) MATCHING_INSTRUMENT_FACTORING
                   == (int) KJ__MATCHING_INSTRUMENT__MATCHING_FACTORING,
               "MATCHING_INSTRUMENT_FACTORING is "
               "KJ__MATCHING_INSTRUMENT__MATCHING_FACTORING");
_Static_assert((int) MATCHING_INSTRUMENT_GUARANTEE
                   == (int) KJ__MATCHING_INSTRUMENT__MATCHING_GUARANTEE,
               "MATCHING_INSTRUMENT_GUARANTEE is "
               "KJ__MATCHING_INSTRUMENT__MATCHING_GUARANTEE");
_Static_assert((int) MATCHING_INSTRUMENT_INSURANCE
                   == (int) KJ__MATCHING_INSTRUMENT__MATCHING_INSURANCE,
               "MATCHING_INSTRUMENT_INSURANCE is "
               "KJ__MATCHING_INSTRUMENT__MATCHING_INSURANCE");
_Static_assert(
    (int) MATCHING_INSTRUMENT_BOND
        == (int) KJ__MATCHING_INSTRUMENT__MATCHING_BOND,
    "MATCHING_INSTRUMENT_BOND is KJ__MATCHING_INSTRUMENT__MATCHING_BOND");
_Static_assert(
    (int) MATCHING_INSTRUMENT_COUNT
        == (int) KJ__MATCHING_INSTRUMENT__MATCHING_BOND + 1,
    "MATCHING_INSTRUMENT_COUNT is KJ__MATCHING_INSTRUMENT__MATCHING_BOND + 1");
