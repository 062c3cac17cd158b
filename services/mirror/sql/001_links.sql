--  The links of this hub to other cities' event logs, as kejin-mirror last
--  saw them; the rows themselves live in a database per city
--  (kejin_mirror_<city>), filled by PostgreSQL logical replication.
CREATE TABLE links (
    city text PRIMARY KEY,
    state int NOT NULL,
    hub_head bigint NOT NULL DEFAULT 0,
    origin_head bigint NOT NULL DEFAULT 0,
    reason text NOT NULL DEFAULT '',
    checked_at timestamptz NOT NULL DEFAULT now (),
    changed_at timestamptz NOT NULL DEFAULT now ()
);
