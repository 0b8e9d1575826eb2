-- Revocation slots per device (specs/revocation.md §7): a Groth16 refresh on the same device
-- keeps its slot, so several credentials (the live one and those it superseded) share one
-- rev_index; the other suites hold none (rev_index 4294967295, the tree's last leaf, never
-- handed out). SQLite cannot drop the column's UNIQUE constraint, so the table is rebuilt with
-- the same rows, ids and AUTOINCREMENT high-water mark. Nothing references credentials.
CREATE TABLE credentials_v4 (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id         INTEGER NOT NULL REFERENCES persons (id),
    suite             TEXT    NOT NULL,
    device_key        BLOB    NOT NULL CHECK (length(device_key) = 32),
    rev_index         INTEGER NOT NULL CHECK (rev_index >= 0 AND rev_index <= 4294967295),
    status            TEXT    NOT NULL CHECK (status IN ('live', 'revoked', 'superseded')),
    guardian_perms    INTEGER NOT NULL,
    issued_at         INTEGER NOT NULL,
    expiry            INTEGER NOT NULL,
    status_changed_at INTEGER,
    binding           BLOB CHECK (binding IS NULL OR length(binding) = 32)
);
INSERT INTO credentials_v4 (id, person_id, suite, device_key, rev_index, status, guardian_perms,
                            issued_at, expiry, status_changed_at, binding)
    SELECT id, person_id, suite, device_key, rev_index, status, guardian_perms, issued_at, expiry,
           status_changed_at, binding
    FROM credentials;
UPDATE sqlite_sequence
    SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'credentials'), 0))
    WHERE name = 'credentials_v4';
DROP TABLE credentials;
ALTER TABLE credentials_v4 RENAME TO credentials;
CREATE INDEX credentials_person ON credentials (person_id);
-- At most one live credential per person and suite.
CREATE UNIQUE INDEX credentials_one_live ON credentials (person_id, suite) WHERE status = 'live';
CREATE INDEX credentials_slot ON credentials (rev_index) WHERE suite = 'groth16';
