--  The queue ahead of a payment, looked up by every PayClaim (claims QUEUED
--  for its year, in the order they were queued), was read through
--  claim_state (state, id) whenever the statistics said QUEUED was rare, as
--  they do after an ANALYZE made before any claim queued: each payment then
--  read every QUEUED claim of every year (3,000 rows, about 1 ms, in the
--  benchmark's second half; docs/rules/guarantee.md, "Session 25").
--  The index of the queue now names its state in the "C" collation, and
--  the queue's readers say the same (`state COLLATE "C" = 'QUEUED'`): a
--  condition that claim_state, in the default collation, cannot serve, so
--  the queue is read through this index (or, on a tiny table, scanned),
--  whatever the statistics say. Equality of these ASCII names is the same
--  in every collation. The claim's id is in the key: the queue's order is
--  (queued_at, id), read from the index with no sort.

DROP INDEX claim_queue;
CREATE INDEX claim_queue ON claim (budget_year, queued_at, id)
    WHERE state COLLATE "C" = 'QUEUED';
