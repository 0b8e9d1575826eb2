//! Phone confirmation with one-time codes (specs/issuer.md §3.3).
//!
//! [`PhoneVerifier::start`] draws a 6-digit code uniformly from the OS CSPRNG, stores only
//! `HMAC-SHA256(K_p, "netid/v1/phone-code" ‖ challenge_id(16) ‖ lp(phone) ‖ code)` with an expiry
//! (default 5 minutes) and an attempt limit (default 5), and hands the code to a [`CodeSender`].
//! [`PhoneVerifier::confirm`] counts the attempt atomically in storage *before* comparing (so
//! parallel guesses cannot exceed the limit), compares in constant time, and consumes the
//! challenge on success (single use: a second confirmation is [`PhoneCodeError::Reused`]).
//!
//! The hash is keyed because a plain hash of a 6-digit code is inverted by trying 10^6 values.
//! Time is a parameter (`now`, Unix seconds): tests check expiry without sleeping.

use core::fmt;
use std::sync::Mutex;

use hmac::Mac as _;
use rand_core_06::{OsRng, RngCore as _};
use subtle::ConstantTimeEq as _;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::keys::{hmac_sha256, PhoneCodeKey, PHONE_CODE_LABEL};
use crate::storage::{NewPhoneChallenge, PhoneAttempt, Storage};
use crate::{IssuerError, PhoneCodeError};

/// Digits in a code.
pub const CODE_DIGITS: usize = 6;
/// Default validity of a code, seconds.
pub const DEFAULT_CODE_TTL_SECS: i64 = 300;
/// Default number of tries per challenge.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// A phone number in E.164 form (`+8613800138000`). `Debug` shows only a masked form.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

impl PhoneNumber {
    /// Parses a phone number: E.164 (`+` and 8–15 digits, no leading zero), or a mainland mobile
    /// number of 11 digits starting with `1` (taken as `+86`); nothing else (no spaces or
    /// dashes: wallets strip what a person types). `+86` numbers must be mobile numbers (`1[3-9]`
    /// and 9 more digits): codes go by SMS. The API's schema states the same rule as a pattern.
    ///
    /// # Errors
    /// [`IssuerError::InvalidPhoneNumber`].
    pub fn parse(s: &str) -> Result<PhoneNumber, IssuerError> {
        if s.len() > 64 {
            return Err(IssuerError::InvalidPhoneNumber("too long"));
        }
        // Canonical forms only (the wallet strips spaces, dashes and parentheses a person types):
        // the API's schema is a pattern, and a request outside it must be refused.
        let compact = s;
        let digits = match compact.strip_prefix('+') {
            Some(d) => d.to_owned(),
            None if compact.len() == 11 && compact.starts_with('1') => format!("86{compact}"),
            None => {
                return Err(IssuerError::InvalidPhoneNumber(
                    "use +<country code><number>, or an 11-digit mainland mobile number",
                ))
            }
        };
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IssuerError::InvalidPhoneNumber("only digits after the +"));
        }
        if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
            return Err(IssuerError::InvalidPhoneNumber(
                "an E.164 number has 8 to 15 digits and no leading zero",
            ));
        }
        if let Some(national) = digits.strip_prefix("86") {
            let b = national.as_bytes();
            if b.len() != 11 || b[0] != b'1' || !(b'3'..=b'9').contains(&b[1]) {
                return Err(IssuerError::InvalidPhoneNumber(
                    "a mainland number must be an 11-digit mobile number",
                ));
            }
        }
        Ok(PhoneNumber(format!("+{digits}")))
    }

    /// The E.164 string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For logs and screens: country code and the last four digits (`+86*******8000`).
    pub fn masked(&self) -> String {
        let n = self.0.len();
        let keep_tail = 4.min(n);
        let head = if self.0.starts_with("+86") {
            3
        } else {
            2.min(n)
        };
        let mut out = String::with_capacity(n);
        out.push_str(&self.0[..head.min(n - keep_tail)]);
        for _ in head.min(n - keep_tail)..n - keep_tail {
            out.push('*');
        }
        out.push_str(&self.0[n - keep_tail..]);
        out
    }

    /// Wraps a stored, previously validated number (storage backends).
    pub(crate) fn from_stored(s: String) -> PhoneNumber {
        PhoneNumber(s)
    }
}

/// A one-time code (secret: zeroized on drop, redacted `Debug`).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct OneTimeCode([u8; CODE_DIGITS]);

impl fmt::Debug for OneTimeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OneTimeCode(<redacted>)")
    }
}

