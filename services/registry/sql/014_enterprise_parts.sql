--  The enterprise's parts as its readers need them, kept in its own row
--  at write time (docs/registry.md, "The parts, stored at write time"):
--  GetEnterprise reads one row of one table instead of starting the
--  executor over eight, and a page of the compact export is one range of
--  one table.
--
--  What is stored is defined once, by the view enterprise_read: parts,
--  the JSON array of the seven parts; facts_parts and facts_years, the
--  compact export's cells from the tables beside. parts_format is the
--  format they were computed in, parts_xact the transaction that computed
--  them last (so that a transaction refreshes an enterprise once, however
--  many rows of its parts it wrote). A row whose parts_format is not
--  enterprise_parts_format () is read live, never stale: a later format
--  bumps the number, redefines the view and the columns' defaults, and
--  refills.

--  A year's nine cells of the compact export (a figure not reported an
--  empty cell: unknown, not 0)
ALTER TABLE figures ADD COLUMN facts text GENERATED ALWAYS AS (
    year::text
    || ',' || CASE WHEN 'revenue' = ANY (not_reported) THEN ''
              ELSE revenue_fen::text END
    || ',' || CASE WHEN 'rnd' = ANY (not_reported) THEN ''
              ELSE rnd_fen::text END
    || ',' || CASE WHEN 'net-profit' = ANY (not_reported) THEN ''
              ELSE net_profit_fen::text END
    || ',' || CASE WHEN 'assets' = ANY (not_reported) THEN ''
              ELSE total_assets_fen::text END
    || ',' || CASE WHEN 'high-tech-revenue' = ANY (not_reported) THEN ''
              ELSE high_tech_revenue_fen::text END
    || ',' || CASE WHEN 'cost' = ANY (not_reported) THEN ''
              ELSE total_cost_fen::text END
    || ',' || CASE WHEN 'staff' = ANY (not_reported) THEN ''
              ELSE staff::text END
    || ',' || CASE WHEN 'tech-staff' = ANY (not_reported) THEN ''
              ELSE tech_staff::text END) STORED;

--  Each part: an array of its rows, each an array of its values in the
--  order registry_store_enterprise.c parses them, or null when it has no
--  rows. A qualification's "expired" is not stored (it changes with the
--  date, not with a write): the reader compares expires_on with today.
--  The compact export's cells: the amount of the latest round and the
--  qualifications ("kind:expires|..." in the order of kind); every year's
--  cells, "year,...;year,..." in year order. Correlated subqueries: a
--  statement over many enterprises runs them as one plan, row by row.
CREATE VIEW enterprise_read AS
SELECT e.code,
    json_build_array (
        (SELECT json_agg (json_build_array (year, revenue_fen, rnd_fen,
                net_profit_fen, total_assets_fen, operating_cash_flow_fen,
                high_tech_revenue_fen, total_cost_fen, staff, tech_staff,
                array_to_string (not_reported, ',')) ORDER BY year)
         FROM figures p WHERE p.code = e.code),
        (SELECT json_agg (json_build_array (kind, level, certificate,
                coalesce (to_char (granted_on, 'YYYY-MM-DD'), ''),
                to_char (expires_on, 'YYYY-MM-DD')) ORDER BY kind)
         FROM qualification p WHERE p.code = e.code),
        (SELECT json_agg (json_build_array (name, level, year, rank)
                ORDER BY id)
         FROM award p WHERE p.code = e.code),
        (SELECT json_agg (json_build_array (round, amount_fen,
                to_char (closed_on, 'YYYY-MM-DD'), investors)
                ORDER BY closed_on, id)
         FROM equity_round p WHERE p.code = e.code),
        (SELECT json_agg (json_build_array (lender, amount_fen,
                to_char (drawn_on, 'YYYY-MM-DD'),
                coalesce (to_char (matures_on, 'YYYY-MM-DD'), ''),
                outstanding) ORDER BY drawn_on, id)
         FROM loan p WHERE p.code = e.code),
        (SELECT json_agg (json_build_array (leader_code, chain)
                ORDER BY leader_code)
         FROM chain_link p WHERE p.code = e.code),
        (SELECT json_agg (json_build_array (year, tech_staff_bp,
                rnd_sales_bp, rnd_cost_bp, tech_staff_score, rnd_sales_score,
                rnd_cost_score, rnd_score, ip_score, total, eligible, reason,
                reasons))
         FROM techsme_score p WHERE p.code = e.code)) AS parts,
    coalesce ((SELECT x.amount_fen::text FROM equity_round x
               WHERE x.code = e.code ORDER BY array_position (ARRAY['seed',
               'angel', 'a', 'b', 'c_plus', 'pre_ipo'], x.round) DESC,
               x.closed_on DESC LIMIT 1), '')
        || ',' || coalesce ((SELECT string_agg (q.kind || ':'
                             || to_char (q.expires_on, 'YYYY-MM-DD'), '|'
                             ORDER BY q.kind)
                             FROM qualification q WHERE q.code = e.code), '')
        AS facts_parts,
    (SELECT string_agg (f.facts, ';' ORDER BY f.year)
     FROM figures f WHERE f.code = e.code) AS facts_years
