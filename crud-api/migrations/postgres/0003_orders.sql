-- Carts, orders with an audited state machine, idempotency keys, deliveries, notifications.

CREATE TABLE cart_items (
    id         UUID PRIMARY KEY NOT NULL,
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    product_id UUID NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    quantity   INTEGER NOT NULL CHECK (quantity >= 1),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (user_id, product_id)
);

-- One order per seller per checkout: each seller's items are picked up in one trip.
CREATE TABLE orders (
    id               UUID PRIMARY KEY NOT NULL,
    buyer_id         UUID NOT NULL REFERENCES users (id),
    seller_id        UUID NOT NULL REFERENCES users (id),
    checkout_id      UUID NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending_payment', 'paid', 'ready_for_pickup', 'picked_up',
                                                     'delivered', 'cancelled', 'refunded')),
    subtotal         BIGINT NOT NULL CHECK (subtotal >= 0),
    delivery_fee     BIGINT NOT NULL DEFAULT 0 CHECK (delivery_fee >= 0),
    total            BIGINT NOT NULL CHECK (total >= 0),
    delivery_address TEXT NOT NULL,
    delivery_area    TEXT NOT NULL,
    pickup_area      TEXT NOT NULL,
    delivery_code    TEXT NOT NULL,
    reserved_until   TIMESTAMPTZ NOT NULL,
    rider_id         UUID REFERENCES riders (id),
    accepted_at      TIMESTAMPTZ,
    paid_at          TIMESTAMPTZ,
    picked_up_at     TIMESTAMPTZ,
    delivered_at     TIMESTAMPTZ,
    cancelled_at     TIMESTAMPTZ,
    cancel_reason    TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX orders_buyer ON orders (buyer_id, id);
CREATE INDEX orders_seller ON orders (seller_id, id);
CREATE INDEX orders_status ON orders (status, reserved_until);
CREATE INDEX orders_rider ON orders (rider_id, id);

CREATE TABLE order_items (
    id         UUID PRIMARY KEY NOT NULL,
    order_id   UUID NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id UUID NOT NULL REFERENCES products (id),
    title      TEXT NOT NULL,
    unit_price BIGINT NOT NULL,
    quantity   INTEGER NOT NULL CHECK (quantity >= 1)
);
CREATE INDEX order_items_order ON order_items (order_id);

-- Audit trail: who moved an order from which state to which, and when.
CREATE TABLE order_events (
    id          UUID PRIMARY KEY NOT NULL,
    order_id    UUID NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    actor_kind  TEXT NOT NULL CHECK (actor_kind IN ('user', 'admin', 'rider', 'system')),
    actor_id    UUID,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    note        TEXT,
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX order_events_order ON order_events (order_id, at);

CREATE TABLE idempotency_keys (
    user_id       UUID NOT NULL,
    idem_key      TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    response_code INTEGER,
    response_body TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE TABLE rider_locations (
    rider_id   UUID PRIMARY KEY NOT NULL REFERENCES riders (id) ON DELETE CASCADE,
    lat        DOUBLE PRECISION NOT NULL,
    lng        DOUBLE PRECISION NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE notifications (
    id         UUID PRIMARY KEY NOT NULL,
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    order_id   UUID,
    read_at    TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX notifications_user ON notifications (user_id, id);

CREATE TABLE devices (
    id         UUID PRIMARY KEY NOT NULL,
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token      TEXT NOT NULL UNIQUE,
    platform   TEXT NOT NULL CHECK (platform IN ('fcm', 'apns')),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX devices_user ON devices (user_id);

-- Push deliveries recorded by the default PushSender (a provider adapter drains it later).
CREATE TABLE push_outbox (
    id              UUID PRIMARY KEY NOT NULL,
    notification_id UUID NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    platform        TEXT NOT NULL,
    token           TEXT NOT NULL,
    payload         TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ
);
