-- Signed epoch records (specs/revocation.md §5): one per sealed epoch, written in the seal's
-- transaction (and one for the epoch in force when a database first gets this table). 'record'
-- holds the signed bytes (their last 32 bytes are the previous record's hash), 'signature' the
-- metadata key's Ed25519 signature over them. Never updated or deleted: readers link later
-- records to the ones they hold.
CREATE TABLE epoch_records (
    epoch     BIGINT PRIMARY KEY CHECK (epoch >= 0),
    record    BYTEA NOT NULL,
    signature BYTEA NOT NULL CHECK (length(signature) = 64)
);
