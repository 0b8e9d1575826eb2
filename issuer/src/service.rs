//! The issuer's HTTP service (axum): the routes below over an [`Issuer`], with JSON errors, an
//! admin token, body-size limit, timeouts and request tracing. Wire formats: `specs/api/issuer.md`
//! (kept in sync with the OpenAPI document this module generates, [`openapi`]).
//!
//! | method and path | body | answer |
//! |---|---|---|
//! | `GET /healthz` | | `200 ok` (checks the storage) |
//! | `GET /openapi.json` | | the OpenAPI 3.1 document |
//! | `GET /v1/metadata` | | `IssuerMetadata`: keys of both suites, revocation root, epoch |
//! | `GET /v1/bbs/{suite}/digits` | | the digit signatures of a BBS suite for the current epoch (binary) |
//! | `GET /v1/bbs/{suite}/epochs/{epoch}/digits` | | the same for the current or a grace epoch (immutable) |
//! | `GET /v1/revocation/epochs/{epoch}/buckets/{bucket}` | | [`RevocationBucket`] (immutable: `ETag`, `Cache-Control: immutable`, `304` on `If-None-Match`) |
//! | `GET /v1/epochs/records?after={epoch}&limit={n}` | | [`EpochRecords`]: the signed epoch records after `after`, oldest first |
//! | `POST /v1/phone/challenges` | [`PhoneStartRequest`] | `201` [`PhoneStartResponse`] |
//! | `POST /v1/enrolments` | [`EnrolRequest`] | `201` [`EnrolResponse`] |
//! | `POST /v1/credentials` | [`RefreshRequest`] | `200` [`EnrolResponse`] (refresh; first issuance after approval) |
//! | `GET /v1/guardian/request?suites=…` | | [`GuardianRequestResponse`] |
//! | `POST /v1/guardian/approvals` | [`ApproveRequest`] | [`WardInfo`] |
//! | `POST /v1/guardian/wards` | [`WardsRequest`] | list of [`WardInfo`] |
//! | `POST /v1/guardian/permissions` | [`PermissionsRequest`] | [`WardInfo`] |
//! | `POST /v1/guardian/unlink` | [`UnlinkRequest`] | `204` |
//! | `POST /v1/admin/apps` (admin) | [`RegisterAppRequest`] | `201` [`RegisterAppResponse`] |
//! | `GET /v1/admin/apps` (admin) | | list of [`AppInfo`] |
//! | `POST /v1/admin/revocations` (admin) | [`RevokeRequest`] | [`RevokeResponse`] |
//!
//! Errors are `{"error": "<code>", "message": "<text>"}` ([`ErrorBody`]); the code is
//! [`IssuerError::code`] or one of `malformed_json` (400), `body_too_large` (413),
//! `unauthorized` (401), `timeout` (408), `not_found` (404). Client errors answer 4xx with the
//! error's message (which names what is wrong, never personal data); issuer-side failures answer
//! 500/503 with a generic message and are logged in full.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use netid_core::Suite;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::api::{
    AppInfo, ApproveRequest, EnrolRequest, EnrolResponse, EpochRecords, ErrorBody,
    GuardianRequestResponse, MetadataSchema, PermissionsRequest, PhoneStartRequest,
    PhoneStartResponse, RefreshRequest, RegisterAppRequest, RegisterAppResponse, RevocationBucket,
    RevokeRequest, RevokeResponse, SignedMetadataSchema, UnlinkRequest, WardInfo, WardsRequest,
    MAX_EPOCH_RECORDS_PAGE,
};
use crate::storage::{AnyStorage, Storage};
use crate::{Issuer, IssuerError, PhoneCodeError};

/// Largest accepted request body (an enrolment with a card photo fits easily).
pub const BODY_LIMIT: usize = 256 * 1024;
/// Time after which a request is answered `408`.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The admin bearer token (secret): compared in constant time, zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct AdminToken(String);

