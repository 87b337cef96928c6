-- Photos get a display rendition (JPEG, longest side 1200 px) beside the 400 px thumbnail.
-- NULL for photos stored before it existed: the start-up job in
-- crud-api/src/catalogue/media/sanitize.rs renders theirs from the stored photo.
ALTER TABLE product_images ADD COLUMN display_key TEXT;
