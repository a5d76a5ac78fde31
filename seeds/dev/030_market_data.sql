-- 7 days of 5-minute candles for 10 coins (20,160 rows), and 100 news articles.
INSERT INTO price_data_5min (coin, ts, open, high, low, close, volume)
SELECT c.coin,
       timestamptz '2025-02-01 00:00:00+00' + s.i * interval '5 minutes',
       round((c.base * (1 + 0.02 * sin(s.i / 40.0 + c.k)))::numeric, 8),
       round((c.base * (1 + 0.02 * sin(s.i / 40.0 + c.k) + 0.004))::numeric, 8),
       round((c.base * (1 + 0.02 * sin(s.i / 40.0 + c.k) - 0.004))::numeric, 8),
       round((c.base * (1 + 0.02 * sin((s.i + 1) / 40.0 + c.k)))::numeric, 8),
       round((1000 + 500 * cos(s.i / 17.0 + c.k))::numeric, 8)
FROM (VALUES ('BTC', 64000.0, 1), ('ETH', 3100.0, 2), ('SOL', 145.0, 3), ('ADA', 0.45, 4), ('XRP', 0.52, 5),
             ('DOT', 6.8, 6), ('DOGE', 0.12, 7), ('AVAX', 34.0, 8), ('LINK', 14.5, 9), ('MATIC', 0.71, 10))
       AS c (coin, base, k)
CROSS JOIN generate_series(0, 7 * 288 - 1) AS s (i);

INSERT INTO news_articles (title, body, source, url, sentiment, currencies, published_at)
SELECT 'Market update ' || n || ': ' || (ARRAY['BTC', 'ETH', 'SOL', 'ADA', 'XRP'])[1 + n % 5] || ' '
         || (ARRAY['rallies', 'slips', 'holds steady', 'breaks out', 'consolidates'])[1 + (n * 7) % 5],
       'Synthetic article ' || n || '. ' || repeat('Traders watched the order books closely. ', 1 + n % 5),
       (ARRAY['CoinDesk', 'The Block', 'Decrypt', 'CryptoSlate'])[1 + n % 4],
       'https://news.example.com/articles/' || n,
       round((sin(n) * 0.9)::numeric, 3),
       ARRAY[(ARRAY['BTC', 'ETH', 'SOL', 'ADA', 'XRP'])[1 + n % 5]],
       timestamptz '2025-02-01 00:00:00+00' + n * interval '100 minutes'
FROM generate_series(1, 100) AS n;
