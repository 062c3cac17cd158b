--  Schema "registry" of kejin-registry: the life-cycle financial service
--  library (全生命周期金融服务库), the financial institutions and the
--  product supermarket (金融产品超市). docs/registry.md explains the rules.
--
--  Conventions of every table below:
--  - Enum values are stored as the lower-case names of the enums of
--    proto/registry.proto without their prefix: STAGE_GROWTH is 'growth',
--    ENTRY_CITY_APPROVED is 'city_approved', QUAL_HIGH_TECH is 'high_tech'.
--  - Money is bigint fen, never negative except net profit and operating
--    cash flow; ratios are basis points; dates are date.
--  - Region codes are the 14 city codes '210100' .. '211400', 'SFDZ' for
--    沈抚示范区, and (products, institutions) 'SHENYANG_METRO' and
--    'PROVINCE'. An enterprise outside Liaoning (only when
--    registry/allow_outside is on) has its code's positions 3-8.
--  - version counts changes of a row, from 1, for optimistic updates.
--  Column names are stable: the bulk import (registry_bulk) COPYs into them.

--  One enterprise per unified social credit code (GB 32100-2015), with its
--  entry status, its life-cycle stage (as computed by the stage rules, or
--  overridden by hand), credit flags and IP counts.
CREATE TABLE enterprise (
    code text PRIMARY KEY
        CHECK (code ~ '^[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$'),
    name text NOT NULL CHECK (length (name) BETWEEN 1 AND 200),
    region text NOT NULL CHECK (region ~ '^([0-9]{6}|SFDZ)$'),
    industry text NOT NULL DEFAULT '' CHECK (length (industry) <= 100),
    founded_on date,
    size_class text NOT NULL DEFAULT 'unknown'
        CHECK (size_class IN ('unknown', 'micro', 'small', 'medium', 'large')),
    status text NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'submitted', 'city_approved', 'publicized',
                          'active', 'returned', 'rejected', 'suspended',
                          'removed')),
    --  The stage in force: the rules' stage, or the override while set
    stage text NOT NULL DEFAULT 'unknown'
        CHECK (stage IN ('unknown', 'incubation', 'startup', 'growth',
                         'mature')),
    --  What the rules say, kept up to date also while overridden
    stage_computed text NOT NULL DEFAULT 'unknown'
        CHECK (stage_computed IN ('unknown', 'incubation', 'startup',
                                  'growth', 'mature')),
    stage_rule text NOT NULL DEFAULT '',        --  rule that fired, 'manual'
    stage_reason text NOT NULL DEFAULT '',      --  sentence for people
    stage_version text NOT NULL DEFAULT '',     --  rule set version used
    stage_review boolean NOT NULL DEFAULT false,    --  fallback fired
    stage_override boolean NOT NULL DEFAULT false,  --  set by hand
    stage_override_reason text NOT NULL DEFAULT '',
    stage_at timestamptz,                       --  last change of stage
    listing_tutoring boolean NOT NULL DEFAULT false,    --  辅导备案 or later
    board_standard boolean NOT NULL DEFAULT false,      --  meets a board's
                                                        --  listing standard
    chain_leader boolean NOT NULL DEFAULT false,        --  is a 链主 itself
    dishonest boolean NOT NULL DEFAULT false,   --  严重违法失信 list
    abnormal boolean NOT NULL DEFAULT false,    --  经营异常名录
    tax_grade text NOT NULL DEFAULT ''
        CHECK (tax_grade IN ('', 'A', 'B', 'M', 'C', 'D')),
    invention_patents integer NOT NULL DEFAULT 0
        CHECK (invention_patents >= 0),         --  Class-I IP (发明专利 etc.)
    class2_ip integer NOT NULL DEFAULT 0 CHECK (class2_ip >= 0),
    pledged_ip integer NOT NULL DEFAULT 0 CHECK (pledged_ip >= 0),
    version bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_by text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now (),
    updated_at timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX enterprise_region ON enterprise (region, code);