impl OneTimeCode {
    /// A uniformly random code from the OS CSPRNG (rejection sampling, no modulo bias).
    pub fn generate() -> OneTimeCode {
        const LIMIT: u32 = u32::MAX - (u32::MAX % 1_000_000);
        let mut v = OsRng.next_u32();
        while v >= LIMIT {
            v = OsRng.next_u32();
        }
        let mut n = v % 1_000_000;
        let mut out = [b'0'; CODE_DIGITS];
        for slot in out.iter_mut().rev() {
            *slot = b'0' + (n % 10) as u8;
            n /= 10;
        }
        OneTimeCode(out)
    }

    /// Parses a typed code (surrounding white space ignored).
    ///
    /// # Errors
    /// [`PhoneCodeError::Malformed`] unless it is six ASCII digits.
    pub fn parse(s: &str) -> Result<OneTimeCode, IssuerError> {
        let b = s.trim().as_bytes();
        match <[u8; CODE_DIGITS]>::try_from(b) {
            Ok(arr) if arr.iter().all(u8::is_ascii_digit) => Ok(OneTimeCode(arr)),
            _ => Err(PhoneCodeError::Malformed.into()),
        }
    }

    /// The six digits.
    pub fn expose_secret(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or("")
    }
}

/// Delivers codes (SMS gateway in production). Implementations must not block for long: hand
/// the message to a queue.
pub trait CodeSender: Send + Sync {
    /// Sends `code` to `phone`.
    ///
    /// # Errors
    /// [`IssuerError::CodeDelivery`].
    fn send(&self, phone: &PhoneNumber, code: &OneTimeCode) -> Result<(), IssuerError>;
}

/// No delivery: the issuer's default when neither an SMS gateway nor `--sms-outbox` is
/// configured. It records at warn level (target `netid_issuer::sms`) that a code for a masked
/// number could not be delivered — never the code itself: logs are read by more people, kept
/// longer and shipped further than a one-time code may travel.
#[derive(Clone, Copy, Debug, Default)]
pub struct LogCodeSender;

impl CodeSender for LogCodeSender {
    fn send(&self, phone: &PhoneNumber, _code: &OneTimeCode) -> Result<(), IssuerError> {
        tracing::warn!(
            target: "netid_issuer::sms",
            phone = %phone.masked(),
            "a one-time code was generated but no SMS delivery is configured (codes are never \
             logged; start the issuer with --sms-outbox FILE to read them in development)"
        );
        Ok(())
    }
}

/// Development delivery to a file, the "SMS outbox" of a test deployment: appends one line
/// `<phone E.164> <code>` per message and flushes it before the code counts as sent. Lets a
/// script or test on the same machine read the codes (`netid-issuer --sms-outbox FILE`).
/// Never use it where the file is readable by anyone but the operator.
#[derive(Debug)]
pub struct FileCodeSender {
    file: Mutex<std::fs::File>,
}

impl FileCodeSender {
    /// Opens (creates, with mode 0600 on Unix) `path` for appending.
    ///
    /// # Errors
    /// [`IssuerError::CodeDelivery`] if the file cannot be opened.
    pub fn open(path: &std::path::Path) -> Result<FileCodeSender, IssuerError> {
        let mut o = std::fs::OpenOptions::new();
        o.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            o.mode(0o600);
        }
        let file = o.open(path).map_err(|e| {
            tracing::error!(error = %e, path = %path.display(), "cannot open the SMS outbox");
            IssuerError::CodeDelivery
        })?;
        Ok(FileCodeSender {
            file: Mutex::new(file),
        })
    }
}

impl CodeSender for FileCodeSender {
    fn send(&self, phone: &PhoneNumber, code: &OneTimeCode) -> Result<(), IssuerError> {
        use std::io::Write as _;
        let line = format!("{} {}\n", phone.as_str(), code.expose_secret());
        let mut f = self
            .file
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f.write_all(line.as_bytes())
            .and_then(|()| f.flush())
            .map_err(|e| {
                tracing::error!(error = %e, "cannot write the SMS outbox");
                IssuerError::CodeDelivery
            })
    }
}

/// Test delivery: keeps every message in memory.
#[derive(Debug, Default)]
pub struct MemoryCodeSender(Mutex<Vec<(PhoneNumber, OneTimeCode)>>);

impl MemoryCodeSender {
    /// An empty outbox.
    pub fn new() -> MemoryCodeSender {
        MemoryCodeSender::default()
    }

    /// The last code sent to `phone`.
    pub fn last_code_for(&self, phone: &PhoneNumber) -> Option<OneTimeCode> {
        let sent = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        sent.iter()
            .rev()
            .find(|(p, _)| p == phone)
            .map(|(_, c)| c.clone())
    }

    /// Number of messages sent.
    pub fn count(&self) -> usize {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }
}

impl CodeSender for MemoryCodeSender {
    fn send(&self, phone: &PhoneNumber, code: &OneTimeCode) -> Result<(), IssuerError> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((phone.clone(), code.clone()));
        Ok(())
    }
}

/// A challenge id: 16 random bytes, written as 32 lowercase hex characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct ChallengeId([u8; 16]);

