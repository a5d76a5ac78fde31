-- Trading algorithms that users write and deploy.
CREATE TABLE algorithms (
  id            bigserial PRIMARY KEY,
  user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name          text NOT NULL,
  strategy_type text NOT NULL CHECK (strategy_type IN ('momentum', 'mean_reversion', 'arbitrage', 'ml', 'grid')),
  parameters    jsonb NOT NULL DEFAULT '{}',
  is_active     boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL
);
CREATE INDEX algorithms_user_id_idx ON algorithms (user_id);
