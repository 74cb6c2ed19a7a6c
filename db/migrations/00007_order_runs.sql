-- Which workflow run wrote an order's read model. A reset (docs/runbook.md)
-- starts a new run that replays the order from an earlier point and writes
-- its transitions again, with other times and maybe other outcomes, under
-- sequence numbers the old run already used: the new run's writes replace
-- the old run's from that sequence on, and a late write of the replaced run
-- is ignored.

-- +goose Up
ALTER TABLE orders ADD COLUMN run_id text NOT NULL DEFAULT '';

CREATE TABLE superseded_runs (
    order_id      text NOT NULL,
    run_id        text NOT NULL,
    superseded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, run_id)
);

-- +goose Down
DROP TABLE superseded_runs;
ALTER TABLE orders DROP COLUMN run_id;
