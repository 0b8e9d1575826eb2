//! Presentation requests: proof suites, statements, the request, its canonical bytes and hash.

use core::fmt;
use core::str::FromStr;

use sha2::{Digest as _, Sha256};

use crate::codec::put_len_prefixed;
use crate::{age_cutoff, b64::Bytes, dst, AssuranceLevel, AttributeSet, Audience, CoreError, Date};

/// Version of the request and presentation formats defined here.
pub const FORMAT_VERSION: u16 = 1;
/// Longest `app_id` in bytes.
pub const MAX_APP_ID_LEN: usize = 128;
/// Longest app certificate in bytes.
pub const MAX_APP_CERTIFICATE_LEN: usize = 8192;
/// Longest request signature in bytes.
pub const MAX_SIGNATURE_LEN: usize = 1024;
/// Longest `response_uri` in bytes.
pub const MAX_RESPONSE_URI_LEN: usize = 512;

/// A proof suite.
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize, serde::Deserialize,
)]
pub enum Suite {
    /// BBS, ciphersuite BLS12-381-SHA-256, with the netid extensions. Code 1.
    #[serde(rename = "bbs-sha256")]
    BbsSha256,
    /// BBS, ciphersuite BLS12-381-SHAKE-256, with the netid extensions. Code 2.
    #[serde(rename = "bbs-shake256")]
    BbsShake256,
    /// Groth16 on BN254 with EdDSA-Poseidon issuer signatures. Code 3.
    #[serde(rename = "groth16")]
    Groth16,
}

impl Suite {
    /// All suites, by code.
    pub const ALL: [Suite; 3] = [Suite::BbsSha256, Suite::BbsShake256, Suite::Groth16];

    /// The name used in JSON (`"bbs-sha256"`, `"bbs-shake256"`, `"groth16"`).
    pub const fn name(self) -> &'static str {
        match self {
            Suite::BbsSha256 => "bbs-sha256",
            Suite::BbsShake256 => "bbs-shake256",
            Suite::Groth16 => "groth16",
        }
    }

    /// The code used in canonical bytes (1, 2, 3).
    pub const fn code(self) -> u8 {
        match self {
            Suite::BbsSha256 => 1,
            Suite::BbsShake256 => 2,
            Suite::Groth16 => 3,
        }
    }

    /// The suite with `code`.
    ///
    /// # Errors
    /// [`CoreError::UnknownSuite`].
    pub fn from_code(code: u8) -> Result<Suite, CoreError> {
        Suite::ALL
            .into_iter()
            .find(|s| s.code() == code)
            .ok_or_else(|| CoreError::UnknownSuite(format!("code {code}")))
    }
}

impl fmt::Display for Suite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Suite {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Suite, CoreError> {
        Suite::ALL
            .into_iter()
            .find(|x| x.name() == s)
            .ok_or_else(|| CoreError::UnknownSuite(s.chars().take(64).collect()))
    }
}

/// A request nonce: 32 bytes chosen uniformly at random by the verifier. Public. JSON:
/// base64url; `Debug`: hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Nonce(#[serde(with = "crate::b64::array")] [u8; 32]);

impl Nonce {
    /// Wraps 32 bytes (from a CSPRNG: netid-core does no I/O and has no RNG).
    pub const fn new(bytes: [u8; 32]) -> Nonce {
        Nonce(bytes)
    }

    /// The 32 bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Copies a nonce from a slice.
    ///
    /// # Errors
    /// [`CoreError::InvalidLength`] unless `bytes.len() == 32`.
    pub fn from_slice(bytes: &[u8]) -> Result<Nonce, CoreError> {
        <[u8; 32]>::try_from(bytes)
            .map(Nonce)
            .map_err(|_| CoreError::InvalidLength {
                what: "nonce",
                expected: 32,
                actual: bytes.len(),
            })
    }
}

impl fmt::Debug for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nonce({})", hex::encode(self.0))
    }
}

