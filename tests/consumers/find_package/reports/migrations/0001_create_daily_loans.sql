CREATE TABLE daily_loans (
  day   date PRIMARY KEY,
  loans integer NOT NULL
);
