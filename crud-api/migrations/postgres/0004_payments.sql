-- Payments: one row per quote of an order's payment plan (from the tenant's payment strategy),
-- confirmed at most once, and a double-entry ledger whose entries always sum to zero.

CREATE TABLE payments (
    id              UUID PRIMARY KEY NOT NULL,
    order_id        UUID NOT NULL REFERENCES orders (id),
    status          TEXT NOT NULL CHECK (status IN ('quoted', 'confirming', 'confirmed', 'failed', 'superseded',
                                                    'cancelled', 'partially_refunded', 'refunded')),
    gateway         TEXT NOT NULL,
    plan            TEXT NOT NULL,
    amount          BIGINT NOT NULL CHECK (amount >= 0),
    delivery_fee    BIGINT NOT NULL,
    commission      BIGINT NOT NULL,
    strategy_digest TEXT,
    payment_key     TEXT UNIQUE,
    method          TEXT,
    refunded_amount BIGINT NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0 AND refunded_amount <= amount),
    failure         TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    confirmed_at    TIMESTAMPTZ
);
CREATE INDEX payments_order ON payments (order_id, created_at);

CREATE TABLE ledger_entries (
    id          UUID PRIMARY KEY NOT NULL,
    entry_group UUID NOT NULL,
    payment_id  UUID NOT NULL REFERENCES payments (id),
    account     TEXT NOT NULL,
    amount      BIGINT NOT NULL,
    memo        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX ledger_entries_payment ON ledger_entries (payment_id);
CREATE INDEX ledger_entries_account ON ledger_entries (account);

CREATE TABLE webhook_events (
    id          UUID PRIMARY KEY NOT NULL,
    gateway     TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    payload     TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    UNIQUE (gateway, event_id)
);
