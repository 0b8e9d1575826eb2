//! How netid reads JSON bodies beyond serde's defaults, so that what the services' OpenAPI
//! schemas admit ([`crate::openapi`]) is exactly what they accept:
//!
//! * an integer may be spelled as a whole float (`2.0` is the JSON number `2`; JSON Schema's
//!   `integer` admits both), within ±2^53 where a float spells every integer exactly: [`int`],
//!   [`opt_int`];
//! * a struct is read from a JSON object only (serde's derive would also take an array of the
//!   fields in order, which no schema describes): [`ObjectOnly`], [`object`].

use core::fmt;
use core::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};

/// Largest magnitude at which every integer has an exact float spelling.
const EXACT: f64 = 9_007_199_254_740_992.0;

struct IntVisitor;

impl Visitor<'_> for IntVisitor {
    type Value = i128;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i128, E> {
        Ok(i128::from(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i128, E> {
        Ok(i128::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i128, E> {
        if v.fract() == 0.0 && v.abs() <= EXACT {
            // Whole and within ±2^53: the conversion is exact.
            #[allow(clippy::cast_possible_truncation)]
            Ok(v as i128)
        } else {
            Err(E::invalid_type(de::Unexpected::Float(v), &self))
        }
    }
}

/// An integer of type `T`, also from a whole float; out of `T`'s range is an error.
///
/// # Errors
/// Not an integer, or out of range.
pub fn int<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i128>,
{
    let v = d.deserialize_any(IntVisitor)?;
    T::try_from(v).map_err(|_| de::Error::custom(format_args!("integer {v} out of range")))
}

/// An integer read with [`int`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Whole<T>(pub T);

impl<'de, T: TryFrom<i128>> Deserialize<'de> for Whole<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Whole<T>, D::Error> {
        int(d).map(Whole)
    }
}

/// `null` or an integer read with [`int`] (use with `#[serde(default)]`).
///
/// # Errors
/// As [`int`].
pub fn opt_int<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i128>,
{
    Ok(Option::<Whole<T>>::deserialize(d)?.map(|w| w.0))
}

/// `T` read from a JSON object only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectOnly<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectOnly<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ObjectOnly<T>, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(V(PhantomData)).map(ObjectOnly)
    }
}

/// `T` read from a JSON object only (for `#[serde(deserialize_with = …)]` on nested structs).
///
/// # Errors
/// Not an object, or `T`'s own errors.
pub fn object<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    ObjectOnly::deserialize(d).map(|o| o.0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct S {
        #[serde(deserialize_with = "int")]
        a: u16,
        #[serde(default, deserialize_with = "opt_int")]
        b: Option<i64>,
    }

    #[test]
    fn whole_floats_are_integers_and_arrays_are_not_objects() {
        let s: ObjectOnly<S> = serde_json::from_str(r#"{"a": 7.0, "b": -3}"#).unwrap();
        assert_eq!(s.0, S { a: 7, b: Some(-3) });
        let s: ObjectOnly<S> = serde_json::from_str(r#"{"a": 65535, "b": null}"#).unwrap();
        assert_eq!(s.0, S { a: 65535, b: None });
        for bad in [
            r#"{"a": 7.5}"#,
            r#"{"a": 65536}"#,
            r#"{"a": -1.0}"#,
            r#"{"a": 1e300}"#,
            r#"{"a": "7"}"#,
            r#"[7, 1]"#,
            r#"{"a": 1, "c": 2}"#,
        ] {
            assert!(serde_json::from_str::<ObjectOnly<S>>(bad).is_err(), "{bad}");
        }
        // Plain serde takes the array form; ObjectOnly does not (above).
        assert!(serde_json::from_str::<S>("[7, 1]").is_ok());
    }
}
