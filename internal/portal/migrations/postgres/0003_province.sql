-- Every post, image and communication item belongs to a province, the tenant that owns it: each
-- province's portal shows its own posts, its editors change only those, and its communication page
-- counts its own items. Until now a deployment served Quảng Ngãi (51) only, so what exists is its own.
-- New rows always name their province; the empty default only lets the column be added.
ALTER TABLE portal_posts ADD COLUMN province_code TEXT NOT NULL DEFAULT '';
ALTER TABLE portal_images ADD COLUMN province_code TEXT NOT NULL DEFAULT '';
ALTER TABLE portal_media_items ADD COLUMN province_code TEXT NOT NULL DEFAULT '';
UPDATE portal_posts SET province_code = '51';
UPDATE portal_images SET province_code = '51';
UPDATE portal_media_items SET province_code = '51';
-- A portal reads its own province's visible posts, newest first, by category or not.
DROP INDEX portal_posts_visible;
DROP INDEX portal_posts_category;
CREATE INDEX portal_posts_visible ON portal_posts (province_code, status, publish_at);
CREATE INDEX portal_posts_category ON portal_posts (province_code, category, status, publish_at);
CREATE INDEX portal_media_province ON portal_media_items (province_code, published_on);
