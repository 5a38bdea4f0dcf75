-- Every change to the catalog is announced on the channel `catalog_changes`, whoever makes
-- it (a Catalog instance, the seed, an admin in psql), so that every Catalog drops what it
-- keeps in memory of it (src/cache.rs). The payload is the id of the product that changed,
-- or '*' when anything may have changed (a category, which its products show, or a
-- TRUNCATE). PostgreSQL sends a notification when its transaction commits, never before.

CREATE FUNCTION notify_product_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM pg_notify('catalog_changes', OLD.id::text);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM pg_notify('catalog_changes', NEW.id::text);
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION notify_everything_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('catalog_changes', '*');
    RETURN NULL;
END;
$$;

CREATE TRIGGER products_changed AFTER INSERT OR UPDATE OR DELETE ON products
    FOR EACH ROW EXECUTE FUNCTION notify_product_changed();

CREATE TRIGGER products_truncated AFTER TRUNCATE ON products
    FOR EACH STATEMENT EXECUTE FUNCTION notify_everything_changed();

CREATE TRIGGER categories_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION notify_everything_changed();
