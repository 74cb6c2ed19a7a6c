-- The read model. Temporal holds the truth of where each order is; these
-- tables are written only by activities, each write idempotent, so the whole
-- read model can be rebuilt from workflow histories and never drifts.

-- +goose Up
CREATE TABLE orders (
    id              text PRIMARY KEY,
    flow            text NOT NULL CHECK (flow IN ('member', 'marketplace')),
    status          text NOT NULL,
    owner_id        text NOT NULL,
    supplier_id     text,
    title           text NOT NULL DEFAULT '',
    currency        text NOT NULL DEFAULT 'EUR',
    total_cents     bigint NOT NULL DEFAULT 0,
    overdue         boolean NOT NULL DEFAULT false,
    needs_attention boolean NOT NULL DEFAULT false,
    next_deadline   timestamptz,
    -- The order view as the workflow last recorded it (JSON of the query result).
    view            jsonb NOT NULL DEFAULT '{}',
    -- Sequence of the last transition applied; older writes never overwrite newer ones.
    seq             bigint NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX orders_flow_status_idx ON orders (flow, status, id);
CREATE INDEX orders_owner_idx ON orders (owner_id, id);
CREATE INDEX orders_supplier_idx ON orders (supplier_id, id) WHERE supplier_id IS NOT NULL;
CREATE INDEX orders_attention_idx ON orders (id) WHERE needs_attention;

-- Every transition and every refused action, with who and why.
CREATE TABLE order_timeline (
    order_id    text NOT NULL REFERENCES orders (id),
    seq         bigint NOT NULL,
    at          timestamptz NOT NULL,
    from_status text NOT NULL DEFAULT '',
    to_status   text NOT NULL,
    action      text NOT NULL,
    actor_role  text NOT NULL,
    actor_id    text NOT NULL DEFAULT '',
    reason      text NOT NULL DEFAULT '',
    request_id  text NOT NULL DEFAULT '',
    outcome     text NOT NULL DEFAULT 'applied' CHECK (outcome IN ('applied', 'refused')),
    PRIMARY KEY (order_id, seq)
);

-- Generated and uploaded documents. No foreign key to orders: a document may be
-- recorded by an activity that runs before the order's first transition lands.
CREATE TABLE documents (
    id           text PRIMARY KEY,
    order_id     text NOT NULL,
    kind         text NOT NULL,
    number       text,
    filename     text NOT NULL,
    content_type text NOT NULL,
    content      bytea NOT NULL,
    sha256       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_order_idx ON documents (order_id, created_at);

-- Outbox and record of every email: at most one send per (order, purpose, recipient).
CREATE TABLE emails (
    idempotency_key     text PRIMARY KEY,
    order_id            text NOT NULL,
    purpose             text NOT NULL,
    recipient           text NOT NULL,
    subject             text NOT NULL DEFAULT '',
    status              text NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
    provider_message_id text,
    attempts            integer NOT NULL DEFAULT 0,
    last_error          text NOT NULL DEFAULT '',
    created_at          timestamptz NOT NULL DEFAULT now(),
    sent_at             timestamptz,
    UNIQUE (order_id, purpose, recipient)
);

-- Messages kept by the dev-mode capture sender instead of being sent (GET /dev/mail).
CREATE TABLE captured_mail (
    id              bigserial PRIMARY KEY,
    idempotency_key text NOT NULL UNIQUE,
    message_id      text NOT NULL,
    order_id        text NOT NULL DEFAULT '',
    purpose         text NOT NULL DEFAULT '',
    from_addr       text NOT NULL,
    to_addr         text NOT NULL,
    cc_addrs        text[] NOT NULL DEFAULT '{}',
    subject         text NOT NULL,
    text_body       text NOT NULL,
    html_body       text NOT NULL,
    -- [{"filename": ..., "content_type": ..., "size": ...}]
    attachments     jsonb NOT NULL DEFAULT '[]',
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- Suppliers of the marketplace flow. rating is a 0-100 score (decision: an
-- integer keeps the ranking exact and stable).
CREATE TABLE suppliers (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    email      text NOT NULL,
    categories text[] NOT NULL DEFAULT '{}',
    regions    text[] NOT NULL DEFAULT '{}',
    rating     integer NOT NULL DEFAULT 0 CHECK (rating BETWEEN 0 AND 100),
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Gapless number series (invoices, credit notes), one counter per series and year.
CREATE TABLE number_series (
    series      text NOT NULL,
    year        integer NOT NULL,
    last_number bigint NOT NULL,
    PRIMARY KEY (series, year)
);

-- Which idempotency key got which number, so a retried issue gets the same one.
CREATE TABLE number_assignments (
    idempotency_key text PRIMARY KEY,
    series          text NOT NULL,
    year            integer NOT NULL,
    number          bigint NOT NULL,
    assigned_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (series, year, number)
);

-- +goose Down
DROP TABLE number_assignments;
DROP TABLE number_series;
DROP TABLE suppliers;
DROP TABLE captured_mail;
DROP TABLE emails;
DROP TABLE documents;
DROP TABLE order_timeline;
DROP TABLE orders;
