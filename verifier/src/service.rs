//! The HTTP service (axum): create requests, receive presentations, poll a request's status.
//!
//! | method and path | body | answer |
//! |---|---|---|
//! | `GET /healthz` | | `200 ok` |
//! | `GET /openapi.json` | | the OpenAPI 3.1 document of these routes |
//! | `POST /v1/requests` | [`CreateRequest`] | `201` [`CreatedRequest`] (id and signed request) |
//! | `GET /v1/requests/{id}` | | `200` [`RequestView`] (request and status) or `404` |
//! | `POST /v1/presentations` | a `Presentation` | `200` [`VerifiedClaims`] or an error |
//!
//! Errors are JSON `{"error": "<code>", "message": "<text>"}` with codes `rejected` (422),
//! `replayed` (409), `unknown_request` (404), `expired` (410), `invalid_request` (400),
//! `unavailable` (503). Bodies are limited to 64 KiB. Responses and logs carry only what
//! [`VerifiedClaims`] holds.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use netid_core::{AssuranceLevel, AttributeSet, Date, Presentation, PresentationRequest, Suite};

use crate::error::VerifierError;
use crate::request::{App, DEFAULT_TTL};
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

/// The service's state: the verifier, the apps it creates requests for, the clock.
#[derive(Clone)]
pub struct ServiceState {
    verifier: Arc<Verifier>,
    apps: Arc<HashMap<String, App>>,
    clock: Clock,
}

impl std::fmt::Debug for ServiceState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceState")
            .field("apps", &self.apps.keys().collect::<Vec<_>>())
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
        }
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
    /// The app asking; may be omitted when the service serves exactly one app.
    #[serde(default)]
    pub app_id: Option<String>,
    /// Minimum age.
    #[serde(default)]
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
    #[serde(default)]
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

/// Answer of `GET /v1/requests/{id}`.
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

/// The router: `state` served under the routes of the module docs.
pub fn router(state: ServiceState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/openapi.json", get(|| async { Json(openapi()) }))
        .route("/v1/requests", post(create_request))
        .route("/v1/requests/{id}", get(request_status))
        .route("/v1/presentations", post(receive_presentation))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// An error response.
#[derive(Debug)]
struct ApiError(StatusCode, &'static str, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.0,
            Json(serde_json::json!({ "error": self.1, "message": self.2 })),
        )
            .into_response()
    }
}

impl From<VerifierError> for ApiError {
    fn from(e: VerifierError) -> ApiError {
        let (status, code) = match &e {
            VerifierError::Rejected => (StatusCode::UNPROCESSABLE_ENTITY, "rejected"),
            VerifierError::Replayed => (StatusCode::CONFLICT, "replayed"),
            VerifierError::UnknownRequest => (StatusCode::NOT_FOUND, "unknown_request"),
            VerifierError::Expired => (StatusCode::GONE, "expired"),
            VerifierError::InvalidRequest(_) | VerifierError::InvalidApp(_) => {
                (StatusCode::BAD_REQUEST, "invalid_request")
            }
            _ => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        };
        ApiError(status, code, e.to_string())
    }
}

async fn create_request(
    State(state): State<ServiceState>,
    Json(body): Json<CreateRequest>,
) -> Result<(StatusCode, Json<CreatedRequest>), ApiError> {
    let bad = |m: &str| ApiError(StatusCode::BAD_REQUEST, "invalid_request", m.to_owned());
    let app = match &body.app_id {
        Some(id) => state.apps.get(id),
        None if state.apps.len() == 1 => state.apps.values().next(),
        None => None,
    }
    .ok_or_else(|| bad("unknown app id"))?;
    let now = (state.clock)();
    let today = Date::from_unix_seconds(i64::try_from(now).unwrap_or(i64::MAX), UTC_OFFSET_SECONDS)
        .map_err(|_| bad("clock out of range"))?;
    let ttl = body.ttl_seconds.map_or(DEFAULT_TTL, Duration::from_secs);
    if ttl > Duration::from_secs(3600) {
        return Err(bad("ttl_seconds must be at most 3600"));
    }
    let mut b = app.request(today).disclose_all(body.disclose).ttl(ttl);
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
    let id = state.verifier.register(&request, now)?;
    tracing::info!(app_id = %request.app_id, %id, "request created");
    Ok((StatusCode::CREATED, Json(CreatedRequest { id, request })))
}

async fn request_status(
    State(state): State<ServiceState>,
    Path(id): Path<String>,
) -> Result<Json<RequestView>, ApiError> {
    let now = (state.clock)();
    let not_found = || {
        ApiError(
            StatusCode::NOT_FOUND,
            "unknown_request",
            "unknown request".into(),
        )
    };
    let request = state.verifier.request(&id).ok_or_else(not_found)?;
    let status = state.verifier.status(&id, now).ok_or_else(not_found)?;
    Ok(Json(RequestView {
        id,
        request,
        status,
    }))
}

async fn receive_presentation(
    State(state): State<ServiceState>,
    Json(presentation): Json<Presentation>,
) -> Result<Json<VerifiedClaims>, ApiError> {
    let now = (state.clock)();
    let claims = state.verifier.receive(&presentation, now).await?;
    Ok(Json(claims))
}

/// The OpenAPI 3.1 document of the service (served at `GET /openapi.json`).
pub fn openapi() -> serde_json::Value {
    let err = serde_json::json!({
        "description": "error",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    });
    let json = |d: &str| serde_json::json!({"description": d, "content": {"application/json": {}}});
    serde_json::json!({
        "openapi": "3.1.0",
        "info": {"title": "netid-verifier", "version": env!("CARGO_PKG_VERSION")},
        "paths": {
            "/healthz": {"get": {"summary": "liveness", "responses": {"200": {"description": "ok"}}}},
            "/v1/requests": {"post": {
                "summary": "create a signed presentation request",
                "requestBody": {"required": true, "content": {"application/json": {}}},
                "responses": {"201": json("id and signed request"), "400": err.clone()}
            }},
            "/v1/requests/{id}": {"get": {
                "summary": "a request and its status (pending, verified with claims, expired)",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": json("request and status"), "404": err.clone()}
            }},
            "/v1/presentations": {"post": {
                "summary": "verify a presentation answering a registered request",
                "requestBody": {"required": true, "content": {"application/json": {}}},
                "responses": {
                    "200": json("the verified claims"),
                    "404": err.clone(), "409": err.clone(), "410": err.clone(),
                    "422": err.clone(), "503": err
                }
            }}
        },
        "components": {"schemas": {"Error": {
            "type": "object",
            "required": ["error", "message"],
            "properties": {
                "error": {"type": "string", "enum": [
                    "rejected", "replayed", "unknown_request", "expired", "invalid_request", "unavailable"
                ]},
                "message": {"type": "string"}
            }
        }}}
    })
}
