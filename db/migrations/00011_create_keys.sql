-- The body that created each order under an Idempotency-Key, by its
-- SHA-256. The order's workflow keeps it too (its memo), but Temporal's
-- retention purges a closed workflow: this record still tells a create
-- retried after that (answered with the archived order) from a reuse of the
-- key with another body (refused), so a late retry never starts a second
-- order under the old id.

-- +goose Up
CREATE TABLE create_keys (
    order_id    text PRIMARY KEY,
    fingerprint text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE create_keys;
