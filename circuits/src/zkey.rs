//! Import of a snarkjs Groth16 `.zkey` (the output of a phase-2 ceremony) as netid proving and
//! verifying keys (specs/groth16.md §7.2).
//!
//! A `.zkey` is a binary file of sections (all integers little-endian):
//!
//! ```text
//! "zkey" ‖ u32 version = 1 ‖ u32 number of sections, then per section u32 type ‖ u64 size ‖ data
//!  1  u32 protocol (1 = groth16)
//!  2  u32 n8q ‖ q ‖ u32 n8r ‖ r ‖ u32 nVars ‖ u32 nPublic ‖ u32 domainSize
//!     ‖ α₁ ‖ β₁ ‖ β₂ ‖ γ₂ ‖ δ₁ ‖ δ₂
//!  3  IC: nPublic + 1 G1 points (γ⁻¹-scaled input bases)
//!  4  u32 n ‖ n × (u32 matrix (0 = A, 1 = B) ‖ u32 constraint ‖ u32 signal ‖ value)
//!  5  A query (nVars G1)   6  B query in G1 (nVars G1)   7  B query in G2 (nVars G2)
//!  8  C query: the private wires' (nVars − nPublic − 1 G1)   9  H query (domainSize G1)
//! 10  contributions (hashes and public keys of each party; checked by `snarkjs zkey verify`)
//! ```
//!
//! Field elements are 32-byte little-endian Montgomery representations (`x·R mod p`, R = 2^256);
//! the values of section 4 are in double Montgomery form (`v·R² mod r`). Points are affine
//! `(x, y)`, G2 coordinates as `(c0, c1)`; the point at infinity is all zero bytes.
//!
//! Import refuses anything that is not a key for netid's presentation circuit: wrong curve,
//! protocol, sizes or public-input count, a coefficient section that differs from the circuit's
//! constraints in any entry, a non-canonical field element, a point off the curve or outside its
//! subgroup. The contributions themselves are checked by `snarkjs zkey verify` against the
//! powers of tau and the `.r1cs`, which is part of the ceremony procedure, not of the import.

use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInt, PrimeField};
use ark_groth16::{ProvingKey, VerifyingKey};

use crate::error::{CircuitError, Result};
use crate::r1cs::{fr_modulus_le, R1cs};

const N8: usize = 32;
const G1_LEN: usize = 2 * N8;
const G2_LEN: usize = 4 * N8;

fn bad(reason: impl Into<String>) -> CircuitError {
    CircuitError::encoding(".zkey file", reason)
}

/// Splits a `.zkey` file into its sections (by type; each type at most once).
fn sections(bytes: &[u8]) -> Result<[Option<&[u8]>; 11]> {
    if bytes.len() < 12 || &bytes[..4] != b"zkey" {
        return Err(bad("not a snarkjs .zkey file (magic \"zkey\" missing)"));
    }
    if u32_at(bytes, 4)? != 1 {
        return Err(bad("unsupported .zkey version"));
    }
    let n = u32_at(bytes, 8)? as usize;
    let mut out: [Option<&[u8]>; 11] = [None; 11];
    let mut pos = 12usize;
    for _ in 0..n {
        let kind = u32_at(bytes, pos)? as usize;
        let size = usize::try_from(u64::from_le_bytes(
            bytes
                .get(pos + 4..pos + 12)
                .ok_or_else(|| bad("truncated section header"))?
                .try_into()
                .map_err(|_| bad("truncated section header"))?,
        ))
        .map_err(|_| bad("section too large"))?;
        let start = pos + 12;
        let end = start
            .checked_add(size)
            .filter(|&e| e <= bytes.len())
            .ok_or_else(|| bad(format!("section {kind} runs past the end of the file")))?;
        if let Some(slot) = out.get_mut(kind) {
            if slot.is_some() {
                return Err(bad(format!("section {kind} appears twice")));
            }
            *slot = Some(&bytes[start..end]);
        }
        pos = end;
    }
    if pos != bytes.len() {
        return Err(bad("trailing bytes after the last section"));
    }
    Ok(out)
}

fn u32_at(b: &[u8], at: usize) -> Result<u32> {
    b.get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .map(u32::from_le_bytes)
        .ok_or_else(|| bad("truncated"))
}

fn limbs(b: &[u8]) -> BigInt<4> {
    let mut l = [0u64; 4];
    for (limb, chunk) in l.iter_mut().zip(b.chunks_exact(8)) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        *limb = u64::from_le_bytes(w);
    }
    BigInt(l)
}

fn bigint_le(x: &BigInt<4>) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (chunk, limb) in out.chunks_exact_mut(8).zip(x.0) {
        chunk.copy_from_slice(&limb.to_le_bytes());
    }
    out
}

