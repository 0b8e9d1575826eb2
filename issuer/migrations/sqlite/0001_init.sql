-- netid issuer schema v1 (SQLite). See specs/issuer.md §7.
CREATE TABLE persons (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    id_hash        BLOB    NOT NULL UNIQUE CHECK (length(id_hash) = 32),
    netid          TEXT    NOT NULL UNIQUE,
    family_name    TEXT    NOT NULL,
    given_name     TEXT    NOT NULL,
    birthdate      INTEGER NOT NULL,
    doc_type       INTEGER NOT NULL,
    assurance      INTEGER NOT NULL,
    status         TEXT    NOT NULL
                   CHECK (status IN ('active', 'pending_guardian_approval', 'suspended')),
    guardian_perms INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE credentials (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id         INTEGER NOT NULL REFERENCES persons (id),
    suite             TEXT    NOT NULL,
    device_key        BLOB    NOT NULL CHECK (length(device_key) = 32),
    rev_index         INTEGER NOT NULL UNIQUE CHECK (rev_index >= 0 AND rev_index <= 4294967295),
    status            TEXT    NOT NULL CHECK (status IN ('live', 'revoked', 'superseded')),
    guardian_perms    INTEGER NOT NULL,
    issued_at         INTEGER NOT NULL,
    expiry            INTEGER NOT NULL,
    status_changed_at INTEGER
);
CREATE INDEX credentials_person ON credentials (person_id);
-- At most one live credential per person and suite.
CREATE UNIQUE INDEX credentials_one_live ON credentials (person_id, suite) WHERE status = 'live';

CREATE TABLE guardians (
    guardian_id INTEGER NOT NULL REFERENCES persons (id),
    minor_id    INTEGER NOT NULL REFERENCES persons (id),
    relation    TEXT    NOT NULL CHECK (relation IN ('parent', 'legal_guardian')),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (guardian_id, minor_id),
    CHECK (guardian_id <> minor_id)
);
CREATE INDEX guardians_minor ON guardians (minor_id);

CREATE TABLE phone_challenges (
    id           BLOB    PRIMARY KEY CHECK (length(id) = 16),
    phone        TEXT    NOT NULL,
    code_hash    BLOB    NOT NULL CHECK (length(code_hash) = 32),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    consumed_at  INTEGER
);
CREATE INDEX phone_challenges_expiry ON phone_challenges (expires_at);

CREATE TABLE apps (
    app_id      TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL,
    category    TEXT    NOT NULL,
    policy      TEXT    NOT NULL,
    app_key     BLOB    NOT NULL CHECK (length(app_key) = 32),
    certificate BLOB    NOT NULL,
    active      INTEGER NOT NULL CHECK (active IN (0, 1)),
    created_at  INTEGER NOT NULL
);

CREATE TABLE issuer_keys (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    purpose    TEXT    NOT NULL,
    public_key BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    retired_at INTEGER,
    UNIQUE (purpose, public_key)
);

-- Monotonic counters: 'rev_index' = number of revocation indices handed out (the next one is
-- its value), 'epoch' = the current revocation epoch.
CREATE TABLE counters (
    name  TEXT    PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('rev_index', 0), ('epoch', 0);
