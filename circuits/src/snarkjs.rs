//! Export (and import) in snarkjs's JSON formats, so that `snarkjs groth16 verify
//! verification_key.json public.json proof.json` — and the EVM verifier snarkjs generates —
//! accept netid proofs (specs/groth16.md §9).
//!
//! Points are affine coordinates as decimal strings in projective form: G1 `[x, y, "1"]`, G2
//! `[[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]]`; the curve is called `bn128`. `public.json` is the
//! array of public inputs in circuit order, as decimal strings.

use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{PrimeField, Zero};
use ark_groth16::{Proof, VerifyingKey};
use serde_json::{json, Value};

use crate::error::{CircuitError, Result};

fn g1(p: &G1Affine) -> Value {
    match p.xy() {
        Some((x, y)) => json!([x.to_string(), y.to_string(), "1"]),
        None => json!(["0", "1", "0"]),
    }
}

fn g2(p: &G2Affine) -> Value {
    match p.xy() {
        Some((x, y)) => json!([
            [x.c0.to_string(), x.c1.to_string()],
            [y.c0.to_string(), y.c1.to_string()],
            ["1", "0"]
        ]),
        None => json!([["0", "0"], ["1", "0"], ["0", "0"]]),
    }
}

/// Decimal string of a field element (`0` for zero, as snarkjs writes it).
pub fn fr_decimal(x: &Fr) -> String {
    if x.is_zero() {
        "0".into()
    } else {
        x.into_bigint().to_string()
    }
}

/// `verification_key.json`.
pub fn verification_key_json(vk: &VerifyingKey<Bn254>) -> Value {
    json!({
        "protocol": "groth16",
        "curve": "bn128",
        "nPublic": vk.gamma_abc_g1.len().saturating_sub(1),
        "vk_alpha_1": g1(&vk.alpha_g1),
        "vk_beta_2": g2(&vk.beta_g2),
        "vk_gamma_2": g2(&vk.gamma_g2),
        "vk_delta_2": g2(&vk.delta_g2),
        "IC": vk.gamma_abc_g1.iter().map(g1).collect::<Vec<_>>(),
    })
}

/// `proof.json`.
pub fn proof_json(proof: &Proof<Bn254>) -> Value {
    json!({
        "pi_a": g1(&proof.a),
        "pi_b": g2(&proof.b),
        "pi_c": g1(&proof.c),
        "protocol": "groth16",
        "curve": "bn128",
    })
}

/// `public.json`.
pub fn public_json(public: &[Fr]) -> Value {
    Value::Array(
        public
            .iter()
            .map(|x| Value::String(fr_decimal(x)))
            .collect(),
    )
}

fn dec<F: PrimeField>(v: &Value, what: &'static str) -> Result<F> {
    let s = v
        .as_str()
        .ok_or_else(|| CircuitError::encoding(what, "expected a decimal string"))?;
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return Err(CircuitError::encoding(what, "not a canonical decimal"));
    }
    let x = F::from_str(s).map_err(|_| CircuitError::encoding(what, "out of range"))?;
    // from_str reduces silently in some versions: insist on the canonical representative.
    if x.into_bigint().to_string() != s && !(s == "0" && x.is_zero()) {
        return Err(CircuitError::encoding(what, "not below the field modulus"));
    }
    Ok(x)
}

fn parse_g1(v: &Value, what: &'static str) -> Result<G1Affine> {
    let a = v
        .as_array()
        .filter(|a| a.len() == 3)
        .ok_or_else(|| CircuitError::encoding(what, "expected [x, y, z]"))?;
    if a[2].as_str() != Some("1") {
        return Err(CircuitError::encoding(what, "expected affine form (z = 1)"));
    }
    let p = G1Affine::new_unchecked(dec::<Fq>(&a[0], what)?, dec::<Fq>(&a[1], what)?);
    if !p.is_on_curve() || !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(CircuitError::encoding(what, "point not on the curve"));
    }
    Ok(p)
}

fn parse_g2(v: &Value, what: &'static str) -> Result<G2Affine> {
    let a = v
        .as_array()
        .filter(|a| a.len() == 3)
        .ok_or_else(|| CircuitError::encoding(what, "expected [x, y, z]"))?;
    let fq2 = |v: &Value| -> Result<Fq2> {
        let c = v
            .as_array()
            .filter(|c| c.len() == 2)
            .ok_or_else(|| CircuitError::encoding(what, "expected [c0, c1]"))?;
        Ok(Fq2::new(dec::<Fq>(&c[0], what)?, dec::<Fq>(&c[1], what)?))
    };
    if fq2(&a[2])? != Fq2::new(Fq::from(1u64), Fq::zero()) {
        return Err(CircuitError::encoding(what, "expected affine form (z = 1)"));
    }
    let p = G2Affine::new_unchecked(fq2(&a[0])?, fq2(&a[1])?);
    if !p.is_on_curve() || !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(CircuitError::encoding(
            what,
            "point not on the curve or outside the subgroup",
        ));
    }
    Ok(p)
}

/// Parses `proof.json`.
pub fn parse_proof(v: &Value) -> Result<Proof<Bn254>> {
    Ok(Proof {
        a: parse_g1(&v["pi_a"], "pi_a")?,
        b: parse_g2(&v["pi_b"], "pi_b")?,
        c: parse_g1(&v["pi_c"], "pi_c")?,
    })
}

/// Parses `public.json` (each entry a canonical decimal below the field modulus).
pub fn parse_public(v: &Value) -> Result<Vec<Fr>> {
    v.as_array()
        .ok_or_else(|| CircuitError::encoding("public inputs", "expected an array"))?
        .iter()
        .map(|x| dec::<Fr>(x, "public input"))
        .collect()
}

/// Parses `verification_key.json`.
pub fn parse_verification_key(v: &Value) -> Result<VerifyingKey<Bn254>> {
    if v["protocol"] != "groth16" || v["curve"] != "bn128" {
        return Err(CircuitError::encoding(
            "verification key",
            "not a groth16/bn128 key",
        ));
    }
    let ic = v["IC"]
        .as_array()
        .ok_or_else(|| CircuitError::encoding("verification key", "missing IC"))?
        .iter()
        .map(|p| parse_g1(p, "IC"))
        .collect::<Result<Vec<_>>>()?;
    Ok(VerifyingKey {
        alpha_g1: parse_g1(&v["vk_alpha_1"], "vk_alpha_1")?,
        beta_g2: parse_g2(&v["vk_beta_2"], "vk_beta_2")?,
        gamma_g2: parse_g2(&v["vk_gamma_2"], "vk_gamma_2")?,
        delta_g2: parse_g2(&v["vk_delta_2"], "vk_delta_2")?,
        gamma_abc_g1: ic,
    })
}

/// Parses a decimal field element (CLI helper).
pub fn parse_fr_decimal(s: &str) -> Result<Fr> {
    dec::<Fr>(&Value::String(s.to_string()), "field element")
}