FROM enterprise e;

--  The format enterprise_read computes (constant-folded in the reads)
CREATE FUNCTION enterprise_parts_format () RETURNS integer
LANGUAGE sql IMMUTABLE AS $f$ SELECT 1 $f$;

--  One enterprise's row of the view, for a read that finds its stored
--  values in another format (a function: a subquery of the view in the
--  read itself would start the executor over eight tables at every read)
CREATE FUNCTION enterprise_read_of (c text) RETURNS enterprise_read
LANGUAGE plpgsql STABLE SET search_path FROM CURRENT AS $f$
DECLARE
    r enterprise_read;
BEGIN
    SELECT * INTO r FROM enterprise_read WHERE code = c;
    RETURN r;
END
$f$;

--  Refreshes the parts of the enterprise whose part row changed, once per
--  transaction: it runs deferred, at commit, after every write of the
--  transaction, so the first run for an enterprise sees all of them.
--  The bulk paths write many enterprises' parts in a few statements: they
--  set kejin.parts_bulk to on for those (no event is queued) and refresh
--  the enterprises they wrote in one statement after.
CREATE FUNCTION enterprise_parts_refresh () RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $f$
DECLARE
    c text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        c := OLD.code;
    ELSE
        c := NEW.code;
    END IF;
    UPDATE enterprise e SET parts = v.parts, facts_parts = v.facts_parts,
        facts_years = v.facts_years,
        parts_format = enterprise_parts_format (),
        parts_xact = pg_current_xact_id ()
    FROM enterprise_read v
    WHERE e.code = c AND v.code = c
        AND e.parts_xact IS DISTINCT FROM pg_current_xact_id ();
    IF TG_OP = 'UPDATE' AND OLD.code <> NEW.code THEN
        UPDATE enterprise e SET parts = v.parts, facts_parts = v.facts_parts,
            facts_years = v.facts_years,
            parts_format = enterprise_parts_format ()
        FROM enterprise_read v WHERE e.code = OLD.code AND v.code = OLD.code;
    END IF;
    RETURN NULL;
END
$f$;

ALTER TABLE enterprise
    ADD COLUMN parts json,
    ADD COLUMN facts_parts text,
    ADD COLUMN facts_years text,
    ADD COLUMN parts_format integer,
    ADD COLUMN parts_xact xid8,
    ADD COLUMN facts text GENERATED ALWAYS AS (
        code || ',' || region || ',' || status || ',' || coalesce (stage, '')
        || ',' || dishonest::text || ',' || abnormal::text
        || ',' || coalesce (tax_grade, '')
        || ',' || invention_patents::text) STORED;

UPDATE enterprise e SET parts = v.parts, facts_parts = v.facts_parts,
    facts_years = v.facts_years, parts_format = enterprise_parts_format ()
FROM enterprise_read v WHERE v.code = e.code;

--  A new enterprise has no parts yet: the values enterprise_read gives
--  for it (test_registry_read compares the two)
ALTER TABLE enterprise
    ALTER COLUMN parts SET DEFAULT
        '[null, null, null, null, null, null, null]'::json,
    ALTER COLUMN facts_parts SET DEFAULT ',',
    ALTER COLUMN parts_format SET DEFAULT 1;

--  The part tables' triggers: each row written queues one event (none
--  while kejin.parts_bulk is on)
DO $d$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['figures', 'award', 'equity_round', 'loan',
                             'chain_link', 'techsme_score'] LOOP
        EXECUTE format ('CREATE CONSTRAINT TRIGGER %I '
            'AFTER INSERT OR UPDATE OR DELETE ON %I '
            'DEFERRABLE INITIALLY DEFERRED FOR EACH ROW '
            'WHEN (current_setting (''kejin.parts_bulk'', true) '
            'IS DISTINCT FROM ''on'') '
            'EXECUTE FUNCTION enterprise_parts_refresh ()', t || '_parts', t);
    END LOOP;
END
$d$;

--  Not on the expiry job's "expired" (not a part: the reader computes it)
CREATE CONSTRAINT TRIGGER qualification_parts
    AFTER INSERT OR DELETE
        OR UPDATE OF code, kind, level, certificate, granted_on, expires_on
    ON qualification
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (current_setting ('kejin.parts_bulk', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION enterprise_parts_refresh ();
