-- netid issuer schema v1 (PostgreSQL). See specs/issuer.md §7.
CREATE TABLE persons (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id_hash        BYTEA   NOT NULL UNIQUE CHECK (octet_length(id_hash) = 32),
    netid          TEXT    NOT NULL UNIQUE,
    family_name    TEXT    NOT NULL,
    given_name     TEXT    NOT NULL,
    birthdate      BIGINT NOT NULL,
    doc_type       BIGINT NOT NULL,
    assurance      BIGINT NOT NULL,
    status         TEXT    NOT NULL
                   CHECK (status IN ('active', 'pending_guardian_approval', 'suspended')),
    guardian_perms BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

CREATE TABLE credentials (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id         BIGINT NOT NULL REFERENCES persons (id),
    suite             TEXT    NOT NULL,
    device_key        BYTEA   NOT NULL CHECK (octet_length(device_key) = 32),
    rev_index         BIGINT NOT NULL UNIQUE CHECK (rev_index >= 0 AND rev_index <= 4294967295),
    status            TEXT    NOT NULL CHECK (status IN ('live', 'revoked', 'superseded')),
    guardian_perms    BIGINT NOT NULL,
    issued_at         BIGINT NOT NULL,
    expiry            BIGINT NOT NULL,
    status_changed_at BIGINT
);
CREATE INDEX credentials_person ON credentials (person_id);
-- At most one live credential per person and suite.
CREATE UNIQUE INDEX credentials_one_live ON credentials (person_id, suite) WHERE status = 'live';

CREATE TABLE guardians (
    guardian_id BIGINT NOT NULL REFERENCES persons (id),
    minor_id    BIGINT NOT NULL REFERENCES persons (id),
    relation    TEXT    NOT NULL CHECK (relation IN ('parent', 'legal_guardian')),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (guardian_id, minor_id),
    CHECK (guardian_id <> minor_id)
);
CREATE INDEX guardians_minor ON guardians (minor_id);

CREATE TABLE phone_challenges (
    id           BYTEA   PRIMARY KEY CHECK (octet_length(id) = 16),
    phone        TEXT    NOT NULL,
    code_hash    BYTEA   NOT NULL CHECK (octet_length(code_hash) = 32),
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    consumed_at  BIGINT
);
CREATE INDEX phone_challenges_expiry ON phone_challenges (expires_at);

CREATE TABLE apps (
    app_id      TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL,
    category    TEXT    NOT NULL,
    policy      TEXT    NOT NULL,
    app_key     BYTEA   NOT NULL CHECK (octet_length(app_key) = 32),
    certificate BYTEA   NOT NULL,
    active      BIGINT NOT NULL CHECK (active IN (0, 1)),
    created_at  BIGINT NOT NULL
);

CREATE TABLE issuer_keys (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    purpose    TEXT    NOT NULL,
    public_key BYTEA   NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT ,
    UNIQUE (purpose, public_key)
);

-- Monotonic counters: 'rev_index' = number of revocation indices handed out (the next one is
-- its value), 'epoch' = the current revocation epoch.
CREATE TABLE counters (
    name  TEXT    PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('rev_index', 0), ('epoch', 0);
