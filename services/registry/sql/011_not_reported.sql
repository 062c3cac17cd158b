--  The figures of a year that were never given, by their names in
--  docs/cli.md: unknown, not zero (shown as not reported).
ALTER TABLE figures ADD COLUMN not_reported text[] NOT NULL DEFAULT '{}';
