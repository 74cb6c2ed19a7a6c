-- How an action reached the order: through the API or the order's own steps
-- (empty, the default), as a Temporal signal sent from the Web UI or the CLI
-- ('signal': its actor is whatever its sender typed), or as Temporal's
-- cancellation request ('cancel_request'). docs/security.md says why.

-- +goose Up
ALTER TABLE order_timeline ADD COLUMN via text NOT NULL DEFAULT '' CHECK (via IN ('', 'signal', 'cancel_request'));

-- +goose Down
ALTER TABLE order_timeline DROP COLUMN via;
