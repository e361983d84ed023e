//! What the generated models (`dm_api::models`, `as_api::models`) share, written by hand:
//! [`UnknownValue`], and the decoding of integer fields.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// An enumerated value this version of the crate does not know (a newer server's), as the
/// server sent it: what the `Unknown` variant of a model's enum holds.
///
/// It can be printed and compared, but not made: there is no public constructor, so code
/// cannot match a particular unknown value (`Unknown(v) if v == "HIBERNATING"`), a match
/// that would silently stop matching when a later version of the crate names the value.
/// Compare through the enum's `as_str()` instead, which gives the same text either way:
///
/// ```
/// use squonk2::dm_api::models::InstancePhase;
///
/// let phase: InstancePhase = serde_json::from_str(r#""HIBERNATING""#)?;
/// assert!(matches!(phase, InstancePhase::Unknown(_)));
/// assert_eq!(phase.as_str(), "HIBERNATING");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UnknownValue(String);

impl UnknownValue {
    /// Only the generated enums make one, from a string none of their variants has.
    pub(crate) fn new(value: String) -> UnknownValue {
        UnknownValue(value)
    }

    /// The value, as the server sent it.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The largest magnitude below which every f64 is exactly an i64 when it is integral:
/// 2^63 (an f64 can hold it exactly; `i64::MAX` it cannot).
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// Reads a JSON number that must be an integer into an `i64`: `3`, `-1`, and integral floats
/// (`3.0`, `3e2`, which some servers write for whole numbers) are accepted; `3.5`, a number
/// beyond the range of `i64` (`1e300`) and anything else (`"3"`) are refused.
struct IntVisitor;

impl Visitor<'_> for IntVisitor {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        if v.fract() == 0.0 && (-TWO_POW_63..TWO_POW_63).contains(&v) {
            // Integral and in range, so the conversion is exact.
            Ok(v as i64)
        } else {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }
}

/// An integer field that may arrive as an integral float.
struct Int(i64);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Int, D::Error> {
        d.deserialize_i64(IntVisitor).map(Int)
    }
}

/// `#[serde(deserialize_with)]` of an `i64` field: see [`IntVisitor`].
pub(crate) fn de_int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    d.deserialize_i64(IntVisitor)
}

/// The same for an `Option<i64>` field (with `#[serde(default)]`): `null` is `None`.
pub(crate) fn de_opt_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(Option::<Int>::deserialize(d)?.map(|Int(v)| v))
}

/// The same for a `Vec<i64>` field.
#[allow(dead_code)] // no such field in the current models; the generator may write one
pub(crate) fn de_vec_int<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
    Ok(Vec::<Int>::deserialize(d)?
        .into_iter()
        .map(|Int(v)| v)
        .collect())
}