impl AdminToken {
    /// Wraps `token`.
    ///
    /// # Errors
    /// [`IssuerError::InvalidInput`] if it is shorter than 16 characters.
    pub fn new(token: String) -> Result<AdminToken, IssuerError> {
        if token.trim().len() < 16 {
            return Err(IssuerError::InvalidInput(
                "the admin token must be at least 16 characters",
            ));
        }
        Ok(AdminToken(token))
    }

    /// Whether `candidate` equals the token (constant time over the digests).
    pub fn matches(&self, candidate: &str) -> bool {
        let a = Sha256::digest(self.0.as_bytes());
        let b = Sha256::digest(candidate.as_bytes());
        a.ct_eq(&b).into()
    }
}

impl core::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

/// The service's shared state: the issuer and the admin token (admin routes answer `401` to
/// everyone when there is none).
pub struct ServiceState<S: Storage = AnyStorage> {
    issuer: Arc<Issuer<S>>,
    admin: Option<Arc<AdminToken>>,
    client_header: Option<Arc<axum::http::HeaderName>>,
}

impl<S: Storage> Clone for ServiceState<S> {
    fn clone(&self) -> Self {
        ServiceState {
            issuer: self.issuer.clone(),
            admin: self.admin.clone(),
            client_header: self.client_header.clone(),
        }
    }
}

impl<S: Storage> core::fmt::Debug for ServiceState<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServiceState")
            .field("issuer", &self.issuer)
            .field("admin", &self.admin.is_some())
            .finish()
    }
}

impl<S: Storage> ServiceState<S> {
    /// State over `issuer`, with admin routes enabled when `admin` is given.
    pub fn new(issuer: Arc<Issuer<S>>, admin: Option<AdminToken>) -> ServiceState<S> {
        ServiceState {
            issuer,
            admin: admin.map(Arc::new),
            client_header: None,
        }
    }

    /// Behind a proxy: per-client limits count the address that the proxy writes in `header`
    /// (e.g. `x-forwarded-for`; its last entry) instead of the peer's, which is the proxy.
    pub fn with_client_header(mut self, header: axum::http::HeaderName) -> ServiceState<S> {
        self.client_header = Some(Arc::new(header));
        self
    }

    /// The issuer.
    pub fn issuer(&self) -> &Arc<Issuer<S>> {
        &self.issuer
    }
}

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }
}

