--  The national limits as a versioned policy (kejin guarantee policy),
--  re-guarantee layers on agreements and on each 代偿, fees and the city
--  on guarantees (docs/rules/guarantee.md). The agreement's share CHECKs
--  of 001 were the policy's defaults written in; the policy now decides,
--  and the schema keeps only what can never be right.

CREATE TABLE policy (
    version int PRIMARY KEY CHECK (version >= 1),
    bank_share_min_bp int NOT NULL CHECK (bank_share_min_bp BETWEEN 0 AND 10000),
    system_share_max_bp int NOT NULL
        CHECK (system_share_max_bp BETWEEN 0 AND 10000),
    national_share_max_bp int NOT NULL
        CHECK (national_share_max_bp BETWEEN 0 AND 10000),
    provincial_share_min_bp int NOT NULL
        CHECK (provincial_share_min_bp BETWEEN 0 AND 10000),
    guarantee_fee_max_bp int NOT NULL
        CHECK (guarantee_fee_max_bp BETWEEN 0 AND 10000),
    reguarantee_fee_small_max_bp int NOT NULL
        CHECK (reguarantee_fee_small_max_bp BETWEEN 0 AND 10000),
    reguarantee_fee_large_max_bp int NOT NULL
        CHECK (reguarantee_fee_large_max_bp BETWEEN 0 AND 10000),
    reguarantee_large_above_fen bigint NOT NULL
        CHECK (reguarantee_large_above_fen >= 0),
    balance_cap_fen bigint NOT NULL CHECK (balance_cap_fen > 0),
    set_by text NOT NULL,
    set_at timestamptz NOT NULL DEFAULT now ()
);
INSERT INTO policy VALUES (1, 2000, 8000, 4000, 2000, 100, 30, 50,
    500000000, 3000000000, 'default (财金〔2024〕60号)');

ALTER TABLE agreement DROP CONSTRAINT agreement_bank_share_bp_check,
    DROP CONSTRAINT agreement_system_share_bp_check,
    ADD CHECK (bank_share_bp BETWEEN 0 AND 10000),
    ADD CHECK (system_share_bp BETWEEN 0 AND 10000),
    ADD COLUMN national_share_bp int NOT NULL DEFAULT 0
        CHECK (national_share_bp >= 0),
    ADD COLUMN provincial_share_bp int NOT NULL DEFAULT 0
        CHECK (provincial_share_bp >= 0),
    ADD COLUMN policy_version int REFERENCES policy,
    ADD CONSTRAINT agreement_layers_within_system
        CHECK (national_share_bp + provincial_share_bp <= system_share_bp);

ALTER TABLE guarantee
    ADD COLUMN city text NOT NULL DEFAULT '',
    ADD COLUMN guarantee_fee_bp int NOT NULL DEFAULT 0
        CHECK (guarantee_fee_bp BETWEEN 0 AND 10000),
    ADD COLUMN reguarantee_fee_bp int NOT NULL DEFAULT 0
        CHECK (reguarantee_fee_bp BETWEEN 0 AND 10000),
    ADD COLUMN policy_version int REFERENCES policy;
CREATE INDEX guarantee_enterprise ON guarantee (enterprise) WHERE state = 'ACTIVE';

ALTER TABLE daichang
    ADD COLUMN national_fen bigint NOT NULL DEFAULT 0
        CHECK (national_fen >= 0),
    ADD COLUMN provincial_fen bigint NOT NULL DEFAULT 0
        CHECK (provincial_fen >= 0),
    ADD COLUMN guarantor_fen bigint;
UPDATE daichang SET guarantor_fen = amount_fen;
ALTER TABLE daichang ALTER COLUMN guarantor_fen SET NOT NULL,
    ADD CONSTRAINT daichang_layers_add_up CHECK (guarantor_fen >= 0
        AND national_fen::numeric + provincial_fen + guarantor_fen
            = amount_fen);
CREATE INDEX daichang_loan ON daichang (loan_id);

--  guarantee/budget_guard=commit: the payment's conditional UPDATE of the
--  budget runs at commit, so that the row every payer of the year waits
--  for is held only while the transaction commits. Too little left fails
--  the commit with a serialization failure: the worker runs the payment
--  again, which then sees what is left and queues the claim.
ALTER TABLE payment ADD COLUMN take_at_commit boolean NOT NULL DEFAULT false;
CREATE FUNCTION payment_take_budget () RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE budget SET remaining_fen = remaining_fen - NEW.amount_fen
    WHERE year = NEW.year AND remaining_fen >= NEW.amount_fen;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the % budget has less than % fen left for claim %',
            NEW.year, NEW.amount_fen, NEW.claim_id USING ERRCODE = '40001';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER payment_take_budget AFTER INSERT ON payment
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.take_at_commit)
    EXECUTE FUNCTION payment_take_budget ();
