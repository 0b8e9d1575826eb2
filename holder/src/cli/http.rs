//! A tiny blocking HTTP/1.1 client over `std::net::TcpStream` for `http://` URLs (the wallet
//! talks JSON to the issuer and verifiers; no TLS in this build).

use std::io::{Read as _, Write as _};
use std::net::{TcpStream, ToSocketAddrs as _};
use std::time::Duration;

use super::CliError;

/// Largest response body accepted (the BBS digit signatures are the biggest, well below).
pub const MAX_RESPONSE: usize = 16 << 20;
const TIMEOUT: Duration = Duration::from_secs(60);

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Body bytes (de-chunked).
    pub body: Vec<u8>,
}

impl Response {
    /// Whether the status is 2xx.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON of type `T`, or an error naming `what` and the service's own error.
    ///
    /// # Errors
    /// A non-2xx status (with the service's `{"error","message"}`), or a malformed body.
    pub fn json<T: serde::de::DeserializeOwned>(&self, what: &str) -> Result<T, CliError> {
        if !self.ok() {
            return Err(CliError(format!("{what}: {}", self.error_text())));
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| CliError(format!("{what}: unexpected answer ({e})")))
    }

    /// `HTTP <status>: <error>: <message>` from a JSON error body, or the raw text, with every
    /// control character escaped ([`super::printable`]): a service's text never reaches the
    /// terminal raw.
    pub fn error_text(&self) -> String {
        let text = match serde_json::from_slice::<serde_json::Value>(&self.body) {
            Ok(v) if v["error"].is_string() => format!(
                "HTTP {} {}: {}",
                self.status,
                v["error"].as_str().unwrap_or_default(),
                v["message"].as_str().unwrap_or_default()
            ),
            _ => format!("HTTP {}: {}", self.status, self.text().trim()),
        };
        super::printable(&text, false)
    }
}

/// Splits `http://host[:port][/base]` into (`host:port`, host header, path prefix).
fn split(url: &str) -> Result<(String, String, String), CliError> {
    if url.starts_with("https://") {
        return Err(CliError(format!(
            "{url}: https is not supported by this build of netid; put the service behind a \
             local http:// address (e.g. an SSH tunnel or a TLS-terminating proxy on 127.0.0.1)"
        )));
    }
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| CliError(format!("{url}: not an http:// URL")))?;
    let (authority, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
    if authority.is_empty() || authority.contains('@') || authority.contains(char::is_whitespace) {
        return Err(CliError(format!("{url}: malformed URL")));
    }
    let addr = if authority.starts_with('[') {
        if authority.contains("]:") {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        }
    } else if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    Ok((addr, authority.to_owned(), path.to_owned()))
}

/// `GET url`.
///
/// # Errors
/// Connection and protocol errors (not HTTP error statuses).
pub fn get(url: &str) -> Result<Response, CliError> {
    request("GET", url, None, None)
}

/// `GET url` with a bearer token (an app reading its request's result).
///
/// # Errors
/// Connection and protocol errors (not HTTP error statuses).
pub fn get_authorized(url: &str, bearer: &str) -> Result<Response, CliError> {
    request("GET", url, None, Some(bearer))
}

/// `POST url` with a JSON body, optionally with a bearer token.
///
/// # Errors
/// Connection and protocol errors (not HTTP error statuses).
pub fn post_json(url: &str, body: &str, bearer: Option<&str>) -> Result<Response, CliError> {
    request("POST", url, Some(body), bearer)
}

