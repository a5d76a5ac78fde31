CREATE TABLE books (
  id       bigserial PRIMARY KEY,
  genre_id integer NOT NULL REFERENCES genres (id),
  title    text NOT NULL,
  isbn     text NOT NULL UNIQUE
);
