--  A payment's reference to its year's budget checked no more per row,
--  where the check cost more than it guarded (docs/rules/guarantee.md,
--  "Where a payment's time goes"): every payer of a year took FOR KEY
--  SHARE on the one budget row that every payer also updates at commit,
--  so each check made a MultiXact on the hottest row of the schema.
--  What it guarded stays enforced by the database, at commit, under any
--  isolation level:
--  - a payment's year has a budget: the deferred trigger that takes the
--    budget at commit (commit guard) now runs for every payment and fails
--    the commit (23503) when the year has no budget row;
--  - what was checked stays true: budget rows are never deleted and their
--    year never changed; payments are never updated or deleted, nor are
--    the ledger's transactions and entries (statement triggers: nothing
--    on INSERT).
--  The other references of a payment (its claim and guarantor, the ledger
--  transaction's claim, the entries' transaction) stay foreign keys: their
--  rows are held FOR UPDATE by the payment, or were inserted by it, so
--  their checks make no MultiXact (measured: 2 to 8 us each).

ALTER TABLE payment DROP CONSTRAINT payment_year_fkey;

CREATE OR REPLACE FUNCTION payment_take_budget () RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.take_at_commit THEN
        UPDATE budget SET remaining_fen = remaining_fen - NEW.amount_fen
        WHERE year = NEW.year AND remaining_fen >= NEW.amount_fen;
        IF FOUND THEN
            RETURN NULL;
        END IF;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM budget WHERE year = NEW.year) THEN
        RAISE EXCEPTION 'payment of claim %: no budget for year %',
            NEW.claim_id, NEW.year USING ERRCODE = '23503';
    END IF;
    IF NEW.take_at_commit THEN
        RAISE EXCEPTION 'the % budget has less than % fen left for claim %',
            NEW.year, NEW.amount_fen, NEW.claim_id USING ERRCODE = '40001';
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER payment_take_budget ON payment;
CREATE CONSTRAINT TRIGGER payment_take_budget AFTER INSERT ON payment
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION payment_take_budget ();

--  Rows that are only ever added
CREATE FUNCTION guarantee_append_only () RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% of % refused: its rows are only ever added',
        TG_OP, TG_TABLE_NAME USING ERRCODE = '42501';
END $$;
CREATE TRIGGER payment_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
    ON payment FOR EACH STATEMENT EXECUTE FUNCTION guarantee_append_only ();
CREATE TRIGGER ledger_txn_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
    ON ledger_txn FOR EACH STATEMENT
    EXECUTE FUNCTION guarantee_append_only ();
CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
    ON ledger_entry FOR EACH STATEMENT
    EXECUTE FUNCTION guarantee_append_only ();
CREATE TRIGGER budget_kept BEFORE DELETE OR TRUNCATE OR UPDATE OF year
    ON budget FOR EACH STATEMENT EXECUTE FUNCTION guarantee_append_only ();

--  The ledger's entries by account: read by nothing (the ledger check sums
--  every account over the whole table), while every payment inserted two
--  entries into it, each payer of a year into the same leaf page (the key
--  `budget:Y` of every payment).
DROP INDEX ledger_entry_account;
