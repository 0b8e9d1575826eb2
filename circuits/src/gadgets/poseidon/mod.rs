//! Poseidon over BN254's scalar field, equal to circomlib's `Poseidon(n)` for `n = 1..=16`
//! inputs (specs/groth16.md §2).
//!
//! The permutation is Poseidon with the x⁵ S-box, width `t = n + 1`, `R_F = 8` full rounds and
//! `R_P(t) ∈ {56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68}` partial rounds (for
//! `t = 2..=17`). The sponge is circomlib's: the state starts as `[0, x_1, …, x_n]`, one
//! permutation runs, and the hash is `state[0]`. Each round `r` adds the round constants
//! `C[r·t .. r·t + t]`, applies the S-box to every element (full rounds, the first and last four)
//! or to `state[0]` only (partial rounds), and multiplies by the MDS matrix `M`
//! (`state'_i = Σ_j M[i][j]·state_j`).
//!
//! Constants: widths 2..=13 come from `light-poseidon` 0.5 (generated with the Poseidon
//! reference script `generate_parameters_grain.sage`, identical to circomlib's); widths 14..=17
//! come from circomlibjs 0.1.7's `src/poseidon_constants.json`, extracted into
//! `constants_t14_t17.bin` by `tools/js/poseidon_constants.mjs` (layout there; SHA-256 pinned in
//! the tests). Both are checked against hashes computed with circomlibjs
//! (`tests/vectors/poseidon_circomlibjs.json`).

pub mod constraints;

use std::sync::OnceLock;

use ark_bn254::Fr;
use ark_ff::{BigInteger256, Field, PrimeField, Zero};

use crate::error::{CircuitError, Result};

/// Most inputs circomlib's Poseidon takes.
pub const MAX_INPUTS: usize = 16;
/// Full rounds (all widths).
pub const FULL_ROUNDS: usize = 8;
/// Partial rounds for widths `t = 2..=17` (index `t - 2`).
pub const PARTIAL_ROUNDS: [usize; MAX_INPUTS] = [
    56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68,
];

/// circomlib's constants for widths 14..=17 (see the module docs for the layout).
const WIDE_CONSTANTS: &[u8] = include_bytes!("constants_t14_t17.bin");
/// Widest width light-poseidon carries.
const LIGHT_MAX_WIDTH: usize = 13;

/// Round constants and MDS matrix of one width.
#[derive(Debug, Clone)]
pub struct PoseidonParams {
    /// The width `t = inputs + 1`.
    pub width: usize,
    /// Partial rounds.
    pub partial_rounds: usize,
    /// `(R_F + R_P)·t` round constants, round by round.
    pub round_constants: Vec<Fr>,
    /// The `t × t` MDS matrix, row by row.
    pub mds: Vec<Vec<Fr>>,
}

impl PoseidonParams {
    /// Total rounds.
    pub fn rounds(&self) -> usize {
        FULL_ROUNDS + self.partial_rounds
    }

    /// Whether round `r` is a full round.
    pub fn is_full_round(&self, r: usize) -> bool {
        r < FULL_ROUNDS / 2 || r >= FULL_ROUNDS / 2 + self.partial_rounds
    }

    /// The constants added in round `r`.
    pub fn round_constants(&self, r: usize) -> &[Fr] {
        &self.round_constants[r * self.width..(r + 1) * self.width]
    }
}

/// The parameters for `inputs` inputs (1 to 16), built once and cached.
pub fn params(inputs: usize) -> Result<&'static PoseidonParams> {
    static CACHE: [OnceLock<Option<PoseidonParams>>; MAX_INPUTS] =
        [const { OnceLock::new() }; MAX_INPUTS];
    if inputs == 0 || inputs > MAX_INPUTS {
        return Err(CircuitError::PoseidonArity(inputs));
    }
    CACHE[inputs - 1]
        .get_or_init(|| load_params(inputs + 1))
        .as_ref()
        .ok_or(CircuitError::PoseidonArity(inputs))
}

fn load_params(width: usize) -> Option<PoseidonParams> {
    let partial_rounds = PARTIAL_ROUNDS[width - 2];
    if width <= LIGHT_MAX_WIDTH {
        let p = light_poseidon::parameters::bn254_x5::get_poseidon_parameters::<Fr>(
            u8::try_from(width).ok()?,
        )
        .ok()?;
        if p.width != width || p.partial_rounds != partial_rounds || p.full_rounds != FULL_ROUNDS {
            return None;
        }
        return Some(PoseidonParams {
            width,
            partial_rounds,
            round_constants: p.ark,
            mds: p.mds,
        });
    }
    // Skip the blocks of the narrower widths in the embedded file.
    let block = |t: usize| ((FULL_ROUNDS + PARTIAL_ROUNDS[t - 2]) * t + t * t) * 32;
    let start: usize = (LIGHT_MAX_WIDTH + 1..width).map(block).sum();
    let bytes = WIDE_CONSTANTS.get(start..start + block(width))?;
    let mut elems = bytes.chunks_exact(32).map(fr_from_le_canonical);
    let n_c = (FULL_ROUNDS + partial_rounds) * width;
    let round_constants = elems.by_ref().take(n_c).collect::<Option<Vec<_>>>()?;
    let mut mds = Vec::with_capacity(width);
    for _ in 0..width {
        mds.push(elems.by_ref().take(width).collect::<Option<Vec<_>>>()?);
    }
    (round_constants.len() == n_c && mds.iter().all(|row| row.len() == width)).then_some(
        PoseidonParams {
            width,
            partial_rounds,
            round_constants,
            mds,
        },
    )
}

