//! JSON Schema fragments of netid's wire types, for the services' OpenAPI documents
//! (specs/api/issuer.md). Each fragment admits exactly what the type's deserializer accepts:
//! a request that matches the schema is never refused as malformed (`400`), and a request the
//! deserializer refuses does not match the schema. What only the handler can judge (a signature,
//! a revoked credential, an unknown card authority) is a `422` (or `401`/`403`/`404`/`409`).
//! The services' schemathesis test checks both directions against the running handlers.

use serde_json::{json, Value};

use crate::Attribute;

/// Unpadded base64url of exactly `n` bytes, canonical (the unused low bits of the last
/// character are zero, as the decoder requires).
pub fn b64_exact(n: usize) -> Value {
    let full = n / 3 * 4;
    let tail = match n % 3 {
        0 => String::new(),
        1 => "[A-Za-z0-9_-][AQgw]".to_owned(),
        _ => "[A-Za-z0-9_-]{2}[AEIMQUYcgkosw048]".to_owned(),
    };
    json!({
        "type": "string",
        "pattern": format!("^[A-Za-z0-9_-]{{{full}}}{tail}$"),
        "description": format!("{n} bytes, base64url without padding"),
    })
}

/// Unpadded, canonical base64url of any length.
pub fn b64_any() -> Value {
    json!({
        "type": "string",
        "pattern": "^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-][AQgw]|[A-Za-z0-9_-]{2}[AEIMQUYcgkosw048])?$",
        "description": "bytes, base64url without padding",
    })
}

/// A calendar date `YYYY-MM-DD` in `1900-01-01..=9999-12-31` (proleptic Gregorian, 29 February
/// only in leap years).
pub const DATE_PATTERN: &str = concat!(
    "^(?:(?:19[0-9]{2}|[2-9][0-9]{3})-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])",
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))",
    "|(?:(?:19|[2-9][0-9])(?:0[48]|[2468][048]|[13579][26])|(?:[2468][048]|[3579][26])00)-02-29)$"
);

/// A [`crate::Date`].
pub fn date() -> Value {
    json!({"type": "string", "pattern": DATE_PATTERN, "description": "YYYY-MM-DD, 1900-01-01 to 9999-12-31"})
}

/// A `u64`.
pub fn u64_schema() -> Value {
    json!({"type": "integer", "minimum": 0, "maximum": u64::MAX})
}

/// An unsigned integer of `bits` bits.
pub fn uint(bits: u32) -> Value {
    json!({"type": "integer", "minimum": 0, "maximum": (1u64 << bits) - 1})
}

/// A [`crate::Suite`] name.
pub fn suite() -> Value {
    json!({"type": "string", "enum": ["bbs-sha256", "bbs-shake256", "groth16"]})
}

/// The netid/v1 attribute names.
pub fn attribute_names() -> Vec<&'static str> {
    Attribute::ALL.iter().map(|a| a.name()).collect()
}

/// An [`crate::AttributeSet`]: distinct attribute names.
pub fn attribute_set() -> Value {
    json!({"type": "array", "uniqueItems": true, "items": {"type": "string", "enum": attribute_names()}})
}

/// [`crate::DisclosedAttributes`]: attribute name → value of the attribute's kind (`nym` is
/// never disclosed). Ranges and lengths are checked with the presentation (`422`).
pub fn disclosed() -> Value {
    let mut props = serde_json::Map::new();
    for a in Attribute::ALL {
        let schema = match a.kind() {
            crate::AttributeKind::Text => json!({"type": "string"}),
            crate::AttributeKind::Date => date(),
            crate::AttributeKind::Integer => u64_schema(),
            crate::AttributeKind::Digest => b64_exact(32),
            crate::AttributeKind::Secret | crate::AttributeKind::Binding => continue,
        };
        props.insert(a.name().to_owned(), schema);
    }
    json!({"type": "object", "additionalProperties": false, "properties": props})
}

/// A [`crate::Presentation`].
pub fn presentation() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["version", "suite", "request_hash", "proof"],
        "properties": {
            "version": uint(16),
            "suite": suite(),
            "request_hash": b64_exact(32),
            "disclosed": disclosed(),
            "pseudonym": {"anyOf": [b64_any(), {"type": "null"}]},
            "proof": b64_any(),
        },
    })
}

/// An [`crate::AppPolicy`].
pub fn app_policy() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "disclose": attribute_set(),
            "age": {"type": "boolean"},
            "assurance": {"type": "boolean"},
            "pseudonym": {"type": "boolean"},
            "pseudonym_suite": {
                "anyOf": [suite(), {"type": "null"}],
                "description": "the one suite of the app's pseudonyms (the registry picks \
                    bbs-sha256 when a policy with pseudonym omits it)",
            },
            "not_expired": {"type": "boolean"},
        },
    })
}

/// The JSON error body every error answer carries.
pub fn error_body() -> Value {
    json!({
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string", "description": "stable machine-readable code"},
            "message": {"type": "string", "description": "explanation (never personal data)"},
        },
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn pattern(schema: &Value) -> regex::Regex {
        regex::Regex::new(schema["pattern"].as_str().unwrap()).unwrap()
    }

    /// The date pattern admits exactly what `Date` parses, day by day over 1899–2404 (leap
    /// centuries and the range's lower edge) and the upper edge.
    #[test]
    fn date_pattern_is_the_parser() {
        let re = regex::Regex::new(DATE_PATTERN).unwrap();
        let years = (1899..=2404).chain(9998..=9999);
        for y in years {
            for m in 0..=13u32 {
                for d in 0..=32u32 {
                    let s = format!("{y:04}-{m:02}-{d:02}");
                    assert_eq!(re.is_match(&s), s.parse::<crate::Date>().is_ok(), "{s}");
                }
            }
        }
    }

    /// The base64url patterns admit exactly what the decoder accepts (canonical, unpadded), for
    /// every length 0..40 and every last character.
    #[test]
    fn base64_patterns_are_the_decoder() {
        let any = pattern(&b64_any());
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for n in 0..40usize {
            let exact = pattern(&b64_exact(n));
            let bytes: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            let good = crate::b64::encode(&bytes);
            assert!(any.is_match(&good) && exact.is_match(&good), "{good}");
            // Every variant of the last character, and one character more or less.
            if let Some(stem) = good.get(..good.len().saturating_sub(1)) {
                for c in alphabet.chars().chain(['=', '+', '/']) {
                    let s = format!("{stem}{c}");
                    let decodes = crate::b64::decode(&s, "t").is_ok();
                    assert_eq!(any.is_match(&s), decodes, "{s}");
                    let exact_ok = crate::b64::decode(&s, "t").is_ok_and(|v| v.len() == n);
                    assert_eq!(exact.is_match(&s), exact_ok, "{s}");
                }
            }
            let longer = format!("{good}A");
            assert_eq!(
                any.is_match(&longer),
                crate::b64::decode(&longer, "t").is_ok()
            );
            assert!(!exact.is_match(&longer));
        }
    }
}
