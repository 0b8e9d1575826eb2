//! App certificates and signed presentation requests (specs/protocol.md §3).
//!
//! The issuer's app registry signs, for each registered app, an [`AppCertificate`]: the app's id,
//! name, category, what it may ask for ([`AppPolicy`]) and its Ed25519 request-signing key. An app
//! embeds its certificate in every [`PresentationRequest`] and signs the request with that key;
//! a wallet checks both signatures and that every statement asked is within the policy
//! ([`verify_request`]) before it shows the consent screen.
//!
//! Canonical certificate bytes (all integers big-endian, `lp(x) = u32(len) ‖ x`):
//!
//! ```text
//! body = lp("netid/v1/app-certificate") ‖ u16(version = 2) ‖ lp(app_id) ‖ lp(name)
//!        ‖ lp(category) ‖ u16(disclose bits) ‖ u8(predicate bits) ‖ u8(pseudonym suite)
//!        ‖ app_key (32) ‖ u64(not_after, unix s)
//! certificate = body ‖ Ed25519_issuer(body) (64)
//! ```
//!
//! Predicate bits: 1 age, 2 assurance, 4 pseudonym, 8 not-expired. The pseudonym suite is the
//! suite code ([`Suite::code`]) in which the app receives pseudonyms, 0 when it may not ask for
//! one: a person has one pseudonym per app, not one per suite (specs/protocol.md §3.3). Version 1
//! certificates (without that byte) are refused: their apps register again.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::codec::put_len_prefixed;
use crate::{dst, AttributeSet, Audience, CoreError, PresentationRequest, Statements, Suite};

/// Version of the certificate format.
pub const APP_CERT_VERSION: u16 = 2;
/// Longest app name in bytes.
pub const MAX_APP_NAME_LEN: usize = 256;
/// Longest category in bytes.
pub const MAX_CATEGORY_LEN: usize = 64;

const PRED_AGE: u8 = 1;
const PRED_ASSURANCE: u8 = 2;
const PRED_PSEUDONYM: u8 = 4;
const PRED_NOT_EXPIRED: u8 = 8;

/// What an app may ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppPolicy {
    /// Attributes it may ask to see.
    #[serde(default)]
    pub disclose: AttributeSet,
    /// May ask "age at least N".
    #[serde(default)]
    pub age: bool,
    /// May ask "assurance at least L".
    #[serde(default)]
    pub assurance: bool,
    /// May ask for a pseudonym.
    #[serde(default)]
    pub pseudonym: bool,
    /// The one suite in which the app receives pseudonyms; set (by the registry, at
    /// registration) exactly when `pseudonym` is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pseudonym_suite: Option<Suite>,
    /// May ask "not expired".
    #[serde(default)]
    pub not_expired: bool,
}

impl AppPolicy {
    fn bits(&self) -> u8 {
        (if self.age { PRED_AGE } else { 0 })
            | (if self.assurance { PRED_ASSURANCE } else { 0 })
            | (if self.pseudonym { PRED_PSEUDONYM } else { 0 })
            | (if self.not_expired {
                PRED_NOT_EXPIRED
            } else {
                0
            })
    }

    /// Whether `pseudonym` and `pseudonym_suite` agree (both set or both unset).
    fn check_pseudonym_suite(&self) -> Result<(), CoreError> {
        if self.pseudonym != self.pseudonym_suite.is_some() {
            return Err(CoreError::InvalidAppCertificate(
                "a policy that allows pseudonyms names exactly one pseudonym suite",
            ));
        }
        Ok(())
    }

    /// Whether a request accepting `suites` may ask for a pseudonym: the policy allows
    /// pseudonyms and `suites` is exactly its pseudonym suite (one pseudonym per person per app).
    pub fn pseudonym_in(&self, suites: &[Suite]) -> bool {
        self.pseudonym && self.pseudonym_suite.is_some_and(|s| suites == [s])
    }

