/*  =========================================================================
    scoring_source - what the registry gives about an enterprise, and the
    one table that maps it to a model's input columns

    A batch reads the registry's compact CSV export (each enterprise with
    its figures of Y and Y-1 in one row; the full exports of enterprises
    and of figures read the same way) page by page; each row goes into the
    enterprise's facts here, and the
    facts become a model's inputs through s_map (docs/scoring.md lists
    it). Columns the registry does not carry are not reported: they score
    0 and are flagged missing, never taken as 0. Pure rules, no I/O.
    =========================================================================
*/

#ifndef SCORING_SOURCE_H_INCLUDED
#define SCORING_SOURCE_H_INCLUDED

#include "scoring_cohort.h"

//  One enterprise as the registry's export gives it, for year Y ([0])
//  and Y-1 ([1])
typedef struct {
    char code [24];
    char region [16];
    int stage;    //  scoring stage, -1 if not classified
    bool active;  //  entry status active (已入库)
    bool dishonest, abnormal;
    char tax_grade [4];
    int64_t invention_patents;
    bool has_round;
    int64_t round_fen;
    bool high_tech, srdi, little_giant, tech_sme;
    int64_t qualifications;  //  held in year Y
    bool has_figures [2];
    //  Of a year on file, the figures reported: bit 1 << F for each
    //  column F of the export that is not empty (an empty cell is a
    //  figure not reported: unknown, not 0)
    unsigned reported [2];
    int64_t revenue [2], rnd [2], net_profit [2], assets [2], hitech [2],
        cost [2], staff [2], tech_staff [2];
} scoring_facts_t;

//  The registry's full CSV of enterprises, of figures, or the compact
//  export made for scoring (with_figures_of Y): one row per enterprise
//  with its figures of Y and Y-1
typedef enum {
    SCORING_SOURCE_ENTERPRISES,
    SCORING_SOURCE_FIGURES,
    SCORING_SOURCE_COMBINED
} scoring_source_kind_t;

//  Column positions of an export's header
typedef struct {
    scoring_source_kind_t kind;
    int index [32];
} scoring_header_t;

//  Read an export's header row. -1 if a column the mapping needs is
//  missing (its name in *missing).
int
    scoring_source_header (scoring_header_t *header, scoring_source_kind_t kind,
                           const char *const *fields, size_t count,
                           const char **missing);

//  The credit code of a data row ("" if none)
const char *
    scoring_source_code (const scoring_header_t *header,
                         const char *const *fields, size_t count);

//  Take one data row of the export into facts (enterprises: its own row;
//  figures: the rows of years Y and Y-1, others ignored; combined: both).
void
    scoring_source_row (const scoring_header_t *header, int year,
                        const char *const *fields, size_t count,
                        scoring_facts_t *facts);

//  Inputs packed as a COPY text bytea (\\x, then per input 1 byte,
//  reported or not, and the value in 8 bytes, little-endian) onto out;
//  and back from the bytea as the server sends it (\x and hex): -1 if
//  it is not n inputs long
void
    scoring_source_pack (zchunk_t *out, const int64_t *values,
                         const bool *present, size_t n);
int
    scoring_source_unpack (const char *text, int64_t *values, bool *present,
                           size_t n);

//  The cohort's inputs from facts: values [i], present [i] for each of
//  scoring_cohort_inputs (cohort).
void
    scoring_source_inputs (const scoring_facts_t *facts,
                           scoring_cohort_t *cohort, int64_t *values,
                           bool *present);

//  The same in two steps, for many members: the mapping of each of the
//  cohort's inputs looked up once into plan [SCORING_COLUMNS_MAX + 1]
//  (returns how many inputs), then each member's inputs by it
size_t
    scoring_source_plan (scoring_cohort_t *cohort, int *plan);
void
    scoring_source_planned (const scoring_facts_t *facts, const int *plan,
                            size_t inputs, int64_t *values, bool *present);

//  True if the model column is one the registry gives
bool
    scoring_source_known (const char *column);

//  Ranges of the export, to fetch several at once: a code half-way
//  between lo and hi ("": no end) into cut (SCORING_CUT_SIZE bytes), so
//  that lo < cut < hi; false if no such code was found. And a code's
//  place in the order of all codes, as a fraction (no_end: 1, roughly),
//  to tell a wide range from a narrow one.
#define SCORING_CUT_SIZE 24
bool
    scoring_source_cut (const char *lo, const char *hi, char *cut);
double
    scoring_source_fraction (const char *key, bool no_end);
//  The code at a fraction of that order (its first digits), into cut
//  (SCORING_CUT_SIZE bytes)
void
    scoring_source_at (double fraction, char *cut);

#endif
