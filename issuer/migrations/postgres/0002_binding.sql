-- The holder binding (Poseidon of the wallet secret) each credential was issued with: a refresh
-- from the same device must carry the same binding (specs/issuer.md §7). NULL for credentials
-- issued before this column existed.
ALTER TABLE credentials ADD COLUMN binding BYTEA CHECK (binding IS NULL OR octet_length(binding) = 32);
