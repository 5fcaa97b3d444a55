//! Printing results as text or JSON, and errors with a non-zero exit code.

use std::process::ExitCode;

use serde::Serialize;
use serde_json::{json, Value};

/// Where results go.
pub struct Out {
    json: bool,
}

impl Out {
    /// JSON when `json`, else text.
    pub fn new(json: bool) -> Self {
        Self { json }
    }

    /// Prints `v` as JSON, or the text `text` makes.
    pub fn value<T: Serialize>(&self, v: &T, text: impl FnOnce() -> String) {
        if self.json {
            match serde_json::to_string_pretty(v) {
                Ok(s) => emit(&s),
                Err(e) => eprintln!("error: cannot print the result: {e}"),
            }
        } else {
            emit(&text());
        }
    }

    /// Prints `v` as one line of JSON (JSON lines, for streams), or the text `text` makes.
    pub fn line<T: Serialize>(&self, v: &T, text: impl FnOnce() -> String) {
        if self.json {
            match serde_json::to_string(v) {
                Ok(s) => emit(&s),
                Err(e) => eprintln!("error: cannot print the result: {e}"),
            }
        } else {
            emit(&text());
        }
    }

    /// Reports an error and gives the exit code of its kind (see [`EXIT_CODES`]).
    pub fn fail(&self, e: &anyhow::Error) -> ExitCode {
        let exit = exit_code(e);
        if e.downcast_ref::<crate::Silent>().is_some() {
            return ExitCode::from(exit);
        }
        let code = e.downcast_ref::<crate::client::ApiFailure>().map_or_else(
            || {
                if e.downcast_ref::<crate::client::Unreachable>().is_some() {
                    "unreachable"
                } else if e.downcast_ref::<crate::client::NotSignedIn>().is_some() {
                    "unauthenticated"
                } else if e.downcast_ref::<Usage>().is_some() {
                    "usage"
                } else {
                    e.downcast_ref::<tessera_core::Error>().map_or("error", |c| c.code().as_str())
                }
            },
            |a| a.code.as_str(),
        );
        if self.json {
            emit(&json!({"error": {"code": code, "message": format!("{e:#}")}}).to_string());
        } else {
            eprintln!("error: {e:#}");
        }
        ExitCode::from(exit)
    }
}

/// Writes a line to standard output. A reader that went away (`tessera … | head`) is not an
/// error worth a panic: the rest is dropped.
pub fn emit(line: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
}

/// A command line that makes no sense, found after clap parsed it (exit code 2, as clap's own).
#[derive(Debug)]
pub struct Usage(pub String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// What each exit code means, for `tessera --help` and the man page.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  the server refused or failed the request (an API error), or a check failed
  2  usage error: an unknown command or option, a missing or malformed argument
  3  not signed in, or the credential is not valid (HTTP 401)
  4  forbidden: the credential may not do this (HTTP 403)
  5  not found (HTTP 404)
  6  cannot reach the server";

/// The exit code of an error: its kind, never its wording.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    if let Some(a) = e.downcast_ref::<crate::client::ApiFailure>() {
        return match a.status {
            401 => 3,
            403 => 4,
            404 => 5,
            _ => 1,
        };
    }
    if e.downcast_ref::<crate::client::Unreachable>().is_some() {
        6
    } else if e.downcast_ref::<crate::client::NotSignedIn>().is_some() {
        3
    } else if e.downcast_ref::<Usage>().is_some() {
        2
    } else {
        1
    }
}

