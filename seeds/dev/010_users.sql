-- 1 superuser and 10 users. Everything is derived from the row number and a fixed anchor time,
-- never random() or now(), so every run produces the same rows.
INSERT INTO users (email, full_name, is_superuser, created_at)
VALUES ('admin@example.com', 'Dev Admin', true, timestamptz '2025-01-01 00:00:00+00');

INSERT INTO users (email, full_name, created_at)
SELECT 'user' || n || '@example.com',
       (ARRAY['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Leslie'])[1 + (n - 1) % 10]
         || ' ' || (ARRAY['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman', 'Lamport'])[1 + (n * 3) % 10],
       timestamptz '2025-01-01 00:00:00+00' + n * interval '1 day'
FROM generate_series(1, 10) AS n;
