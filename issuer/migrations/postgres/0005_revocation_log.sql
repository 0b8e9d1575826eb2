-- The revocation log and the tree's stored upper nodes (specs/revocation.md §2, §3, §8).

-- One row per revoked Groth16 slot (a slot is revoked once and never reused), written in the
-- transaction that revoked it. 'sealed_in' is the epoch whose tree first holds it: NULL until
-- a seal takes it.
CREATE TABLE revocation_log (
    slot      BIGINT PRIMARY KEY CHECK (slot >= 0 AND slot < 4294967295),
    at        BIGINT NOT NULL,
    sealed_in BIGINT
);
CREATE INDEX revocation_log_sealed ON revocation_log (sealed_in);

-- Nodes of the tree from the buckets' roots (level 16) up to the root (level 32) that differ
-- from an empty subtree's, versioned: a node's value at epoch e is its row with the greatest
-- epoch <= e. Nodes below level 16 are never stored: a bucket's revoked slots give them.
CREATE TABLE rev_nodes (
    level SMALLINT NOT NULL CHECK (level >= 16 AND level <= 32),
    idx   BIGINT NOT NULL CHECK (idx >= 0),
    epoch BIGINT NOT NULL,
    value BYTEA NOT NULL CHECK (length(value) = 32),
    PRIMARY KEY (level, idx, epoch)
);

-- The slots revoked so far, from the credentials' states (a slot is revoked when a Groth16
-- credential held it and no live Groth16 credential holds it), logged at the current epoch.
INSERT INTO revocation_log (slot, at, sealed_in)
SELECT c.rev_index, COALESCE(MAX(c.status_changed_at), 0), (SELECT value FROM counters WHERE name = 'epoch')
FROM credentials c
WHERE c.suite = 'groth16' AND c.status <> 'live' AND NOT EXISTS (
    SELECT 1 FROM credentials l
    WHERE l.suite = 'groth16' AND l.status = 'live' AND l.rev_index = c.rev_index)
GROUP BY c.rev_index;

-- 'rev_nodes_from': the first epoch whose buckets the issuer can serve exactly. With slots
-- logged above it is -1 until the issuer has hashed them into rev_nodes (once, at its first
-- start after this); with none, the empty tree is already right.
INSERT INTO counters (name, value)
SELECT 'rev_nodes_from', CASE WHEN EXISTS (SELECT 1 FROM revocation_log) THEN -1 ELSE value END
FROM counters WHERE name = 'epoch';
