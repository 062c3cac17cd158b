--  The supermarket's catalogue version (SearchProducts' cache, see
--  docs/registry.md "SearchProducts from a kept catalogue"). Every
--  transaction that writes a product or an institution adds one, once, at
--  its commit; a reader that sees the version it loaded its copy at sees
--  the rows it loaded. At commit, after every other lock the transaction
--  takes: waiting for this row never closes a cycle.
CREATE TABLE catalogue_version (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    version bigint NOT NULL
);
INSERT INTO catalogue_version VALUES (true, 1);

CREATE FUNCTION catalogue_bump () RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting ('kejin.catalogue_bumped', true)
       IS DISTINCT FROM pg_current_xact_id ()::text THEN
        UPDATE catalogue_version SET version = version + 1;
        PERFORM set_config ('kejin.catalogue_bumped',
                            pg_current_xact_id ()::text, true);
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER product_catalogue
    AFTER INSERT OR UPDATE OR DELETE ON product
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION catalogue_bump ();
CREATE CONSTRAINT TRIGGER institution_catalogue
    AFTER INSERT OR UPDATE OR DELETE ON institution
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION catalogue_bump ();
CREATE TRIGGER product_catalogue_truncate AFTER TRUNCATE ON product
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_bump ();
CREATE TRIGGER institution_catalogue_truncate AFTER TRUNCATE ON institution
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_bump ();