/// The HTTP status of an issuer error.
pub fn status_of(e: &IssuerError) -> StatusCode {
    match e {
        IssuerError::NotFound(_) => StatusCode::NOT_FOUND,
        IssuerError::Gone(_) => StatusCode::GONE,
        IssuerError::Conflict(_) => StatusCode::CONFLICT,
        IssuerError::NotAllowed(_)
        | IssuerError::MinorNeedsGuardian
        | IssuerError::GuardianApprovalRequired => StatusCode::FORBIDDEN,
        IssuerError::PhoneCode(PhoneCodeError::TooManyAttempts)
        | IssuerError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        IssuerError::PhoneCode(PhoneCodeError::Expired) => StatusCode::GONE,
        IssuerError::PhoneCode(PhoneCodeError::Reused) => StatusCode::CONFLICT,
        IssuerError::PhoneCode(PhoneCodeError::UnknownChallenge) => StatusCode::NOT_FOUND,
        IssuerError::CardUntrustedAuthority
        | IssuerError::CardSignature
        | IssuerError::CardNotYetValid
        | IssuerError::CardExpired
        | IssuerError::CardMismatch(_)
        | IssuerError::FaceMismatch
        | IssuerError::PhoneCode(_)
        | IssuerError::InvalidGuardian(_) => StatusCode::UNPROCESSABLE_ENTITY,
        IssuerError::Storage { .. } | IssuerError::CodeDelivery | IssuerError::Exhausted(_) => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        // A well-formed request (it matched the documented schema, or the JSON extractor would
        // have answered 400) whose content is refused.
        e if e.is_client_error() => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<IssuerError> for ApiError {
    fn from(e: IssuerError) -> ApiError {
        let status = status_of(&e);
        if let IssuerError::RateLimited { retry_after } = e {
            tracing::info!(retry_after, "rate limited");
            let mut a = ApiError::new(status, e.code(), e.to_string());
            a.retry_after = Some(retry_after);
            return a;
        }
        if let IssuerError::Exhausted(what) = e {
            // Nothing secret, and the operator's to fix: say what ran out.
            tracing::error!(what, "issuer capacity exhausted");
            return ApiError::new(
                status,
                e.code(),
                format!("the issuer has run out of {what}; it cannot issue credentials now"),
            );
        }
        if e.is_client_error() {
            tracing::debug!(code = e.code(), "request refused");
            ApiError::new(status, e.code(), e.to_string())
        } else {
            // Internals go to the log only.
            tracing::error!(code = e.code(), error = ?e, "issuer failure");
            ApiError::new(
                status,
                e.code(),
                "the issuer could not complete the request",
            )
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (
            self.status,
            Json(ErrorBody {
                error: self.code.into(),
                message: self.message,
            }),
        )
            .into_response();
        if let Some(s) = self.retry_after {
            r.headers_mut().insert(header::RETRY_AFTER, s.into());
        }
        r
    }
}

/// A JSON body whose rejections are [`ApiError`]s (`malformed_json`, `body_too_large`).
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T, St> FromRequest<St> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    St: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &St) -> Result<Self, Self::Rejection> {
        match Json::<netid_core::json::ObjectOnly<T>>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v.0)),
            Err(r) => Err(json_rejection(&r)),
        }
    }
}

fn json_rejection(r: &JsonRejection) -> ApiError {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the request body is larger than {BODY_LIMIT} bytes"),
        );
    }
    match r {
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "malformed_json",
            "expected Content-Type: application/json",
        ),
        // serde's message names the field and position, not the submitted values.
        other => ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", other.body_text()),
    }
}

/// Proof that the request carried the admin token (`Authorization: Bearer <token>`).
#[derive(Debug)]
pub struct Admin;

impl<S: Storage + 'static> FromRequestParts<ServiceState<S>> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ServiceState<S>,
    ) -> Result<Self, Self::Rejection> {
        let unauthorized = || {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "admin token missing or wrong",
            )
        };
        let token = state.admin.as_ref().ok_or_else(unauthorized)?;
        let given = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(unauthorized)?;
        if token.matches(given.trim()) {
            Ok(Admin)
        } else {
            tracing::warn!("admin request with a wrong token");
            Err(unauthorized())
        }
    }
}

/// The router: `state` under the routes of the module docs.
pub fn router<S: Storage + 'static>(state: ServiceState<S>) -> Router {
    Router::new()
        .route("/healthz", get(healthz::<S>))
        .route("/openapi.json", get(|| async { Json(openapi()) }))
        .route("/v1/metadata", get(metadata::<S>))
        .route("/v1/bbs/{suite}/digits", get(digits::<S>))
        .route(
            "/v1/bbs/{suite}/epochs/{epoch}/digits",
            get(epoch_digits::<S>),
        )
        .route(
            "/v1/revocation/epochs/{epoch}/buckets/{bucket}",
            get(revocation_bucket::<S>),
        )
        .route("/v1/epochs/records", get(epoch_records::<S>))
        .route("/v1/phone/challenges", post(phone_start::<S>))
        .route("/v1/enrolments", post(enrol::<S>))
        .route("/v1/credentials", post(refresh::<S>))
        .route("/v1/guardian/request", get(guardian_request::<S>))
        .route("/v1/guardian/approvals", post(approve::<S>))
        .route("/v1/guardian/wards", post(wards::<S>))
        .route("/v1/guardian/permissions", post(permissions::<S>))
        .route("/v1/guardian/unlink", post(unlink::<S>))
        .route("/v1/admin/apps", post(register_app::<S>).get(apps::<S>))
        .route("/v1/admin/revocations", post(revoke::<S>))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route") })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            follow_revocations::<S>,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

