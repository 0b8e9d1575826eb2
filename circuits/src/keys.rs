//! Groth16 keys of the presentation circuit: keys from a phase-2 ceremony, the deterministic
//! development setup, the on-disk key files, validated loading (specs/groth16.md §7).
//!
//! Groth16's setup is circuit-specific and its randomness ("toxic waste", [`Trapdoor`]) must be
//! destroyed: who knows it can forge proofs. [`ProvingKeys::dev_setup`] derives that randomness
//! from a public seed, so anyone can forge against development keys: they are for tests, the
//! demo and benchmarks only, and every part of netid says so when it uses them
//! ([`VerifierKey::is_development`] recognises them from the verifying key alone). A deployment
//! runs a multi-party phase-2 ceremony with snarkjs on the exported `.r1cs` ([`crate::r1cs`])
//! and imports its `.zkey` ([`ProvingKeys::from_zkey`], `netid-circuits import-zkey`).
//!
//! Both kinds of key use snarkjs's QAP convention ([`crate::qap`]), so one prover serves both.
//!
//! Key files (never committed): an imported ceremony key is `DIR/presentation.key`; development
//! keys are cached in `$NETID_KEY_DIR`, else `$XDG_DATA_HOME/netid/groth16`, else
//! `~/.local/share/netid/groth16` (no temporary-directory fallback); tests use
//! `target/netid-keys`. A development key file is named after the circuit's fingerprint
//! (SHA-256 of its `.r1cs`) and the seed, so a changed circuit never picks up a stale key. A
//! file that fails its checksum (which covers the setup's provenance too) or point validation
//! is an error naming the file: nothing is ever regenerated over an existing file.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use ark_bn254::{Bn254, Fr, G1Projective, G2Projective};
use ark_ff::Zero;
use ark_groth16::{Groth16, PreparedVerifyingKey, ProvingKey, VerifyingKey};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use netid_core::dst;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};

use crate::error::{CircuitError, Result};
use crate::fixed_base::FixedBaseTable;
use crate::presentation::circuit::PresentationCircuit;
use crate::qap::SnarkjsQap;
use crate::r1cs::R1cs;

/// Version of the key file format.
const KEY_FILE_MAGIC: &[u8; 8] = b"NETIDG16";
const KEY_FILE_VERSION: u8 = 2;

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

    /// Whether this is the verifying key of netid's development setup ([`DEV_SEED`]), whose
    /// trapdoor is public: a verifier that accepts it accepts forged proofs.
    pub fn is_development(&self) -> bool {
        static DEV: OnceLock<(ark_bn254::G1Affine, ark_bn254::G2Affine)> = OnceLock::new();
        let (alpha, delta) = DEV.get_or_init(|| {
            use ark_ec::{CurveGroup, PrimeGroup};
            let t = development_trapdoor(DEV_SEED);
            (
                (G1Projective::generator() * t.alpha).into_affine(),
                (G2Projective::generator() * t.delta).into_affine(),
            )
        });
        self.vk.alpha_g1 == *alpha || self.vk.delta_g2 == *delta
    }

    /// SHA-256 of the canonical verifying-key bytes: what verifiers pin and operators compare.
    pub fn fingerprint(&self) -> Result<[u8; 32]> {
        Ok(Sha256::digest(self.to_bytes()?).into())
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

/// Where a proving key comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setup {
    /// [`ProvingKeys::dev_setup`] from a public seed (the SHA-256 digest recorded here): anyone
    /// can recompute its trapdoor and forge proofs. Tests, the demo and benchmarks only.
    Development {
        /// Digest of the seed.
        seed_digest: [u8; 32],
    },
    /// Imported from the `.zkey` of a phase-2 ceremony (its SHA-256 recorded here).
    Ceremony {
        /// SHA-256 of the imported `.zkey` file.
        zkey_sha256: [u8; 32],
    },
}

impl Setup {
    /// `"development"` or `"ceremony"` (as issuer metadata names it).
    pub fn name(&self) -> &'static str {
        match self {
            Setup::Development { .. } => "development",
            Setup::Ceremony { .. } => "ceremony",
        }
    }
}

/// The toxic waste of a Groth16 setup: whoever knows `β, γ, δ` can make a proof that verifies
/// for any public inputs ([`crate::dev::forge_proof`]; verifier/tests/forgery.rs). For
/// development keys it is derived from the public seed by [`development_trapdoor`]; a
/// ceremony's is never known to anyone as long as one party destroyed their share.
#[derive(Clone)]
pub struct Trapdoor {
    /// α.
    pub alpha: Fr,
    /// β.
    pub beta: Fr,
    /// γ.
    pub gamma: Fr,
    /// δ.
    pub delta: Fr,
}

impl core::fmt::Debug for Trapdoor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Trapdoor(<redacted>)")
    }
}

