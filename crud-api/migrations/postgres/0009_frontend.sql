-- Photos get a display rendition (JPEG, longest side 1200 px) beside the 400 px thumbnail.
-- NULL for photos stored before it existed: the start-up job in
-- crud-api/src/catalogue/media/sanitize.rs renders theirs from the stored photo.
ALTER TABLE product_images ADD COLUMN display_key TEXT;

-- Stream tickets: a browser's EventSource cannot send an Authorization header, so it opens the
-- notification stream with a ticket — single use, valid a minute, stored only as its SHA-256.
CREATE TABLE stream_tickets (
    ticket_hash TEXT PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ
);
CREATE INDEX stream_tickets_expires ON stream_tickets (expires_at);