type ApiResult<T> = Result<T, ApiError>;

/// The client's address for per-client limits ([`netid_serve::client_addr`]): the peer, or
/// behind a proxy the address in the header named by [`ServiceState::with_client_header`].
/// `None` when unknown (a router called in process).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<std::net::IpAddr>);

impl<S: Storage> FromRequestParts<ServiceState<S>> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        st: &ServiceState<S>,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        Ok(ClientAddr(netid_serve::client_addr(
            &parts.headers,
            peer,
            st.client_header.as_deref(),
        )))
    }
}

/// Before each request: catch up with revocations other replicas made (one indexed read; the
/// tree is reloaded only when the database's revocation version moved). On a database error the
/// request goes on with the state this replica has, and the error is logged.
async fn follow_revocations<S: Storage>(
    State(st): State<ServiceState<S>>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    if !matches!(req.uri().path(), "/healthz" | "/openapi.json") {
        if let Err(e) = st.issuer.sync_revocations().await {
            tracing::warn!(error = %e, "cannot read the revocation version; serving the last one");
        }
    }
    next.run(req).await
}

#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "ok"), (status = 503, body = ErrorBody)))]
async fn healthz<S: Storage>(State(st): State<ServiceState<S>>) -> ApiResult<&'static str> {
    st.issuer.storage().epoch().await?;
    Ok("ok")
}

#[utoipa::path(get, path = "/v1/metadata", responses((status = 200, body = SignedMetadataSchema)))]
async fn metadata<S: Storage>(
    State(st): State<ServiceState<S>>,
) -> Json<netid_core::SignedMetadata> {
    Json(st.issuer.signed_metadata())
}

fn parse_suite(s: &str) -> Result<Suite, ApiError> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            "unknown suite (bbs-sha256, bbs-shake256, groth16)",
        )
    })
}

#[utoipa::path(get, path = "/v1/bbs/{suite}/digits",
    params(("suite" = String, Path, description = "bbs-sha256 or bbs-shake256")),
    responses((status = 200, description = "digit signatures (specs/bbs.md), application/octet-stream"),
              (status = 400, body = ErrorBody),
              (status = 422, body = ErrorBody, description = "groth16: not a BBS suite")))]
async fn digits<S: Storage + 'static>(
    State(st): State<ServiceState<S>>,
    Path(suite): Path<String>,
) -> ApiResult<Response> {
    let suite = parse_suite(&suite)?;
    digit_response(&st, suite, None, "public, max-age=60").await
}

#[utoipa::path(get, path = "/v1/bbs/{suite}/epochs/{epoch}/digits",
    params(("suite" = String, Path, description = "bbs-sha256 or bbs-shake256"),
           ("epoch" = u64, Path, description = "the metadata's `epoch` or one of its `previous_epochs`")),
    responses((status = 200, description = "digit signatures of that epoch (specs/bbs.md), application/octet-stream; never change"),
              (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody, description = "groth16: not a BBS suite")))]
async fn epoch_digits<S: Storage + 'static>(
    State(st): State<ServiceState<S>>,
    Path((suite, epoch)): Path<(String, String)>,
) -> ApiResult<Response> {
    let suite = parse_suite(&suite)?;
    let epoch: u64 = epoch.parse().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_input",
            "epoch must be a non-negative integer",
        )
    })?;
    digit_response(&st, suite, Some(epoch), IMMUTABLE).await
}

async fn digit_response<S: Storage + 'static>(
    st: &ServiceState<S>,
    suite: Suite,
    epoch: Option<u64>,
    cache: &'static str,
) -> ApiResult<Response> {
    let issuer = st.issuer.clone();
    // Signing the 256 digit signatures of a new epoch takes a while: off the async workers.
    let bytes = tokio::task::spawn_blocking(move || issuer.digit_signatures(suite, epoch))
        .await
        .map_err(|_| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "task failed")
        })??;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, cache),
        ],
        bytes,
    )
        .into_response())
}