impl Drop for Trapdoor {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.alpha.zeroize();
        self.beta.zeroize();
        self.gamma.zeroize();
        self.delta.zeroize();
    }
}

fn dev_rng(seed: &[u8]) -> ChaCha20Rng {
    ChaCha20Rng::from_seed(seed_digest(seed))
}

/// The trapdoor of the development setup for `seed`: public by construction, since the seed is.
pub fn development_trapdoor(seed: &[u8]) -> Trapdoor {
    trapdoor_from(&mut dev_rng(seed))
}

fn trapdoor_from(rng: &mut ChaCha20Rng) -> Trapdoor {
    use ark_ff::UniformRand;
    let mut nonzero = || loop {
        let x = Fr::rand(rng);
        if !x.is_zero() {
            break x;
        }
    };
    Trapdoor {
        alpha: nonzero(),
        beta: nonzero(),
        gamma: nonzero(),
        delta: nonzero(),
    }
}

/// Proving key plus verifier key, and where they come from.
#[derive(Clone)]
pub struct ProvingKeys {
    pk: ProvingKey<Bn254>,
    verifier: VerifierKey,
    setup: Setup,
}

impl core::fmt::Debug for ProvingKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "ProvingKeys({:?}, {})", self.verifier, self.setup.name())
    }
}

/// Length of a key file's header (magic, version, circuit fingerprint, setup, checksum).
const KEY_FILE_HEADER: usize = 8 + 1 + 32 + 1 + 32 + 32;

/// The file name of the imported ceremony key inside a key directory
/// (`netid-circuits import-zkey --out DIR`, `netid-issuer --groth16-keys DIR`).
pub const CEREMONY_KEY_FILE: &str = "presentation.key";

impl ProvingKeys {
    /// The deterministic development setup from `seed` (public: for tests, demo, benchmarks).
    ///
    /// The keys follow snarkjs's QAP convention ([`crate::qap::SnarkjsQap`]) and its standard
    /// generators, exactly like a key imported from a ceremony, so one prover serves both.
    pub fn dev_setup(seed: &[u8]) -> Result<ProvingKeys> {
        use ark_ec::PrimeGroup;
        let mut rng = dev_rng(seed);
        let t = trapdoor_from(&mut rng);
        let pk = Groth16::<Bn254, SnarkjsQap>::generate_parameters_with_qap(
            PresentationCircuit::default(),
            t.alpha,
            t.beta,
            t.gamma,
            t.delta,
            G1Projective::generator(),
            G2Projective::generator(),
            &mut rng,
        )
        .map_err(|e| CircuitError::Keys(format!("setup failed: {e}")))?;
        let verifier = VerifierKey::new(pk.vk.clone());
        Ok(ProvingKeys {
            pk,
            verifier,
            setup: Setup::Development {
                seed_digest: seed_digest(seed),
            },
        })
    }

    /// Imports a snarkjs Groth16 `.zkey` (the final key of a phase-2 ceremony on the circuit
    /// `netid-circuits export-r1cs` writes): every point validated, sizes, public-input count
    /// and every constraint checked against netid's presentation circuit ([`crate::zkey`]).
    pub fn from_zkey(bytes: &[u8]) -> Result<ProvingKeys> {
        let pk = crate::zkey::read_zkey(bytes, R1cs::presentation()?)?;
        let verifier = VerifierKey::new(pk.vk.clone());
        Ok(ProvingKeys {
            pk,
            verifier,
            setup: Setup::Ceremony {
                zkey_sha256: Sha256::digest(bytes).into(),
            },
        })
    }

    /// The proving key.
    pub fn pk(&self) -> &ProvingKey<Bn254> {
        &self.pk
    }

    /// The verifier key.
    pub fn verifier(&self) -> &VerifierKey {
        &self.verifier
    }

    /// Where the keys come from.
    pub fn setup(&self) -> Setup {
        self.setup
    }