    /// Checks that a request with `statements`, accepting `suites`, asks nothing outside this
    /// policy. A request for a pseudonym must accept exactly the policy's pseudonym suite, so
    /// that a person has one pseudonym per app.
    ///
    /// # Errors
    /// [`CoreError::NotAllowed`] naming the first statement outside the policy.
    pub fn allows(&self, statements: &Statements, suites: &[Suite]) -> Result<(), CoreError> {
        if statements.pseudonym && !self.pseudonym_in(suites) {
            return Err(CoreError::NotAllowed(
                if self.pseudonym && self.pseudonym_suite.is_some() {
                    "a pseudonym in a suite other than the one its certificate names"
                } else {
                    "a pseudonym"
                },
            ));
        }
        for a in statements.disclose.iter() {
            if !self.disclose.contains(a) {
                return Err(CoreError::NotAllowed("an attribute it may not see"));
            }
        }
        let checks = [
            (
                statements.age_at_least.is_some(),
                self.age,
                "an age statement",
            ),
            (
                statements.assurance_at_least.is_some(),
                self.assurance,
                "an assurance statement",
            ),
            (statements.pseudonym, self.pseudonym, "a pseudonym"),
            (
                statements.not_expired,
                self.not_expired,
                "a validity statement",
            ),
        ];
        for (asked, allowed, what) in checks {
            if asked && !allowed {
                return Err(CoreError::NotAllowed(what));
            }
        }
        Ok(())
    }
}

/// An app certificate signed by the issuer's app registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppCertificate {
    /// The app id (same rules as in requests: 1..=128 printable ASCII bytes).
    pub app_id: String,
    /// Display name shown to holders.
    pub name: String,
    /// Category (e.g. "shopping", "gaming").
    pub category: String,
    /// What the app may ask for.
    pub policy: AppPolicy,
    /// The app's Ed25519 request-signing key.
    pub app_key: [u8; 32],
    /// Expiry, unix seconds.
    pub not_after: u64,
    /// The registry's Ed25519 signature over the body.
    pub signature: [u8; 64],
}

fn check_text(s: &str, max: usize, what: &'static str) -> Result<(), CoreError> {
    if s.is_empty() || s.len() > max || s.chars().any(char::is_control) {
        return Err(CoreError::InvalidAppCertificate(what));
    }
    Ok(())
}

fn check_app_id(id: &str) -> Result<(), CoreError> {
    if id.is_empty() || id.len() > 128 || !id.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(CoreError::InvalidAppCertificate(
            "app id must be 1..=128 printable ASCII bytes",
        ));
    }
    Ok(())
}