/// What a request asks the holder to prove. Canonical: every combination has exactly one value
/// and one byte encoding ([`Statements::to_bytes`]).
///
/// * `age_at_least: Some(n)`: age ≥ n on `today`, i.e. `birthdate <= age_cutoff(today, n)`;
/// * `assurance_at_least: Some(k)`: `assurance >= k`;
/// * `disclose`: attributes revealed in the clear (never `nym`; for apps, see
///   [`Attribute::is_disclosable_to`](crate::Attribute::is_disclosable_to));
/// * `pseudonym`: a per-app pseudonym derived from `nym` and the app id;
/// * `not_expired`: `expiry >= today`.
///
/// JSON: all fields are written; on input, missing optional fields mean "not asked".
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statements {
    /// The verifier's civil date, against which age and expiry are evaluated.
    pub today: Date,
    /// Minimum age in full years (1..=255).
    #[serde(default)]
    pub age_at_least: Option<u8>,
    /// Minimum assurance level.
    #[serde(default)]
    pub assurance_at_least: Option<AssuranceLevel>,
    /// Attributes to disclose.
    #[serde(default)]
    pub disclose: AttributeSet,
    /// Whether a per-app pseudonym is asked for.
    #[serde(default)]
    pub pseudonym: bool,
    /// Whether `expiry >= today` is to be proven.
    #[serde(default)]
    pub not_expired: bool,
}

impl Statements {
    /// Length of [`Statements::to_bytes`] at most.
    pub const MAX_ENCODED_LEN: usize = 4 + 2 + 2 + 2 + 1 + 1;

    /// Nothing asked, evaluated on `today`.
    pub const fn new(today: Date) -> Statements {
        Statements {
            today,
            age_at_least: None,
            assurance_at_least: None,
            disclose: AttributeSet::EMPTY,
            pseudonym: false,
            not_expired: false,
        }
    }

    /// The birthdate cutoff, `age_cutoff(today, n)`, if an age is asked.
    ///
    /// # Errors
    /// [`CoreError::AgeCutoffOutOfRange`].
    pub fn age_cutoff(&self) -> Result<Option<Date>, CoreError> {
        self.age_at_least
            .map(|n| age_cutoff(self.today, n.into()))
            .transpose()
    }

    /// Checks the statements for `audience`: an asked age is ≥ 1 and its cutoff is a supported
    /// date, and every disclosed attribute may be disclosed to `audience`.
    ///
    /// # Errors
    /// [`CoreError::InvalidStatements`], [`CoreError::AgeCutoffOutOfRange`],
    /// [`CoreError::NotDisclosable`].
    pub fn validate(&self, audience: Audience) -> Result<(), CoreError> {
        if self.age_at_least == Some(0) {
            return Err(CoreError::InvalidStatements(
                "age_at_least must be at least 1",
            ));
        }
        self.age_cutoff()?;
        self.disclose.check_disclosable(audience)
    }

    /// Canonical bytes:
    /// `u32_be(today) ‖ opt(age_at_least) ‖ opt(assurance_at_least) ‖ u16_be(disclose bits) ‖
    /// u8(pseudonym) ‖ u8(not_expired)`, where `opt(None) = 0x00`, `opt(Some(v)) = 0x01 ‖ u8(v)`
    /// and bit `i` of the disclose bits is set iff the attribute with index `i` is disclosed.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Statements::MAX_ENCODED_LEN);
        self.write_bytes(&mut out);
        out
    }

    fn write_bytes(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.today.days().to_be_bytes());
        for opt in [
            self.age_at_least,
            self.assurance_at_least.map(AssuranceLevel::level),
        ] {
            match opt {
                None => out.push(0),
                Some(v) => out.extend_from_slice(&[1, v]),
            }
        }
        out.extend_from_slice(&self.disclose.bits().to_be_bytes());
        out.push(u8::from(self.pseudonym));
        out.push(u8::from(self.not_expired));
    }
}

