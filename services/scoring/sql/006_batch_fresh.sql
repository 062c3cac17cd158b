--  Whether a batch is the first of its model up to its year and version:
--  set by the fetch's commit (which holds the batch's row) when no
--  portrait of the model at that year and version or before is stored and
--  no other batch of the model at or before them is unfinished. A chunk
--  of a fresh batch then stores its portraits without looking up what is
--  stored of its codes: nothing is, and only its own chunk writes them
--  (docs/scoring.md, "Session 27").
ALTER TABLE batch ADD COLUMN fresh boolean NOT NULL DEFAULT false;
