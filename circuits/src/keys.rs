//! Groth16 keys of the presentation circuit: deterministic development setup, on-disk cache,
//! validated loading (specs/groth16.md §7).
//!
//! Groth16's setup is circuit-specific and its randomness ("toxic waste") must be destroyed: who
//! knows it can forge proofs. [`ProvingKeys::dev_setup`] derives that randomness from a public
//! seed, so anyone can forge against development keys: they are for tests, the demo and
//! benchmarks only. A production deployment runs a multi-party phase-2 ceremony instead
//! (specs/groth16.md §7.2) and loads the result with [`ProvingKeys::from_bytes`].
//!
//! Keys are cached on disk, never committed: `$NETID_KEY_DIR`, else
//! `$XDG_DATA_HOME/netid/groth16`, else `~/.local/share/netid/groth16`; tests use
//! `target/netid-keys`. A cache file is named after the circuit's fingerprint (SHA-256 of its
//! constraint matrices) and the seed, so a changed circuit never picks up a stale key; a file
//! that fails its checksum or point validation is regenerated.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use ark_bn254::{Bn254, Fr};
use ark_groth16::{Groth16, PreparedVerifyingKey, ProvingKey, VerifyingKey};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, SynthesisMode};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use netid_core::dst;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};

use crate::error::{CircuitError, Result};
use crate::fixed_base::FixedBaseTable;
use crate::presentation::circuit::PresentationCircuit;

/// Version of the key file format.
const KEY_FILE_MAGIC: &[u8; 8] = b"NETIDG16";
const KEY_FILE_VERSION: u8 = 1;

/// What a verifier needs: the verifying key and its prepared form.
#[derive(Clone)]
pub struct VerifierKey {
    vk: VerifyingKey<Bn254>,
    pvk: PreparedVerifyingKey<Bn254>,
    /// Fixed-base table of `gamma_abc_g1[1..]`, built on first use (verifiers only).
    inputs: Arc<OnceLock<FixedBaseTable>>,
}

impl core::fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "VerifierKey({} public inputs)",
            self.vk.gamma_abc_g1.len() - 1
        )
    }
}

impl VerifierKey {
    /// Wraps a verifying key, preparing it for fast verification.
    pub fn new(vk: VerifyingKey<Bn254>) -> VerifierKey {
        let pvk = ark_groth16::prepare_verifying_key(&vk);
        VerifierKey {
            vk,
            pvk,
            inputs: Arc::new(OnceLock::new()),
        }
    }

    /// The precomputed multiples of the public-input bases `gamma_abc_g1[1..]` (built on the
    /// first call, ≈ 1.4 MiB for the presentation key; shared by clones).
    pub fn input_table(&self) -> &FixedBaseTable {
        self.inputs
            .get_or_init(|| FixedBaseTable::new(self.vk.gamma_abc_g1.get(1..).unwrap_or(&[])))
    }

    /// The verifying key.
    pub fn vk(&self) -> &VerifyingKey<Bn254> {
        &self.vk
    }

    /// The prepared verifying key.
    pub fn prepared(&self) -> &PreparedVerifyingKey<Bn254> {
        &self.pvk
    }

    /// Compressed, canonical bytes of the verifying key (what an issuer publishes).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.vk
            .serialize_compressed(&mut out)
            .map_err(|e| CircuitError::Keys(format!("serializing the verifying key: {e}")))?;
        Ok(out)
    }

    /// Decodes and validates (points on the curve, in the subgroup) a verifying key.
    pub fn from_bytes(bytes: &[u8]) -> Result<VerifierKey> {
        let vk = VerifyingKey::<Bn254>::deserialize_with_mode(bytes, Compress::Yes, Validate::Yes)
            .map_err(|e| CircuitError::encoding("verifying key", e.to_string()))?;
        if vk.gamma_abc_g1.len() != crate::presentation::NUM_PUBLIC_INPUTS + 1 {
            return Err(CircuitError::encoding(
                "verifying key",
                "not a key of the netid/v1 presentation circuit",
            ));
        }
        let canonical = VerifierKey::new(vk);
        if canonical.to_bytes()? != bytes {
            return Err(CircuitError::encoding(
                "verifying key",
                "non-canonical encoding",
            ));
        }
        Ok(canonical)
    }
}

/// Proving key plus verifier key.
#[derive(Clone)]
pub struct ProvingKeys {
    pk: ProvingKey<Bn254>,
    verifier: VerifierKey,
}

impl core::fmt::Debug for ProvingKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "ProvingKeys({:?})", self.verifier)
    }
}

impl ProvingKeys {
    /// The deterministic development setup from `seed` (public: for tests, demo, benchmarks).
    pub fn dev_setup(seed: &[u8]) -> Result<ProvingKeys> {
        let mut rng = ChaCha20Rng::from_seed(seed_digest(seed));
        let pk = Groth16::<Bn254>::generate_random_parameters_with_reduction(
            PresentationCircuit::default(),
            &mut rng,
        )
        .map_err(|e| CircuitError::Keys(format!("setup failed: {e}")))?;
        let verifier = VerifierKey::new(pk.vk.clone());
        Ok(ProvingKeys { pk, verifier })
    }

