-- Every replica keeps the category tree in memory (catalogue/category_cache.rs); any change to
-- it tells them all to drop their copy. One notice per statement: a bulk change is one event.
CREATE FUNCTION notify_categories_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('categories_changed', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER categories_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION notify_categories_changed();
