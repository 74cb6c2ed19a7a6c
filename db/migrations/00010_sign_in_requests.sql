-- Every request for sign-in links, for an address that may sign in or not.
-- The limit per address counts these rather than the links sent, so that it
-- answers alike for an address nobody has: the form must not tell which
-- addresses are known. The links are mailed after the answer; handled_at
-- says when that was done (or found to be nothing to send).

-- +goose Up
CREATE TABLE sign_in_requests (
    id           bigserial PRIMARY KEY,
    email        text NOT NULL,          -- lower case
    requested_at timestamptz NOT NULL,
    handled_at   timestamptz
);
CREATE INDEX sign_in_requests_email_idx ON sign_in_requests (email, requested_at);
CREATE INDEX sign_in_requests_requested_at_idx ON sign_in_requests (requested_at);

-- +goose Down
DROP TABLE sign_in_requests;
