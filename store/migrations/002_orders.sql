-- Orders, made by POST /api/checkout. An order belongs to a user and is made once per
-- idempotency key: the unique key is what turns a client's retry into the same order
-- instead of a second one. `cart` is the cart the key was first used with, in a
-- canonical form, so a key reused for another cart is told apart from a retry.
CREATE TABLE orders (
  id              bigserial PRIMARY KEY,
  user_name       text NOT NULL,
  idempotency_key text NOT NULL,
  cart            text NOT NULL,
  total           numeric(14, 2) NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_name, idempotency_key)
);
CREATE INDEX orders_by_user ON orders (user_name, id);

CREATE TABLE order_lines (
  order_id bigint NOT NULL REFERENCES orders (id),
  item_id  bigint NOT NULL REFERENCES items (id),
  quantity bigint NOT NULL CHECK (quantity > 0),
  price    numeric(12, 2) NOT NULL,
  PRIMARY KEY (order_id, item_id)
);