impl AppCertificate {
    fn body(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128 + self.app_id.len() + self.name.len());
        put_len_prefixed(&mut out, dst::APP_CERTIFICATE);
        out.extend_from_slice(&APP_CERT_VERSION.to_be_bytes());
        put_len_prefixed(&mut out, self.app_id.as_bytes());
        put_len_prefixed(&mut out, self.name.as_bytes());
        put_len_prefixed(&mut out, self.category.as_bytes());
        out.extend_from_slice(&self.policy.disclose.bits().to_be_bytes());
        out.push(self.policy.bits());
        out.push(self.policy.pseudonym_suite.map_or(0, Suite::code));
        out.extend_from_slice(&self.app_key);
        out.extend_from_slice(&self.not_after.to_be_bytes());
        out
    }

    /// Issues a certificate (the registry's side).
    ///
    /// # Errors
    /// [`CoreError::InvalidAppCertificate`] for malformed fields.
    pub fn issue(
        registry_key: &SigningKey,
        app_id: &str,
        name: &str,
        category: &str,
        policy: AppPolicy,
        app_key: [u8; 32],
        not_after: u64,
    ) -> Result<AppCertificate, CoreError> {
        check_app_id(app_id)?;
        check_text(
            name,
            MAX_APP_NAME_LEN,
            "name must be 1..=256 bytes without control characters",
        )?;
        check_text(
            category,
            MAX_CATEGORY_LEN,
            "category must be 1..=64 bytes without control characters",
        )?;
        policy
            .disclose
            .check_disclosable(Audience::for_app_id(app_id))?;
        policy.check_pseudonym_suite()?;
        VerifyingKey::from_bytes(&app_key)
            .map_err(|_| CoreError::InvalidAppCertificate("app key is not an Ed25519 point"))?;
        let mut cert = AppCertificate {
            app_id: app_id.into(),
            name: name.into(),
            category: category.into(),
            policy,
            app_key,
            not_after,
            signature: [0; 64],
        };
        cert.signature = registry_key.sign(&cert.body()).to_bytes();
        Ok(cert)
    }

    /// Canonical bytes (what requests carry in `app_certificate`).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.body();
        out.extend_from_slice(&self.signature);
        out
    }

    /// Strict decoding (no trailing bytes, valid fields); does not check the signature.
    ///
    /// # Errors
    /// [`CoreError::InvalidAppCertificate`].
    pub fn from_bytes(bytes: &[u8]) -> Result<AppCertificate, CoreError> {
        let bad = CoreError::InvalidAppCertificate;
        let mut r = Reader(bytes);
        if r.lp()? != dst::APP_CERTIFICATE {
            return Err(bad("not an app certificate"));
        }
        if u16::from_be_bytes(r.array()?) != APP_CERT_VERSION {
            return Err(bad("unsupported version (register the app again)"));
        }
        let text = |b: &[u8]| String::from_utf8(b.to_vec()).map_err(|_| bad("text is not UTF-8"));
        let app_id = text(r.lp()?)?;
        let name = text(r.lp()?)?;
        let category = text(r.lp()?)?;
        let disclose_bits = u16::from_be_bytes(r.array()?);
        let pred: [u8; 1] = r.array()?;
        let pseudonym_suite = match r.array::<1>()?[0] {
            0 => None,
            code => Some(Suite::from_code(code).map_err(|_| bad("unknown pseudonym suite"))?),
        };
        let app_key: [u8; 32] = r.array()?;
        let not_after = u64::from_be_bytes(r.array()?);
        let signature: [u8; 64] = r.array()?;
        if !r.0.is_empty() {
            return Err(bad("trailing bytes"));
        }
        if pred[0] & !0x0f != 0 {
            return Err(bad("unknown predicate bits"));
        }
        let disclose =
            AttributeSet::from_bits(disclose_bits).map_err(|_| bad("unknown attribute bits"))?;
        check_app_id(&app_id)?;
        check_text(&name, MAX_APP_NAME_LEN, "bad name")?;
        check_text(&category, MAX_CATEGORY_LEN, "bad category")?;
        let policy = AppPolicy {
            disclose,
            age: pred[0] & PRED_AGE != 0,
            assurance: pred[0] & PRED_ASSURANCE != 0,
            pseudonym: pred[0] & PRED_PSEUDONYM != 0,
            pseudonym_suite,
            not_expired: pred[0] & PRED_NOT_EXPIRED != 0,
        };
        policy.check_pseudonym_suite()?;
        Ok(AppCertificate {
            app_id,
            name,
            category,
            policy,
            app_key,
            not_after,
            signature,
        })
    }

    /// Checks the registry's signature and the validity period.
    ///
    /// # Errors
    /// [`CoreError::InvalidAppCertificate`].
    pub fn verify(&self, registry: &VerifyingKey, now_unix: u64) -> Result<(), CoreError> {
        registry
            .verify_strict(&self.body(), &Signature::from_bytes(&self.signature))
            .map_err(|_| CoreError::InvalidAppCertificate("registry signature does not verify"))?;
        if now_unix > self.not_after {
            return Err(CoreError::InvalidAppCertificate("certificate expired"));
        }
        Ok(())
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CoreError> {
        if self.0.len() < n {
            return Err(CoreError::InvalidAppCertificate("truncated"));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], CoreError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn lp(&mut self) -> Result<&'a [u8], CoreError> {
        let n = u32::from_be_bytes(self.array()?) as usize;
        if n > 4096 {
            return Err(CoreError::InvalidAppCertificate("field too long"));
        }
        self.take(n)
    }
}

/// Signs a request with the app's key (sets `request.signature`).
pub fn sign_request(request: &mut PresentationRequest, app_key: &SigningKey) {
    request.signature = app_key
        .sign(&request.signing_bytes())
        .to_bytes()
        .to_vec()
        .into();
}

