//! Completes the generated OpenAPI document of the issuer: exact request schemas (what the
//! handlers' deserializers accept; [`netid_core::openapi`]), exact parameter schemas, and every
//! status code each route can answer, each error as the documented JSON error body.

use netid_core::issuer_api::GUARDIAN_CATEGORIES;
use netid_core::openapi::{
    app_policy, b64_any, b64_exact, date, presentation, suite, uint, DATE_PATTERN,
};
use serde_json::{json, Value};

/// The phone numbers `POST /v1/phone/challenges` takes: E.164 (`+`, 8 to 15 digits, no leading
/// zero; a mainland `+86` number is an 11-digit mobile number) or an 11-digit mainland mobile
/// number without the prefix.
pub const PHONE_PATTERN: &str =
    "^(?:\\+(?:861[3-9][0-9]{9}|[1-79][0-9]{7,14}|8[0-57-9][0-9]{6,13})|1[3-9][0-9]{9})$";

/// A comma-separated list of suite names (the `suites` query parameter).
const SUITES_PATTERN: &str =
    "^(?:bbs-sha256|bbs-shake256|groth16)(?:,(?:bbs-sha256|bbs-shake256|groth16))*$";

fn r(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({"type": "object", "additionalProperties": false, "required": required, "properties": properties})
}

fn nullable(v: Value) -> Value {
    json!({"anyOf": [v, {"type": "null"}]})
}

/// The request schemas, by component name.
fn request_schemas() -> Vec<(&'static str, Value)> {
    let suites = json!({"type": "array", "items": suite()});
    let commitments = json!({
        "type": "array",
        "maxItems": 2,
        "items": object(
            &["suite", "commitment"],
            json!({
                "suite": suite(),
                "commitment": b64_exact(netid_core::issuer_api::BINDING_COMMITMENT_LEN),
            }),
        ),
    });
    vec![
        (
            "PhoneStartRequest",
            object(
                &["phone"],
                json!({
                    "phone": {"type": "string", "pattern": PHONE_PATTERN, "examples": ["+8613800138000"]},
                }),
            ),
        ),
        (
            "PhoneProof",
            object(
                &["challenge_id", "code"],
                json!({
                    "challenge_id": {"type": "string", "description": "32 hex digits, from the challenge"},
                    "code": {"type": "string", "description": "the six digits delivered"},
                }),
            ),
        ),
        (
            "CardName",
            object(
                &["family", "given"],
                json!({
                    "family": {"type": "string"}, "given": {"type": "string"},
                }),
            ),
        ),
        (
            "CardContents",
            object(
                &[
                    "name",
                    "id_number",
                    "birthdate",
                    "sex",
                    "doc_type",
                    "valid_from",
                ],
                json!({
                    "name": r("CardName"),
                    "id_number": {"type": "string", "description": "GB 11643, checked by the issuer"},
                    "birthdate": date(),
                    "sex": {"type": "string", "enum": ["male", "female"]},
                    "doc_type": {"type": "integer", "enum": [1, 2, 3, 4, 5, 6]},
                    "valid_from": date(),
                    "valid_until": nullable(date()),
                    "card_authority": nullable(json!({"type": "string"})),
                    "photo": nullable(b64_any()),
                }),
            ),
        ),
        (
            "SignedCard",
            object(
                &["card", "authority_key", "signature"],
                json!({
                    "card": r("CardContents"),
                    "authority_key": b64_exact(32),
                    "signature": b64_exact(64),
                }),
            ),
        ),
        (
            "FaceSample",
            object(
                &[],
                json!({
                    "score": nullable(json!({"type": "number"})),
                    "image": b64_any(),
                }),
            ),
        ),
        ("Presentation", presentation()),
        ("AppPolicy", app_policy()),
        (
            "GuardianProof",
            object(
                &["relation", "presentation"],
                json!({
                    "relation": {"type": "string", "enum": ["parent", "legal_guardian"]},
                    "presentation": r("Presentation"),
                }),
            ),
        ),
        (
            "EnrolRequest",
            object(
                &[
                    "card",
                    "face",
                    "phone",
                    "device_key",
                    "device_signature",
                    "binding",
                ],
                json!({
                    "card": r("SignedCard"),
                    "face": r("FaceSample"),
                    "phone": r("PhoneProof"),
                    "device_key": b64_exact(32),
                    "device_signature": b64_exact(64),
                    "binding": b64_exact(32),
                    "commitments": commitments.clone(),
                    "suites": suites.clone(),
                    "guardian": nullable(r("GuardianProof")),
                }),
            ),
        ),
        (
            "RefreshRequest",
            object(
                &[
                    "netid",
                    "device_key",
                    "timestamp",
                    "device_signature",
                    "binding",
                ],
                json!({
                    "netid": {"type": "string"},
                    "device_key": b64_exact(32),
                    "timestamp": {"type": "integer", "minimum": i64::MIN, "maximum": i64::MAX},
                    "device_signature": b64_exact(64),
                    "binding": b64_exact(32),
                    "commitments": commitments,
                    "suites": suites,
                    "ticket": nullable(json!({"type": "string"})),
                }),
            ),
        ),
        (
            "ApproveRequest",
            object(
                &["minor_netid", "guardian"],
                json!({
                    "minor_netid": {"type": "string"},
                    "guardian": r("GuardianProof"),
                }),
            ),
        ),
        (
            "WardsRequest",
            object(
                &["presentation"],
                json!({"presentation": r("Presentation")}),
            ),
        ),
        (
            "UnlinkRequest",
            object(
                &["minor_netid", "presentation"],
                json!({
                    "minor_netid": {"type": "string"},
                    "presentation": r("Presentation"),
                }),
            ),
        ),
        (
            "PermissionsRequest",
            object(
                &["minor_netid", "categories", "presentation"],
                json!({
                    "minor_netid": {"type": "string"},
                    "categories": {"type": "array", "items": {"type": "string", "enum": GUARDIAN_CATEGORIES}},
                    "presentation": r("Presentation"),
                }),
            ),
        ),
        (
            "RegisterAppRequest",
            object(
                &["app_id", "name", "category", "policy", "app_key"],
                json!({
                    "app_id": {"type": "string"},
                    "name": {"type": "string"},
                    "category": {"type": "string"},
                    "policy": r("AppPolicy"),
                    "app_key": b64_exact(32),
                    "valid_days": nullable(uint(32)),
                }),
            ),
        ),
        (
            "RevokeRequest",
            object(
                &["netid"],
                json!({
                    "netid": {"type": "string"},
                    "suspend": {"type": "boolean"},
                }),
            ),
        ),
    ]
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": r("ErrorBody")}},
    })
}