/// Rows as an aligned table under `headers`, or `empty` when there are none.
pub fn table<const N: usize>(headers: [&str; N], rows: &[[String; N]], empty: &str) -> String {
    if rows.is_empty() {
        return empty.to_owned();
    }
    let head = headers.map(str::to_owned);
    let all: Vec<&[String; N]> = std::iter::once(&head).chain(rows).collect();
    let widths: Vec<usize> = (0..N).map(|i| all.iter().map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
    all.iter()
        .map(|r| {
            r.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect::<Vec<_>>().join("  ").trim_end().to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text of field `k` of `v` ("-" when absent or null); numbers and booleans as written.
pub fn field(v: &Value, k: &str) -> String {
    match &v[k] {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_owned(),
        Value::Array(a) => {
            a.iter().map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned)).collect::<Vec<_>>().join(",")
        }
        other => other.to_string(),
    }
}

/// Rows of `N` fields of each object of the list `v`.
pub fn rows<const N: usize>(v: &Value, fields: [&str; N]) -> Vec<[String; N]> {
    v.as_array().into_iter().flatten().map(|item| fields.map(|f| field(item, f))).collect()
}

/// A token list as an aligned table.
pub fn token_table(v: &Value) -> String {
    let list: Vec<[String; 7]> = v
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            let mut r = ["id", "label", "kind", "hint", "scopes", "expires_at", "last_used_at"].map(|f| field(t, f));
            if r[4].is_empty() {
                r[4] = "-".to_owned();
            }
            r
        })
        .collect();
    table(["ID", "LABEL", "KIND", "HINT", "SCOPES", "EXPIRES", "LAST USED"], &list, "no tokens")
}

/// One object as `key: value` lines, in the order of `fields` (label, key).
pub fn details(v: &Value, fields: &[(&str, &str)]) -> String {
    let width = fields.iter().map(|(l, _)| l.chars().count()).max().unwrap_or(0) + 1;
    fields
        .iter()
        .map(|(l, k)| format!("{:<width$} {}", format!("{l}:"), field(v, k)).trim_end().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// One audit entry as a line of text: when, outcome, action, actor, target, address, count.
pub fn audit_line(e: &Value) -> String {
    let s = |k: &str| e[k].as_str().unwrap_or("").to_owned();
    let count = e["count"].as_i64().unwrap_or(1);
    let times = if count > 1 { format!(" ×{count}") } else { String::new() };
    format!(
        "{}  {:<7} {:<20} {:<24} {}{}  {}  {}",
        s("at"),
        s("outcome"),
        s("action"),
        s("actor"),
        s("target"),
        times,
        e["ip"].as_str().unwrap_or("-"),
        s("detail")
    )
}

/// A token policy as two lines.
pub fn policy_text(v: &Value) -> String {
    let life = v["max_lifetime_seconds"].as_i64().map_or_else(
        || "no limit".to_owned(),
        |s| if s % 86_400 == 0 { format!("{} days", s / 86_400) } else { format!("{s} seconds") },
    );
    let required = if v["require_expiry"].as_bool() == Some(true) { "yes" } else { "no" };
    format!("maximum lifetime: {life}\nexpiry required:  {required}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{ApiFailure, NotSignedIn, Unreachable};

    #[test]
    fn a_table_is_aligned_and_an_empty_one_says_so() {
        let lines = [["a".to_owned(), "long value".to_owned()], ["longer".to_owned(), "-".to_owned()]];
        assert_eq!(table(["ID", "NAME"], &lines, "none"), "ID      NAME\na       long value\nlonger  -");
        assert_eq!(table(["ID", "NAME"], &[], "no tokens"), "no tokens");
        let v = json!([{"id": "x", "scopes": ["read", "trigger"], "n": 3, "gone": null}]);
        assert_eq!(rows(&v, ["id", "scopes", "n", "gone", "absent"]), [["x", "read,trigger", "3", "-", "-"]]);
    }

    #[test]
    fn each_kind_of_failure_has_its_exit_code() {
        let api =
            |status| anyhow::Error::from(ApiFailure { status, code: "c".into(), message: "m".into(), provider: None });
        assert_eq!([400, 401, 403, 404, 409, 500].map(|s| exit_code(&api(s))), [1, 3, 4, 5, 1, 1]);
        let unreachable = Unreachable { base: "https://t.example".into(), why: "no".into() };
        assert_eq!(exit_code(&unreachable.into()), 6);
        assert_eq!(exit_code(&NotSignedIn("x".into()).into()), 3);
        assert_eq!(exit_code(&Usage("x".into()).into()), 2);
        assert_eq!(exit_code(&anyhow::anyhow!("other")), 1);
        // Context added on the way up keeps the kind.
        assert_eq!(exit_code(&api(404).context("while listing")), 5);
        for code in
            ["0  success", "2  usage error", "3  not signed in", "4  forbidden", "5  not found", "6  cannot reach"]
        {
            assert!(EXIT_CODES.contains(code), "{code}");
        }
    }
}