/// A base-field element from its Montgomery bytes (must be below the modulus).
fn fq_mont(b: &[u8]) -> Result<Fq> {
    let raw = limbs(b);
    if raw >= Fq::MODULUS {
        return Err(bad("field element not below the modulus"));
    }
    Ok(Fq::new_unchecked(raw))
}

/// A scalar stored as `v·R² mod r`.
fn fr_double_mont(b: &[u8]) -> Result<Fr> {
    let raw = limbs(b);
    if raw >= Fr::MODULUS {
        return Err(bad("coefficient not below the modulus"));
    }
    // new_unchecked reads x·R as x; doing it twice strips R².
    Ok(Fr::new_unchecked(Fr::new_unchecked(raw).into_bigint()))
}

fn g1(b: &[u8], what: &str) -> Result<G1Affine> {
    if b.iter().all(|&x| x == 0) {
        return Ok(G1Affine::zero());
    }
    let p = G1Affine::new_unchecked(fq_mont(&b[..N8])?, fq_mont(&b[N8..2 * N8])?);
    if !p.is_on_curve() || !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(bad(format!("{what}: G1 point not on the curve")));
    }
    Ok(p)
}

fn g2(b: &[u8], what: &str) -> Result<G2Affine> {
    if b.iter().all(|&x| x == 0) {
        return Ok(G2Affine::zero());
    }
    let x = Fq2::new(fq_mont(&b[..N8])?, fq_mont(&b[N8..2 * N8])?);
    let y = Fq2::new(fq_mont(&b[2 * N8..3 * N8])?, fq_mont(&b[3 * N8..])?);
    let p = G2Affine::new_unchecked(x, y);
    if !p.is_on_curve() || !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(bad(format!(
            "{what}: G2 point not on the curve or outside the subgroup"
        )));
    }
    Ok(p)
}

fn points<T>(
    data: Option<&[u8]>,
    count: usize,
    len: usize,
    what: &str,
    parse: fn(&[u8], &str) -> Result<T>,
) -> Result<Vec<T>> {
    let data = data.ok_or_else(|| bad(format!("section {what} missing")))?;
    if data.len() != count * len {
        return Err(bad(format!(
            "section {what}: expected {count} points, found {} bytes",
            data.len()
        )));
    }
    data.chunks_exact(len).map(|c| parse(c, what)).collect()
}

/// The coefficient entries snarkjs records for `r1cs`: A and B of every constraint, then one
/// `A = 1` row per instance wire, as `(matrix, constraint, signal, value)`, sorted.
fn expected_coefficients(r1cs: &R1cs) -> Vec<(u32, u32, u32, Fr)> {
    let mut out = Vec::new();
    for (i, row) in r1cs.constraints.iter().enumerate() {
        for (m, lc) in row.iter().take(2).enumerate() {
            for (wire, c) in lc {
                out.push((m as u32, i as u32, *wire, *c));
            }
        }
    }
    let n = r1cs.num_constraints();
    for s in 0..=r1cs.num_public {
        out.push((0, (n + s) as u32, s as u32, Fr::from(1u64)));
    }
    out.sort_by_key(|a| (a.0, a.1, a.2));
    out
}