    /// The proving key.
    pub fn pk(&self) -> &ProvingKey<Bn254> {
        &self.pk
    }

    /// The verifier key.
    pub fn verifier(&self) -> &VerifierKey {
        &self.verifier
    }

    /// Key file bytes: `"NETIDG16" ‖ version ‖ fingerprint(32) ‖ SHA-256(body)(32) ‖ body`,
    /// body = the proving key, uncompressed.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut body = Vec::new();
        self.pk
            .serialize_uncompressed(&mut body)
            .map_err(|e| CircuitError::Keys(format!("serializing the proving key: {e}")))?;
        let mut out = Vec::with_capacity(body.len() + 73);
        out.extend_from_slice(KEY_FILE_MAGIC);
        out.push(KEY_FILE_VERSION);
        out.extend_from_slice(&circuit_fingerprint()?);
        out.extend_from_slice(&Sha256::digest(&body));
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Loads key file bytes, checking magic, version, that the key is for this circuit, the
    /// checksum, and every point (on curve, in subgroup).
    pub fn from_bytes(bytes: &[u8]) -> Result<ProvingKeys> {
        let bad = |r: &str| CircuitError::encoding("proving key file", r.to_string());
        if bytes.len() < 73 || &bytes[..8] != KEY_FILE_MAGIC {
            return Err(bad("not a netid Groth16 key file"));
        }
        if bytes[8] != KEY_FILE_VERSION {
            return Err(bad("unsupported version"));
        }
        if bytes[9..41] != circuit_fingerprint()? {
            return Err(bad("the key is for another circuit"));
        }
        let body = &bytes[73..];
        if Sha256::digest(body)[..] != bytes[41..73] {
            return Err(bad("checksum mismatch (file corrupted)"));
        }
        let pk = ProvingKey::<Bn254>::deserialize_with_mode(body, Compress::No, Validate::Yes)
            .map_err(|e| bad(&e.to_string()))?;
        let verifier = VerifierKey::new(pk.vk.clone());
        Ok(ProvingKeys { pk, verifier })
    }

    /// Loads the development keys for `seed` from the cache directory `dir`, creating them
    /// (and the directory) if absent or invalid. Writes atomically (temp file + rename).
    pub fn load_or_dev_setup(dir: &Path, seed: &[u8]) -> Result<ProvingKeys> {
        let path = dir.join(format!(
            "presentation-{}-{}.key",
            &hex::encode(circuit_fingerprint()?)[..16],
            &hex::encode(seed_digest(seed))[..16]
        ));
        if let Ok(bytes) = std::fs::read(&path) {
            if let Ok(keys) = ProvingKeys::from_bytes(&bytes) {
                return Ok(keys);
            }
            eprintln!(
                "netid-circuits: cached key {} is invalid; regenerating",
                path.display()
            );
        }
        let keys = ProvingKeys::dev_setup(seed)?;
        let io = |source| CircuitError::Io {
            path: path.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, keys.to_bytes()?).map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)?;
        Ok(keys)
    }
}

/// The development seed used by the demo, the CLI and tests.
pub const DEV_SEED: &[u8] = b"netid development keys: NOT FOR PRODUCTION";

/// The default key directory (see the module docs).
pub fn default_key_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("NETID_KEY_DIR") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_DATA_HOME") {
        return PathBuf::from(d).join("netid").join("groth16");
    }
    match std::env::var_os("HOME") {
        Some(h) => PathBuf::from(h).join(".local/share/netid/groth16"),
        None => std::env::temp_dir().join("netid-groth16"),
    }
}

fn seed_digest(seed: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(dst::groth16::DEV_SETUP);
    h.update(seed);
    h.finalize().into()
}

/// SHA-256 over the circuit's constraint matrices and sizes: changes whenever the circuit does.
pub fn circuit_fingerprint() -> Result<[u8; 32]> {
    static FP: OnceLock<Option<[u8; 32]>> = OnceLock::new();
    FP.get_or_init(|| compute_fingerprint().ok())
        .ok_or_else(|| CircuitError::Keys("cannot synthesize the circuit".into()))
}

fn compute_fingerprint() -> Result<[u8; 32]> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_mode(SynthesisMode::Setup);
    PresentationCircuit::default().generate_constraints(cs.clone())?;
    cs.finalize();
    let mut h = Sha256::new();
    h.update(b"netid/v1/groth16/circuit-fingerprint");
    for n in [
        cs.num_instance_variables(),
        cs.num_witness_variables(),
        cs.num_constraints(),
    ] {
        h.update((n as u64).to_le_bytes());
    }
    let matrices = cs.to_matrices()?;
    for (label, mats) in matrices {
        h.update(label.as_bytes());
        for m in mats {
            for row in m {
                h.update((row.len() as u64).to_le_bytes());
                for (coeff, col) in row {
                    h.update(crate::presentation::fr_to_bytes(&coeff));
                    h.update((col as u64).to_le_bytes());
                }
            }
        }
    }
    Ok(h.finalize().into())
}
