CREATE TABLE posts (
  id           bigserial PRIMARY KEY,
  slug         text NOT NULL UNIQUE,
  body         text NOT NULL,
  published_at timestamptz NOT NULL
);
