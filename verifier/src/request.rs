//! Creating signed presentation requests.
//!
//! An [`App`] is a registered app as the verifier runs it: its id, its app certificate (issued by
//! the platform's app registry) and the Ed25519 key the certificate certifies. [`App::request`]
//! starts a [`RequestBuilder`]; [`RequestBuilder::build`] draws a fresh 32-byte nonce from the
//! operating system, sets the expiry (default five minutes), checks that the app's certificate
//! allows what is asked, and signs the request.

use std::fmt;
use std::time::Duration;

use ed25519_dalek::SigningKey;
use netid_core::{
    sign_request, AppCertificate, AssuranceLevel, Attribute, AttributeSet, Audience, Date, Nonce,
    PresentationRequest, Statements, Suite, FORMAT_VERSION,
};
use rand_core_06::{OsRng, RngCore as _};

use crate::error::{Result, VerifierError};

/// Default lifetime of a request.
pub const DEFAULT_TTL: Duration = Duration::from_secs(5 * 60);

/// A registered app: id, certificate and request-signing key. `Debug` does not show the key.
#[derive(Clone)]
pub struct App {
    certificate: AppCertificate,
    certificate_bytes: Vec<u8>,
    key: SigningKey,
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("app_id", &self.certificate.app_id)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl App {
    /// An app from its certificate bytes and signing key.
    ///
    /// # Errors
    /// [`VerifierError::InvalidApp`] when the certificate does not decode or certifies another
    /// key. (The registry signature is checked by the [`Verifier`](crate::Verifier), which knows
    /// the registry key.)
    pub fn new(certificate: &[u8], key: SigningKey) -> Result<App> {
        let cert = AppCertificate::from_bytes(certificate)
            .map_err(|e| VerifierError::InvalidApp(e.to_string()))?;
        if cert.app_key != key.verifying_key().to_bytes() {
            return Err(VerifierError::InvalidApp(
                "the certificate certifies another key".into(),
            ));
        }
        Ok(App {
            certificate: cert,
            certificate_bytes: certificate.to_vec(),
            key,
        })
    }

    /// The app id.
    pub fn app_id(&self) -> &str {
        &self.certificate.app_id
    }

    /// The decoded certificate.
    pub fn certificate(&self) -> &AppCertificate {
        &self.certificate
    }

    /// Starts a request evaluated on `today` (the verifier's civil date): nothing asked yet,
    /// all suites accepted (only the certificate's pseudonym suite once a pseudonym is asked),
    /// [`DEFAULT_TTL`].
    pub fn request(&self, today: Date) -> RequestBuilder<'_> {
        RequestBuilder {
            app: self,
            statements: Statements::new(today),
            suites: None,
            ttl: DEFAULT_TTL,
            response_uri: None,
        }
    }
}

/// A request being put together; see [`App::request`].
#[derive(Debug, Clone)]
#[must_use]
pub struct RequestBuilder<'a> {
    app: &'a App,
    statements: Statements,
    suites: Option<Vec<Suite>>,
    ttl: Duration,
    response_uri: Option<String>,
}

