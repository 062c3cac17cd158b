--  guarantee/budget_guard=slice: a year's budget left is dealt into slices,
--  so that payers of one year take from different rows and wait for one
--  another only when two pick the same slice. The budget row's
--  remaining_fen is then the part not dealt yet; what is left of a year is
--  that plus its slices (the view budget_left), each slice never negative.
--  docs/rules/guarantee.md, "Payment and the budget guard".

CREATE TABLE budget_slice (
    year int NOT NULL REFERENCES budget,
    slice int NOT NULL CHECK (slice BETWEEN 0 AND 255),
    remaining_fen bigint NOT NULL,
    CONSTRAINT budget_slice_not_negative CHECK (remaining_fen >= 0),
    PRIMARY KEY (year, slice)
);

--  What is left of each year's budget, dealt or not.
CREATE VIEW budget_left AS
SELECT b.year, b.total_fen,
       (b.remaining_fen + coalesce ((SELECT sum (s.remaining_fen)
                                     FROM budget_slice s
                                     WHERE s.year = b.year), 0))::bigint
           AS remaining_fen
FROM budget b;

--  Take p_amount from the budget of p_year: from the first slice at or
--  after p_hint (wrapping) that has enough and that no other payer holds
--  (SKIP LOCKED); when there is none, with the budget row and every slice
--  locked (in that order, the order of every taker), from the whole left,
--  the rest dealt again into p_slices even slices (the first ones a fen
--  more when it does not divide). True when taken; false when the year
--  has less than p_amount left, or no budget.
--  The budget row is locked FOR NO KEY UPDATE, as an UPDATE locks it: a
--  payment's row already holds it FOR KEY SHARE (its year's foreign key),
--  and FOR UPDATE would wait for every other payer doing the same, each
--  for each other (a deadlock).
CREATE FUNCTION budget_take_slice (p_year int, p_amount bigint, p_slices int,
                                   p_hint int) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    v_slice int;
    v_left numeric;
BEGIN
    SELECT slice INTO v_slice FROM budget_slice
    WHERE year = p_year AND remaining_fen >= p_amount
    ORDER BY slice < p_hint, slice
    LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED;
    IF FOUND THEN
        UPDATE budget_slice SET remaining_fen = remaining_fen - p_amount
        WHERE year = p_year AND slice = v_slice;
        RETURN true;
    END IF;
    SELECT remaining_fen INTO v_left FROM budget WHERE year = p_year
    FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM 1 FROM budget_slice WHERE year = p_year ORDER BY slice
    FOR NO KEY UPDATE;
    SELECT v_left + coalesce (sum (remaining_fen), 0) INTO v_left
    FROM budget_slice WHERE year = p_year;
    IF v_left < p_amount THEN
        RETURN false;
    END IF;
    v_left := v_left - p_amount;
    INSERT INTO budget_slice (year, slice, remaining_fen)
    SELECT p_year, s, (div (v_left, p_slices)
                       + CASE WHEN s < mod (v_left, p_slices) THEN 1
                         ELSE 0 END)::bigint
    FROM generate_series (0, p_slices - 1) s
    ON CONFLICT (year, slice) DO UPDATE SET remaining_fen = EXCLUDED.remaining_fen;
    DELETE FROM budget_slice WHERE year = p_year AND slice >= p_slices;
    UPDATE budget SET remaining_fen = 0 WHERE year = p_year;
    RETURN true;
END $$;

--  Every slice back into its budget row: what a daemon guarding the budget
--  any other way does at its start, so that its guard sees all that is
--  left. The budget rows are locked first, as budget_take_slice locks.
CREATE FUNCTION budget_fold_slices () RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM budget WHERE year IN (SELECT year FROM budget_slice)
    ORDER BY year FOR NO KEY UPDATE;
    WITH gone AS (DELETE FROM budget_slice RETURNING year, remaining_fen),
         dealt AS (SELECT year, sum (remaining_fen) AS fen FROM gone
                   GROUP BY year)
    UPDATE budget b SET remaining_fen = b.remaining_fen + dealt.fen
    FROM dealt WHERE b.year = dealt.year;
END $$;