/// Reads a snarkjs Groth16 `.zkey` for netid's presentation circuit `r1cs` into a proving key
/// (whose `vk` is the verifying key). See the module docs for what is checked.
///
/// # Errors
/// [`CircuitError::Encoding`] naming what is wrong.
pub fn read_zkey(bytes: &[u8], r1cs: &R1cs) -> Result<ProvingKey<Bn254>> {
    let s = sections(bytes)?;
    let s1 = s[1].ok_or_else(|| bad("header section missing"))?;
    if s1.len() != 4 || u32_at(s1, 0)? != 1 {
        return Err(bad("not a Groth16 key (protocol is not groth16)"));
    }

    let h = s[2].ok_or_else(|| bad("Groth16 header section missing"))?;
    let fixed = 4 + N8 + 4 + N8 + 12;
    if h.len() != fixed + 3 * G1_LEN + 3 * G2_LEN {
        return Err(bad("Groth16 header has the wrong size (not a BN254 key?)"));
    }
    let bn128_q = bigint_le(&Fq::MODULUS);
    if u32_at(h, 0)? as usize != N8
        || h[4..4 + N8] != bn128_q
        || u32_at(h, 4 + N8)? as usize != N8
        || h[8 + N8..8 + 2 * N8] != fr_modulus_le()
    {
        return Err(bad("the key is not over BN254 (bn128)"));
    }
    let at = 8 + 2 * N8;
    let (n_vars, n_public, domain) = (
        u32_at(h, at)? as usize,
        u32_at(h, at + 4)? as usize,
        u32_at(h, at + 8)? as usize,
    );
    if n_public != r1cs.num_public {
        return Err(bad(format!(
            "the key has {n_public} public inputs; netid's presentation circuit has {}: a key of another circuit",
            r1cs.num_public
        )));
    }
    if n_vars != r1cs.num_wires || domain != r1cs.domain_size() {
        return Err(bad(format!(
            "the key is for a circuit of {n_vars} wires and domain {domain}; netid's has {} and {}: a key of another circuit",
            r1cs.num_wires,
            r1cs.domain_size()
        )));
    }
    let mut p = fixed;
    let mut take = |len: usize| {
        let out = &h[p..p + len];
        p += len;
        out
    };
    let alpha_g1 = g1(take(G1_LEN), "alpha")?;
    let beta_g1 = g1(take(G1_LEN), "beta")?;
    let beta_g2 = g2(take(G2_LEN), "beta")?;
    let gamma_g2 = g2(take(G2_LEN), "gamma")?;
    let delta_g1 = g1(take(G1_LEN), "delta")?;
    let delta_g2 = g2(take(G2_LEN), "delta")?;
    if [alpha_g1, beta_g1, delta_g1]
        .iter()
        .any(AffineRepr::is_zero)
        || [beta_g2, gamma_g2, delta_g2]
            .iter()
            .any(AffineRepr::is_zero)
    {
        return Err(bad("a key element is the point at infinity"));
    }

    // Section 4: the circuit itself, entry by entry.
    let coeffs = s[4].ok_or_else(|| bad("coefficient section missing"))?;
    let n = u32_at(coeffs, 0)? as usize;
    let entry = 12 + N8;
    if coeffs.len() != 4 + n * entry {
        return Err(bad("coefficient section has the wrong size"));
    }
    let mut found = coeffs[4..]
        .chunks_exact(entry)
        .map(|e| {
            Ok((
                u32_at(e, 0)?,
                u32_at(e, 4)?,
                u32_at(e, 8)?,
                fr_double_mont(&e[12..])?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    found.sort_by_key(|a| (a.0, a.1, a.2));
    if found != expected_coefficients(r1cs) {
        return Err(bad(
            "its constraints are not those of netid's presentation circuit: a key of another circuit or version",
        ));
    }

    let gamma_abc_g1 = points(s[3], n_public + 1, G1_LEN, "IC", g1)?;
    let a_query = points(s[5], n_vars, G1_LEN, "A", g1)?;
    let b_g1_query = points(s[6], n_vars, G1_LEN, "B1", g1)?;
    let b_g2_query = points(s[7], n_vars, G2_LEN, "B2", g2)?;
    let l_query = points(s[8], n_vars - n_public - 1, G1_LEN, "C", g1)?;
    let h_query = points(s[9], domain, G1_LEN, "H", g1)?;
    if s[10].is_none() {
        return Err(bad("contributions section missing"));
    }
    Ok(ProvingKey {
        vk: VerifyingKey {
            alpha_g1,
            beta_g2,
            gamma_g2,
            delta_g2,
            gamma_abc_g1,
        },
        beta_g1,
        delta_g1,
        a_query,
        b_g1_query,
        b_g2_query,
        h_query,
        l_query,
    })
}

/// Number of phase-2 contributions recorded in a `.zkey` (section 10: a 64-byte hash, then
/// the count), for display.
///
/// # Errors
/// [`CircuitError::Encoding`] when the section is missing or truncated.
pub fn contribution_count(bytes: &[u8]) -> Result<u32> {
    let s = sections(bytes)?;
    let c = s[10].ok_or_else(|| bad("contributions section missing"))?;
    u32_at(c, 64)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn malformed_files_are_refused_with_a_reason() {
        let r1cs = R1cs::presentation().unwrap();
        for (bytes, why) in [
            (&b""[..], "magic"),
            (&b"zkey\x02\0\0\0\0\0\0\0"[..], "version"),
            (
                &b"zkey\x01\0\0\0\x01\0\0\0\x01\0\0\0\xff\0\0\0\0\0\0\0"[..],
                "past the end",
            ),
            (&b"zkey\x01\0\0\0\0\0\0\0junk"[..], "trailing"),
            (&b"zkey\x01\0\0\0\0\0\0\0"[..], "header section missing"),
        ] {
            let e = read_zkey(bytes, r1cs).unwrap_err().to_string();
            assert!(e.contains(why), "{e} should mention {why}");
        }
    }

    #[test]
    fn montgomery_decoding() {
        // 1 in Montgomery form is R mod p.
        let one = Fq::from(1u64);
        assert_eq!(fq_mont(&bigint_le(&one.0)).unwrap(), one);
        assert!(fq_mont(&[0xff; 32]).is_err());
        // v·R² decodes to v.
        let v = Fr::from(123_456_789u64);
        let r2 = Fr::new_unchecked(Fr::R2); // R² as a Montgomery value → R
        let stored = (v * r2).0; // Montgomery form of v·R is v·R²
        assert_eq!(fr_double_mont(&bigint_le(&stored)).unwrap(), v);
    }
}
