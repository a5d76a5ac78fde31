-- Bench scale: 1,000 users, 3,000 algorithms. Deterministic: derived from row numbers only.
INSERT INTO users (email, full_name, is_superuser, created_at)
VALUES ('admin@example.com', 'Bench Admin', true, timestamptz '2025-01-01 00:00:00+00');

INSERT INTO users (email, full_name, created_at)
SELECT 'user' || n || '@example.com', 'User ' || n, timestamptz '2025-01-01 00:00:00+00' + n * interval '1 hour'
FROM generate_series(1, 1000) AS n;

INSERT INTO algorithms (user_id, name, strategy_type, parameters, is_active, created_at)
SELECT 2 + (n % 1000), 'algo-' || n, (ARRAY['momentum', 'mean_reversion', 'arbitrage', 'ml', 'grid'])[1 + n % 5],
       jsonb_build_object('lookback', 10 + n % 90, 'threshold', (n % 100) / 100.0), n % 3 = 0,
       timestamptz '2025-01-15 00:00:00+00' + n * interval '1 minute'
FROM generate_series(1, 3000) AS n;
