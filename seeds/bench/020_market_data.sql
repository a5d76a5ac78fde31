-- 140 days of 5-minute candles for 50 coins: 2,016,000 rows.
INSERT INTO price_data_5min (coin, ts, open, high, low, close, volume)
SELECT 'COIN' || c,
       timestamptz '2025-01-01 00:00:00+00' + s * interval '5 minutes',
       round((100 * c * (1 + 0.02 * sin(s / 40.0 + c)))::numeric, 8),
       round((100 * c * (1 + 0.02 * sin(s / 40.0 + c) + 0.004))::numeric, 8),
       round((100 * c * (1 + 0.02 * sin(s / 40.0 + c) - 0.004))::numeric, 8),
       round((100 * c * (1 + 0.02 * sin((s + 1) / 40.0 + c)))::numeric, 8),
       round((1000 + 500 * cos(s / 17.0 + c))::numeric, 8)
FROM generate_series(1, 50) AS c
CROSS JOIN generate_series(0, 140 * 288 - 1) AS s;

-- 60,000 articles of about 3 KB each; md5-derived text so that it compresses like real prose, not
-- like a repeated sentence.
INSERT INTO news_articles (title, body, source, url, sentiment, currencies, published_at)
SELECT 'Bench article ' || n,
       (SELECT string_agg(md5(n || ':' || k), ' ') FROM generate_series(1, 90) AS k),
       (ARRAY['CoinDesk', 'The Block', 'Decrypt', 'CryptoSlate'])[1 + n % 4],
       'https://news.example.com/bench/' || n,
       round((sin(n) * 0.9)::numeric, 3),
       ARRAY['COIN' || (1 + n % 50)],
       timestamptz '2025-01-01 00:00:00+00' + n * interval '3 minutes'
FROM generate_series(1, 60000) AS n;
