//! The one secret type. A token value, a session JWT or a signing key passes through the program
//! only inside [`Secret`]: its `Debug` is redacted, it cannot be serialized by accident, and its
//! memory is zeroed when it is dropped.

use std::fmt;
use zeroize::Zeroizing;

/// A secret string: redacted `Debug`, no `Display`, no `Serialize`, zeroized on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: String) -> Self {
        Self(Zeroizing::new(value))
    }

    /// The secret itself; call only where the value must leave the program (a response body).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("tsr_pat_hunter2".into());
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert!(!format!("{:?}", Some(&s)).contains("hunter2"));
        assert_eq!(s.expose(), "tsr_pat_hunter2");
    }
}
