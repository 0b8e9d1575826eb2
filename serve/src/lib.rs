//! HTTP serving for the netid services: [`serve`] runs an axum `Router` on a listener the way
//! a service exposed to hostile clients needs it.
//!
//! - **Header-read timeout**: a connection must deliver a complete request head within
//!   [`ServeLimits::header_read_timeout`] (default 10 s), for the first request and for every
//!   later one on a kept-alive connection; a client that trickles its headers (slowloris) is
//!   disconnected. (`axum::serve` does not set hyper's timer, so hyper's own timeout never
//!   fires there.) Bodies and handlers are bounded by each service's request timeout layer.
//! - **Connection cap**: at most [`ServeLimits::max_connections`] connections are served at
//!   once (default 1,024); further ones wait in the kernel's accept queue until one closes, so
//!   memory and file descriptors stay bounded whatever the number of clients.
//! - **Graceful shutdown**: when `shutdown` resolves, no new connection is accepted, idle ones
//!   are closed, requests in flight finish (for at most [`ServeLimits::drain_timeout`]).
//!
//! - **Client addresses**: every request carries its peer address as
//!   `axum::extract::ConnectInfo<SocketAddr>`; [`client_addr`] picks the address a per-client
//!   limit counts (the peer's, or behind a trusted proxy the one its header names), and
//!   [`Limit`] describes such a limit.
//!
//! HTTP/1.1 only: the services sit behind a TLS-terminating proxy, which speaks HTTP/2 to the
//! clients if anyone does.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let app = axum::Router::new().route("/healthz", axum::routing::get(|| async { "ok" }));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let limits = netid_serve::ServeLimits::default();
//! netid_serve::serve(listener, app, limits, netid_serve::shutdown_signal()).await
//! # }
//! ```

#![forbid(unsafe_code)]

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderName};

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

/// Bounds on what clients can hold of a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServeLimits {
    /// Connections served at once; further ones wait to be accepted.
    pub max_connections: usize,
    /// Time a connection has to send a complete request head.
    pub header_read_timeout: Duration,
    /// Time requests in flight get to finish after shutdown begins.
    pub drain_timeout: Duration,
}

impl Default for ServeLimits {
    fn default() -> ServeLimits {
        ServeLimits {
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(10),
            drain_timeout: Duration::from_secs(30),
        }
    }
}

/// Serves `app` on `listener` under `limits` until `shutdown` resolves, then drains (see the
/// crate docs).
///
/// # Errors
/// Never for a failed `accept` (logged and retried after a pause: running out of file
/// descriptors must not end the service); the `Result` is for callers' `?`.
pub async fn serve(
    listener: TcpListener,
    app: axum::Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let max = limits.max_connections.max(1);
    let slots = Arc::new(Semaphore::new(max));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            () = &mut shutdown => break,
            s = slots.clone().acquire_owned() => match s {
                Ok(s) => s,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed; retrying shortly");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        // The peer address, for per-client limits (`client_addr`).
        let app = app.clone();
        let service = TowerToHyperService::new(tower::util::MapRequest::new(
            app,
            move |mut req: axum::extract::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req
            },
        ));
        let conn = http.serve_connection(TokioIo::new(stream), service);
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _slot = slot;
            tokio::pin!(conn);
            let r = tokio::select! {
                r = conn.as_mut() => r,
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    conn.as_mut().await
                }
            };
            if let Err(e) = r {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Every connection task holds a slot until it ends.
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    if tokio::time::timeout(limits.drain_timeout, slots.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("shutdown: connections still open after the drain timeout; closing");
    }
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM: the `shutdown` future a service binary passes to [`serve`].
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// The client address of a request, for per-client limits: with `trusted_header` (set when the
/// service sits behind a proxy that writes it, e.g. `x-forwarded-for`), the last address in that
/// header (the one the nearest proxy appended; earlier ones are the client's own claims);
/// otherwise the peer address [`serve`] recorded. `None` when neither is there.
pub fn client_addr(
    headers: &HeaderMap,
    peer: Option<&ConnectInfo<SocketAddr>>,
    trusted_header: Option<&HeaderName>,
) -> Option<IpAddr> {
    if let Some(h) = trusted_header {
        return headers
            .get_all(h)
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok());
    }
    peer.map(|ConnectInfo(a)| a.ip())
}

/// A rate limit: at most `count` events per fixed `window` and subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Events allowed per window.
    pub count: u64,
    /// The window length.
    pub window: Duration,
}

impl Limit {
    /// `count` per `window`.
    pub const fn new(count: u64, window: Duration) -> Limit {
        Limit { count, window }
    }

    /// `count` per minute.
    pub const fn per_minute(count: u64) -> Limit {
        Limit::new(count, Duration::from_secs(60))
    }

    /// `count` per hour.
    pub const fn per_hour(count: u64) -> Limit {
        Limit::new(count, Duration::from_secs(3600))
    }

    /// The window holding Unix second `now`: its start and the seconds until its end.
    pub fn window_at(&self, now: u64) -> (u64, u64) {
        let w = self.window.as_secs().max(1);
        let start = now - now % w;
        (start, start + w - now)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn client_addr_from_peer_or_trusted_header() {
        let peer = ConnectInfo(SocketAddr::from(([10, 0, 0, 1], 5000)));
        let mut h = HeaderMap::new();
        h.append("x-forwarded-for", "1.2.3.4, 9.9.9.9".parse().unwrap());
        let xff = HeaderName::from_static("x-forwarded-for");
        // Without a trusted header the client's own claims are ignored.
        assert_eq!(
            client_addr(&h, Some(&peer), None),
            Some(IpAddr::from([10, 0, 0, 1]))
        );
        // With it, the address the nearest proxy appended.
        assert_eq!(
            client_addr(&h, Some(&peer), Some(&xff)),
            Some(IpAddr::from([9, 9, 9, 9]))
        );
        h.append("x-forwarded-for", "5.6.7.8".parse().unwrap());
        assert_eq!(
            client_addr(&h, None, Some(&xff)),
            Some(IpAddr::from([5, 6, 7, 8]))
        );
        assert_eq!(client_addr(&HeaderMap::new(), None, Some(&xff)), None);
        assert_eq!(client_addr(&HeaderMap::new(), None, None), None);
    }

    #[test]
    fn fixed_windows() {
        let l = Limit::per_minute(3);
        assert_eq!(l.window_at(120), (120, 60));
        assert_eq!(l.window_at(179), (120, 1));
        assert_eq!(Limit::per_hour(1).window_at(3601), (3600, 3599));
    }
}
