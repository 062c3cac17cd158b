--  A guarantor's payments of a year as a running total, kept by the
--  database. Every PayClaim read the guarantor's yearly cap left by
--  summing its payments of the year (the statement after the guarantor's
--  lock): a read that grew with each payment, about 25 shared buffers a
--  call in the benchmark's second half, 46 us (docs/rules/guarantee.md,
--  "Session 27"). It now reads one row.
--
--  The total is kept by a trigger on every payment inserted, whoever
--  inserts it, in the payment's transaction: payments are never updated or
--  deleted (payment_append_only), so the total of (guarantor, year) is the
--  sum of its payments under any isolation level (INSERT ... ON CONFLICT DO
--  UPDATE adds to the row's newest version; two payers of one guarantor
--  also pass its row's lock one after the other). LedgerCheck compares the
--  totals with the payments.

CREATE TABLE guarantor_paid (
    guarantor_id text NOT NULL REFERENCES guarantor,
    year int NOT NULL,
    paid_fen bigint NOT NULL,
    PRIMARY KEY (guarantor_id, year)
);

INSERT INTO guarantor_paid (guarantor_id, year, paid_fen)
SELECT guarantor_id, year, sum (amount_fen) FROM payment
GROUP BY guarantor_id, year;

CREATE FUNCTION payment_add_to_total () RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO guarantor_paid AS t (guarantor_id, year, paid_fen)
    VALUES (NEW.guarantor_id, NEW.year, NEW.amount_fen)
    ON CONFLICT (guarantor_id, year)
    DO UPDATE SET paid_fen = t.paid_fen + EXCLUDED.paid_fen;
    RETURN NULL;
END $$;
CREATE TRIGGER payment_add_to_total AFTER INSERT ON payment
    FOR EACH ROW EXECUTE FUNCTION payment_add_to_total ();
