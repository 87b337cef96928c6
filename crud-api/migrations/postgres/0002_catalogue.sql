-- Catalogue: category tree, products with stock, images, analysis jobs, search index.

CREATE TABLE categories (
    id         UUID PRIMARY KEY,
    parent_id  UUID REFERENCES categories (id) ON DELETE RESTRICT,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    name_en    TEXT NOT NULL,
    position   INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX categories_parent ON categories (parent_id);

-- Stock is split into available / reserved / sold, which always add up to quantity; status is
-- derived from them (a generated column), so status and stock can never disagree.
CREATE TABLE products (
    id          UUID PRIMARY KEY,
    seller_id   UUID NOT NULL REFERENCES users (id),
    category_id UUID NOT NULL REFERENCES categories (id),
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    price       BIGINT NOT NULL CHECK (price >= 0),
    condition   TEXT NOT NULL CHECK (condition IN ('new', 'like_new', 'good', 'fair', 'poor')),
    width_cm    INTEGER,
    depth_cm    INTEGER,
    height_cm   INTEGER,
    weight_kg   INTEGER,
    quantity    INTEGER NOT NULL CHECK (quantity >= 1),
    available   INTEGER NOT NULL CHECK (available >= 0),
    reserved    INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    sold        INTEGER NOT NULL DEFAULT 0 CHECK (sold >= 0),
    hidden      BOOLEAN NOT NULL DEFAULT FALSE,
    deleted     BOOLEAN NOT NULL DEFAULT FALSE,
    style_tags  TEXT NOT NULL DEFAULT '[]',
    area        TEXT NOT NULL,
    search_terms TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    status      TEXT GENERATED ALWAYS AS (
        CASE WHEN hidden THEN 'hidden'
             WHEN available > 0 THEN 'on_sale'
             WHEN reserved > 0 THEN 'reserved'
             ELSE 'sold' END) STORED,
    CHECK (available + reserved + sold = quantity)
);
CREATE INDEX products_category ON products (category_id, id);
CREATE INDEX products_seller ON products (seller_id, id);
CREATE INDEX products_status_id ON products (status, id);
CREATE INDEX products_price ON products (price, id);
-- Full-text search over precomputed terms (Korean character bigrams + English words). The terms
-- become lexemes as they are (array_to_tsvector), so no locale-dependent parser touches Hangul.
CREATE INDEX products_search ON products USING GIN (array_to_tsvector(string_to_array(search_terms, ' ')));

CREATE TABLE product_images (
    id           UUID PRIMARY KEY,
    product_id   UUID NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    image_key    TEXT NOT NULL,
    thumb_key    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    bytes        BIGINT NOT NULL,
    position     INTEGER NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX product_images_product ON product_images (product_id, position);

CREATE TABLE image_analysis_jobs (
    id         UUID PRIMARY KEY,
    image_id   UUID NOT NULL REFERENCES product_images (id) ON DELETE CASCADE,
    status     TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    claimed_by TEXT,
    claimed_at TIMESTAMPTZ,
    result     TEXT,
    error      TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX image_analysis_jobs_status ON image_analysis_jobs (status, created_at);
