//! The HTTP service (axum): create requests, receive presentations, poll a request's status,
//! and the operator's web page.
//!
//! | method and path | body | answer |
//! |---|---|---|
//! | `GET /` | | the operator's page (HTML): create an "over 18" request, show its QR code and live status |
//! | `GET /static/app.js`, `GET /static/style.css` | | the page's script and style sheet |
//! | `GET /healthz` | | `200 ok` |
//! | `GET /openapi.json` | | the OpenAPI 3.1 document of these routes |
//! | `GET /v1/apps` | | `200` list of [`AppInfo`]: the configured apps' public certificate data |
//! | `POST /v1/requests` 🔑 | [`CreateRequest`] | `201` [`CreatedRequest`] (id and signed request) |
//! | `GET /v1/requests/{id}/result` 🔑 | | `200` [`RequestView`] (request and status) or `404` |
//! | `GET /v1/requests/{id}` | | `200` [`WalletView`] (the signed request only) or `404` |
//! | `GET /v1/requests/{id}/qr.svg` | | `200` the request's QR code (SVG) or `404` |
//! | `POST /v1/presentations` | a `Presentation` | `200` [`VerifiedClaims`] or an error |
//!
//! 🔑 App-facing: `Authorization: Bearer <the app's API key>` ([`crate::auth`]), else
//! `401 unauthorized`. A request is created for the app the key names (a body's `app_id`
//! naming another app is `403 forbidden`), and only that app reads its result (any other
//! app gets `404`, as for an unknown id). The other routes are the wallet's and the public's:
//! they show the signed request, never its status or claims.
//!
//! A request's status is `pending`, `verified` (with the claims), `rejected` (presentations
//! naming it were rejected; it stays answerable until it expires or its
//! [`MAX_REJECTIONS`](crate::MAX_REJECTIONS)th rejection, then `410 closed`) or `expired`.
//! Proofs are verified on a bounded blocking pool ([`crate::VerifyLimits`]); when it is full,
//! `503 busy` with `Retry-After: 1`.
//!
//! ## The QR code
//!
//! The QR code holds the absolute URL of `GET /v1/requests/{id}` — about 100 characters, a small
//! code any phone camera reads — not the signed request itself (several hundred bytes with the
//! app certificate, a dense code). The wallet fetches that URL, takes `request` from the answer
//! and checks it as it checks every request (app certificate signed by the issuer's app registry,
//! request signed by the certified app key, not expired), so the URL needs no trust of its own.
//! It posts its presentation to the request's signed `response_uri`,
//! `<base URL>/v1/presentations`, and nowhere else: a QR code or page that relays the request
//! cannot redirect the answer. The base URL is [`ServiceState::with_public_url`] when set (set
//! it behind a reverse proxy and with replicas), else `http://<Host header>` of the app's
//! `POST /v1/requests`.
//!
//! ## The page
//!
//! `GET /` and its two static files are embedded in the binary (no CDN, no external fetches)
//! and served with a strict `Content-Security-Policy` (same origin only, no inline script). The
//! page lists the apps allowed to ask for an age proof, takes the operator's API key for the
//! chosen app (kept in the page's memory only), creates the request with `POST /v1/requests`
//! (`age_at_least: 18`, the chosen suites, the pseudonym when the app may ask it), shows the QR
//! code and the request id, and polls `GET /v1/requests/{id}/result` every second until the
//! request is verified or expired. It shows nothing but the proven claims
//! (statements, disclosed attributes, the per-app pseudonym).
//!
//! Errors are JSON `{"error": "<code>", "message": "<text>"}` with codes `rejected` (422),
//! `replayed` (409), `unknown_request` (404), `expired` (410), `invalid_request` (400),
//! `unauthorized` (401), `forbidden` (403), `unavailable` (503). Bodies are limited to 64 KiB. Responses and logs carry only what
//! [`VerifiedClaims`] holds.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use netid_core::{
    AppPolicy, AssuranceLevel, AttributeSet, Date, Presentation, PresentationRequest, Suite,
};

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::HeaderName;
use netid_serve::Limit;

use crate::auth::{ApiKey, ApiKeys};
use crate::error::VerifierError;
use crate::request::{App, DEFAULT_TTL};
use crate::store::{MemoryRateCounter, RateCounter};
use crate::verify::{RequestStatus, VerifiedClaims, Verifier};

/// Largest accepted request body.
pub const BODY_LIMIT: usize = 64 * 1024;