CREATE INDEX enterprise_stage ON enterprise (stage, code);
CREATE INDEX enterprise_status ON enterprise (status, code);

--  Yearly figures of an enterprise, one row per year. sales for the
--  tech-SME grid is revenue_fen; total_cost_fen (成本费用支出总额) feeds
--  its R&D option (b).
CREATE TABLE figures (
    code text NOT NULL REFERENCES enterprise (code) ON DELETE CASCADE,
    year integer NOT NULL CHECK (year BETWEEN 1900 AND 2200),
    revenue_fen bigint NOT NULL DEFAULT 0 CHECK (revenue_fen >= 0),
    rnd_fen bigint NOT NULL DEFAULT 0 CHECK (rnd_fen >= 0),
    net_profit_fen bigint NOT NULL DEFAULT 0,
    total_assets_fen bigint NOT NULL DEFAULT 0 CHECK (total_assets_fen >= 0),
    operating_cash_flow_fen bigint NOT NULL DEFAULT 0,
    high_tech_revenue_fen bigint NOT NULL DEFAULT 0
        CHECK (high_tech_revenue_fen >= 0),
    total_cost_fen bigint NOT NULL DEFAULT 0 CHECK (total_cost_fen >= 0),
    staff integer NOT NULL DEFAULT 0 CHECK (staff >= 0),
    tech_staff integer NOT NULL DEFAULT 0 CHECK (tech_staff >= 0),
    updated_at timestamptz NOT NULL DEFAULT now (),
    PRIMARY KEY (code, year),
    CHECK (tech_staff <= staff),
    CHECK (high_tech_revenue_fen <= revenue_fen)
);

--  Qualifications held, one row per kind, each with its expiry date.
--  expired is set (once) by the expiry job when it announced the expiry;
--  renewing the qualification clears it.
CREATE TABLE qualification (
    code text NOT NULL REFERENCES enterprise (code) ON DELETE CASCADE,
    kind text NOT NULL
        CHECK (kind IN ('high_tech', 'tech_sme', 'innovative_sme', 'srdi',
                        'little_giant', 'eaglet', 'gazelle', 'unicorn',
                        'incubator_resident', 'listing_reserve')),
    level text NOT NULL DEFAULT ''
        CHECK (level IN ('', 'city', 'provincial', 'national')),
    certificate text NOT NULL DEFAULT '' CHECK (length (certificate) <= 100),
    granted_on date,
    expires_on date NOT NULL,
    expired boolean NOT NULL DEFAULT false,
    added_at timestamptz NOT NULL DEFAULT now (),
    PRIMARY KEY (code, kind),
    CHECK (granted_on IS NULL OR granted_on <= expires_on)
);
CREATE INDEX qualification_kind ON qualification (kind, code);
CREATE INDEX qualification_due ON qualification (expires_on) WHERE NOT expired;

--  Awards of national and provincial innovation contests (创新创业大赛...).
CREATE TABLE award (
    id bigserial PRIMARY KEY,
    code text NOT NULL REFERENCES enterprise (code) ON DELETE CASCADE,
    name text NOT NULL CHECK (length (name) BETWEEN 1 AND 200),
    level text NOT NULL CHECK (level IN ('city', 'provincial', 'national')),
    year integer NOT NULL CHECK (year BETWEEN 1900 AND 2200),
    rank text NOT NULL DEFAULT '' CHECK (length (rank) <= 100)
);
CREATE INDEX award_code ON award (code);

--  Equity rounds raised; the latest round feeds the stage rules.
CREATE TABLE equity_round (
    id bigserial PRIMARY KEY,
    code text NOT NULL REFERENCES enterprise (code) ON DELETE CASCADE,
    round text NOT NULL
        CHECK (round IN ('seed', 'angel', 'a', 'b', 'c_plus', 'pre_ipo')),
    amount_fen bigint NOT NULL DEFAULT 0 CHECK (amount_fen >= 0),
    closed_on date NOT NULL,
    investors text NOT NULL DEFAULT '' CHECK (length (investors) <= 500)
);
CREATE INDEX equity_round_code ON equity_round (code);