/// A verifier's request for a presentation, signed by the app's key.
///
/// JSON: byte fields (`nonce`, `app_certificate`, `signature`) are base64url without padding.
///
/// ```
/// use netid_core::{Date, Nonce, PresentationRequest, Statements, Suite};
/// let mut statements = Statements::new(Date::from_ymd(2026, 3, 1)?);
/// statements.age_at_least = Some(18);
/// let request = PresentationRequest {
///     version: 1,
///     app_id: "cn.example.shop".into(),
///     nonce: Nonce::new([7; 32]),
///     expires_at: 1_772_323_200,
///     statements,
///     suites: vec![Suite::BbsSha256, Suite::Groth16],
///     app_certificate: vec![1, 2, 3].into(),
///     response_uri: Some("https://verify.shop.example/v1/presentations".into()),
///     signature: vec![].into(),
/// };
/// request.validate(netid_core::Audience::App)?;
/// let to_sign = request.signing_bytes(); // the app signs these
/// assert!(to_sign.starts_with(b"\0\0\0\x10netid/v1/request"));
/// let json = serde_json::to_string(&request).unwrap();
/// assert_eq!(serde_json::from_str::<PresentationRequest>(&json).unwrap(), request);
/// # Ok::<(), netid_core::CoreError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresentationRequest {
    /// Format version; [`FORMAT_VERSION`].
    pub version: u16,
    /// The requesting app's id, as in its app certificate: 1..=128 bytes of printable ASCII
    /// (0x21..=0x7E).
    pub app_id: String,
    /// Fresh random nonce.
    pub nonce: Nonce,
    /// Unix time (seconds) from which the request is no longer answered.
    pub expires_at: u64,
    /// What is asked.
    pub statements: Statements,
    /// Accepted suites in order of preference; non-empty, no repeats.
    pub suites: Vec<Suite>,
    /// The app certificate issued by the platform's app registry (opaque here).
    pub app_certificate: Bytes,
    /// Where the wallet posts its answer (an absolute `https://` or `http://` URL, at most
    /// [`MAX_RESPONSE_URI_LEN`] bytes of printable ASCII, no fragment). It is signed: a wallet
    /// posts the answer there and nowhere else, so whoever relays the request (a QR code, a
    /// web page) cannot redirect the presentation. Absent: the request is answered in-band by
    /// the party that handed it over (the issuer's guardian request); a wallet never posts such
    /// a request's answer on its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_uri: Option<String>,
    /// The app's signature over [`signing_bytes`](Self::signing_bytes) (opaque here).
    pub signature: Bytes,
}

/// Checks a `response_uri`: 1..=[`MAX_RESPONSE_URI_LEN`] bytes of printable ASCII, `https://`
/// or `http://` followed by a host, no fragment.
fn check_response_uri(uri: &str) -> Result<(), CoreError> {
    if uri.is_empty() || uri.len() > MAX_RESPONSE_URI_LEN {
        return Err(CoreError::InvalidRequest(
            "response_uri must be 1..=512 bytes",
        ));
    }
    if !uri.bytes().all(|b| b.is_ascii_graphic()) || uri.contains('#') {
        return Err(CoreError::InvalidRequest(
            "response_uri must be printable ASCII without a fragment",
        ));
    }
    let rest = uri
        .strip_prefix("https://")
        .or_else(|| uri.strip_prefix("http://"))
        .ok_or(CoreError::InvalidRequest(
            "response_uri must be an https:// or http:// URL",
        ))?;
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    if host.is_empty() || host.contains('@') {
        return Err(CoreError::InvalidRequest(
            "response_uri must name a host (and no user)",
        ));
    }
    Ok(())
}

