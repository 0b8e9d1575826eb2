//! Identity evidence checks (being written: specs/evidence.md).