--  Bank loans on record, current or past: an enterprise with none is a
--  first-loan (首贷) candidate.
CREATE TABLE loan (
    id bigserial PRIMARY KEY,
    code text NOT NULL REFERENCES enterprise (code) ON DELETE CASCADE,
    lender text NOT NULL CHECK (length (lender) BETWEEN 1 AND 200),
    amount_fen bigint NOT NULL CHECK (amount_fen > 0),
    drawn_on date NOT NULL,
    matures_on date,
    outstanding boolean NOT NULL DEFAULT true,
    CHECK (matures_on IS NULL OR matures_on >= drawn_on)
);
CREATE INDEX loan_code ON loan (code);

--  Links of an enterprise to the chain-leader firms (链主) of its
--  industry chains. The leader need not be registered.
CREATE TABLE chain_link (
    code text NOT NULL REFERENCES enterprise (code) ON DELETE CASCADE,
    leader_code text NOT NULL
        CHECK (leader_code ~ '^[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$'),
    chain text NOT NULL DEFAULT '' CHECK (length (chain) <= 100),
    PRIMARY KEY (code, leader_code),
    CHECK (leader_code <> code)
);
CREATE INDEX chain_link_leader ON chain_link (leader_code);

--  The 科技型中小企业 evaluation (国科发政〔2017〕115号) of the latest year of
--  figures, with its parts (registry_techsme). One row per enterprise,
--  none until it has figures.
CREATE TABLE techsme_score (
    code text PRIMARY KEY REFERENCES enterprise (code) ON DELETE CASCADE,
    year integer NOT NULL,
    tech_staff_bp bigint NOT NULL,      --  -1: no staff
    rnd_sales_bp bigint NOT NULL,       --  -1: no sales
    rnd_cost_bp bigint NOT NULL,        --  -1: no cost
    tech_staff_score integer NOT NULL CHECK (tech_staff_score BETWEEN 0 AND 20),
    rnd_sales_score integer NOT NULL CHECK (rnd_sales_score BETWEEN 0 AND 50),
    rnd_cost_score integer NOT NULL CHECK (rnd_cost_score BETWEEN 0 AND 50),
    rnd_score integer NOT NULL CHECK (rnd_score BETWEEN 0 AND 50),
    ip_score integer NOT NULL CHECK (ip_score BETWEEN 0 AND 30),
    total integer NOT NULL CHECK (total BETWEEN 0 AND 100),
    eligible boolean NOT NULL,
    reasons integer NOT NULL DEFAULT 0, --  registry_techsme_reason_t bits
    reason text NOT NULL DEFAULT '',
    evaluated_at timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX techsme_score_total ON techsme_score (total);

--  Financial institutions on the platform (入驻机构), with the regions
--  they serve.
CREATE SEQUENCE institution_seq;
CREATE TABLE institution (
    id text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$'),
    name text NOT NULL CHECK (length (name) BETWEEN 1 AND 200),
    type text NOT NULL
        CHECK (type IN ('bank', 'guarantee', 'angel_fund', 'vc', 'pe',
                        'insurer', 'leasing', 'factoring', 'small_loan',
                        'securities', 'equity_exchange')),
    uscc text NOT NULL DEFAULT '',          --  its own credit code, if given
    regions text[] NOT NULL CHECK (cardinality (regions) > 0),
    contact text NOT NULL DEFAULT '' CHECK (length (contact) <= 200),
    sponsor_code text NOT NULL DEFAULT '',  --  sponsoring incubator or
                                            --  chain leader (policy m. 4)
    status text NOT NULL DEFAULT 'listed'
        CHECK (status IN ('listed', 'withdrawn')),
    withdraw_reason text NOT NULL DEFAULT '',
    version bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at timestamptz NOT NULL DEFAULT now (),
    updated_at timestamptz NOT NULL DEFAULT now ()
);
CREATE UNIQUE INDEX institution_listed_name ON institution (name)
    WHERE status = 'listed';
CREATE INDEX institution_type ON institution (type, id);
CREATE INDEX institution_regions ON institution USING gin (regions);

--  Products of the supermarket. Empty collateral means none required;
--  qualifications must all be held, any_qualifications (if any) at least
--  one; stages and regions are never empty.
CREATE SEQUENCE product_seq;
CREATE TABLE product (
    id text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$'),
    institution_id text NOT NULL REFERENCES institution (id),
    name text NOT NULL CHECK (length (name) BETWEEN 1 AND 200),
    type text NOT NULL
        CHECK (type IN ('credit', 'ip_pledge', 'guaranteed', 'first_loan',
                        'renewal', 'invest_loan_linkage', 'leasing',
                        'factoring', 'tech_insurance', 'bond', 'equity')),
    min_amount_fen bigint NOT NULL DEFAULT 0 CHECK (min_amount_fen >= 0),
    max_amount_fen bigint NOT NULL CHECK (max_amount_fen > 0),
    min_term_months integer NOT NULL DEFAULT 0 CHECK (min_term_months >= 0),
    max_term_months integer NOT NULL CHECK (max_term_months > 0),
    rate_bp integer NOT NULL DEFAULT 0 CHECK (rate_bp >= 0),
    collateral text[] NOT NULL DEFAULT '{}'
        CHECK (collateral <@ ARRAY['ip', 'receivables', 'guarantee',
                                   'real_estate']),
    stages text[] NOT NULL
        CHECK (cardinality (stages) > 0
               AND stages <@ ARRAY['incubation', 'startup', 'growth',
                                   'mature']),
    qualifications text[] NOT NULL DEFAULT '{}',
    any_qualifications text[] NOT NULL DEFAULT '{}',
    min_grade text NOT NULL DEFAULT ''
        CHECK (min_grade IN ('', 'C', 'B', 'A', 'AA', 'AAA')),
    regions text[] NOT NULL CHECK (cardinality (regions) > 0),
    valid_from date NOT NULL,
    valid_to date,
    description text NOT NULL DEFAULT '' CHECK (length (description) <= 2000),
    status text NOT NULL DEFAULT 'listed'
        CHECK (status IN ('listed', 'withdrawn')),
    withdraw_reason text NOT NULL DEFAULT '',
    version bigint NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at timestamptz NOT NULL DEFAULT now (),
    updated_at timestamptz NOT NULL DEFAULT now (),
    CHECK (max_amount_fen >= min_amount_fen),
    CHECK (max_term_months >= min_term_months),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX product_type ON product (type, id);
CREATE INDEX product_institution ON product (institution_id, id);
CREATE INDEX product_stages ON product USING gin (stages);
CREATE INDEX product_regions ON product USING gin (regions);
CREATE INDEX product_qualifications ON product USING gin (qualifications);

--  Who did what, when and why: stage overrides and stage changes, entry
--  transitions, withdrawals. who is the caller's identity, else 'operator'
--  ('rules' for a change the stage rules made, 'expiry' for the job).
CREATE TABLE audit (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now (),
    who text NOT NULL,
    action text NOT NULL,               --  e.g. stage_override, transition
    subject_kind text NOT NULL
        CHECK (subject_kind IN ('enterprise', 'institution', 'product')),
    subject text NOT NULL,              --  credit code or id
    before text NOT NULL DEFAULT '',
    after text NOT NULL DEFAULT '',
    reason text NOT NULL DEFAULT ''
);
CREATE INDEX audit_subject ON audit (subject_kind, subject, id);

--  Every stage rule set a daemon ran with, by version: a version names
--  one text forever, so a stored stage_version can be looked up.
CREATE TABLE stage_rules (
    version text PRIMARY KEY,
    rules text NOT NULL,
    first_used_at timestamptz NOT NULL DEFAULT now ()
);
