--  The figures a CSV row leaves empty are not reported (unknown, not 0):
--  the staged row names them as figures.not_reported does, and the commit
--  copies them over.
ALTER TABLE bulk_figures ADD COLUMN not_reported text[] NOT NULL DEFAULT '{}';
