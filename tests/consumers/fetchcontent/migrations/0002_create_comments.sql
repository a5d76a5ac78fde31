CREATE TABLE comments (
  id      bigserial PRIMARY KEY,
  post_id bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  author  text NOT NULL,
  body    text NOT NULL
);
