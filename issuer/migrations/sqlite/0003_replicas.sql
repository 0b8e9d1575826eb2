-- State that several issuer replicas share (specs/issuer.md §10).

-- Requests of the issuer's guardian verifier: a guardian request created on one replica is
-- answered on any other. Rows are deleted once forget_at has passed.
CREATE TABLE verifier_requests (
    hash       BLOB PRIMARY KEY CHECK (length(hash) = 32),
    request    TEXT    NOT NULL,
    claims     TEXT,
    rejections INTEGER NOT NULL DEFAULT 0,
    forget_at  INTEGER NOT NULL
);
CREATE INDEX verifier_requests_forget ON verifier_requests (forget_at);

-- Single-use values by scope ('guardian-nonce': answered guardian requests; 'refresh': device
-- signatures of accepted refreshes), kept until expires_at.
CREATE TABLE used_once (
    scope      TEXT    NOT NULL,
    key        BLOB NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX used_once_expiry ON used_once (expires_at);

-- Rate-limit counters, shared by all replicas: one row per limit and subject (the subject
-- hashed: no phone number or address in clear), counting the events of the window that starts
-- at window_start.
CREATE TABLE rate_limits (
    key          TEXT    PRIMARY KEY,
    window_start INTEGER NOT NULL,
    count        INTEGER NOT NULL
);
CREATE INDEX rate_limits_window ON rate_limits (window_start);

-- At most one live key per purpose: the fingerprints every replica's key files must match.
CREATE UNIQUE INDEX issuer_keys_live ON issuer_keys (purpose) WHERE retired_at IS NULL;

-- 'rev_version' counts changes of the revocation tree (revocations and supersessions): a replica
-- that sees it move reloads the tree.
INSERT INTO counters (name, value) VALUES ('rev_version', 0);