/// The civil date's offset from UTC used for `today` (China Standard Time).
pub const UTC_OFFSET_SECONDS: i32 = 8 * 3600;

/// A clock returning Unix seconds (replaceable in tests).
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    })
}

/// The verifier service's rate limits; a limit reached answers `429 rate_limited` with
/// `Retry-After`. Generous per address (carrier-grade NAT puts many people behind one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// Requests created per app (anyone may ask the service to create one).
    pub requests_per_app: Limit,
    /// Requests created per client address.
    pub requests_per_client: Limit,
    /// Presentations received per client address.
    pub presentations_per_client: Limit,
}

impl Default for RateLimits {
    fn default() -> RateLimits {
        RateLimits {
            requests_per_app: Limit::per_minute(60_000),
            requests_per_client: Limit::per_minute(600),
            presentations_per_client: Limit::per_minute(6_000),
        }
    }
}

/// The service's state: the verifier, the apps it creates requests for, the clock, the rate
/// limits and their counters.
#[derive(Clone)]
pub struct ServiceState {
    verifier: Arc<Verifier>,
    apps: Arc<HashMap<String, App>>,
    clock: Clock,
    public_url: Option<Arc<str>>,
    limits: RateLimits,
    counter: Arc<dyn RateCounter>,
    client_header: Option<Arc<HeaderName>>,
    api_keys: Arc<ApiKeys>,
}

impl std::fmt::Debug for ServiceState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceState")
            .field("apps", &self.apps.keys().collect::<Vec<_>>())
            .field("public_url", &self.public_url)
            .field("api_keys", &self.api_keys)
            .finish_non_exhaustive()
    }
}

impl ServiceState {
    /// State for `verifier` serving `apps`, with `clock`.
    pub fn new(verifier: Arc<Verifier>, apps: Vec<App>, clock: Clock) -> ServiceState {
        ServiceState {
            verifier,
            apps: Arc::new(
                apps.into_iter()
                    .map(|a| (a.app_id().to_owned(), a))
                    .collect(),
            ),
            clock,
            public_url: None,
            limits: RateLimits::default(),
            counter: Arc::new(MemoryRateCounter::new()),
            client_header: None,
            api_keys: Arc::default(),
        }
    }

    /// Sets the API key with which `app_id` uses the app-facing routes (an app without one
    /// cannot create requests).
    ///
    /// # Errors
    /// [`VerifierError::InvalidApp`] for an app the service does not run, or a key another app
    /// already has.
    pub fn with_api_key(mut self, app_id: &str, key: &ApiKey) -> Result<Self, VerifierError> {
        if !self.apps.contains_key(app_id) {
            return Err(VerifierError::InvalidApp(format!(
                "API key for {app_id:?}, an app this service does not run"
            )));
        }
        Arc::make_mut(&mut self.api_keys).insert(app_id, key)?;
        Ok(self)
    }

    /// Rate limits counted in `counter` (the default: [`RateLimits::default`] in memory; a
    /// [`RedisRateCounter`](crate::store::RedisRateCounter) shares the counts between replicas).
    #[must_use]
    pub fn with_rate_limits(mut self, limits: RateLimits, counter: Arc<dyn RateCounter>) -> Self {
        self.limits = limits;
        self.counter = counter;
        self
    }

    /// Behind a proxy: per-client limits count the address it writes in `header` (e.g.
    /// `x-forwarded-for`; its last entry) instead of the peer's, which is the proxy.
    #[must_use]
    pub fn with_client_header(mut self, header: HeaderName) -> ServiceState {
        self.client_header = Some(Arc::new(header));
        self
    }

    /// Counts one event against `limit` for `scope` and `subject`.
    async fn limit(&self, scope: &str, subject: &str, limit: Limit) -> Result<(), VerifierError> {
        let (start, left) = limit.window_at((self.clock)());
        let n = self
            .counter
            .hit(&format!("{scope}:{subject}"), start, limit.window)
            .await?;
        if n > limit.count {
            return Err(VerifierError::RateLimited { retry_after: left });
        }
        Ok(())
    }

    /// The client address of a request (peer, or the trusted proxy header's).
    fn client(
        &self,
        headers: &HeaderMap,
        peer: Option<&ConnectInfo<SocketAddr>>,
    ) -> Option<String> {
        netid_serve::client_addr(headers, peer, self.client_header.as_deref())
            .map(|a| a.to_string())
    }

