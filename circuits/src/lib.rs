//! netid-circuits: the Groth16 suite of netid over BN254.
//!
//! (Crate documentation is completed with the presentation circuit.)

pub mod error;
pub mod gadgets;

pub use error::{CircuitError, Result};
