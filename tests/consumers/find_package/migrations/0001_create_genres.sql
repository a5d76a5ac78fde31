CREATE TABLE genres (
  id   integer PRIMARY KEY,
  name text NOT NULL UNIQUE
);