    /// Sets the service's public base URL (e.g. `https://verify.shop.example`), used in the
    /// requests' QR codes instead of `http://<Host header>`. A trailing `/` is dropped.
    #[must_use]
    pub fn with_public_url(mut self, url: &str) -> ServiceState {
        self.public_url = Some(url.trim_end_matches('/').into());
        self
    }

    /// The verifier.
    pub fn verifier(&self) -> &Arc<Verifier> {
        &self.verifier
    }
}

/// Body of `POST /v1/requests`.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    /// The app asking; may be omitted (the app the API key names). Naming another app than
    /// the key's is `403 forbidden`.
    #[serde(default)]
    pub app_id: Option<String>,
    /// Minimum age.
    #[serde(default, deserialize_with = "netid_core::json::opt_int")]
    pub age_at_least: Option<u8>,
    /// Minimum assurance level.
    #[serde(default)]
    pub assurance_at_least: Option<AssuranceLevel>,
    /// Attributes to disclose.
    #[serde(default)]
    pub disclose: AttributeSet,
    /// Whether to ask for the pseudonym.
    #[serde(default)]
    pub pseudonym: bool,
    /// Whether to ask "not expired".
    #[serde(default)]
    pub not_expired: bool,
    /// Accepted suites (default: all).
    #[serde(default)]
    pub suites: Option<Vec<Suite>>,
    /// Lifetime in seconds (default 300, at most 3600).
    #[serde(default, deserialize_with = "netid_core::json::opt_int")]
    pub ttl_seconds: Option<u64>,
}

/// Answer of `POST /v1/requests`.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct CreatedRequest {
    /// The request's id (hex request hash).
    pub id: String,
    /// The signed request, for the wallet.
    pub request: PresentationRequest,
}

/// Answer of `GET /v1/requests/{id}` (the wallet's view: the signed request, no status).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct WalletView {
    /// The request's id.
    pub id: String,
    /// The signed request.
    pub request: PresentationRequest,
}

/// Answer of `GET /v1/requests/{id}/result` (the creating app's view).
#[derive(Clone, Debug, serde::Serialize)]
pub struct RequestView {
    /// The request's id.
    pub id: String,
    /// The signed request.
    pub request: PresentationRequest,
    /// Where it stands.
    #[serde(flatten)]
    pub status: RequestStatus,
}

/// An entry of `GET /v1/apps`: what the app's certificate says publicly (no key).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct AppInfo {
    /// The app id.
    pub app_id: String,
    /// Display name.
    pub name: String,
    /// Category.
    pub category: String,
    /// What the app may ask for.
    pub policy: AppPolicy,
}

