-- 200,000 orders, 5,000 positions, 20,000 agent sessions.
INSERT INTO positions (user_id, coin, quantity, average_price, updated_at)
SELECT 2 + (n % 1000), 'COIN' || (1 + n / 1000), 1 + n % 17, 10 + n % 97, timestamptz '2025-03-01 00:00:00+00'
FROM generate_series(0, 4999) AS n;

INSERT INTO orders (user_id, algorithm_id, coin, side, order_type, quantity, price, status, created_at)
SELECT 2 + (n % 1000), 1 + n % 3000, 'COIN' || (1 + n % 50),
       CASE WHEN n % 2 = 0 THEN 'buy' ELSE 'sell' END, CASE WHEN n % 3 = 0 THEN 'market' ELSE 'limit' END,
       round((0.1 * (1 + n % 7))::numeric, 8), round((100 + (n % 1000) * 3.5)::numeric, 8),
       (ARRAY['open', 'filled', 'filled', 'cancelled'])[1 + n % 4],
       timestamptz '2025-01-01 00:00:00+00' + n * interval '30 seconds'
FROM generate_series(1, 200000) AS n;

INSERT INTO agent_sessions (user_id, status, goal, messages, started_at, ended_at)
SELECT 2 + (n % 1000), (ARRAY['completed', 'completed', 'running', 'failed'])[1 + n % 4], 'Backtest ' || n,
       jsonb_build_array(jsonb_build_object('role', 'user', 'content', 'Backtest ' || n),
                         jsonb_build_object('role', 'agent', 'content', md5(n::text))),
       timestamptz '2025-01-01 00:00:00+00' + n * interval '5 minutes', NULL
FROM generate_series(1, 20000) AS n;
