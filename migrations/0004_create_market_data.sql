-- Public market data: 5-minute candles and crypto news. Neither depends on users.
CREATE TABLE price_data_5min (
  coin   text NOT NULL,
  ts     timestamptz NOT NULL,
  open   numeric(18, 8) NOT NULL,
  high   numeric(18, 8) NOT NULL,
  low    numeric(18, 8) NOT NULL,
  close  numeric(18, 8) NOT NULL,
  volume numeric(24, 8) NOT NULL,
  PRIMARY KEY (coin, ts)
);

CREATE TABLE news_articles (
  id           bigserial PRIMARY KEY,
  title        text NOT NULL,
  body         text NOT NULL,
  source       text NOT NULL,
  url          text NOT NULL UNIQUE,
  sentiment    numeric(4, 3) NOT NULL CHECK (sentiment BETWEEN -1 AND 1),
  currencies   text[] NOT NULL DEFAULT '{}',
  published_at timestamptz NOT NULL
);
CREATE INDEX news_articles_published_at_idx ON news_articles (published_at);
