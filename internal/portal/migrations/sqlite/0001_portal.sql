CREATE TABLE portal_images (
    id INTEGER PRIMARY KEY,
    content_type TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    alt TEXT NOT NULL DEFAULT '',
    uploaded_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE portal_posts (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    slug TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    body_html TEXT NOT NULL,
    category TEXT NOT NULL,
    status TEXT NOT NULL,
    publish_at BIGINT NOT NULL DEFAULT 0,
    image_id BIGINT REFERENCES portal_images (id) ON DELETE SET NULL,
    org_id BIGINT REFERENCES orgs (id),
    author_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    author_name TEXT NOT NULL DEFAULT '',
    search_key TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX portal_posts_visible ON portal_posts (status, publish_at);
CREATE INDEX portal_posts_category ON portal_posts (category, status, publish_at);
CREATE INDEX portal_posts_org ON portal_posts (org_id);

CREATE TABLE portal_media_items (
    id INTEGER PRIMARY KEY,
    unit_code TEXT REFERENCES units (code),
    org_id BIGINT REFERENCES orgs (id),
    unit_path TEXT NOT NULL DEFAULT '',
    org_path TEXT NOT NULL DEFAULT '',
    channel TEXT NOT NULL,
    title TEXT NOT NULL,
    link TEXT NOT NULL DEFAULT '',
    published_on TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX portal_media_unit ON portal_media_items (unit_path, published_on);
CREATE INDEX portal_media_org ON portal_media_items (org_path, published_on);
CREATE INDEX portal_media_date ON portal_media_items (published_on);
