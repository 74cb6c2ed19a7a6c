-- Links emailed to the client of a member order to confirm or decline it
-- (GET /c/{token}). Only a hash of each link's token is kept: a leaked table
-- gives no working links. A link answers once, until the offer expires, and
-- only while no newer link of the same order replaced it.

-- +goose Up
CREATE TABLE client_links (
    id              text PRIMARY KEY,                -- cl_<ulid>
    -- No foreign key to orders: the link is made by an activity that may run
    -- before the order's transition to client_confirmation lands.
    order_id        text NOT NULL,
    -- The creating activity's key: a retry gets the same link.
    idempotency_key text NOT NULL UNIQUE,
    token_hash      bytea NOT NULL UNIQUE,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    used_at         timestamptz,
    -- What the client answered with the link.
    answer          text CHECK (answer IN ('confirm', 'decline')),
    revoked_at      timestamptz,
    -- The newer link that replaced this one; empty when revoked for another reason.
    replaced_by     text NOT NULL DEFAULT '',
    CHECK ((used_at IS NULL) = (answer IS NULL))
);
CREATE INDEX client_links_order_idx ON client_links (order_id, created_at);

-- +goose Down
DROP TABLE client_links;