/// The router: `state` served under the routes of the module docs.
pub fn router(state: ServiceState) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { page(INDEX_HTML, "text/html; charset=utf-8") }),
        )
        .route(
            "/static/app.js",
            get(|| async { page(APP_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/static/style.css",
            get(|| async { page(STYLE_CSS, "text/css; charset=utf-8") }),
        )
        // Browsers ask for it; no icon, and no 404 in the page's console.
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .route("/healthz", get(|| async { "ok" }))
        .route("/openapi.json", get(|| async { Json(openapi()) }))
        .route("/v1/apps", get(list_apps))
        .route("/v1/requests", post(create_request))
        .route("/v1/requests/{id}", get(wallet_request))
        .route("/v1/requests/{id}/result", get(request_result))
        .route("/v1/requests/{id}/qr.svg", get(request_qr))
        .route("/v1/presentations", post(receive_presentation))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

const INDEX_HTML: &str = include_str!("web/index.html");
const APP_JS: &str = include_str!("web/app.js");
const STYLE_CSS: &str = include_str!("web/style.css");

/// The page's Content-Security-Policy: everything from this origin only, nothing inline.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn page(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// An error response.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after: Option<u64>,
}

#[allow(non_snake_case)] // reads like the tuple constructor it replaced
fn ApiError(status: StatusCode, code: &'static str, message: String) -> ApiError {
    ApiError {
        status,
        code,
        message,
        retry_after: None,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(serde_json::json!({ "error": self.code, "message": self.message }));
        if self.status == StatusCode::UNAUTHORIZED {
            return (
                self.status,
                [(header::WWW_AUTHENTICATE, "Bearer realm=\"netid-verifier\"")],
                body,
            )
                .into_response();
        }
        if let Some(s) = self.retry_after {
            return (self.status, [(header::RETRY_AFTER, s.to_string())], body).into_response();
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            // Verification slots free up within milliseconds; a Redis connection is re-established
            // by the next command.
            return (self.status, [(header::RETRY_AFTER, "1")], body).into_response();
        }
        (self.status, body).into_response()
    }
}

impl From<VerifierError> for ApiError {
    fn from(e: VerifierError) -> ApiError {
        let (status, code) = match &e {
            VerifierError::Rejected => (StatusCode::UNPROCESSABLE_ENTITY, "rejected"),
            VerifierError::Replayed => (StatusCode::CONFLICT, "replayed"),
            VerifierError::UnknownRequest => (StatusCode::NOT_FOUND, "unknown_request"),
            VerifierError::Expired => (StatusCode::GONE, "expired"),
            VerifierError::Closed => (StatusCode::GONE, "closed"),
            VerifierError::Busy => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            VerifierError::RateLimited { retry_after } => {
                let mut a = ApiError(StatusCode::TOO_MANY_REQUESTS, "rate_limited", e.to_string());
                a.retry_after = Some(*retry_after);
                return a;
            }
            VerifierError::InvalidRequest(_) | VerifierError::InvalidApp(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request")
            }
            _ => {
                // Internals (a Redis error, an issuer URL) are logged, not answered.
                tracing::error!(error = %e, "verifier unavailable");
                return ApiError(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "temporarily unavailable, retry shortly".into(),
                );
            }
        };
        ApiError(status, code, e.to_string())
    }
}

/// `Json<T>` whose rejections are the documented JSON error: 400 for a body that is not JSON of
/// the documented schema, 413 over [`BODY_LIMIT`], 415 without `Content-Type: application/json`.
struct ApiJson<T>(T);

impl<T, St> axum::extract::FromRequest<St> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    St: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &St) -> Result<Self, ApiError> {
        use axum::extract::rejection::JsonRejection;
        match Json::<netid_core::json::ObjectOnly<T>>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v.0)),
            Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the request body is larger than {BODY_LIMIT} bytes"),
            )),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "malformed_json",
                "expected Content-Type: application/json".into(),
            )),
            // serde's message names the field and position, not the submitted values.
            Err(r) => Err(ApiError(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                r.body_text(),
            )),
        }
    }
}

/// The app an app-facing call authenticates as (`Authorization: Bearer <API key>`).
struct AppCaller(String);

impl axum::extract::FromRequestParts<ServiceState> for AppCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &ServiceState,
    ) -> Result<Self, ApiError> {
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim);
        match presented.and_then(|k| state.api_keys.app_of(k)) {
            Some(app) => Ok(AppCaller(app.to_owned())),
            None => Err(ApiError(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "this route needs `Authorization: Bearer <the app's API key>`".into(),
            )),
        }
    }
}

async fn create_request(
    State(state): State<ServiceState>,
    peer: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    caller: Result<AppCaller, ApiError>,
    ApiJson(body): ApiJson<CreateRequest>,
) -> Result<(StatusCode, Json<CreatedRequest>), ApiError> {
    // Counted before the key is checked: key guessing is limited too.
    if let Some(c) = state.client(&headers, peer.as_deref()) {
        state
            .limit("requests-client", &c, state.limits.requests_per_client)
            .await?;
    }
    let AppCaller(caller) = caller?;
    // Well-formed (the extractor checked the schema) but not acceptable: 422.
    let bad = |m: &str| {
        ApiError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            m.to_owned(),
        )
    };
    if body.app_id.as_ref().is_some_and(|id| *id != caller) {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            "forbidden",
            "the API key is another app's".into(),
        ));
    }
    let app = state
        .apps
        .get(&caller)
        .ok_or_else(|| bad("unknown app id"))?;
    state
        .limit("requests-app", app.app_id(), state.limits.requests_per_app)
        .await?;
    let now = (state.clock)();
    let today = Date::from_unix_seconds(i64::try_from(now).unwrap_or(i64::MAX), UTC_OFFSET_SECONDS)
        .map_err(|_| bad("clock out of range"))?;
    let ttl = body.ttl_seconds.map_or(DEFAULT_TTL, Duration::from_secs);
    if ttl > Duration::from_secs(3600) {
        return Err(bad("ttl_seconds must be at most 3600"));
    }
    let response_uri = format!("{}/v1/presentations", base_url(&state, &headers)?);
    let mut b = app
        .request(today)
        .disclose_all(body.disclose)
        .ttl(ttl)
        .response_uri(response_uri);
    if let Some(n) = body.age_at_least {
        b = b.age_at_least(n);
    }
    if let Some(l) = body.assurance_at_least {
        b = b.assurance_at_least(l);
    }
    if body.pseudonym {
        b = b.pseudonym();
    }
    if body.not_expired {
        b = b.not_expired();
    }
    if let Some(s) = &body.suites {
        b = b.suites(s);
    }
    let request = b.build(now)?;
    let id = state.verifier.register(&request, now).await?;
    tracing::info!(app_id = %request.app_id, %id, "request created");
    Ok((StatusCode::CREATED, Json(CreatedRequest { id, request })))
}

