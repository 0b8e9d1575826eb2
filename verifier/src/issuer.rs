//! Fetching the issuer's signed metadata (`GET <issuer>/v1/metadata`) and the epoch records
//! that link it to the one a verifier holds (`GET <issuer>/v1/epochs/records`,
//! specs/revocation.md §5).
//!
//! A deliberately small HTTP/1.0 client over plain TCP (`http://` URLs only: run the issuer
//! behind a local TLS-terminating proxy, or on loopback). Bodies are capped at 1 MiB.

use netid_core::SignedMetadata;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::error::{Result, VerifierError};

/// Largest metadata response accepted.
pub const MAX_RESPONSE: u64 = 1 << 20;

/// Longest a whole metadata fetch (connect, send, read to the end) may take: a half-open or
/// trickling connection must not stall the verifier's refresh loop.
pub const FETCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

fn issuer_err(m: impl Into<String>) -> VerifierError {
    VerifierError::Issuer(m.into())
}

/// Splits `http://host[:port][/base]` into `(host:port, host, base path without trailing /)`.
fn split_url(url: &str) -> Result<(String, String, String)> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| issuer_err("only http:// issuer URLs are supported"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if authority.is_empty() || authority.contains('@') {
        return Err(issuer_err("malformed issuer URL"));
    }
    let host = authority
        .rsplit_once(':')
        .map_or(authority, |(h, _)| h)
        .to_owned();
    let addr = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    Ok((addr, host, path.trim_end_matches('/').to_owned()))
}

/// Fetches the issuer's signed metadata from `issuer_url`, giving up after [`FETCH_TIMEOUT`].
/// The signature is not checked here: [`SignedMetadata::open`] with the pinned key, or
/// [`crate::Verifier::update_signed_metadata`], does that.
///
/// # Errors
/// [`VerifierError::Issuer`] (unreachable, too slow, non-200, malformed JSON).
pub async fn fetch_metadata(issuer_url: &str) -> Result<SignedMetadata> {
    fetch_metadata_within(issuer_url, FETCH_TIMEOUT).await
}

/// [`fetch_metadata`] with its own time limit.
///
/// # Errors
/// As [`fetch_metadata`].
pub async fn fetch_metadata_within(
    issuer_url: &str,
    limit: std::time::Duration,
) -> Result<SignedMetadata> {
    tokio::time::timeout(limit, fetch(issuer_url))
        .await
        .map_err(|_| issuer_err(format!("no complete answer within {limit:?}")))?
}

/// The signed epoch records of the epochs after `after` and before `before` (oldest first),
/// page by page (`GET /v1/epochs/records`), each page within [`FETCH_TIMEOUT`]: what links a
/// newer document's records to the one a verifier holds (specs/revocation.md §5). Checked by
/// [`crate::Verifier::update_signed_metadata_bridged`], not here.
///
/// # Errors
/// [`VerifierError::Issuer`]: unreachable, a bad answer, or more than
/// [`netid_core::MAX_EPOCH_BRIDGE`] records between (the operator pins anew).
pub async fn fetch_epoch_records(
    issuer_url: &str,
    after: u64,
    before: u64,
) -> Result<Vec<netid_core::SignedEpochRecord>> {
    let mut out = Vec::new();
    let mut from = Some(after);
    while let Some(after) = from {
        let path = format!(
            "/v1/epochs/records?after={after}&limit={}",
            netid_core::issuer_api::MAX_EPOCH_RECORDS_PAGE
        );
        let page: netid_core::issuer_api::EpochRecords =
            tokio::time::timeout(FETCH_TIMEOUT, get_json(issuer_url, &path))
                .await
                .map_err(|_| {
                    issuer_err(format!("no complete answer within {FETCH_TIMEOUT:?}"))
                })??;
        from = netid_core::take_bridge_page(page.records, after, before, &mut out)
            .map_err(|e| issuer_err(format!("epoch records: {e}")))?;
    }
    Ok(out)
}

async fn fetch(issuer_url: &str) -> Result<SignedMetadata> {
    get_json(issuer_url, "/v1/metadata").await
}

/// `GET {issuer_url}{path}` answered `200` with JSON of `T`.
async fn get_json<T: serde::de::DeserializeOwned>(issuer_url: &str, path: &str) -> Result<T> {
    let (addr, host, base) = split_url(issuer_url)?;
    let mut stream = TcpStream::connect(&addr)
        .await
        .map_err(|e| issuer_err(format!("connect {addr}: {e}")))?;
    let req =
        format!("GET {base}{path} HTTP/1.0\r\nHost: {host}\r\nAccept: application/json\r\n\r\n");
    stream
        .write_all(req.as_bytes())
        .await
        .map_err(|e| issuer_err(e.to_string()))?;
    let mut buf = Vec::new();
    stream
        .take(MAX_RESPONSE)
        .read_to_end(&mut buf)
        .await
        .map_err(|e| issuer_err(e.to_string()))?;
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| issuer_err("malformed HTTP response"))?;
    let head = String::from_utf8_lossy(&buf[..split]);
    let status = head.split_whitespace().nth(1).unwrap_or("");
    if status != "200" {
        return Err(issuer_err(format!("issuer answered HTTP {status}")));
    }
    serde_json::from_slice(&buf[split + 4..])
        .map_err(|e| issuer_err(format!("{path}: malformed JSON: {e}")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            split_url("http://127.0.0.1:8080/").unwrap(),
            ("127.0.0.1:8080".into(), "127.0.0.1".into(), String::new())
        );
        assert_eq!(
            split_url("http://issuer.example/api").unwrap(),
            (
                "issuer.example:80".into(),
                "issuer.example".into(),
                "/api".into()
            )
        );
        assert!(split_url("https://x").is_err());
        assert!(split_url("http://").is_err());
    }

    #[tokio::test]
    async fn unreachable_and_non_200() {
        assert!(matches!(
            fetch_metadata("http://127.0.0.1:1").await,
            Err(VerifierError::Issuer(_))
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut b = [0u8; 512];
            let _ = s.read(&mut b).await;
            s.write_all(b"HTTP/1.0 404 Not Found\r\n\r\nno")
                .await
                .unwrap();
        });
        assert!(matches!(
            fetch_metadata(&format!("http://{addr}")).await,
            Err(VerifierError::Issuer(_))
        ));
    }

    #[tokio::test]
    async fn a_silent_issuer_times_out() {
        // Accepts the connection, reads the request, then never answers (half-open).
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hold = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut b = [0u8; 512];
            let _ = s.read(&mut b).await;
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
            drop(s);
        });
        let started = std::time::Instant::now();
        let r = fetch_metadata_within(
            &format!("http://{addr}"),
            std::time::Duration::from_millis(300),
        )
        .await;
        assert!(
            matches!(&r, Err(VerifierError::Issuer(m)) if m.contains("within")),
            "{r:?}"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        hold.abort();
    }
}
