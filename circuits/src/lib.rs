//! netid-circuits (being written).
