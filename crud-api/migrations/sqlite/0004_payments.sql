-- Payments: one row per quote of an order's payment plan (from the tenant's payment strategy),
-- confirmed at most once, and a double-entry ledger whose entries always sum to zero.

CREATE TABLE payments (
    id              BLOB PRIMARY KEY NOT NULL,
    order_id        BLOB NOT NULL REFERENCES orders (id),
    status          TEXT NOT NULL CHECK (status IN ('quoted', 'confirming', 'confirmed', 'failed', 'superseded',
                                                    'cancelled', 'partially_refunded', 'refunded')),
    gateway         TEXT NOT NULL,
    plan            TEXT NOT NULL,
    amount          INTEGER NOT NULL CHECK (amount >= 0),
    delivery_fee    INTEGER NOT NULL,
    commission      INTEGER NOT NULL,
    strategy_digest TEXT,
    payment_key     TEXT UNIQUE,
    method          TEXT,
    refunded_amount INTEGER NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0 AND refunded_amount <= amount),
    failure         TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    confirmed_at    TEXT
);
CREATE INDEX payments_order ON payments (order_id, created_at);

CREATE TABLE ledger_entries (
    id          BLOB PRIMARY KEY NOT NULL,
    entry_group BLOB NOT NULL,
    payment_id  BLOB NOT NULL REFERENCES payments (id),
    account     TEXT NOT NULL,
    amount      INTEGER NOT NULL,
    memo        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX ledger_entries_payment ON ledger_entries (payment_id);
CREATE INDEX ledger_entries_account ON ledger_entries (account);

CREATE TABLE webhook_events (
    id          BLOB PRIMARY KEY NOT NULL,
    gateway     TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    payload     TEXT NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (gateway, event_id)
);
