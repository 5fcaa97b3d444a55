//! Printing results as text or JSON, and errors with a non-zero exit code.

use std::process::ExitCode;

use serde::Serialize;
use serde_json::{json, Value};

/// Where results go.
pub struct Out {
    json: bool,
}

impl Out {
    pub fn new(json: bool) -> Self {
        Self { json }
    }

    /// Prints `v` as JSON, or the text `text` makes.
    pub fn value<T: Serialize>(&self, v: &T, text: impl FnOnce() -> String) {
        if self.json {
            match serde_json::to_string_pretty(v) {
                Ok(s) => println!("{s}"),
                Err(e) => eprintln!("error: cannot print the result: {e}"),
            }
        } else {
            println!("{}", text());
        }
    }

    /// Prints `v` as one line of JSON (JSON lines, for streams), or the text `text` makes.
    pub fn line<T: Serialize>(&self, v: &T, text: impl FnOnce() -> String) {
        if self.json {
            match serde_json::to_string(v) {
                Ok(s) => println!("{s}"),
                Err(e) => eprintln!("error: cannot print the result: {e}"),
            }
        } else {
            println!("{}", text());
        }
    }

    /// Reports an error and gives the exit code.
    pub fn fail(&self, e: &anyhow::Error) -> ExitCode {
        if e.downcast_ref::<crate::Silent>().is_some() {
            return ExitCode::FAILURE;
        }
        let code = e.downcast_ref::<crate::client::ApiFailure>().map_or_else(
            || e.downcast_ref::<tessera_core::Error>().map_or("error", |c| c.code().as_str()),
            |a| a.code.as_str(),
        );
        if self.json {
            println!("{}", json!({"error": {"code": code, "message": format!("{e:#}")}}));
        } else {
            eprintln!("error: {e:#}");
        }
        ExitCode::FAILURE
    }
}

/// A token list as an aligned table.
pub fn token_table(v: &Value) -> String {
    let Some(list) = v.as_array() else { return String::new() };
    if list.is_empty() {
        return "no tokens".to_owned();
    }
    let s = |t: &Value, k: &str| t[k].as_str().unwrap_or("-").to_owned();
    let mut rows =
        vec![["ID".into(), "LABEL".into(), "HINT".into(), "SCOPES".into(), "EXPIRES".into(), "LAST USED".into()]];
    for t in list {
        let scopes = t["scopes"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(","))
            .unwrap_or_default();
        rows.push([s(t, "id"), s(t, "label"), s(t, "hint"), scopes, s(t, "expires_at"), s(t, "last_used_at")]);
    }
    let widths: Vec<usize> = (0..6).map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
    rows.iter()
        .map(|r| {
            r.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect::<Vec<_>>().join("  ").trim_end().to_owned()
        })
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
