-- Sign-in by emailed link for the people's pages (/app): who an address may
-- sign in as, the single-use links, and the sessions they open. Only hashes
-- of link and session tokens are kept: a leaked table opens nothing.

-- +goose Up

-- Members and customers, by the address their first order was recorded
-- with. The first address wins: a later order naming another address (one
-- staff entered, say) does not hand the person's other orders to it.
CREATE TABLE people (
    role     text NOT NULL CHECK (role IN ('member', 'customer')),
    subject  text NOT NULL,
    email    text NOT NULL,  -- lower case
    bound_at timestamptz NOT NULL,
    PRIMARY KEY (role, subject)
);
CREATE INDEX people_email_idx ON people (email);

INSERT INTO people (role, subject, email, bound_at)
SELECT DISTINCT ON (role, owner_id) role, owner_id, email, created_at
FROM (
    SELECT CASE flow WHEN 'member' THEN 'member' ELSE 'customer' END AS role, owner_id,
           lower(trim(COALESCE(CASE flow WHEN 'member' THEN view->'member'->>'member_email'
                                          ELSE view->'marketplace'->>'customer_email' END, ''))) AS email,
           created_at
    FROM orders
) o
WHERE email <> ''
ORDER BY role, owner_id, created_at;

CREATE TABLE sign_in_links (
    id         text PRIMARY KEY,            -- sil_<random>
    token_hash bytea NOT NULL UNIQUE,
    email      text NOT NULL,               -- lower case: where it was sent
    role       text NOT NULL,
    subject    text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX sign_in_links_email_idx ON sign_in_links (email, created_at);

CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY,
    role       text NOT NULL,
    subject    text NOT NULL,
    email      text NOT NULL,
    -- Every form of the session carries it; a form without it is refused.
    csrf       text NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    ended_at   timestamptz
);

-- +goose Down
DROP TABLE sessions;
DROP TABLE sign_in_links;
DROP TABLE people;
