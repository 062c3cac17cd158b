--  Schema "guarantee" of kejin-guarantee: provincial risk compensation
--  (docs/rules/guarantee.md). Money in fen (bigint), ratios in basis
--  points. The CHECKs and UNIQUEs below are the backstops that hold under
--  any isolation level: one claim per 代偿, one payment per claim, a
--  budget left never negative, a ledger transaction that sums to zero.

CREATE TABLE guarantor (
    id text PRIMARY KEY,
    name text NOT NULL,
    qualified boolean NOT NULL,
    yearly_cap_fen bigint NOT NULL CHECK (yearly_cap_fen >= 0),
    created_at timestamptz NOT NULL DEFAULT now ()
);

--  Risk-sharing agreements, versioned: a new version never edits an old.
CREATE TABLE agreement (
    id text NOT NULL,
    version int NOT NULL CHECK (version >= 1),
    guarantor_id text NOT NULL REFERENCES guarantor,
    bank text NOT NULL,
    bank_share_bp int NOT NULL CHECK (bank_share_bp >= 2000),
    system_share_bp int NOT NULL CHECK (system_share_bp <= 8000),
    rate_bp int NOT NULL CHECK (rate_bp BETWEEN 0 AND 4000),
    per_claim_cap_fen bigint NOT NULL CHECK (per_claim_cap_fen >= 0),
    valid_from date NOT NULL,
    valid_to date NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now (),
    PRIMARY KEY (id, version),
    CHECK (bank_share_bp + system_share_bp = 10000),
    CHECK (valid_from <= valid_to)
);

CREATE TABLE guarantee (
    loan_id text PRIMARY KEY,
    guarantor_id text NOT NULL REFERENCES guarantor,
    agreement_id text,
    agreement_version int,
    enterprise text NOT NULL,
    product_category text NOT NULL,
    amount_fen bigint NOT NULL CHECK (amount_fen > 0),
    loan_date date NOT NULL,
    qualifies boolean NOT NULL,
    reason text NOT NULL,
    state text NOT NULL CHECK (state IN ('ACTIVE', 'DAICHANG_PAID')),
    created_at timestamptz NOT NULL DEFAULT now (),
    FOREIGN KEY (agreement_id, agreement_version) REFERENCES agreement,
    CHECK (NOT qualifies OR agreement_id IS NOT NULL)
);

CREATE TABLE daichang (
    id bigserial PRIMARY KEY,
    loan_id text NOT NULL REFERENCES guarantee,
    amount_fen bigint NOT NULL CHECK (amount_fen > 0),
    paid_on date NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now ()
);

CREATE TABLE budget (
    year int PRIMARY KEY CHECK (year BETWEEN 2000 AND 2100),
    total_fen bigint NOT NULL CHECK (total_fen >= 0),
    remaining_fen bigint NOT NULL,
    CONSTRAINT budget_remaining_not_negative CHECK (remaining_fen >= 0),
    CHECK (remaining_fen <= total_fen)
);

