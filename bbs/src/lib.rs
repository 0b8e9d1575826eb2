//! netid-bbs (being written).
