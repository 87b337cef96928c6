-- Image analysis results: retry back-off for jobs, and one embedding per analysed image.

-- Epoch milliseconds before which a failed job is not retried (NULL: now).
ALTER TABLE image_analysis_jobs ADD COLUMN run_after BIGINT;

CREATE TABLE image_embeddings (
    image_id   UUID PRIMARY KEY REFERENCES product_images (id) ON DELETE CASCADE,
    product_id UUID NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    model      TEXT NOT NULL,
    -- L2-normalised float32 values, little-endian.
    vector     BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX image_embeddings_product ON image_embeddings (product_id);
