-- The id of what an idempotent request created (a checkout), written in the same transaction
-- as the work: a retry after a crash between commit and saving the response rebuilds the
-- answer from it instead of doing the work twice.
ALTER TABLE idempotency_keys ADD COLUMN resource_id UUID;
