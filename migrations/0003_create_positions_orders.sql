-- Holdings and the orders that changed them.
CREATE TABLE positions (
  id            bigserial PRIMARY KEY,
  user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  coin          text NOT NULL,
  quantity      numeric(24, 8) NOT NULL,
  average_price numeric(18, 8) NOT NULL,
  updated_at    timestamptz NOT NULL,
  UNIQUE (user_id, coin)
);

CREATE TABLE orders (
  id           bigserial PRIMARY KEY,
  user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  algorithm_id bigint REFERENCES algorithms (id) ON DELETE SET NULL,
  coin         text NOT NULL,
  side         text NOT NULL CHECK (side IN ('buy', 'sell')),
  order_type   text NOT NULL CHECK (order_type IN ('market', 'limit')),
  quantity     numeric(24, 8) NOT NULL,
  price        numeric(18, 8) NOT NULL,
  status       text NOT NULL CHECK (status IN ('open', 'filled', 'cancelled')),
  created_at   timestamptz NOT NULL
);
CREATE INDEX orders_user_id_idx ON orders (user_id);