fn request(
    method: &str,
    url: &str,
    body: Option<&str>,
    bearer: Option<&str>,
) -> Result<Response, CliError> {
    let (addr, host, path) = split(url)?;
    let path = if path.is_empty() {
        "/".to_owned()
    } else {
        path
    };
    let io = |e: std::io::Error| CliError(format!("{method} {url}: {e}"));
    let sock = addr
        .to_socket_addrs()
        .map_err(io)?
        .next()
        .ok_or_else(|| CliError(format!("{url}: host not found")))?;
    let mut stream = TcpStream::connect_timeout(&sock, TIMEOUT).map_err(|e| {
        CliError(format!(
            "cannot reach {url} ({e}); is the service running? (see --issuer)"
        ))
    })?;
    stream.set_read_timeout(Some(TIMEOUT)).map_err(io)?;
    stream.set_write_timeout(Some(TIMEOUT)).map_err(io)?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\nConnection: close\r\nUser-Agent: netid-cli\r\n"
    );
    if let Some(t) = bearer {
        head.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    let body = body.unwrap_or("");
    if method == "POST" {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).map_err(io)?;
    stream.write_all(body.as_bytes()).map_err(io)?;
    stream.flush().map_err(io)?;
    let mut buf = Vec::new();
    stream
        .take(MAX_RESPONSE as u64 + 64 * 1024)
        .read_to_end(&mut buf)
        .map_err(io)?;
    parse_response(&buf).map_err(|m| CliError(format!("{method} {url}: {m}")))
}

fn parse_response(buf: &[u8]) -> Result<Response, String> {
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("malformed HTTP response (no header end)")?;
    let head = String::from_utf8_lossy(&buf[..split]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or("malformed HTTP status line")?;
    let mut chunked = false;
    let mut length = None;
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            if k == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked") {
                chunked = true;
            } else if k == "content-length" {
                length = v.parse::<usize>().ok();
            }
        }
    }
    let raw = &buf[split + 4..];
    let body = if chunked {
        dechunk(raw)?
    } else if let Some(n) = length {
        raw.get(..n).ok_or("truncated HTTP body")?.to_vec()
    } else {
        raw.to_vec()
    };
    if body.len() > MAX_RESPONSE {
        return Err("response too large".into());
    }
    Ok(Response { status, body })
}

fn dechunk(mut raw: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let eol = raw
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("malformed chunked body")?;
        let size_text = String::from_utf8_lossy(&raw[..eol]);
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| "malformed chunk size")?;
        raw = &raw[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        out.extend_from_slice(raw.get(..size).ok_or("truncated chunk")?);
        raw = raw.get(size + 2..).ok_or("truncated chunk")?;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_bodies() {
        assert_eq!(
            split("http://127.0.0.1:8080/v1/x").unwrap(),
            (
                "127.0.0.1:8080".into(),
                "127.0.0.1:8080".into(),
                "/v1/x".into()
            )
        );
        assert_eq!(split("http://h").unwrap().0, "h:80");
        let e = split("https://x").unwrap_err();
        assert!(e.0.contains("https is not supported"));
        assert!(split("ftp://x").is_err());
        let r = parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n").unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"abcde"[..]));
        let r = parse_response(b"HTTP/1.1 409 Conflict\r\nContent-Length: 2\r\n\r\n{}").unwrap();
        assert_eq!(r.status, 409);
        assert!(parse_response(b"garbage").is_err());
    }

    #[test]
    fn service_text_never_reaches_the_terminal_raw() {
        // A hostile service: an escape sequence that recolours and clears the screen, a carriage
        // return that overwrites the line, the one-byte CSI and a bell, in both error shapes.
        let evil = "ok\u{1b}[2J\u{1b}[31mverified\rPAID\u{9b}0m\u{7}";
        let bodies = [
            serde_json::json!({"error": "x", "message": evil})
                .to_string()
                .into_bytes(),
            evil.as_bytes().to_vec(),
        ];
        for body in bodies {
            let t = Response { status: 500, body }.error_text();
            assert!(!t.chars().any(char::is_control), "{t:?}");
            assert!(t.contains("\\u{1b}[2J") && t.contains("\\u{d}PAID"), "{t}");
            assert!(t.contains("\\u{9b}0m") && t.ends_with("\\u{7}"), "{t}");
        }
        // Errors keep their own line breaks and nothing else.
        let e = CliError("line one\nline \u{1b}two".into()).to_string();
        assert_eq!(e, "line one\nline \\u{1b}two");
    }
}
