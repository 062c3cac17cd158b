--  Schema "ipo" of kejin-ipo: the reserve pool, one file per firm with its
--  moves (the milestones), subsidy claims and the yearly budget.
--  docs/rules/ipo.md says what each column means.

CREATE TABLE firm (
    firm text PRIMARY KEY CHECK (length (firm) BETWEEN 1 AND 64),
    name text NOT NULL CHECK (length (name) BETWEEN 1 AND 200),
    city text NOT NULL CHECK (length (city) BETWEEN 1 AND 32),
    sponsor text NOT NULL DEFAULT '',
    auditor text NOT NULL DEFAULT '',
    law_firm text NOT NULL DEFAULT '',
    state int NOT NULL CHECK (state BETWEEN 1 AND 17),
    board int NOT NULL DEFAULT -1,
    since int NOT NULL,                 --  YYYYMMDD, as the dates below
    letter int NOT NULL DEFAULT 0,
    registered int NOT NULL DEFAULT 0,
    rejected int NOT NULL DEFAULT 0,
    neeq_since int NOT NULL DEFAULT 0,
    pool int NOT NULL DEFAULT 0,        --  1 city pool, 2 provincial pool
    refreshed int NOT NULL,             --  the file last reviewed (yearly)
    alerted text NOT NULL DEFAULT ''    --  last alert raised: kind/deadline
);
CREATE INDEX firm_city ON firm (city, state);

CREATE TABLE move (
    id bigserial PRIMARY KEY,
    firm text NOT NULL REFERENCES firm,
    from_state int NOT NULL,
    to_state int NOT NULL,
    board int NOT NULL,
    day int NOT NULL,
    by_whom text NOT NULL,
    note text NOT NULL DEFAULT '',
    event int NOT NULL DEFAULT 0,       --  ipo_event_t for the subsidy; 0
    event_board int NOT NULL DEFAULT -1,
    stage text,                         --  subsidy stage it makes due
    due_fen bigint NOT NULL DEFAULT 0,
    rule text NOT NULL DEFAULT '',
    lapsed boolean NOT NULL DEFAULT false,
    at timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX move_firm ON move (firm, id);

CREATE TABLE claim (
    id bigserial PRIMARY KEY,
    firm text NOT NULL REFERENCES firm,
    stage text NOT NULL,
    board int NOT NULL,
    amount_fen bigint NOT NULL CHECK (amount_fen > 0),
    status text NOT NULL DEFAULT 'FILED'
        CHECK (status IN ('FILED', 'CITY_APPROVED', 'PAID', 'REFUSED')),
    filed int NOT NULL,
    year int NOT NULL,
    city_by text NOT NULL DEFAULT '',
    province_by text NOT NULL DEFAULT '',
    note text NOT NULL DEFAULT ''
);
--  Paid once per firm and stage: one claim that is not refused
CREATE UNIQUE INDEX claim_once ON claim (firm, stage)
    WHERE status <> 'REFUSED';
CREATE INDEX claim_year ON claim (year, status);

CREATE TABLE budget (
    year int PRIMARY KEY CHECK (year BETWEEN 2000 AND 2099),
    budget_fen bigint NOT NULL CHECK (budget_fen >= 0)
);
