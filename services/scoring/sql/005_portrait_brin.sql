--  The portraits of a model, year and version found by a block-range index
--  (BRIN) instead of a B-tree. Portraits are only ever appended, a batch's
--  rows side by side, so the few ranges of heap pages that hold a year's
--  portraits are found as well; but a B-tree entry per portrait cost about
--  a third of the portrait's COPY (docs/scoring.md, "The portrait's second
--  index"), and a BRIN costs a look at its range per row. The readers of a
--  whole year (Dist, Progress, Compare) read every portrait of it anyway;
--  a code's portraits stay found by the primary key (Show, ListGrades, a
--  chunk's look-up).
DROP INDEX portrait_year;
CREATE INDEX portrait_year ON portrait USING brin (model, year, version)
    WITH (autosummarize = on);
