-- A guarantor's yearly cap, held by the database as the budget is: the
-- trigger that adds each payment to the guarantor's running total refuses
-- a total over the guarantor's cap, whoever inserts the payment.
--
-- A PayClaim alone reads the total under the guarantor's lock, so it never
-- meets this; PayClaims paid together (guarantee_pay_batch.c) lock no
-- guarantor and read the total as it was, so two payers of one guarantor
-- could both have counted on the same cap left. The upsert below waits for
-- the other's row and adds to its newest version; the later one then finds
-- the total over the cap and fails with 40001 (serialization failure): its
-- COMMIT fails, and its calls are run again, each alone, on what the other
-- committed (docs/rules/guarantee.md, "PayClaims together").

CREATE OR REPLACE FUNCTION payment_add_to_total () RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    total bigint;
    cap bigint;
BEGIN
    INSERT INTO guarantor_paid AS t (guarantor_id, year, paid_fen)
    VALUES (NEW.guarantor_id, NEW.year, NEW.amount_fen)
    ON CONFLICT (guarantor_id, year)
    DO UPDATE SET paid_fen = t.paid_fen + EXCLUDED.paid_fen
    RETURNING t.paid_fen INTO total;
    SELECT yearly_cap_fen INTO cap FROM guarantor WHERE id = NEW.guarantor_id;
    IF total > cap THEN
        RAISE EXCEPTION 'guarantor %: % fen paid in %, over its yearly cap of % fen',
            NEW.guarantor_id, total, NEW.year, cap
            USING ERRCODE = '40001';
    END IF;
    RETURN NULL;
END $$;
