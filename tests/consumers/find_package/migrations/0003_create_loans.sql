CREATE TABLE loans (
  id          bigserial PRIMARY KEY,
  book_id     bigint NOT NULL REFERENCES books (id),
  borrower    text NOT NULL,
  borrowed_at timestamptz NOT NULL
);
