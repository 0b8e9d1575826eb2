//! netid-circuits: the Groth16 suite of netid over BN254 (specs/groth16.md).
//!
//! The issuer signs `C = Poseidon(attributes)` of a netid/v1 credential with EdDSA-Poseidon on
//! BabyJubJub (compatible with circomlib/circomlibjs); the holder proves, with one Groth16 proof
//! of 128 bytes, that the signature verifies, that disclosed attributes are what the issuer
//! signed, that `birthdate ≤ cutoff` / `expiry ≥ today` / `assurance ≥ min` hold when asked, that
//! the credential is not revoked (Poseidon Merkle tree of depth 32), and gives a per-app
//! pseudonym `Poseidon(nym, app_id)`. Proofs export to snarkjs's JSON so that `snarkjs groth16
//! verify` (and snarkjs's EVM verifier) accept them.
//!
//! Layout: [`gadgets`] holds each primitive as native code beside its gadget (`poseidon`,
//! `eddsa`, `merkle`, `range`); [`presentation`] the relation and circuit; [`keys`] ceremony and
//! development keys, key files; [`r1cs`] the `.r1cs` export and [`zkey`] the `.zkey` import for
//! a snarkjs phase-2 ceremony; [`qap`] snarkjs's QAP convention; [`prover`] the Groth16 prover
//! (cached matrices, witness-only synthesis) with [`msm`] its batch-affine multi-scalar
//! multiplication; [`suite`] prove/verify over netid-core's types; [`snarkjs`] JSON export.
//!
//! ```
//! use netid_circuits::gadgets::{eddsa::SecretKey, poseidon::poseidon};
//! use ark_bn254::Fr;
//!
//! // circomlib's Poseidon(1, 2)
//! let h = poseidon(&[Fr::from(1u64), Fr::from(2u64)])?;
//! assert_eq!(
//!     h.to_string(),
//!     "7853200120776062878684798364095072458815029376092732009249414926327459813530"
//! );
//!
//! // circomlibjs-compatible EdDSA-Poseidon
//! let sk = SecretKey::from_bytes([7; 32]);
//! let sig = sk.sign(h);
//! sk.public_key().verify(h, &sig)?;
//! # Ok::<(), netid_circuits::CircuitError>(())
//! ```
//!
//! Proving a whole presentation needs the proving key: in a deployment the `.zkey` of a phase-2
//! ceremony imported with `netid-circuits import-zkey`; in tests and the demo the development
//! setup (a few seconds, cached on disk, forgeable by anyone): see [`keys`], [`suite::prove`]
//! and `netid-circuits demo-proof`.

pub mod dev;
pub mod error;
pub mod fixed_base;
pub mod gadgets;
pub mod keys;
pub mod msm;
pub mod presentation;
pub mod prover;
pub mod qap;
pub mod r1cs;
pub mod snarkjs;
pub mod suite;
pub mod zkey;

pub use error::{CircuitError, Result};