/// How long caches may keep a bucket: it never changes.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

#[utoipa::path(get, path = "/v1/revocation/epochs/{epoch}/buckets/{bucket}",
    params(("epoch" = u64, Path, description = "an epoch that has begun (the metadata's `epoch` or an earlier one)"),
           ("bucket" = u32, Path, maximum = 65535, description = "the bucket: a credential's `rev_index` divided by 2^16"),
           ("If-None-Match" = Option<String>, Header, description = "the ETag of a copy the client holds")),
    responses((status = 200, body = RevocationBucket), (status = 304, description = "the client's copy is current"),
              (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 410, body = ErrorBody, description = "an epoch older than the issuer keeps (`--retain-epochs`)")))]
async fn revocation_bucket<S: Storage>(
    State(st): State<ServiceState<S>>,
    Path((epoch, bucket)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
) -> ApiResult<Response> {
    let bad = |what| ApiError::new(StatusCode::BAD_REQUEST, "invalid_input", what);
    let epoch: u64 = epoch
        .parse()
        .map_err(|_| bad("epoch must be a non-negative integer"))?;
    let bucket: u32 = bucket
        .parse()
        .ok()
        .filter(|b| u64::from(*b) < netid_circuits::gadgets::merkle::BUCKETS)
        .ok_or_else(|| bad("bucket must be an integer below 65536"))?;
    let etag = format!("\"{epoch}-{bucket}\"");
    let cached = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == etag || t.trim() == "*");
    // The answer is the same for the whole life of the epoch; the 304 still needs the epoch
    // to have begun, which only the database knows.
    let body = st.issuer.revocation_bucket(epoch, bucket).await?;
    let headers = [
        (header::ETAG, etag),
        (header::CACHE_CONTROL, IMMUTABLE.to_owned()),
    ];
    if cached {
        return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    Ok((headers, Json(body)).into_response())
}

#[derive(serde::Deserialize)]
struct RecordsQuery {
    after: Option<String>,
    limit: Option<String>,
}

#[utoipa::path(get, path = "/v1/epochs/records",
    params(("after" = Option<u64>, Query, description = "the epoch of the record the client holds: records after it are returned (all from the first when absent)"),
           ("limit" = Option<u32>, Query, minimum = 1, maximum = 256, description = "at most this many records (default 256)")),
    responses((status = 200, body = EpochRecords, description = "the signed epoch records after `after`, oldest first"),
              (status = 400, body = ErrorBody)))]
async fn epoch_records<S: Storage>(
    State(st): State<ServiceState<S>>,
    q: Result<Query<RecordsQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<EpochRecords>> {
    let bad = |what| ApiError::new(StatusCode::BAD_REQUEST, "invalid_input", what);
    let Query(q) =
        q.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_input", e.body_text()))?;
    // Epochs are stored as signed 64-bit integers: the documented range is 0..=2^63-1.
    let after = q
        .after
        .map(|a| a.parse::<i64>().ok().and_then(|a| u64::try_from(a).ok()))
        .map(|a| a.ok_or_else(|| bad("after must be an integer from 0 to 2^63-1")))
        .transpose()?;
    let limit = q
        .limit
        .map_or(Ok(MAX_EPOCH_RECORDS_PAGE), |l| l.parse::<u32>())
        .ok()
        .filter(|l| (1..=MAX_EPOCH_RECORDS_PAGE).contains(l))
        .ok_or_else(|| bad("limit must be an integer from 1 to 256"))?;
    Ok(Json(EpochRecords {
        records: st.issuer.epoch_records(after, limit).await?,
    }))
}

#[utoipa::path(post, path = "/v1/phone/challenges", request_body = PhoneStartRequest,
    responses((status = 201, body = PhoneStartResponse), (status = 400, body = ErrorBody)))]
