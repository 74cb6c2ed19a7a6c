-- Offers of marketplace orders to suppliers: who was offered an order, in
-- which round and at which rank, and who declined. Together with the order's
-- status in the orders table this is each supplier's live feed.

-- +goose Up
CREATE TABLE order_offers (
    -- No foreign key to orders: the offer may be recorded by an activity that
    -- runs before the transition to pending lands.
    order_id       text NOT NULL,
    -- Suppliers are never deleted (only deactivated), so this cannot break history.
    supplier_id    text NOT NULL REFERENCES suppliers (id),
    -- 1: the most eligible suppliers on release; 2: everyone eligible once expiring.
    round          integer NOT NULL CHECK (round >= 1),
    -- 1 is the most eligible supplier of its round.
    rank           integer NOT NULL CHECK (rank >= 1),
    offered_at     timestamptz NOT NULL,
    declined_at    timestamptz,
    decline_reason text NOT NULL DEFAULT '',
    PRIMARY KEY (order_id, supplier_id)
);
-- The feed: a supplier's open offers.
CREATE INDEX order_offers_open_by_supplier_idx ON order_offers (supplier_id, offered_at, order_id)
    WHERE declined_at IS NULL;

-- +goose Down
DROP TABLE order_offers;