async fn list_apps(State(state): State<ServiceState>) -> Json<Vec<AppInfo>> {
    let mut apps: Vec<AppInfo> = state
        .apps
        .values()
        .map(|a| {
            let c = a.certificate();
            AppInfo {
                app_id: c.app_id.clone(),
                name: c.name.clone(),
                category: c.category.clone(),
                policy: c.policy,
            }
        })
        .collect();
    apps.sort_by(|a, b| a.app_id.cmp(&b.app_id));
    Json(apps)
}

fn not_found() -> ApiError {
    ApiError(
        StatusCode::NOT_FOUND,
        "unknown_request",
        "unknown request".into(),
    )
}

/// The base URL the QR codes point to: the configured public URL, else `http://<Host>` (only
/// host characters accepted).
fn base_url(state: &ServiceState, headers: &HeaderMap) -> Result<String, ApiError> {
    if let Some(u) = &state.public_url {
        return Ok(u.to_string());
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.:[]_".contains(&b))
        })
        .ok_or_else(|| {
            ApiError(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "no usable Host header and no public URL configured".into(),
            )
        })?;
    Ok(format!("http://{host}"))
}

/// The text a request's QR code holds: the absolute URL of `GET /v1/requests/{id}`.
pub fn qr_payload(base_url: &str, id: &str) -> String {
    format!("{}/v1/requests/{id}", base_url.trim_end_matches('/'))
}

async fn request_qr(
    State(state): State<ServiceState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    // Only ids of registered requests (64 hex digits) get a code.
    state.verifier.request(&id).await?.ok_or_else(not_found)?;
    let payload = qr_payload(&base_url(&state, &headers)?, &id);
    let code = qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| {
            ApiError(
                StatusCode::INTERNAL_SERVER_ERROR,
                "unavailable",
                e.to_string(),
            )
        })?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build();
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        svg,
    )
        .into_response())
}

async fn wallet_request(
    State(state): State<ServiceState>,
    Path(id): Path<String>,
) -> Result<Json<WalletView>, ApiError> {
    let request = state.verifier.request(&id).await?.ok_or_else(not_found)?;
    Ok(Json(WalletView { id, request }))
}

async fn request_result(
    State(state): State<ServiceState>,
    AppCaller(caller): AppCaller,
    Path(id): Path<String>,
) -> Result<Json<RequestView>, ApiError> {
    let now = (state.clock)();
    let (request, status) = state
        .verifier
        .status(&id, now)
        .await?
        // Another app's request looks like an unknown one.
        .filter(|(r, _)| r.app_id == caller)
        .ok_or_else(not_found)?;
    Ok(Json(RequestView {
        id,
        request,
        status,
    }))
}

async fn receive_presentation(
    State(state): State<ServiceState>,
    peer: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    ApiJson(presentation): ApiJson<Presentation>,
) -> Result<Json<VerifiedClaims>, ApiError> {
    if let Some(c) = state.client(&headers, peer.as_deref()) {
        state
            .limit(
                "presentations-client",
                &c,
                state.limits.presentations_per_client,
            )
            .await?;
    }
    let now = (state.clock)();
    let claims = state.verifier.receive(&presentation, now).await?;
    Ok(Json(claims))
}

