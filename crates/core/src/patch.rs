//! Fields of a PATCH body, which tell three wishes apart: absent (keep what is stored), `null`
//! (clear it) and a value (set it). Plain `Option` cannot: serde reads a missing field and
//! `null` alike, so a client could not remove a value it set.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// One field of a PATCH body. Use with `#[serde(default, skip_serializing_if = "Patch::is_keep")]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Patch<T> {
    /// Absent: leave the stored value as it is.
    #[default]
    Keep,
    /// `null`: remove the stored value.
    Clear,
    /// A value: store it.
    Set(T),
}

impl<T> Patch<T> {
    /// Whether the field was absent.
    pub fn is_keep(&self) -> bool {
        matches!(self, Patch::Keep)
    }

    /// The value for a field that cannot be removed: `None` to keep the stored one, and a clear
    /// error for `null`.
    pub fn required(self, what: &str) -> Result<Option<T>> {
        match self {
            Patch::Keep => Ok(None),
            Patch::Clear => Err(Error::invalid(format!("the {what} cannot be removed; leave it out to keep it"))),
            Patch::Set(v) => Ok(Some(v)),
        }
    }

    /// The stored value after the patch: `current` when absent, `None` when cleared.
    pub fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Patch::Keep => current,
            Patch::Clear => None,
            Patch::Set(v) => Some(v),
        }
    }

    /// The same wish for a value transformed by `f` (which may refuse it).
    pub fn try_map<U>(self, f: impl FnOnce(T) -> Result<U>) -> Result<Patch<U>> {
        Ok(match self {
            Patch::Keep => Patch::Keep,
            Patch::Clear => Patch::Clear,
            Patch::Set(v) => Patch::Set(f(v)?),
        })
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        // Only called for a field that is present: absent fields take the default, `Keep`.
        Ok(match Option::<T>::deserialize(d)? {
            None => Patch::Clear,
            Some(v) => Patch::Set(v),
        })
    }
}

impl<T: Serialize> Serialize for Patch<T> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Patch::Keep | Patch::Clear => s.serialize_none(),
            Patch::Set(v) => v.serialize(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    struct Body {
        #[serde(default, skip_serializing_if = "Patch::is_keep")]
        url: Patch<String>,
    }

    #[test]
    fn absent_null_and_a_value_are_three_wishes() {
        let read = |s: &str| serde_json::from_str::<Body>(s).unwrap().url;
        assert_eq!(read("{}"), Patch::Keep);
        assert_eq!(read(r#"{"url":null}"#), Patch::Clear);
        assert_eq!(read(r#"{"url":"x"}"#), Patch::Set("x".to_owned()));
        assert!(serde_json::from_str::<Body>(r#"{"url":1}"#).is_err());
        for body in [r#"{}"#, r#"{"url":null}"#, r#"{"url":"x"}"#] {
            let b: Body = serde_json::from_str(body).unwrap();
            assert_eq!(serde_json::to_string(&b).unwrap(), body);
        }
    }

    #[test]
    fn a_field_that_cannot_be_removed_refuses_null() {
        assert_eq!(Patch::<u8>::Keep.required("name").unwrap(), None);
        assert_eq!(Patch::Set(1u8).required("name").unwrap(), Some(1));
        let e = Patch::<u8>::Clear.required("name").unwrap_err();
        assert!(e.to_string().contains("the name cannot be removed"), "{e}");
        assert_eq!(Patch::Keep.apply(Some(1)), Some(1));
        assert_eq!(Patch::<u8>::Clear.apply(Some(1)), None);
        assert_eq!(Patch::Set(2).apply(Some(1)), Some(2));
    }
}