/// Decodes 32 little-endian bytes as a field element, rejecting values `≥ r`.
pub(crate) fn fr_from_le_canonical(bytes: &[u8]) -> Option<Fr> {
    let mut limbs = [0u64; 4];
    for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        *limb = u64::from_le_bytes(b);
    }
    if bytes.len() != 32 {
        return None;
    }
    Fr::from_bigint(BigInteger256::new(limbs))
}

#[inline]
fn sbox(x: Fr) -> Fr {
    let x2 = x.square();
    x2.square() * x
}

/// Applies the Poseidon permutation to `state` (length = the params' width).
pub fn permute(params: &PoseidonParams, state: &mut [Fr]) {
    let t = params.width;
    debug_assert_eq!(state.len(), t);
    let mut next = vec![Fr::zero(); t];
    for r in 0..params.rounds() {
        for (s, c) in state.iter_mut().zip(params.round_constants(r)) {
            *s += c;
        }
        if params.is_full_round(r) {
            state.iter_mut().for_each(|s| *s = sbox(*s));
        } else {
            state[0] = sbox(state[0]);
        }
        for (n, row) in next.iter_mut().zip(&params.mds) {
            *n = row.iter().zip(state.iter()).map(|(m, s)| *m * s).sum();
        }
        state.copy_from_slice(&next);
    }
}

/// circomlib's `Poseidon(n)`: the hash of 1 to 16 field elements.
pub fn poseidon(inputs: &[Fr]) -> Result<Fr> {
    let params = params(inputs.len())?;
    let mut state = Vec::with_capacity(params.width);
    state.push(Fr::zero());
    state.extend_from_slice(inputs);
    permute(params, &mut state);
    Ok(state[0])
}

/// Poseidon of two elements (Merkle nodes, pseudonyms); cannot fail.
pub fn poseidon2(a: Fr, b: Fr) -> Fr {
    // Arity 2 is always defined: `params(2)` only fails for arities outside 1..=16.
    match poseidon(&[a, b]) {
        Ok(h) => h,
        Err(_) => unreachable_arity(),
    }
}

#[cold]
fn unreachable_arity() -> Fr {
    // Never reached: arity 2 always has parameters. Returning zero keeps library code free of
    // panics; the tests check `poseidon2` against circomlibjs.
    Fr::zero()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;
    use sha2::{Digest, Sha256};
    use std::str::FromStr;

    #[derive(serde::Deserialize)]
    pub(crate) struct Vector {
        pub inputs: Vec<String>,
        pub hash: String,
    }

    pub(crate) fn vectors() -> Vec<(Vec<Fr>, Fr)> {
        let raw: Vec<Vector> = serde_json::from_str(include_str!(
            "../../../tests/vectors/poseidon_circomlibjs.json"
        ))
        .unwrap();
        raw.into_iter()
            .map(|v| {
                (
                    v.inputs.iter().map(|s| Fr::from_str(s).unwrap()).collect(),
                    Fr::from_str(&v.hash).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn matches_circomlibjs_for_every_arity() {
        let vs = vectors();
        assert_eq!(vs.len(), 48);
        for (inputs, expected) in &vs {
            assert_eq!(
                poseidon(inputs).unwrap(),
                *expected,
                "{} inputs",
                inputs.len()
            );
        }
        for n in 1..=MAX_INPUTS {
            assert!(vs.iter().any(|(i, _)| i.len() == n));
        }
    }

    #[test]
    fn embedded_constants_are_the_extracted_file() {
        let digest = Sha256::digest(WIDE_CONSTANTS);
        assert_eq!(
            hex::encode(digest),
            "d45296584f206aeaa39c7deb95c7e97505dc3c688d1c7f069e4df8c1860c045c"
        );
        let total: usize = (14..=17)
            .map(|t| ((FULL_ROUNDS + PARTIAL_ROUNDS[t - 2]) * t + t * t) * 32)
            .sum();
        assert_eq!(WIDE_CONSTANTS.len(), total);
    }

    #[test]
    fn rejects_bad_arity() {
        assert!(matches!(poseidon(&[]), Err(CircuitError::PoseidonArity(0))));
        assert!(matches!(
            poseidon(&[Fr::zero(); 17]),
            Err(CircuitError::PoseidonArity(17))
        ));
    }

    #[test]
    fn poseidon2_is_poseidon_of_two() {
        let (a, b) = (Fr::from(1u64), Fr::from(2u64));
        assert_eq!(poseidon2(a, b), poseidon(&[a, b]).unwrap());
        assert_eq!(
            poseidon2(a, b),
            Fr::from_str(
                "7853200120776062878684798364095072458815029376092732009249414926327459813530"
            )
            .unwrap()
        );
    }

    #[test]
    fn agrees_with_light_poseidon() {
        use light_poseidon::{Poseidon, PoseidonHasher};
        for n in 1..=12 {
            let inputs: Vec<Fr> = (0..n).map(|i| Fr::from(1000 + i as u64)).collect();
            let mut h = Poseidon::<Fr>::new_circom(n).unwrap();
            assert_eq!(h.hash(&inputs).unwrap(), poseidon(&inputs).unwrap());
        }
    }

    #[test]
    fn canonical_decoding_rejects_modulus() {
        let mut m = [0u8; 32];
        let modulus = Fr::MODULUS.0;
        for (i, limb) in modulus.iter().enumerate() {
            m[i * 8..i * 8 + 8].copy_from_slice(&limb.to_le_bytes());
        }
        assert!(fr_from_le_canonical(&m).is_none());
        assert!(fr_from_le_canonical(&[0u8; 31]).is_none());
        assert_eq!(fr_from_le_canonical(&[0u8; 32]), Some(Fr::zero()));
    }
}
