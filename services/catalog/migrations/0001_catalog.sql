-- Categories and products of the LocalMart catalog.

CREATE TABLE categories (
    id                uuid PRIMARY KEY,
    slug              text NOT NULL UNIQUE,
    name              text NOT NULL,
    description       text NOT NULL DEFAULT '',
    -- What a reviewer of this category may rate, such as 'fit' or 'battery_life'.
    review_attributes text[] NOT NULL DEFAULT '{}'
);

CREATE TABLE products (
    id          uuid PRIMARY KEY,
    sku         text NOT NULL UNIQUE,
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 5000),
    category_id uuid NOT NULL REFERENCES categories (id),
    price_minor bigint NOT NULL CHECK (price_minor >= 0),
    currency    char(3) NOT NULL,
    stock       integer NOT NULL CHECK (stock >= 0),
    active      boolean NOT NULL DEFAULT true,
    attributes  jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    -- The name weighs most in ranking, then the description, then attribute values.
    search      tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', name), 'A') ||
        setweight(to_tsvector('english', description), 'B') ||
        setweight(jsonb_to_tsvector('english', attributes, '["string"]'), 'C')
    ) STORED
);

CREATE INDEX products_search_idx ON products USING gin (search);
CREATE INDEX products_category_name_idx ON products (category_id, name);
CREATE INDEX products_price_idx ON products (price_minor);
CREATE INDEX products_created_idx ON products (created_at DESC);