/// Adds the schemas, parameters and responses (see the module docs).
/// Routes that count against rate limits (`issuance::RateLimits`).
const RATE_LIMITED: [&str; 5] = [
    "/v1/phone/challenges",
    "/v1/enrolments",
    "/v1/credentials",
    "/v1/guardian/approvals",
    "/v1/guardian/unlink",
];

pub(crate) fn complete(doc: &mut Value) {
    let schemas = &mut doc["components"]["schemas"];
    for (name, schema) in request_schemas() {
        schemas[name] = schema;
    }
    schemas["ErrorBody"] = netid_core::openapi::error_body();
    debug_assert!(DATE_PATTERN.starts_with('^'));

    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (_method, op) in item.iter_mut() {
            // Parameters.
            if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
                for p in params {
                    let schema = match p["name"].as_str() {
                        Some("suite") => {
                            json!({"type": "string", "enum": ["bbs-sha256", "bbs-shake256"]})
                        }
                        // The slots handed out (specs/revocation.md §7): NO_SLOT and beyond
                        // are refused.
                        Some("rev_index") => json!({
                            "type": "integer",
                            "minimum": 0,
                            "maximum": crate::storage::REVOCATION_SLOTS - 1
                        }),
                        Some("suites") => json!({"type": "string", "pattern": SUITES_PATTERN}),
                        _ => continue,
                    };
                    p["schema"] = schema;
                }
            }
            let has_body = op.get("requestBody").is_some();
            let has_params = op.get("parameters").is_some();
            let admin = op.get("security").is_some();
            let responses = &mut op["responses"];
            let mut add = |code: &str, description: &str| {
                if responses.get(code).is_none() {
                    responses[code] = error_response(description);
                } else {
                    responses[code]["content"] =
                        json!({"application/json": {"schema": r("ErrorBody")}});
                }
            };
            if path == "/openapi.json" {
                continue;
            }
            if has_body {
                add("400", "the body is not JSON of the documented schema");
                add("413", "the body is larger than the limit");
                add("415", "no Content-Type: application/json");
            } else if has_params {
                add("400", "a malformed parameter");
            }
            if admin {
                add("401", "admin token missing or wrong");
            }
            if path.starts_with("/v1/") && (has_body || has_params) {
                add("422", "well-formed, but its content is refused");
            }
            if RATE_LIMITED.contains(&path.as_str()) {
                add(
                    "429",
                    "a rate limit was reached (per client address, phone number or device); \
                     the Retry-After header gives the seconds to wait",
                );
            }
            add("408", "the request took longer than the timeout");
            add("500", "internal error");
            add("503", "storage or code delivery unavailable, or the revocation slots exhausted (`exhausted`)");
        }
    }
}
