-- What ops did about an order whose workflow ended abnormally (terminated,
-- failed, timed out): such a workflow can no longer record anything, so the
-- ops endpoints (POST /v1/ops/orders/{id}/refund|close) record here. One row
-- per refund made (ref is the provider's refund id) and at most one 'close'
-- per run: a closed run leaves the attention list. Keyed by run, so an order
-- reset after it was closed and ending abnormally again is listed again.

-- +goose Up
CREATE TABLE ended_order_actions (
    order_id   text NOT NULL,
    run_id     text NOT NULL,
    ended      text NOT NULL CHECK (ended IN ('terminated', 'failed', 'timed_out')),
    action     text NOT NULL CHECK (action IN ('refund', 'close')),
    -- The refund id for a refund, '' for a close.
    ref        text NOT NULL DEFAULT '',
    actor_role text NOT NULL,
    actor_id   text NOT NULL,
    reason     text NOT NULL DEFAULT '',
    at         timestamptz NOT NULL,
    PRIMARY KEY (order_id, run_id, action, ref),
    CHECK ((action = 'refund') = (ref <> '')),
    CHECK (action <> 'close' OR reason <> '')
);

-- +goose Down
DROP TABLE ended_order_actions;
