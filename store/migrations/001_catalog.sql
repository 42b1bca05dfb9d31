-- The catalog's source of truth: items with their price, their stock and a version that
-- only grows (bumped by every write, so a reader can tell a stale cached copy from a
-- fresh one). Stock can never go below zero: the database refuses, not the code.
CREATE TABLE items (
  id      bigint PRIMARY KEY,
  name    text NOT NULL,
  price   numeric(12, 2) NOT NULL CHECK (price >= 0),
  stock   bigint NOT NULL CHECK (stock >= 0),
  version bigint NOT NULL DEFAULT 1
);