/// The same for an `Option<Vec<i64>>` field (with `#[serde(default)]`).
#[allow(dead_code)] // no such field in the current models; the generator may write one
pub(crate) fn de_opt_vec_int<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<i64>>, D::Error> {
    Ok(Option::<Vec<Int>>::deserialize(d)?.map(|v| v.into_iter().map(|Int(v)| v).collect()))
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    use crate::dm_api::models::{InstancePhase, InstanceSummaryPhase};

    #[derive(Deserialize, Serialize, Debug, PartialEq)]
    struct Fields {
        #[serde(deserialize_with = "super::de_int")]
        n: i64,
        #[serde(default, deserialize_with = "super::de_opt_int")]
        o: Option<i64>,
        #[serde(default, deserialize_with = "super::de_vec_int")]
        v: Vec<i64>,
        #[serde(default, deserialize_with = "super::de_opt_vec_int")]
        ov: Option<Vec<i64>>,
    }

    fn int(text: &str) -> Result<i64, String> {
        serde_json::from_str::<Fields>(&format!(r#"{{"n": {text}}}"#))
            .map(|f| f.n)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn integers_accept_integral_numbers_only() {
        assert_eq!(int("3"), Ok(3));
        assert_eq!(int("3.0"), Ok(3));
        assert_eq!(int("3e2"), Ok(300));
        assert_eq!(int("-1"), Ok(-1));
        assert_eq!(int("-1.0"), Ok(-1));
        assert_eq!(int("9223372036854775807"), Ok(i64::MAX));

        let refused = int("3.5").unwrap_err();
        assert!(
            refused.contains("invalid value: floating point `3.5`, expected an integer"),
            "{refused}"
        );
        let refused = int(r#""3""#).unwrap_err();
        assert!(
            refused.contains("invalid type: string \"3\", expected an integer"),
            "{refused}"
        );
        let refused = int("1e300").unwrap_err();
        assert!(refused.contains("expected an integer"), "{refused}");
        assert!(int("9223372036854775808").is_err());
        assert!(int("9.3e18").is_err());
        assert!(int("null").is_err());
    }

    #[test]
    fn options_and_lists_of_integers() {
        let f: Fields =
            serde_json::from_value(json!({"n": 1, "o": 2.0, "v": [3, 4e0], "ov": [5.0]})).unwrap();
        assert_eq!(
            f,
            Fields {
                n: 1,
                o: Some(2),
                v: vec![3, 4],
                ov: Some(vec![5])
            }
        );
        // Encoded again, they are integers.
        assert_eq!(
            serde_json::to_value(&f).unwrap(),
            json!({"n": 1, "o": 2, "v": [3, 4], "ov": [5]})
        );
        let f: Fields = serde_json::from_value(json!({"n": 1, "o": null})).unwrap();
        assert_eq!((f.o, f.ov), (None, None));
        assert!(serde_json::from_value::<Fields>(json!({"n": 1, "o": 2.5})).is_err());
        assert!(serde_json::from_value::<Fields>(json!({"n": 1, "v": [1, 1.5]})).is_err());
    }

    #[test]
    fn a_generated_integer_field_takes_an_integral_float() {
        let count: crate::dm_api::models::ProjectsGetResponse =
            serde_json::from_value(json!({"count": 2.0, "projects": []})).unwrap();
        assert_eq!(count.count, 2);
        assert_eq!(
            serde_json::to_value(&count).unwrap(),
            json!({"count": 2, "projects": []})
        );
        let err = serde_json::from_value::<crate::dm_api::models::ProjectsGetResponse>(
            json!({"count": 2.5, "projects": []}),
        )
        .unwrap_err();
        assert!(err.to_string().contains("expected an integer"), "{err}");
    }

    #[test]
    fn an_unknown_enum_value_is_kept_and_compared_through_as_str() {
        let phase: InstancePhase = serde_json::from_value(json!("HIBERNATING")).unwrap();
        let InstancePhase::Unknown(value) = &phase else {
            panic!("{phase:?} is not Unknown");
        };
        assert_eq!(value.as_str(), "HIBERNATING");
        assert_eq!(value.to_string(), "HIBERNATING");
        assert_eq!(phase.as_str(), "HIBERNATING");
        assert_eq!(phase.to_string(), "HIBERNATING");
        assert_eq!(serde_json::to_value(&phase).unwrap(), json!("HIBERNATING"));
        // The same value however it is made, and a known value is never Unknown.
        assert_eq!(phase, InstancePhase::from("HIBERNATING"));
        assert_eq!(phase, InstancePhase::from(String::from("HIBERNATING")));
        assert_eq!(InstancePhase::from("RUNNING"), InstancePhase::Running);
        // The official names are the same type.
        let summary: InstanceSummaryPhase = serde_json::from_value(json!("RUNNING")).unwrap();
        assert_eq!(summary, InstancePhase::Running);
        // The API's own `UNKNOWN` phase is a variant of its own.
        let unknown: InstancePhase = serde_json::from_value(json!("UNKNOWN")).unwrap();
        assert_eq!(unknown, InstancePhase::UnknownValue);
        assert_eq!(serde_json::to_value(&unknown).unwrap(), json!("UNKNOWN"));
        assert!(serde_json::from_value::<InstancePhase>(json!(3)).is_err());
    }
}