impl PresentationRequest {
    /// Checks the format: version, app id, suites, field sizes, and the statements for
    /// `audience` ([`Statements::validate`]). Does not check the certificate or the signature.
    ///
    /// # Errors
    /// [`CoreError::UnsupportedVersion`], [`CoreError::InvalidRequest`], or a statements error.
    pub fn validate(&self, audience: Audience) -> Result<(), CoreError> {
        if self.version != FORMAT_VERSION {
            return Err(CoreError::UnsupportedVersion {
                what: "request",
                version: self.version,
            });
        }
        if self.app_id.is_empty() || self.app_id.len() > MAX_APP_ID_LEN {
            return Err(CoreError::InvalidRequest("app_id must be 1..=128 bytes"));
        }
        if !self.app_id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(CoreError::InvalidRequest("app_id must be printable ASCII"));
        }
        if self.suites.is_empty() {
            return Err(CoreError::InvalidRequest("no suite accepted"));
        }
        if self.statements.pseudonym && self.suites.len() != 1 {
            // One pseudonym per person per app: in several suites a person would have several.
            return Err(CoreError::InvalidRequest(
                "a request for a pseudonym accepts exactly one suite",
            ));
        }
        for (i, s) in self.suites.iter().enumerate() {
            if self.suites[..i].contains(s) {
                return Err(CoreError::InvalidRequest("repeated suite"));
            }
        }
        if self.app_certificate.len() > MAX_APP_CERTIFICATE_LEN {
            return Err(CoreError::InvalidRequest(
                "app certificate longer than 8192 bytes",
            ));
        }
        if self.signature.len() > MAX_SIGNATURE_LEN {
            return Err(CoreError::InvalidRequest(
                "signature longer than 1024 bytes",
            ));
        }
        if let Some(uri) = &self.response_uri {
            check_response_uri(uri)?;
        }
        self.statements.validate(audience)
    }

    /// Whether the request has expired at Unix time `now` (`now >= expires_at`).
    pub const fn is_expired_at(&self, now: u64) -> bool {
        now >= self.expires_at
    }

    /// The canonical bytes the app signs (everything but the signature):
    ///
    /// ```text
    /// u32_be(16) ‖ "netid/v1/request"
    /// ‖ u16_be(version)
    /// ‖ u32_be(len(app_id)) ‖ app_id
    /// ‖ nonce (32 bytes)
    /// ‖ u64_be(expires_at)
    /// ‖ statements (Statements::to_bytes)
    /// ‖ u8(len(suites)) ‖ suite codes (one byte each, in order)
    /// ‖ u32_be(len(app_certificate)) ‖ app_certificate
    /// ‖ 0x00                                            (no response_uri)
    ///   or 0x01 ‖ u32_be(len(response_uri)) ‖ response_uri
    /// ```
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            4 + dst::REQUEST.len()
                + 2
                + 4
                + self.app_id.len()
                + 32
                + 8
                + Statements::MAX_ENCODED_LEN
                + 1
                + self.suites.len()
                + 4
                + self.app_certificate.len()
                + 5
                + self.response_uri.as_ref().map_or(0, String::len),
        );
        put_len_prefixed(&mut out, dst::REQUEST);
        out.extend_from_slice(&self.version.to_be_bytes());
        put_len_prefixed(&mut out, self.app_id.as_bytes());
        out.extend_from_slice(self.nonce.as_bytes());
        out.extend_from_slice(&self.expires_at.to_be_bytes());
        self.statements.write_bytes(&mut out);
        // validate() bounds the number of suites to 3 distinct ones.
        out.push(u8::try_from(self.suites.len()).unwrap_or(u8::MAX));
        out.extend(self.suites.iter().map(|s| s.code()));
        put_len_prefixed(&mut out, &self.app_certificate);
        match &self.response_uri {
            None => out.push(0),
            Some(uri) => {
                out.push(1);
                put_len_prefixed(&mut out, uri.as_bytes());
            }
        }
        out
    }

    /// `SHA-256(u32_be(21) ‖ "netid/v1/request-hash" ‖ signing_bytes)`: binds a presentation to
    /// this request (it goes into both suites' proofs).
    pub fn request_hash(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        dst::update_len_prefixed(&mut h, dst::REQUEST_HASH);
        h.update(self.signing_bytes());
        h.finalize().into()
    }
}
