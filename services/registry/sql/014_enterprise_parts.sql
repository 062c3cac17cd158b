--  The enterprise's parts as its readers need them, kept in its own row
--  at write time (docs/registry.md, "The parts, stored at write time"):
--  GetEnterprise reads one row of one table instead of starting the
--  executor over eight.
--
--  parts is the JSON array of the seven parts that enterprise_parts ()
--  computes; parts_format the format it was computed in; parts_xact the
--  transaction that computed it last (so that a transaction refreshes an
--  enterprise once, however many rows of its parts it wrote). A row whose
--  parts_format is not enterprise_parts_format () is read live, never
--  stale: a later format bumps the number, redefines enterprise_parts ()
--  and the column's default, and refills.

--  Each part: an array of its rows, each an array of its values in the
--  order registry_store_enterprise.c parses them, or null when it has no
--  rows. A qualification's "expired" is not stored (it changes with the
--  date, not with a write): the reader compares expires_on with today.
CREATE FUNCTION enterprise_parts (c text) RETURNS json
LANGUAGE plpgsql STABLE SET search_path FROM CURRENT AS $f$
BEGIN
    RETURN json_build_array (
        (SELECT json_agg (json_build_array (year, revenue_fen, rnd_fen,
                net_profit_fen, total_assets_fen, operating_cash_flow_fen,
                high_tech_revenue_fen, total_cost_fen, staff, tech_staff,
                array_to_string (not_reported, ',')) ORDER BY year)
         FROM figures p WHERE p.code = c),
        (SELECT json_agg (json_build_array (kind, level, certificate,
                coalesce (to_char (granted_on, 'YYYY-MM-DD'), ''),
                to_char (expires_on, 'YYYY-MM-DD')) ORDER BY kind)
         FROM qualification p WHERE p.code = c),
        (SELECT json_agg (json_build_array (name, level, year, rank)
                ORDER BY id)
         FROM award p WHERE p.code = c),
        (SELECT json_agg (json_build_array (round, amount_fen,
                to_char (closed_on, 'YYYY-MM-DD'), investors)
                ORDER BY closed_on, id)
         FROM equity_round p WHERE p.code = c),
        (SELECT json_agg (json_build_array (lender, amount_fen,
                to_char (drawn_on, 'YYYY-MM-DD'),
                coalesce (to_char (matures_on, 'YYYY-MM-DD'), ''),
                outstanding) ORDER BY drawn_on, id)
         FROM loan p WHERE p.code = c),
        (SELECT json_agg (json_build_array (leader_code, chain)
                ORDER BY leader_code)
         FROM chain_link p WHERE p.code = c),
        (SELECT json_agg (json_build_array (year, tech_staff_bp,
                rnd_sales_bp, rnd_cost_bp, tech_staff_score, rnd_sales_score,
                rnd_cost_score, rnd_score, ip_score, total, eligible, reason,
                reasons))
         FROM techsme_score p WHERE p.code = c));
END
$f$;

--  The format enterprise_parts () computes (constant-folded in the read)
CREATE FUNCTION enterprise_parts_format () RETURNS integer
LANGUAGE sql IMMUTABLE AS $f$ SELECT 1 $f$;

--  The compact export (with_figures_of, registry_bulk_store_export.c) from
--  what is stored too: the enterprise's own cells as a generated column
--  of its row (enterprise.facts), a year's nine cells as one of the
--  figures row (figures.facts: a figure not reported an empty cell), and
--  from the tables beside, kept with the parts: the amount of the latest
--  round and the qualifications ("kind:expires|..." in the order of
--  kind), then every year's cells, "year,...;year,..." in year order.
CREATE FUNCTION enterprise_facts_parts (c text) RETURNS text
LANGUAGE plpgsql STABLE SET search_path FROM CURRENT AS $f$
BEGIN
    RETURN coalesce ((SELECT x.amount_fen::text FROM equity_round x
                      WHERE x.code = c ORDER BY array_position (ARRAY['seed',
                      'angel', 'a', 'b', 'c_plus', 'pre_ipo'], x.round) DESC,
                      x.closed_on DESC LIMIT 1), '')
        || ',' || coalesce ((SELECT string_agg (q.kind || ':'
                             || to_char (q.expires_on, 'YYYY-MM-DD'), '|'
                             ORDER BY q.kind)
                             FROM qualification q WHERE q.code = c), '');
END
$f$;

CREATE FUNCTION enterprise_facts_years (c text) RETURNS text
LANGUAGE plpgsql STABLE SET search_path FROM CURRENT AS $f$
BEGIN
    RETURN (SELECT string_agg (f.facts, ';' ORDER BY f.year)
            FROM figures f WHERE f.code = c);
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
    UPDATE enterprise SET parts = enterprise_parts (c),
        facts_parts = enterprise_facts_parts (c),
        facts_years = enterprise_facts_years (c),
        parts_format = enterprise_parts_format (),
        parts_xact = pg_current_xact_id ()
    WHERE code = c AND parts_xact IS DISTINCT FROM pg_current_xact_id ();
    IF TG_OP = 'UPDATE' AND OLD.code <> NEW.code THEN
        UPDATE enterprise SET parts = enterprise_parts (OLD.code),
            facts_parts = enterprise_facts_parts (OLD.code),
            facts_years = enterprise_facts_years (OLD.code),
            parts_format = enterprise_parts_format ()
        WHERE code = OLD.code;
    END IF;
    RETURN NULL;
END
$f$;

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

UPDATE enterprise SET parts = enterprise_parts (code),
    facts_parts = enterprise_facts_parts (code),
    facts_years = enterprise_facts_years (code),
    parts_format = enterprise_parts_format ();

--  A new enterprise has no parts yet: the value enterprise_parts () gives
--  for it (test_registry_read compares the two)
ALTER TABLE enterprise
    ALTER COLUMN parts SET DEFAULT
        '[null, null, null, null, null, null, null]'::json,
    ALTER COLUMN facts_parts SET DEFAULT ',',
    ALTER COLUMN parts_format SET DEFAULT 1;

CREATE CONSTRAINT TRIGGER figures_parts
    AFTER INSERT OR UPDATE OR DELETE ON figures
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (current_setting ('kejin.parts_bulk', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION enterprise_parts_refresh ();
CREATE CONSTRAINT TRIGGER qualification_parts
    AFTER INSERT OR UPDATE OR DELETE ON qualification
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (current_setting ('kejin.parts_bulk', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION enterprise_parts_refresh ();
CREATE CONSTRAINT TRIGGER award_parts
    AFTER INSERT OR UPDATE OR DELETE ON award
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (current_setting ('kejin.parts_bulk', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION enterprise_parts_refresh ();
CREATE CONSTRAINT TRIGGER equity_round_parts
    AFTER INSERT OR UPDATE OR DELETE ON equity_round
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (current_setting ('kejin.parts_bulk', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION enterprise_parts_refresh ();
CREATE CONSTRAINT TRIGGER loan_parts
    AFTER INSERT OR UPDATE OR DELETE ON loan
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (current_setting ('kejin.parts_bulk', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION enterprise_parts_refresh ();
CREATE CONSTRAINT TRIGGER chain_link_parts
    AFTER INSERT OR UPDATE OR DELETE ON chain_link
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (current_setting ('kejin.parts_bulk', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION enterprise_parts_refresh ();
CREATE CONSTRAINT TRIGGER techsme_score_parts
    AFTER INSERT OR UPDATE OR DELETE ON techsme_score
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (current_setting ('kejin.parts_bulk', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION enterprise_parts_refresh ();
