-- Refresh-token families get a row of their own: rotation and reuse revocation lock it, so
-- a token presented twice at once can never leave the winner's new token alive.
CREATE TABLE refresh_families (
    id           BLOB PRIMARY KEY NOT NULL,
    realm        TEXT NOT NULL CHECK (realm IN ('user', 'rider')),
    subject_id   BLOB NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
INSERT INTO refresh_families (id, realm, subject_id, created_at, revoked_at)
SELECT family_id, MIN(realm), MIN(subject_id), MIN(issued_at), MAX(revoked_at)
FROM refresh_tokens GROUP BY family_id;

-- Photos: 1 once the stored files are known to carry no EXIF/XMP/IPTC (re-encoded from
-- pixels, orientation applied). Older rows are cleaned by the start-up job in
-- crud-api/src/media/sanitize.rs.
ALTER TABLE product_images ADD COLUMN sanitized INTEGER NOT NULL DEFAULT 0;
