//! The seven scopes and sets of them.
//!
//! A scope names one thing a token may do; the policy in [`crate::authority`] intersects a
//! token's scopes with what its owner may do at the moment of each request.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};
use crate::token::TokenKind;

/// One permission a personal access token or organization token can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Scope {
    /// Trigger runs.
    #[cfg_attr(feature = "ts", ts(rename = "trigger"))]
    Trigger,
    /// Read projects, runs, logs and agents.
    #[cfg_attr(feature = "ts", ts(rename = "read"))]
    Read,
    /// Write pipeline files.
    #[cfg_attr(feature = "ts", ts(rename = "pipeline:write"))]
    PipelineWrite,
    /// Change project settings.
    #[cfg_attr(feature = "ts", ts(rename = "repo:write"))]
    RepoWrite,
    /// Write project secrets.
    #[cfg_attr(feature = "ts", ts(rename = "secret:write"))]
    SecretWrite,
    /// Manage the owner's tokens.
    #[cfg_attr(feature = "ts", ts(rename = "token:admin"))]
    TokenAdmin,
    /// Manage organizations, members and organization tokens.
    #[cfg_attr(feature = "ts", ts(rename = "org:admin"))]
    OrgAdmin,
}

impl Scope {
    /// Every scope, in the order they are shown.
    pub const ALL: [Scope; 7] = [
        Scope::Trigger,
        Scope::Read,
        Scope::PipelineWrite,
        Scope::RepoWrite,
        Scope::SecretWrite,
        Scope::TokenAdmin,
        Scope::OrgAdmin,
    ];

    /// The scope's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Trigger => "trigger",
            Scope::Read => "read",
            Scope::PipelineWrite => "pipeline:write",
            Scope::RepoWrite => "repo:write",
            Scope::SecretWrite => "secret:write",
            Scope::TokenAdmin => "token:admin",
            Scope::OrgAdmin => "org:admin",
        }
    }

    /// A sentence saying what the scope unlocks.
    pub fn description(self) -> &'static str {
        match self {
            Scope::Trigger => "Trigger runs of projects.",
            Scope::Read => "Read projects, runs, logs and agents.",
            Scope::PipelineWrite => "Write pipeline files.",
            Scope::RepoWrite => "Change project settings.",
            Scope::SecretWrite => "Write project secrets (values stay write-only).",
            Scope::TokenAdmin => "Create, rotate, edit and delete the owner's tokens.",
            Scope::OrgAdmin => "Manage organizations, their members and organization tokens.",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|sc| sc.as_str() == s)
            .ok_or_else(|| Error::invalid(format!("unknown scope {s:?}; the scopes are {}", Scopes::ALL)))
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of scopes.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Scopes(u8);

impl Scopes {
    /// No scope at all.
    pub const NONE: Scopes = Scopes(0);
    /// All seven scopes: what a login session may do on its user's behalf.
    pub const ALL: Scopes = Scopes(0b111_1111);

    /// Whether `scope` is in the set.
    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    /// Whether every scope of `self` is also in `other`.
    pub fn is_subset_of(self, other: Scopes) -> bool {
        self.0 & !other.0 == 0
    }

    /// The scopes in the set, in display order.
    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Parses wire names, refusing unknown ones and duplicates.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self> {
        let mut set = Scopes::NONE;
        for n in names {
            let s = Scope::parse(n.as_ref())?;
            if set.contains(s) {
                return Err(Error::invalid(format!("scope {s} is listed twice")));
            }
            set = set | s;
        }
        Ok(set)
    }

    /// The space-separated form used by introspection (RFC 7662) and the store.
    pub fn to_space_separated(self) -> String {
        self.iter().map(Scope::as_str).collect::<Vec<_>>().join(" ")
    }

    /// Parses the space-separated form; unknown names are refused.
    pub fn from_space_separated(s: &str) -> Result<Self> {
        Self::parse(&s.split_whitespace().collect::<Vec<_>>())
    }
}

impl std::ops::BitOr<Scope> for Scopes {
    type Output = Scopes;
    fn bitor(self, rhs: Scope) -> Scopes {
        Scopes(self.0 | rhs.bit())
    }
}

impl std::ops::BitAnd for Scopes {
    type Output = Scopes;
    fn bitand(self, rhs: Scopes) -> Scopes {
        Scopes(self.0 & rhs.0)
    }
}

impl From<Scope> for Scopes {
    fn from(s: Scope) -> Self {
        Scopes(s.bit())
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        iter.into_iter().fold(Scopes::NONE, |acc, s| acc | s)
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.iter().map(Scope::as_str).collect::<Vec<_>>().join(", "))
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scopes[{self}]")
    }
}