CREATE TABLE claim (
    id bigserial PRIMARY KEY,
    daichang_id bigint NOT NULL REFERENCES daichang,
    loan_id text NOT NULL REFERENCES guarantee,
    guarantor_id text NOT NULL REFERENCES guarantor,
    state text NOT NULL CHECK (state IN ('SUBMITTED', 'CITY_REVIEWED',
        'PROVINCE_REVIEWED', 'APPROVED', 'QUEUED', 'PAID', 'REJECTED')),
    daichang_fen bigint NOT NULL CHECK (daichang_fen > 0),
    rate_bp int NOT NULL CHECK (rate_bp BETWEEN 0 AND 4000),
    entitled_fen bigint NOT NULL CHECK (entitled_fen >= 0),
    payable_fen bigint NOT NULL CHECK (payable_fen >= 0),
    binding text NOT NULL,
    paid_fen bigint NOT NULL DEFAULT 0,
    budget_year int NOT NULL,
    submitted_by text NOT NULL,
    submitted_at timestamptz NOT NULL DEFAULT now (),
    city_due date NOT NULL,
    city_reviewed_by text,
    city_reviewed_at timestamptz,
    province_due date,
    province_reviewed_by text,
    province_reviewed_at timestamptz,
    approved_by text,
    approved_at timestamptz,
    queued_at timestamptz,
    reason text NOT NULL DEFAULT '',
    recovered_fen bigint NOT NULL DEFAULT 0,
    refunded_fen bigint NOT NULL DEFAULT 0,
    CONSTRAINT claim_one_per_daichang UNIQUE (daichang_id),
    CONSTRAINT claim_four_eyes CHECK (approved_by <> submitted_by),
    CHECK (paid_fen BETWEEN 0 AND entitled_fen),
    CHECK (entitled_fen <= daichang_fen),
    CHECK (recovered_fen BETWEEN 0 AND daichang_fen),
    CHECK (refunded_fen BETWEEN 0 AND paid_fen)
);
CREATE INDEX claim_state ON claim (state, id);
CREATE INDEX claim_queue ON claim (budget_year, queued_at)
    WHERE state = 'QUEUED';

CREATE TABLE payment (
    id bigserial PRIMARY KEY,
    claim_id bigint NOT NULL REFERENCES claim,
    year int NOT NULL REFERENCES budget,
    guarantor_id text NOT NULL REFERENCES guarantor,
    amount_fen bigint NOT NULL CHECK (amount_fen > 0),
    paid_by text NOT NULL,
    paid_at timestamptz NOT NULL DEFAULT now (),
    CONSTRAINT payment_one_per_claim UNIQUE (claim_id)
);
CREATE INDEX payment_guarantor ON payment (guarantor_id, year);

CREATE TABLE recovery (
    id bigserial PRIMARY KEY,
    claim_id bigint NOT NULL REFERENCES claim,
    net_recovery_fen bigint NOT NULL CHECK (net_recovery_fen > 0),
    refund_fen bigint NOT NULL CHECK (refund_fen >= 0),
    recorded_at timestamptz NOT NULL DEFAULT now ()
);

--  The double-entry ledger: a transaction is one movement of money, its
--  entries each a debit or a credit of one account; at commit the debits
--  and credits of every transaction touched must be equal.
CREATE TABLE ledger_txn (
    id bigserial PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('allot', 'pay', 'refund')),
    claim_id bigint REFERENCES claim,
    year int,
    at timestamptz NOT NULL DEFAULT now ()
);
CREATE TABLE ledger_entry (
    id bigserial PRIMARY KEY,
    txn_id bigint NOT NULL REFERENCES ledger_txn,
    account text NOT NULL,
    debit_fen bigint NOT NULL CHECK (debit_fen >= 0),
    credit_fen bigint NOT NULL CHECK (credit_fen >= 0),
    CHECK ((debit_fen = 0) <> (credit_fen = 0))
);
CREATE INDEX ledger_entry_txn ON ledger_entry (txn_id);
CREATE INDEX ledger_entry_account ON ledger_entry (account);

CREATE FUNCTION ledger_txn_balanced () RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT coalesce (sum (debit_fen::numeric - credit_fen), 0)
        FROM ledger_entry WHERE txn_id = NEW.txn_id) <> 0 THEN
        RAISE EXCEPTION 'ledger transaction % does not balance', NEW.txn_id
            USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_balanced AFTER INSERT ON ledger_entry
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION ledger_txn_balanced ();

--  Review deadlines count working days (Monday to Friday).
CREATE FUNCTION add_working_days (start date, days int) RETURNS date
LANGUAGE sql IMMUTABLE AS $$
    SELECT x::date
    FROM generate_series (start + 1, start + days * 2 + 7, interval '1 day') x
    WHERE extract (isodow FROM x) < 6
    ORDER BY x OFFSET days - 1 LIMIT 1
$$;
