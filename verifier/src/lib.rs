//! netid-verifier: requests, verification, replay cache.