/// The OpenAPI 3.1 document of the service (served at `GET /openapi.json`).
pub fn openapi() -> serde_json::Value {
    use netid_core::openapi::{attribute_set, presentation, suite, uint};
    let err = serde_json::json!({
        "description": "error",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    });
    let json = |d: &str| serde_json::json!({"description": d, "content": {"application/json": {}}});
    serde_json::json!({
        "openapi": "3.1.0",
        "info": {"title": "netid-verifier", "version": env!("CARGO_PKG_VERSION")},
        "paths": {
            "/": {"get": {
                "summary": "the operator's web page: create an over-18 request, show its QR code and live status",
                "responses": {"200": {"description": "HTML page", "content": {"text/html": {}}}}
            }},
            "/static/app.js": {"get": {
                "summary": "the web page's script",
                "responses": {"200": {"description": "JavaScript", "content": {"text/javascript": {}}}}
            }},
            "/static/style.css": {"get": {
                "summary": "the web page's style sheet",
                "responses": {"200": {"description": "CSS", "content": {"text/css": {}}}}
            }},
            "/healthz": {"get": {"summary": "liveness", "responses": {"200": {"description": "ok"}}}},
            "/openapi.json": {"get": {"summary": "this document", "responses": {"200": json("OpenAPI 3.1 document")}}},
            "/v1/apps": {"get": {
                "summary": "the configured apps: id, display name, category, policy (public certificate data)",
                "responses": {"200": json("list of apps")}
            }},
            "/v1/requests": {"post": {
                "summary": "create a signed presentation request (the app's backend; needs the app's API key)",
                "security": [{"apiKey": []}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CreateRequest"}}}},
                "responses": {
                    "201": json("id and signed request"),
                    "400": err.clone(),
                    "401": {"description": "no or unknown API key", "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                    "403": err.clone(), "413": err.clone(), "415": err.clone(),
                    "422": err.clone(),
                    "429": {"description": "rate limit reached (per app or client address); Retry-After gives the seconds to wait", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                    "503": err.clone()
                }
            }},
            "/v1/requests/{id}": {"get": {
                "summary": "the signed request, for the wallet (no status: the creating app reads that at /result)",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": json("id and signed request"), "404": err.clone(), "503": err.clone()}
            }},
            "/v1/requests/{id}/result": {"get": {
                "summary": "a request and its status, for the app that created it: pending, verified (with claims), rejected (presentations naming it were rejected; still answerable until expiry), expired",
                "security": [{"apiKey": []}],
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {
                    "200": json("request and status"),
                    "401": {"description": "no or unknown API key", "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                    "404": {"description": "unknown, forgotten, or another app's request", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                    "503": err.clone()
                }
            }},
            "/v1/requests/{id}/qr.svg": {"get": {
                "summary": "the request's QR code for the wallet",
                "description": "An SVG QR code (error correction M) holding the absolute URL of GET /v1/requests/{id}, built from the service's configured public URL or else http://<Host header>. The wallet fetches that URL, checks the signed request it gets, and posts its presentation to the request's signed response_uri, nowhere else.",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {
                    "200": {"description": "QR code", "content": {"image/svg+xml": {}}},
                    "400": err.clone(), "404": err.clone(), "503": err.clone()
                }
            }},
            "/v1/presentations": {"post": {
                "summary": "verify a presentation answering a registered request",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Presentation"}}}},
                "responses": {
                    "200": json("the verified claims"),
                    "400": err.clone(), "404": err.clone(), "409": err.clone(), "410": err.clone(),
                    "413": err.clone(), "415": err.clone(), "422": err.clone(),
                    "429": {"description": "rate limit reached (per client address); Retry-After gives the seconds to wait", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                    "503": err
                }
            }}
        },
        "components": {
        "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer", "description": "the app's API key (netid-verifier --app-api-key-file)"}},
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error", "message"],
                "properties": {
                    "error": {"type": "string", "enum": [
                        "rejected", "replayed", "unknown_request", "expired", "closed", "busy", "rate_limited",
                        "invalid_request", "unauthorized", "forbidden", "unavailable", "malformed_json",
                        "body_too_large"
                    ]},
                    "message": {"type": "string"}
                }
            },
            // Exactly what the deserializers accept (netid_core::openapi); what only the
            // handler can judge is a 422.
            "CreateRequest": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "app_id": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                    "age_at_least": {"anyOf": [uint(8), {"type": "null"}]},
                    "assurance_at_least": {"anyOf": [{"type": "integer", "enum": [1, 2]}, {"type": "null"}]},
                    "disclose": attribute_set(),
                    "pseudonym": {"type": "boolean"},
                    "not_expired": {"type": "boolean"},
                    "suites": {"anyOf": [{"type": "array", "items": suite()}, {"type": "null"}]},
                    "ttl_seconds": {"anyOf": [{"type": "integer", "minimum": 0, "maximum": 3600}, {"type": "null"}]}
                }
            },
            "Presentation": presentation()
        }}
    })
}