impl RequestBuilder<'_> {
    /// Asks "age ≥ `years`" on the request's date.
    pub fn age_at_least(mut self, years: u8) -> Self {
        self.statements.age_at_least = Some(years);
        self
    }

    /// Asks "real-name assurance ≥ `level`".
    pub fn assurance_at_least(mut self, level: AssuranceLevel) -> Self {
        self.statements.assurance_at_least = Some(level);
        self
    }

    /// Asks to disclose `attribute`.
    pub fn disclose(mut self, attribute: Attribute) -> Self {
        self.statements.disclose.insert(attribute);
        self
    }

    /// Asks to disclose every attribute of `set`.
    pub fn disclose_all(mut self, set: AttributeSet) -> Self {
        for a in set.iter() {
            self.statements.disclose.insert(a);
        }
        self
    }

    /// Asks for the per-app pseudonym.
    pub fn pseudonym(mut self) -> Self {
        self.statements.pseudonym = true;
        self
    }

    /// Asks "the credential has not expired".
    pub fn not_expired(mut self) -> Self {
        self.statements.not_expired = true;
        self
    }

    /// Replaces all statements.
    pub fn statements(mut self, statements: Statements) -> Self {
        self.statements = statements;
        self
    }

    /// The accepted suites, in order of preference. A request for a pseudonym accepts exactly
    /// the suite the app certificate names (the default then); [`RequestBuilder::build`] refuses
    /// any other list.
    pub fn suites(mut self, suites: &[Suite]) -> Self {
        self.suites = Some(suites.to_vec());
        self
    }

    /// The request's lifetime (default [`DEFAULT_TTL`]).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Where the wallet must post its presentation (signed into the request; the wallet posts
    /// nowhere else). Without it the request is answered in-band (specs/credential.md §10.2).
    pub fn response_uri(mut self, uri: impl Into<String>) -> Self {
        self.response_uri = Some(uri.into());
        self
    }

    /// Builds and signs the request at Unix time `now` with a fresh random nonce.
    ///
    /// # Errors
    /// [`VerifierError::InvalidRequest`] when the statements are malformed, ask for something
    /// the app's certificate does not allow, no suite is accepted, or a pseudonym is asked in
    /// other suites than the certificate's.
    pub fn build(self, now: u64) -> Result<PresentationRequest> {
        let policy = &self.app.certificate.policy;
        let suites = match (self.suites, self.statements.pseudonym) {
            (Some(s), _) => s,
            (None, true) => policy.pseudonym_suite.into_iter().collect(),
            (None, false) => Suite::ALL.to_vec(),
        };
        let mut nonce = [0u8; 32];
        OsRng
            .try_fill_bytes(&mut nonce)
            .map_err(|_| VerifierError::InvalidRequest("no randomness for the nonce".into()))?;
        let mut request = PresentationRequest {
            version: FORMAT_VERSION,
            app_id: self.app.app_id().to_owned(),
            nonce: Nonce::new(nonce),
            expires_at: now.saturating_add(self.ttl.as_secs().max(1)),
            statements: self.statements,
            suites,
            app_certificate: self.app.certificate_bytes.clone().into(),
            response_uri: self.response_uri,
            signature: Vec::new().into(),
        };
        policy
            .allows(&request.statements, &request.suites)
            .map_err(VerifierError::request)?;
        request
            .validate(Audience::for_app_id(&request.app_id))
            .map_err(VerifierError::request)?;
        sign_request(&mut request, &self.app.key);
        Ok(request)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::test_support::{registry, shop};
    use netid_core::verify_request;

    #[test]
    fn builds_signed_fresh_requests() {
        let app = shop();
        let today = Date::from_ymd(2026, 11, 23).unwrap();
        let a = app
            .request(today)
            .age_at_least(18)
            .pseudonym()
            .build(1_800_000_000)
            .unwrap();
        let b = app
            .request(today)
            .age_at_least(18)
            .build(1_800_000_000)
            .unwrap();
        assert_ne!(a.nonce, b.nonce);
        assert_eq!(a.expires_at, 1_800_000_300);
        // A pseudonym request accepts only the certificate's pseudonym suite; others accept all.
        assert_eq!(a.suites, vec![Suite::BbsSha256]);
        assert_eq!(b.suites, Suite::ALL.to_vec());
        let cert = verify_request(&a, &registry().verifying_key(), 1_800_000_000).unwrap();
        assert_eq!(cert.app_id, "shop.example");
        assert!(format!("{app:?}").contains("redacted"));
    }

    #[test]
    fn refuses_what_the_certificate_does_not_allow() {
        let app = shop();
        let today = Date::from_ymd(2026, 11, 23).unwrap();
        let r = app.request(today).disclose(Attribute::IdHash).build(1);
        assert!(matches!(r, Err(VerifierError::InvalidRequest(_))));
        let r = app.request(today).suites(&[]).build(1);
        assert!(matches!(r, Err(VerifierError::InvalidRequest(_))));
        let r = app.request(today).age_at_least(0).build(1);
        assert!(matches!(r, Err(VerifierError::InvalidRequest(_))));
        // One pseudonym per person per app: no pseudonym in another suite, or in several.
        for suites in [
            &[Suite::Groth16][..],
            &[Suite::BbsSha256, Suite::Groth16],
            &Suite::ALL,
        ] {
            let r = app.request(today).pseudonym().suites(suites).build(1);
            assert!(
                matches!(r, Err(VerifierError::InvalidRequest(_))),
                "{suites:?}"
            );
        }
        app.request(today)
            .pseudonym()
            .suites(&[Suite::BbsSha256])
            .build(1)
            .unwrap();
    }

    #[test]
    fn app_key_must_match_certificate() {
        let cert = shop().certificate_bytes.clone();
        assert!(matches!(
            App::new(&cert, SigningKey::from_bytes(&[9; 32])),
            Err(VerifierError::InvalidApp(_))
        ));
        assert!(App::new(&cert[1..], SigningKey::from_bytes(&[2; 32])).is_err());
    }
}
