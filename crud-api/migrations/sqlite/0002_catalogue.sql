-- Catalogue: category tree, products with stock, images, analysis jobs, search index.

CREATE TABLE categories (
    id         BLOB PRIMARY KEY NOT NULL,
    parent_id  BLOB REFERENCES categories (id) ON DELETE RESTRICT,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    name_en    TEXT NOT NULL,
    position   INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX categories_parent ON categories (parent_id);

-- Stock is split into available / reserved / sold, which always add up to quantity; status is
-- derived from them (a generated column), so status and stock can never disagree.
CREATE TABLE products (
    id          BLOB PRIMARY KEY NOT NULL,
    seller_id   BLOB NOT NULL REFERENCES users (id),
    category_id BLOB NOT NULL REFERENCES categories (id),
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    price       INTEGER NOT NULL CHECK (price >= 0),
    condition   TEXT NOT NULL CHECK (condition IN ('new', 'like_new', 'good', 'fair', 'poor')),
    width_cm    INTEGER,
    depth_cm    INTEGER,
    height_cm   INTEGER,
    weight_kg   INTEGER,
    quantity    INTEGER NOT NULL CHECK (quantity >= 1),
    available   INTEGER NOT NULL CHECK (available >= 0),
    reserved    INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    sold        INTEGER NOT NULL DEFAULT 0 CHECK (sold >= 0),
    hidden      INTEGER NOT NULL DEFAULT 0,
    deleted     INTEGER NOT NULL DEFAULT 0,
    style_tags  TEXT NOT NULL DEFAULT '[]',
    area        TEXT NOT NULL,
    search_terms TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
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

-- Full-text search over precomputed terms (Korean character bigrams + English words).
CREATE VIRTUAL TABLE product_search USING fts5 (terms, tokenize = 'unicode61');

CREATE TABLE product_images (
    id           BLOB PRIMARY KEY NOT NULL,
    product_id   BLOB NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    image_key    TEXT NOT NULL,
    thumb_key    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    bytes        INTEGER NOT NULL,
    position     INTEGER NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX product_images_product ON product_images (product_id, position);

CREATE TABLE image_analysis_jobs (
    id         BLOB PRIMARY KEY NOT NULL,
    image_id   BLOB NOT NULL REFERENCES product_images (id) ON DELETE CASCADE,
    status     TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
    attempts   INTEGER NOT NULL DEFAULT 0,
    claimed_by TEXT,
    claimed_at TEXT,
    result     TEXT,
    error      TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX image_analysis_jobs_status ON image_analysis_jobs (status, created_at);
