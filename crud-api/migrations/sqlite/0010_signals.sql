-- What signed-in buyers looked at: the recommender's `recent-categories`, and — with carts and
-- orders — each product's `popularity`. One row per person and product (their last look).
CREATE TABLE product_views (
    product_id BLOB NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    viewed_at  TEXT NOT NULL,
    PRIMARY KEY (product_id, user_id)
);
CREATE INDEX product_views_user ON product_views (user_id, viewed_at);