async fn phone_start<S: Storage>(
    State(st): State<ServiceState<S>>,
    client: ClientAddr,
    ApiJson(req): ApiJson<PhoneStartRequest>,
) -> ApiResult<(StatusCode, Json<PhoneStartResponse>)> {
    st.issuer.check_client_phone(client.0).await?;
    let c = st.issuer.start_phone(&req.phone).await?;
    Ok((
        StatusCode::CREATED,
        Json(PhoneStartResponse {
            challenge_id: c.challenge_id.to_hex(),
            expires_at: c.expires_at,
        }),
    ))
}

#[utoipa::path(post, path = "/v1/enrolments", request_body = EnrolRequest,
    responses((status = 201, body = EnrolResponse),
              (status = 400, description = "malformed input, bad ID number", body = ErrorBody),
              (status = 403, description = "minor without guardian", body = ErrorBody),
              (status = 422, description = "card, face or phone code refused", body = ErrorBody)))]
async fn enrol<S: Storage>(
    State(st): State<ServiceState<S>>,
    client: ClientAddr,
    ApiJson(req): ApiJson<EnrolRequest>,
) -> ApiResult<(StatusCode, Json<EnrolResponse>)> {
    st.issuer.check_client_write(client.0).await?;
    let r = st.issuer.enrol(&req).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

#[utoipa::path(post, path = "/v1/credentials", request_body = RefreshRequest,
    responses((status = 200, body = EnrolResponse), (status = 403, body = ErrorBody)))]
async fn refresh<S: Storage>(
    State(st): State<ServiceState<S>>,
    client: ClientAddr,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> ApiResult<Json<EnrolResponse>> {
    st.issuer.check_client_write(client.0).await?;
    Ok(Json(st.issuer.refresh(&req).await?))
}

/// Query of `GET /v1/guardian/request`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SuitesQuery {
    /// Comma-separated suites the guardian's wallet can answer with (absent: all offered ones).
    suites: Option<String>,
}

#[utoipa::path(get, path = "/v1/guardian/request", params(SuitesQuery),
    responses((status = 200, body = GuardianRequestResponse), (status = 400, body = ErrorBody)))]
async fn guardian_request<S: Storage>(
    State(st): State<ServiceState<S>>,
    q: Result<Query<SuitesQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<GuardianRequestResponse>> {
    let Query(q) =
        q.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_input", e.body_text()))?;
    let suites = match q.suites.as_deref() {
        None => Vec::new(),
        Some(list) => list
            .split(',')
            .map(parse_suite)
            .collect::<Result<Vec<_>, _>>()?,
    };
    let request = st.issuer.guardian_request(&suites).await?;
    Ok(Json(GuardianRequestResponse { request }))
}

#[utoipa::path(post, path = "/v1/guardian/approvals", request_body = ApproveRequest,
    responses((status = 200, body = WardInfo), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn approve<S: Storage>(
    State(st): State<ServiceState<S>>,
    client: ClientAddr,
    ApiJson(req): ApiJson<ApproveRequest>,
) -> ApiResult<Json<WardInfo>> {
    st.issuer.check_client_write(client.0).await?;
    Ok(Json(
        st.issuer
            .approve_minor(&req.minor_netid, &req.guardian)
            .await?,
    ))
}

#[utoipa::path(post, path = "/v1/guardian/wards", request_body = WardsRequest,
    responses((status = 200, body = Vec<WardInfo>), (status = 422, body = ErrorBody)))]
async fn wards<S: Storage>(
    State(st): State<ServiceState<S>>,
    ApiJson(req): ApiJson<WardsRequest>,
) -> ApiResult<Json<Vec<WardInfo>>> {
    Ok(Json(st.issuer.wards(&req.presentation).await?))
}

