//! netid-core (being written).
