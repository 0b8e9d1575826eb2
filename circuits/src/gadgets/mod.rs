//! Primitives of the Groth16 suite, each as native code (`mod.rs`) beside its in-circuit gadget
//! (`constraints.rs`), every gadget tested against its native twin.

pub mod eddsa;
pub mod merkle;
pub mod poseidon;
pub mod range;
