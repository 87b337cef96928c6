-- The sandbox gateway's captures, in the database so that every replica sees the same gateway
-- (a capture on one replica is refundable and looked up on any other).
CREATE TABLE sandbox_captures (
    payment_key TEXT PRIMARY KEY NOT NULL,
    order_id    UUID NOT NULL,
    amount      BIGINT NOT NULL CHECK (amount >= 0),
    cancelled   BIGINT NOT NULL DEFAULT 0 CHECK (cancelled >= 0 AND cancelled <= amount),
    method      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

-- The payment reconciler looks for confirmations left half-done (a crash between the gateway's
-- capture and the commit); this keeps that look cheap.
CREATE INDEX payments_confirming ON payments (updated_at) WHERE status = 'confirming';

-- Every replica polls for embeddings written in the last few seconds (a new photo becomes
-- similar-searchable everywhere within about a second).
CREATE INDEX image_embeddings_created ON image_embeddings (created_at);

-- Rate limits that must hold across replicas (sign-in attempts per account, delivery-code
-- guesses per order): one token bucket per key, shared by every replica.
CREATE TABLE rate_limit_buckets (
    key        TEXT PRIMARY KEY NOT NULL,
    tokens     DOUBLE PRECISION NOT NULL,
    -- seconds since the Unix epoch
    updated_at DOUBLE PRECISION NOT NULL,
    -- whether the last attempt took a token
    granted    INTEGER NOT NULL
);
