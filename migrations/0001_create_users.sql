-- Accounts of the trading platform. Emails are unique; one superuser administers the dev setup.
CREATE TABLE users (
  id           bigserial PRIMARY KEY,
  email        text NOT NULL UNIQUE,
  full_name    text NOT NULL,
  is_superuser boolean NOT NULL DEFAULT false,
  is_active    boolean NOT NULL DEFAULT true,
  created_at   timestamptz NOT NULL
);