impl Serialize for Scopes {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(Scope::as_str))
    }
}

/// In the OpenAPI document: a list of scope names.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Scopes {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
        let scope = ObjectBuilder::new().schema_type(Type::String).enum_values(Some(Scope::ALL.map(Scope::as_str)));
        ArrayBuilder::new().items(scope).into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Scopes {}

impl<'de> Deserialize<'de> for Scopes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let names = Vec::<String>::deserialize(d)?;
        Scopes::parse(&names).map_err(serde::de::Error::custom)
    }
}

/// The minting ceiling: the scopes a token must carry to mint, or rotate, a token of `kind`
/// holding `requested` scopes. A login session is the person and has every right, so this
/// only ever limits tokens.
///
/// | child kind          | the parent token needs                                        |
/// |---------------------|---------------------------------------------------------------|
/// | personal access     | `token:admin` and every scope of the child                     |
/// | organization        | `token:admin` and every scope of the child                     |
/// | trigger             | `token:admin` and `trigger`                                    |
/// | agent               | `token:admin`, `pipeline:write` and `secret:write`             |
///
/// An agent token needs `pipeline:write` and `secret:write` because agents run pipelines with
/// their secrets; a trigger token needs `trigger` because that is all it does. In an
/// organization's collections `org:admin` stands in for `token:admin`, as it always has for
/// managing them (see [`crate::authority::Collection`]).
pub fn needed_to_mint(kind: TokenKind, requested: Scopes) -> Scopes {
    let reach = match kind {
        TokenKind::Pat | TokenKind::Org => requested,
        TokenKind::Trigger => Scopes::from(Scope::Trigger),
        TokenKind::Agent => Scopes::from(Scope::PipelineWrite) | Scope::SecretWrite,
    };
    reach | Scope::TokenAdmin
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_exactly_seven_scopes_with_distinct_names() {
        let names: std::collections::HashSet<_> = Scope::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names.len(), 7);
        assert_eq!(Scopes::ALL.iter().count(), 7);
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()).ok(), Some(s));
            assert!(!s.description().is_empty());
        }
    }

    #[test]
    fn unknown_and_duplicate_scopes_are_refused() {
        assert!(Scopes::parse(&["read", "admin"]).is_err());
        assert!(Scopes::parse(&["read", "read"]).is_err());
        assert!(Scopes::parse(&["READ"]).is_err());
        assert_eq!(Scopes::parse::<&str>(&[]).ok(), Some(Scopes::NONE));
    }

    #[test]
    fn subset_and_intersection() -> Result<()> {
        let read = Scopes::from(Scope::Read);
        let rw = Scopes::parse(&["read", "repo:write"])?;
        assert!(read.is_subset_of(rw));
        assert!(!rw.is_subset_of(read));
        assert_eq!(rw & read, read);
        assert!(Scopes::NONE.is_subset_of(read));
        assert_eq!(Scopes::from_space_separated(&rw.to_space_separated())?, rw);
        Ok(())
    }

    #[test]
    fn json_round_trip_is_a_list_of_names() -> Result<()> {
        let s = Scopes::parse(&["token:admin", "trigger"])?;
        let json = serde_json::to_string(&s).map_err(|e| Error::Internal(e.to_string()))?;
        assert_eq!(json, r#"["trigger","token:admin"]"#);
        let back: Scopes = serde_json::from_str(&json).map_err(|e| Error::Internal(e.to_string()))?;
        assert_eq!(back, s);
        assert!(serde_json::from_str::<Scopes>(r#"["nope"]"#).is_err());
        Ok(())
    }

    #[test]
    fn the_minting_ceiling_table() -> Result<()> {
        let admin = Scopes::from(Scope::TokenAdmin);
        let read_trigger = Scopes::parse(&["read", "trigger"])?;
        assert_eq!(needed_to_mint(TokenKind::Pat, read_trigger), read_trigger | Scope::TokenAdmin);
        assert_eq!(needed_to_mint(TokenKind::Org, read_trigger), read_trigger | Scope::TokenAdmin);
        assert_eq!(needed_to_mint(TokenKind::Pat, admin), admin);
        assert_eq!(needed_to_mint(TokenKind::Trigger, Scopes::NONE), Scopes::parse(&["trigger", "token:admin"])?);
        assert_eq!(
            needed_to_mint(TokenKind::Agent, Scopes::NONE),
            Scopes::parse(&["pipeline:write", "secret:write", "token:admin"])?
        );
        Ok(())
    }
}
