-- Revocation slots per device (specs/revocation.md §7): a Groth16 refresh on the same device
-- keeps its slot, so several credentials (the live one and those it superseded) share one
-- rev_index; the other suites hold none (rev_index 4294967295, the tree's last leaf, never
-- handed out). The index stays for the lookups of the tree's revoked slots.
ALTER TABLE credentials DROP CONSTRAINT credentials_rev_index_key;
CREATE INDEX credentials_slot ON credentials (rev_index) WHERE suite = 'groth16';