/// What a wallet checks before showing a request: the request is well-formed and not expired,
/// its certificate is signed by the registry, unexpired and for this app id, the request is
/// signed by the certified app key, and it asks nothing outside the app's policy. Returns the
/// certificate (for the consent screen: who asks).
///
/// # Errors
/// [`CoreError::InvalidRequest`], [`CoreError::InvalidAppCertificate`], [`CoreError::NotAllowed`]
/// and the statement errors of [`PresentationRequest::validate`].
pub fn verify_request(
    request: &PresentationRequest,
    registry: &VerifyingKey,
    now_unix: u64,
) -> Result<AppCertificate, CoreError> {
    request.validate(Audience::for_app_id(&request.app_id))?;
    if now_unix > request.expires_at {
        return Err(CoreError::InvalidRequest("request expired"));
    }
    let cert = AppCertificate::from_bytes(request.app_certificate.as_slice())?;
    cert.verify(registry, now_unix)?;
    if cert.app_id != request.app_id {
        return Err(CoreError::InvalidRequest(
            "app id differs from the certificate's",
        ));
    }
    let key = VerifyingKey::from_bytes(&cert.app_key)
        .map_err(|_| CoreError::InvalidAppCertificate("app key is not an Ed25519 point"))?;
    let sig: [u8; 64] = request
        .signature
        .as_slice()
        .try_into()
        .map_err(|_| CoreError::InvalidRequest("signature must be 64 bytes"))?;
    key.verify_strict(&request.signing_bytes(), &Signature::from_bytes(&sig))
        .map_err(|_| CoreError::InvalidRequest("app signature does not verify"))?;
    cert.policy.allows(&request.statements, &request.suites)?;
    Ok(cert)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{Attribute, Date, Nonce, Suite, FORMAT_VERSION};

    fn keys() -> (SigningKey, SigningKey) {
        (
            SigningKey::from_bytes(&[1; 32]),
            SigningKey::from_bytes(&[2; 32]),
        )
    }

    fn setup() -> (SigningKey, SigningKey, AppCertificate, PresentationRequest) {
        let (registry, app) = keys();
        let mut disclose = AttributeSet::new();
        disclose.insert(Attribute::GivenName);
        let policy = AppPolicy {
            disclose,
            age: true,
            pseudonym: true,
            pseudonym_suite: Some(Suite::Groth16),
            not_expired: true,
            assurance: false,
        };
        let cert = AppCertificate::issue(
            &registry,
            "shop.example",
            "示例商城",
            "shopping",
            policy,
            app.verifying_key().to_bytes(),
            2_000_000_000,
        )
        .unwrap();
        let mut statements = Statements::new(Date::from_ymd(2026, 11, 23).unwrap());
        statements.age_at_least = Some(18);
        statements.pseudonym = true;
        let mut req = PresentationRequest {
            version: FORMAT_VERSION,
            app_id: "shop.example".into(),
            nonce: Nonce::new([9; 32]),
            expires_at: 1_900_000_000,
            statements,
            suites: vec![Suite::Groth16],
            app_certificate: cert.to_bytes().into(),
            response_uri: None,
            signature: Vec::new().into(),
        };
        sign_request(&mut req, &app);
        (registry, app, cert, req)
    }

    #[test]
    fn round_trip_and_verify() {
        let (registry, _, cert, req) = setup();
        assert_eq!(AppCertificate::from_bytes(&cert.to_bytes()).unwrap(), cert);
        let got = verify_request(&req, &registry.verifying_key(), 1_800_000_000).unwrap();
        assert_eq!(got.name, "示例商城");
    }

    #[test]
    fn rejects_every_forgery() {
        let (registry, app, cert, req) = setup();
        let now = 1_800_000_000;
        let rk = registry.verifying_key();
        // Asking beyond the policy.
        let mut r = req.clone();
        r.statements.disclose.insert(Attribute::FamilyName);
        sign_request(&mut r, &app);
        assert!(matches!(
            verify_request(&r, &rk, now),
            Err(CoreError::NotAllowed(_))
        ));
        let mut r = req.clone();
        r.statements.assurance_at_least = Some(crate::AssuranceLevel::InPerson);
        sign_request(&mut r, &app);
        assert!(matches!(
            verify_request(&r, &rk, now),
            Err(CoreError::NotAllowed(_))
        ));
        // Altered after signing.
        let mut r = req.clone();
        r.statements.age_at_least = Some(16);
        assert!(verify_request(&r, &rk, now).is_err());
        // Signed by another key.
        let mut r = req.clone();
        sign_request(&mut r, &SigningKey::from_bytes(&[3; 32]));
        assert!(verify_request(&r, &rk, now).is_err());
        // Other registry, expired request, expired certificate, app id mismatch.
        assert!(
            verify_request(&req, &SigningKey::from_bytes(&[4; 32]).verifying_key(), now).is_err()
        );
        assert!(verify_request(&req, &rk, 1_950_000_000).is_err());
        let mut r = req.clone();
        r.app_id = "other.example".into();
        sign_request(&mut r, &app);
        assert!(verify_request(&r, &rk, now).is_err());
        // Tampered certificate bytes: every byte flip is rejected, never a panic.
        let bytes = cert.to_bytes();
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x40;
            let mut r = req.clone();
            r.app_certificate = b.into();
            sign_request(&mut r, &app);
            assert!(verify_request(&r, &rk, now).is_err(), "byte {i}");
        }
        for n in 0..bytes.len() {
            assert!(AppCertificate::from_bytes(&bytes[..n]).is_err());
        }
    }

    #[test]
    fn pseudonyms_in_the_certificates_suite_only() {
        let (registry, app, cert, req) = setup();
        let (rk, now) = (registry.verifying_key(), 1_800_000_000);
        // Another suite than the certificate's: refused, also when the certificate's is listed
        // beside it (and a request for a pseudonym never lists two).
        for suites in [
            vec![Suite::BbsSha256],
            vec![Suite::Groth16, Suite::BbsSha256],
        ] {
            let mut r = req.clone();
            r.suites = suites.clone();
            sign_request(&mut r, &app);
            assert!(verify_request(&r, &rk, now).is_err(), "{suites:?}");
        }
        let mut r = req.clone();
        r.suites = vec![Suite::Groth16, Suite::BbsSha256];
        assert!(matches!(
            r.validate(Audience::for_app_id(&r.app_id)),
            Err(CoreError::InvalidRequest(_))
        ));
        let mut r = req.clone();
        r.suites = vec![Suite::BbsShake256];
        assert!(matches!(
            cert.policy.allows(&r.statements, &r.suites),
            Err(CoreError::NotAllowed(_))
        ));
        // Without a pseudonym, any suites.
        let mut r = req.clone();
        r.statements.pseudonym = false;
        r.suites = Suite::ALL.to_vec();
        sign_request(&mut r, &app);
        verify_request(&r, &rk, now).unwrap();
        // A pseudonym policy without its suite (or a suite without the policy) is not issued.
        for (pseudonym, pseudonym_suite) in [(true, None), (false, Some(Suite::BbsSha256))] {
            let policy = AppPolicy {
                pseudonym,
                pseudonym_suite,
                ..AppPolicy::default()
            };
            assert!(issue_with(&registry, &app, policy).is_err());
        }
    }

    /// A certificate for `a.b` with `policy`.
    fn issue_with(
        registry: &SigningKey,
        app: &SigningKey,
        policy: AppPolicy,
    ) -> Result<AppCertificate, CoreError> {
        AppCertificate::issue(
            registry,
            "a.b",
            "n",
            "c",
            policy,
            app.verifying_key().to_bytes(),
            1,
        )
    }

    #[test]
    fn version_1_certificates_are_refused() {
        let (registry, _, cert, _) = setup();
        // The v1 body: version 1 and no pseudonym-suite byte, signed by the registry.
        let body = cert.body();
        let suite_at = 4
            + dst::APP_CERTIFICATE.len()
            + 2
            + 3 * 4
            + cert.app_id.len()
            + cert.name.len()
            + cert.category.len()
            + 2
            + 1;
        let mut v1 = body[..suite_at].to_vec();
        v1.extend_from_slice(&body[suite_at + 1..]);
        let ver_at = 4 + dst::APP_CERTIFICATE.len();
        v1[ver_at..ver_at + 2].copy_from_slice(&1u16.to_be_bytes());
        let sig = registry.sign(&v1).to_bytes();
        v1.extend_from_slice(&sig);
        assert!(matches!(
            AppCertificate::from_bytes(&v1),
            Err(CoreError::InvalidAppCertificate(_))
        ));
    }

    #[test]
    fn nym_is_never_allowed() {
        let (registry, app) = keys();
        let mut disclose = AttributeSet::new();
        disclose.insert(Attribute::Nym);
        let policy = AppPolicy {
            disclose,
            ..AppPolicy::default()
        };
        assert!(issue_with(&registry, &app, policy).is_err());
    }
}
