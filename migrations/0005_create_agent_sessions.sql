-- Conversations between users and the AI trading agent.
CREATE TABLE agent_sessions (
  id         bigserial PRIMARY KEY,
  user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  status     text NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed')),
  goal       text NOT NULL,
  messages   jsonb NOT NULL DEFAULT '[]',
  started_at timestamptz NOT NULL,
  ended_at   timestamptz
);
CREATE INDEX agent_sessions_user_id_idx ON agent_sessions (user_id);
