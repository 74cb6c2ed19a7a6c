-- Issued invoices and credit notes of member orders. A row is written in the
-- same transaction as its gapless number (number_assignments) and its PDF
-- (documents), so a committed number always has its document and a number
-- whose document failed is free again.

-- +goose Up
CREATE TABLE invoices (
    id                  text PRIMARY KEY,
    -- No foreign key to orders: the read model's order row is written by
    -- another activity, which may land later.
    order_id            text NOT NULL,
    -- Index of the schedule entry this document invoices (or credits).
    entry               integer NOT NULL CHECK (entry >= 0),
    kind                text NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
    -- The idempotency key of the issue: a retried issue finds this row.
    issue_key           text NOT NULL UNIQUE,
    series              text NOT NULL,
    year                integer NOT NULL,
    number              bigint NOT NULL CHECK (number >= 1),
    number_text         text NOT NULL UNIQUE,
    credited_invoice_id text REFERENCES invoices (id),
    net_cents           bigint NOT NULL,
    vat_cents           bigint NOT NULL,
    gross_cents         bigint NOT NULL,
    currency            text NOT NULL,
    client_name         text NOT NULL DEFAULT '',
    client_email        text NOT NULL DEFAULT '',
    document_id         text NOT NULL REFERENCES documents (id),
    issued_at           timestamptz NOT NULL,
    -- Accounting state of an issued invoice; credit notes are never paid.
    paid                boolean NOT NULL DEFAULT false,
    paid_at             timestamptz,
    UNIQUE (order_id, entry, kind),
    UNIQUE (series, year, number),
    CHECK ((kind = 'credit_note') = (credited_invoice_id IS NOT NULL)),
    CHECK (paid = (paid_at IS NOT NULL)),
    CHECK (kind = 'invoice' OR NOT paid),
    CHECK (gross_cents = net_cents + vat_cents)
);
-- An invoice is credited at most once.
CREATE UNIQUE INDEX invoices_credited_once_idx ON invoices (credited_invoice_id) WHERE credited_invoice_id IS NOT NULL;
CREATE INDEX invoices_order_idx ON invoices (order_id);
CREATE INDEX invoices_issued_idx ON invoices (issued_at DESC, id DESC);
CREATE INDEX invoices_unpaid_idx ON invoices (issued_at DESC, id DESC) WHERE kind = 'invoice' AND NOT paid;

-- +goose Down
DROP TABLE invoices;