impl ChallengeId {
    /// A fresh random id.
    pub fn generate() -> ChallengeId {
        let mut b = [0u8; 16];
        OsRng.fill_bytes(&mut b);
        ChallengeId(b)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 32 hex characters.
    ///
    /// # Errors
    /// [`PhoneCodeError::UnknownChallenge`] for anything else (no id can match it).
    pub fn parse(s: &str) -> Result<ChallengeId, IssuerError> {
        let mut b = [0u8; 16];
        hex::decode_to_slice(s, &mut b).map_err(|_| PhoneCodeError::UnknownChallenge)?;
        Ok(ChallengeId(b))
    }
}

impl serde::Serialize for ChallengeId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for ChallengeId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ChallengeId, D::Error> {
        let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
        ChallengeId::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Expiry and attempt limit of new challenges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhoneCodePolicy {
    /// Seconds a code stays valid.
    pub ttl_secs: i64,
    /// Tries per challenge.
    pub max_attempts: u32,
}

impl Default for PhoneCodePolicy {
    fn default() -> Self {
        PhoneCodePolicy {
            ttl_secs: DEFAULT_CODE_TTL_SECS,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }
}

/// A started challenge, to return to the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PhoneChallenge {
    /// Quote it when confirming.
    pub challenge_id: ChallengeId,
    /// Unix seconds after which the code is no longer accepted.
    pub expires_at: i64,
}

/// A phone number confirmed by its code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfirmedPhone {
    /// The challenge that confirmed it.
    pub challenge_id: ChallengeId,
    /// The number.
    pub phone: PhoneNumber,
}

/// Starts and confirms phone challenges.
#[derive(Debug)]
pub struct PhoneVerifier {
    key: PhoneCodeKey,
    policy: PhoneCodePolicy,
    /// When expired challenges were last purged (Unix seconds; 0: never).
    last_purge: std::sync::atomic::AtomicI64,
}

/// Expired challenges are deleted this long after their expiry (until then a late try is told
/// "expired", not "unknown").
pub const PURGE_AFTER_SECS: i64 = 3600;
/// At most one purge per this many seconds (per process).
pub const PURGE_INTERVAL_SECS: i64 = 60;

impl PhoneVerifier {
    /// With the code-hash key and the policy.
    ///
    /// # Errors
    /// [`IssuerError::InvalidInput`] for a non-positive TTL or zero attempts.
    pub fn new(key: PhoneCodeKey, policy: PhoneCodePolicy) -> Result<PhoneVerifier, IssuerError> {
        if policy.ttl_secs <= 0 || policy.max_attempts == 0 {
            return Err(IssuerError::InvalidInput(
                "phone code TTL and attempt limit must be positive",
            ));
        }
        Ok(PhoneVerifier {
            key,
            policy,
            last_purge: std::sync::atomic::AtomicI64::new(0),
        })
    }

    /// The policy.
    pub fn policy(&self) -> PhoneCodePolicy {
        self.policy
    }

    fn code_hash(&self, id: &ChallengeId, phone: &PhoneNumber, code: &OneTimeCode) -> [u8; 32] {
        let mut mac = hmac_sha256(self.key.secret());
        mac.update(PHONE_CODE_LABEL);
        mac.update(id.as_bytes());
        let p = phone.as_str().as_bytes();
        mac.update(&u32::try_from(p.len()).unwrap_or(u32::MAX).to_be_bytes());
        mac.update(p);
        mac.update(&code.0);
        mac.finalize().into_bytes().into()
    }

    /// Creates a challenge for `phone` and sends its code.
    ///
    /// # Errors
    /// [`IssuerError::Storage`], [`IssuerError::CodeDelivery`].
    pub async fn start<S, C>(
        &self,
        storage: &S,
        sender: &C,
        phone: &PhoneNumber,
        now: i64,
    ) -> Result<PhoneChallenge, IssuerError>
    where
        S: Storage,
        C: CodeSender + ?Sized,
    {
        let id = ChallengeId::generate();
        let code = OneTimeCode::generate();
        let expires_at = now.saturating_add(self.policy.ttl_secs);
        storage
            .create_phone_challenge(&NewPhoneChallenge {
                id,
                phone: phone.clone(),
                code_hash: self.code_hash(&id, phone, &code),
                created_at: now,
                expires_at,
                max_attempts: self.policy.max_attempts,
            })
            .await?;
        sender.send(phone, &code)?;
        self.purge_expired(storage, now).await?;
        Ok(PhoneChallenge {
            challenge_id: id,
            expires_at,
        })
    }

