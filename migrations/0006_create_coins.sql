-- Reference data: the coins the platform lists. Loaded from seeds/reference/coins.csv.
CREATE TABLE coins (
  symbol   text PRIMARY KEY,
  name     text NOT NULL,
  category text NOT NULL,
  launched date
);