    /// Key file bytes: `"NETIDG16" ‖ version 2 ‖ circuit fingerprint (32) ‖ setup (1: development,
    /// 2: ceremony) ‖ seed digest or `.zkey` SHA-256 (32) ‖ SHA-256(everything before it ‖ body)
    /// (32) ‖ body`, body = the proving key, uncompressed. The checksum covers the setup's
    /// provenance as well as the key.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut body = Vec::new();
        self.pk
            .serialize_uncompressed(&mut body)
            .map_err(|e| CircuitError::Keys(format!("serializing the proving key: {e}")))?;
        let mut out = Vec::with_capacity(body.len() + KEY_FILE_HEADER);
        out.extend_from_slice(KEY_FILE_MAGIC);
        out.push(KEY_FILE_VERSION);
        out.extend_from_slice(&circuit_fingerprint()?);
        match self.setup {
            Setup::Development { seed_digest } => {
                out.push(1);
                out.extend_from_slice(&seed_digest);
            }
            Setup::Ceremony { zkey_sha256 } => {
                out.push(2);
                out.extend_from_slice(&zkey_sha256);
            }
        }
        let sum = Sha256::new()
            .chain_update(&out)
            .chain_update(&body)
            .finalize();
        out.extend_from_slice(&sum);
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Checks a key file's header (magic, version, that the key is for this circuit, the
    /// checksum over the whole file) and returns its setup and body.
    fn parse_header(bytes: &[u8]) -> Result<(Setup, &[u8])> {
        let bad = |r: &str| CircuitError::encoding("proving key file", r.to_string());
        if bytes.len() < KEY_FILE_HEADER || &bytes[..8] != KEY_FILE_MAGIC {
            return Err(bad("not a netid Groth16 key file"));
        }
        if bytes[8] != KEY_FILE_VERSION {
            return Err(bad("unsupported version (made by another netid version?)"));
        }
        if bytes[9..41] != circuit_fingerprint()? {
            return Err(bad("the key is for another circuit"));
        }
        let mut provenance = [0u8; 32];
        provenance.copy_from_slice(&bytes[42..74]);
        let setup = match bytes[41] {
            1 => Setup::Development {
                seed_digest: provenance,
            },
            2 => Setup::Ceremony {
                zkey_sha256: provenance,
            },
            _ => return Err(bad("unknown setup kind")),
        };
        let body = &bytes[KEY_FILE_HEADER..];
        let sum = Sha256::new()
            .chain_update(&bytes[..74])
            .chain_update(body)
            .finalize();
        if sum[..] != bytes[74..KEY_FILE_HEADER] {
            return Err(bad("checksum mismatch (file corrupted)"));
        }
        Ok((setup, body))
    }

    /// Loads key file bytes, checking magic, version, that the key is for this circuit, the
    /// checksum, and every point (on curve, in subgroup).
    pub fn from_bytes(bytes: &[u8]) -> Result<ProvingKeys> {
        let bad = |r: &str| CircuitError::encoding("proving key file", r.to_string());
        let (setup, body) = ProvingKeys::parse_header(bytes)?;
        let pk = ProvingKey::<Bn254>::deserialize_with_mode(body, Compress::No, Validate::Yes)
            .map_err(|e| bad(&e.to_string()))?;
        let verifier = VerifierKey::new(pk.vk.clone());
        Ok(ProvingKeys {
            pk,
            verifier,
            setup,
        })
    }

    /// Reads and validates a key file. A missing, unreadable or invalid file is an error that
    /// names it: keys are never silently replaced.
    pub fn load(path: &Path) -> Result<ProvingKeys> {
        let bytes = std::fs::read(path).map_err(|source| CircuitError::Io {
            path: path.display().to_string(),
            source,
        })?;
        ProvingKeys::from_bytes(&bytes).map_err(|e| {
            CircuitError::Keys(format!(
                "{}: {e} (remove or replace the file; it is never overwritten)",
                path.display()
            ))
        })
    }

    /// Reads only the verifying key of a key file: the header and the checksum over the whole
    /// file are checked as by [`ProvingKeys::load`], and the verifying key's points (on curve, in
    /// subgroup), but the proving key's points are not decoded. What a service that verifies and
    /// never proves needs (the issuer starts in a fraction of the time).
    pub fn load_verifier(path: &Path) -> Result<(Setup, VerifierKey)> {
        let bytes = std::fs::read(path).map_err(|source| CircuitError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let named = |e: CircuitError| {
            CircuitError::Keys(format!(
                "{}: {e} (remove or replace the file; it is never overwritten)",
                path.display()
            ))
        };
        let (setup, body) = ProvingKeys::parse_header(&bytes).map_err(named)?;
        // The proving key's serialization starts with its verifying key.
        let vk = VerifyingKey::<Bn254>::deserialize_with_mode(body, Compress::No, Validate::Yes)
            .map_err(|e| named(CircuitError::encoding("proving key file", e.to_string())))?;
        Ok((setup, VerifierKey::new(vk)))
    }

    /// Writes the key file at `path` atomically (temp file + rename), creating the directory.
    /// Refuses to replace an existing file.
    pub fn save(&self, path: &Path) -> Result<()> {
        let io = |source| CircuitError::Io {
            path: path.display().to_string(),
            source,
        };
        if path.exists() {
            return Err(CircuitError::Keys(format!(
                "{} exists; not overwriting a key file",
                path.display()
            )));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, self.to_bytes()?).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)?;
        Ok(())
    }