    /// Deletes the challenges that expired more than [`PURGE_AFTER_SECS`] ago, at most once per
    /// [`PURGE_INTERVAL_SECS`] (called when a challenge is created, so the table stays as large
    /// as the last hour's traffic). Returns how many were deleted.
    ///
    /// # Errors
    /// [`IssuerError::Storage`].
    pub async fn purge_expired<S>(&self, storage: &S, now: i64) -> Result<u64, IssuerError>
    where
        S: Storage,
    {
        use std::sync::atomic::Ordering;
        let last = self.last_purge.load(Ordering::Relaxed);
        if now.saturating_sub(last) < PURGE_INTERVAL_SECS
            || self
                .last_purge
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return Ok(0);
        }
        let n = storage
            .purge_phone_challenges(now.saturating_sub(PURGE_AFTER_SECS))
            .await?;
        if n > 0 {
            tracing::debug!(purged = n, "expired phone challenges deleted");
        }
        Ok(n)
    }

    /// Checks `code` for challenge `id`. Every well-formed try counts against the limit.
    ///
    /// # Errors
    /// [`IssuerError::PhoneCode`] with the reason (wrong, expired, reused, too many attempts,
    /// unknown challenge, malformed), or [`IssuerError::Storage`].
    pub async fn confirm<S>(
        &self,
        storage: &S,
        id: &ChallengeId,
        code: &str,
        now: i64,
    ) -> Result<ConfirmedPhone, IssuerError>
    where
        S: Storage,
    {
        let code = OneTimeCode::parse(code)?;
        let rec = match storage.attempt_phone_challenge(id, now).await? {
            PhoneAttempt::Counted(rec) => rec,
            PhoneAttempt::Unknown => return Err(PhoneCodeError::UnknownChallenge.into()),
            PhoneAttempt::Consumed => return Err(PhoneCodeError::Reused.into()),
            PhoneAttempt::Expired => return Err(PhoneCodeError::Expired.into()),
            PhoneAttempt::Locked => return Err(PhoneCodeError::TooManyAttempts.into()),
        };
        let want = self.code_hash(id, &rec.phone, &code);
        if !bool::from(want.ct_eq(&rec.code_hash)) {
            let attempts_left = rec.max_attempts.saturating_sub(rec.attempts);
            return Err(PhoneCodeError::Wrong { attempts_left }.into());
        }
        if !storage.consume_phone_challenge(id, now).await? {
            return Err(PhoneCodeError::Reused.into());
        }
        Ok(ConfirmedPhone {
            challenge_id: *id,
            phone: rec.phone,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The default sender never writes the code (nor the full number) to the log.
    #[test]
    fn the_log_sender_never_logs_the_code() {
        #[derive(Clone, Default)]
        struct Buf(std::sync::Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buf {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buf = Buf::default();
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        let phone = PhoneNumber::parse("+8613800138000").unwrap();
        let code = OneTimeCode::parse("493817").unwrap();
        tracing::subscriber::with_default(subscriber, || {
            LogCodeSender.send(&phone, &code).unwrap();
        });
        let log = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert!(log.contains("no SMS delivery is configured"), "{log}");
        assert!(log.contains(&phone.masked()), "{log}");
        assert!(!log.contains("493817"), "{log}");
        assert!(!log.contains("13800138000"), "{log}");
    }

    #[test]
    fn phone_numbers() {
        let p = PhoneNumber::parse("13800138000").unwrap();
        assert_eq!(p.as_str(), "+8613800138000");
        assert_eq!(PhoneNumber::parse("+8613800138000").unwrap(), p);
        assert_eq!(p.masked(), "+86*******8000");
        assert_eq!(format!("{p:?}"), "PhoneNumber(+86*******8000)");
        assert_eq!(
            PhoneNumber::parse("+85291234567").unwrap().as_str(),
            "+85291234567"
        );
        for bad in [
            "",
            "12345",
            "+86 010 1234 5678",
            "+8612800138000",
            "+0123456789",
            "+1 (555) abc",
            "23800138000",
            "+1234567890123456",
            "138 0013 8000",
            "+86 138-0013-8000",
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn codes() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let c = OneTimeCode::generate();
            assert_eq!(c.expose_secret().len(), 6);
            assert!(c.expose_secret().bytes().all(|b| b.is_ascii_digit()));
            seen.insert(c.expose_secret().to_owned());
        }
        assert!(seen.len() > 190);
        assert_eq!(
            OneTimeCode::parse(" 012345 ").unwrap().expose_secret(),
            "012345"
        );
        for bad in ["12345", "1234567", "12a456", "１23456"] {
            assert!(matches!(
                OneTimeCode::parse(bad),
                Err(IssuerError::PhoneCode(PhoneCodeError::Malformed))
            ));
        }
        assert_eq!(
            format!("{:?}", OneTimeCode::generate()),
            "OneTimeCode(<redacted>)"
        );
        let id = ChallengeId::generate();
        assert_eq!(ChallengeId::parse(&id.to_hex()).unwrap(), id);
        assert!(ChallengeId::parse("zz").is_err());
    }
}
