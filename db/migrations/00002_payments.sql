-- The sandbox payment provider's own books: payment links, refunds and the
-- outbox of webhook events. A real provider keeps these on its side; the
-- sandbox keeps them here so that a retried call finds what it already did.

-- +goose Up
CREATE TABLE payments (
    id              text PRIMARY KEY,                -- pay_<ulid>
    order_id        text NOT NULL,
    idempotency_key text NOT NULL UNIQUE,
    amount_cents    bigint NOT NULL CHECK (amount_cents > 0),
    currency        text NOT NULL,
    description     text NOT NULL DEFAULT '',
    customer_email  text NOT NULL DEFAULT '',
    -- sha256 of the link token: a leaked table does not give working links.
    token_hash      bytea NOT NULL UNIQUE,
    status          text NOT NULL CHECK (status IN ('created', 'paid', 'cancelled')),
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    paid_at         timestamptz,
    cancelled_at    timestamptz,
    CHECK ((status = 'paid') = (paid_at IS NOT NULL)),
    CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
);
CREATE INDEX payments_order_idx ON payments (order_id);

CREATE TABLE refunds (
    id              text PRIMARY KEY,                -- re_<ulid>
    payment_id      text NOT NULL REFERENCES payments (id),
    order_id        text NOT NULL,
    idempotency_key text NOT NULL UNIQUE,
    amount_cents    bigint NOT NULL CHECK (amount_cents > 0),
    reason          text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL
);
CREATE INDEX refunds_payment_idx ON refunds (payment_id);

-- Outbox of webhook events, written in the same transaction as the payment or
-- refund they report, delivered (at least once) by the deliverer.
CREATE TABLE payment_events (
    id           text PRIMARY KEY,                   -- evt_<ulid>
    type         text NOT NULL CHECK (type IN ('payment.succeeded', 'refund.succeeded')),
    payment_id   text NOT NULL REFERENCES payments (id),
    order_id     text NOT NULL,
    refund_id    text UNIQUE REFERENCES refunds (id),
    payload      jsonb NOT NULL,                     -- the event as sent
    created_at   timestamptz NOT NULL,
    delivered_at timestamptz,
    given_up_at  timestamptz,                        -- refused by the receiver too often
    attempts     integer NOT NULL DEFAULT 0,
    refusals     integer NOT NULL DEFAULT 0,       -- 4xx answers; too many and it is given up
    last_error   text NOT NULL DEFAULT '',
    CHECK ((type = 'refund.succeeded') = (refund_id IS NOT NULL))
);
-- A payment succeeds once.
CREATE UNIQUE INDEX payment_events_one_success_idx ON payment_events (payment_id) WHERE type = 'payment.succeeded';
CREATE INDEX payment_events_pending_idx ON payment_events (created_at, id)
    WHERE delivered_at IS NULL AND given_up_at IS NULL;

-- +goose Down
DROP TABLE payment_events;
DROP TABLE refunds;
DROP TABLE payments;
