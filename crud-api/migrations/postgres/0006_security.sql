-- Refresh-token families get a row of their own: rotation and reuse revocation lock it, so
-- a token presented twice at once can never leave the winner's new token alive.
CREATE TABLE refresh_families (
    id           UUID PRIMARY KEY,
    realm        TEXT NOT NULL CHECK (realm IN ('user', 'rider')),
    subject_id   UUID NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
INSERT INTO refresh_families (id, realm, subject_id, created_at, revoked_at)
SELECT family_id, MIN(realm), (ARRAY_AGG(subject_id))[1], MIN(issued_at), MAX(revoked_at)
FROM refresh_tokens GROUP BY family_id;

-- Photos: TRUE once the stored files are known to carry no EXIF/XMP/IPTC (re-encoded from
-- pixels, orientation applied). Older rows are cleaned by the start-up job in
-- crud-api/src/media/sanitize.rs.
ALTER TABLE product_images ADD COLUMN sanitized BOOLEAN NOT NULL DEFAULT FALSE;
