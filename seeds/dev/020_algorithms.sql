-- 15 algorithms spread over the 10 regular users.
INSERT INTO algorithms (user_id, name, strategy_type, parameters, is_active, created_at)
SELECT u.id,
       'algo-' || n,
       (ARRAY['momentum', 'mean_reversion', 'arbitrage', 'ml', 'grid'])[1 + n % 5],
       jsonb_build_object('lookback', 10 + n * 5, 'threshold', round((0.5 + n * 0.1)::numeric, 2), 'coin',
                          (ARRAY['BTC', 'ETH', 'SOL', 'ADA', 'XRP'])[1 + n % 5]),
       n % 3 = 0,
       timestamptz '2025-01-15 00:00:00+00' + n * interval '6 hours'
FROM generate_series(1, 15) AS n
JOIN users u ON u.email = 'user' || (1 + (n - 1) % 10) || '@example.com';
