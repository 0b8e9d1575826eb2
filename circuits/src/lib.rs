//! netid-circuits: the Groth16 suite of netid over BN254.
//!
//! (Crate documentation is completed with the presentation circuit.)

pub mod dev;
pub mod error;
pub mod gadgets;
pub mod keys;
pub mod presentation;
pub mod snarkjs;
pub mod suite;

pub use error::{CircuitError, Result};
