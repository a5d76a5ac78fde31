-- About 50 positions and 50 orders, and 20 agent sessions, all owned by the regular users.
INSERT INTO positions (user_id, coin, quantity, average_price, updated_at)
SELECT u.id, c.coin, round((0.5 + u.id * 0.25 + c.k)::numeric, 8), round((c.base * (0.95 + c.k * 0.01))::numeric, 8),
       timestamptz '2025-02-07 00:00:00+00' + (u.id * 5 + c.k) * interval '1 minute'
FROM users u
CROSS JOIN (VALUES ('BTC', 64000.0, 1), ('ETH', 3100.0, 2), ('SOL', 145.0, 3), ('ADA', 0.45, 4), ('XRP', 0.52, 5))
           AS c (coin, base, k)
WHERE NOT u.is_superuser;

INSERT INTO orders (user_id, algorithm_id, coin, side, order_type, quantity, price, status, created_at)
SELECT u.id,
       (SELECT a.id FROM algorithms a WHERE a.user_id = u.id ORDER BY a.id LIMIT 1),
       (ARRAY['BTC', 'ETH', 'SOL', 'ADA', 'XRP'])[1 + n % 5],
       CASE WHEN n % 2 = 0 THEN 'buy' ELSE 'sell' END,
       CASE WHEN n % 3 = 0 THEN 'market' ELSE 'limit' END,
       round((0.1 * (1 + n % 7))::numeric, 8),
       round((100 + n * 3.5)::numeric, 8),
       (ARRAY['open', 'filled', 'filled', 'cancelled'])[1 + n % 4],
       timestamptz '2025-02-02 00:00:00+00' + n * interval '2 hours'
FROM generate_series(1, 50) AS n
JOIN users u ON u.email = 'user' || (1 + n % 10) || '@example.com';

INSERT INTO agent_sessions (user_id, status, goal, messages, started_at, ended_at)
SELECT u.id,
       (ARRAY['completed', 'completed', 'running', 'failed'])[1 + n % 4],
       'Backtest strategy ' || n,
       jsonb_build_array(jsonb_build_object('role', 'user', 'content', 'Backtest strategy ' || n),
                         jsonb_build_object('role', 'agent', 'content', 'Done: Sharpe ' || round((n * 0.07)::numeric, 2))),
       timestamptz '2025-02-03 00:00:00+00' + n * interval '3 hours',
       CASE WHEN n % 4 = 2 THEN NULL ELSE timestamptz '2025-02-03 00:00:00+00' + n * interval '3 hours' + interval '5 minutes' END
FROM generate_series(1, 20) AS n
JOIN users u ON u.email = 'user' || (1 + n % 10) || '@example.com';