#[utoipa::path(post, path = "/v1/guardian/permissions", request_body = PermissionsRequest,
    responses((status = 200, body = WardInfo), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn permissions<S: Storage>(
    State(st): State<ServiceState<S>>,
    ApiJson(req): ApiJson<PermissionsRequest>,
) -> ApiResult<Json<WardInfo>> {
    Ok(Json(
        st.issuer
            .set_permissions(&req.minor_netid, &req.categories, &req.presentation)
            .await?,
    ))
}

#[utoipa::path(post, path = "/v1/guardian/unlink", request_body = UnlinkRequest,
    responses((status = 204, description = "the presenter is no longer the minor's guardian"),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn unlink<S: Storage>(
    State(st): State<ServiceState<S>>,
    client: ClientAddr,
    ApiJson(req): ApiJson<UnlinkRequest>,
) -> ApiResult<StatusCode> {
    st.issuer.check_client_write(client.0).await?;
    st.issuer
        .unlink_guardian(&req.minor_netid, &req.presentation)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/v1/admin/apps", request_body = RegisterAppRequest,
    security(("admin_token" = [])),
    responses((status = 201, body = RegisterAppResponse), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn register_app<S: Storage>(
    _: Admin,
    State(st): State<ServiceState<S>>,
    ApiJson(req): ApiJson<RegisterAppRequest>,
) -> ApiResult<(StatusCode, Json<RegisterAppResponse>)> {
    let r = st.issuer.register_app(&req).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

#[utoipa::path(get, path = "/v1/admin/apps", security(("admin_token" = [])),
    responses((status = 200, body = Vec<AppInfo>), (status = 401, body = ErrorBody)))]
async fn apps<S: Storage>(
    _: Admin,
    State(st): State<ServiceState<S>>,
) -> ApiResult<Json<Vec<AppInfo>>> {
    Ok(Json(st.issuer.apps().await?))
}

#[utoipa::path(post, path = "/v1/admin/revocations", request_body = RevokeRequest,
    security(("admin_token" = [])),
    responses((status = 200, body = RevokeResponse), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke<S: Storage>(
    _: Admin,
    State(st): State<ServiceState<S>>,
    ApiJson(req): ApiJson<RevokeRequest>,
) -> ApiResult<Json<RevokeResponse>> {
    Ok(Json(st.issuer.revoke(&req.netid, req.suspend).await?))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "netid-issuer", description = "The netid issuer: enrolment, guardians, issuance for both proof suites, app registry, revocation. See specs/api/issuer.md and specs/protocol.md."),
    paths(healthz, metadata, digits, epoch_digits, revocation_bucket, epoch_records, phone_start,
          enrol, refresh,
          guardian_request, approve, wards, permissions, unlink, register_app, apps, revoke),
    components(schemas(ErrorBody, MetadataSchema)),
    modifiers(&AdminSecurity)
)]
struct ApiDoc;

struct AdminSecurity;

impl utoipa::Modify for AdminSecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI 3.1 document of the routes: generated from the handlers' annotations, then
/// completed with the exact request schemas ([`netid_core::openapi`]: what the deserializers
/// accept, no more and no less) and every status code a route can answer.
///
/// Status codes: `400` a body that is not JSON of the documented schema or a malformed path or
/// query parameter; `401` admin routes without the token; `408` a request slower than the
/// timeout; `413` a body over the limit; `415` a body without `Content-Type: application/json`;
/// `422` a well-formed request whose content is refused (evidence, signatures, presentations,
/// unknown values); `500`/`503` the issuer's own failures. Every error is an [`ErrorBody`].
pub fn openapi() -> serde_json::Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    doc["info"]["version"] = env!("CARGO_PKG_VERSION").into();
    doc["paths"]["/openapi.json"] = serde_json::json!({"get": {
        "summary": "this document",
        "responses": {"200": {"description": "OpenAPI 3.1 document", "content": {"application/json": {}}}}
    }});
    crate::api_doc::complete(&mut doc);
    doc
}