    /// Loads the ceremony keys that `netid-circuits import-zkey --out DIR` wrote
    /// ([`CEREMONY_KEY_FILE`] in `dir`); refuses development keys.
    pub fn load_ceremony(dir: &Path) -> Result<ProvingKeys> {
        let path = dir.join(CEREMONY_KEY_FILE);
        let keys = ProvingKeys::load(&path)?;
        if !matches!(keys.setup, Setup::Ceremony { .. }) || keys.verifier.is_development() {
            return Err(CircuitError::Keys(format!(
                "{}: holds development keys, not a ceremony's",
                path.display()
            )));
        }
        Ok(keys)
    }

    /// The verifying key of the ceremony keys in `dir` ([`ProvingKeys::load_ceremony`]'s
    /// checks, without decoding the proving key).
    pub fn load_ceremony_verifier(dir: &Path) -> Result<VerifierKey> {
        let path = dir.join(CEREMONY_KEY_FILE);
        let (setup, verifier) = ProvingKeys::load_verifier(&path)?;
        if !matches!(setup, Setup::Ceremony { .. }) || verifier.is_development() {
            return Err(CircuitError::Keys(format!(
                "{}: holds development keys, not a ceremony's",
                path.display()
            )));
        }
        Ok(verifier)
    }

    /// The verifying key of the development keys for `seed` in `dir`
    /// ([`ProvingKeys::load_or_dev_setup`], which runs when the file is absent).
    pub fn load_or_dev_setup_verifier(dir: &Path, seed: &[u8]) -> Result<VerifierKey> {
        let path = dev_key_path(dir, seed)?;
        if !path.exists() {
            return Ok(ProvingKeys::load_or_dev_setup(dir, seed)?.verifier);
        }
        let (setup, verifier) = ProvingKeys::load_verifier(&path)?;
        if setup
            != (Setup::Development {
                seed_digest: seed_digest(seed),
            })
        {
            return Err(CircuitError::Keys(format!(
                "{}: not the development keys of this seed",
                path.display()
            )));
        }
        Ok(verifier)
    }

    /// Loads the development keys for `seed` from the cache directory `dir`, creating them
    /// (and the directory) when the file is absent. An existing file that does not load is an
    /// error naming it, never regenerated over.
    pub fn load_or_dev_setup(dir: &Path, seed: &[u8]) -> Result<ProvingKeys> {
        let path = dev_key_path(dir, seed)?;
        if path.exists() {
            let keys = ProvingKeys::load(&path)?;
            if keys.setup
                != (Setup::Development {
                    seed_digest: seed_digest(seed),
                })
            {
                return Err(CircuitError::Keys(format!(
                    "{}: not the development keys of this seed",
                    path.display()
                )));
            }
            return Ok(keys);
        }
        let keys = ProvingKeys::dev_setup(seed)?;
        match keys.save(&path) {
            Ok(()) => Ok(keys),
            // Another process created it meanwhile: use theirs (it must load).
            Err(CircuitError::Keys(_)) if path.exists() => ProvingKeys::load(&path),
            Err(e) => Err(e),
        }
    }
}

/// Where the development keys of `seed` are cached in `dir`.
fn dev_key_path(dir: &Path, seed: &[u8]) -> Result<PathBuf> {
    Ok(dir.join(format!(
        "presentation-dev-{}-{}.key",
        &hex::encode(circuit_fingerprint()?)[..16],
        &hex::encode(seed_digest(seed))[..16]
    )))
}

/// The development seed used by the demo, the CLI and tests.
pub const DEV_SEED: &[u8] = b"netid development keys: NOT FOR PRODUCTION";

/// The default key cache directory (see the module docs): `None` when none of
/// `$NETID_KEY_DIR`, `$XDG_DATA_HOME` and `$HOME` is set (there is no fallback to a shared
/// temporary directory, where anyone could plant keys).
pub fn default_key_dir() -> Option<PathBuf> {
    let nonempty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(d) = nonempty("NETID_KEY_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = nonempty("XDG_DATA_HOME") {
        return Some(PathBuf::from(d).join("netid").join("groth16"));
    }
    nonempty("HOME").map(|h| PathBuf::from(h).join(".local/share/netid/groth16"))
}

/// [`default_key_dir`], or an error saying what to set.
pub fn default_key_dir_or_err() -> Result<PathBuf> {
    default_key_dir().ok_or_else(|| {
        CircuitError::Keys("no key directory: set NETID_KEY_DIR (or XDG_DATA_HOME or HOME)".into())
    })
}

fn seed_digest(seed: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(dst::groth16::DEV_SETUP);
    h.update(seed);
    h.finalize().into()
}

/// The circuit's fingerprint: SHA-256 over its `.r1cs` export ([`R1cs::fingerprint`]); changes
/// whenever the circuit does.
pub fn circuit_fingerprint() -> Result<[u8; 32]> {
    static FP: OnceLock<[u8; 32]> = OnceLock::new();
    if let Some(fp) = FP.get() {
        return Ok(*fp);
    }
    let fp = R1cs::presentation()?.fingerprint();
    Ok(*FP.get_or_init(|| fp))
}
