//! The REST API, driven over HTTP against a real server on 127.0.0.1 with a temporary data
//! directory and a clock the tests move. One binary, one module per area.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod backend;
mod harness;

mod abuse;
mod agents;
mod at_rest;
mod attention;
mod ceiling;
mod concurrency;
mod cors;
mod devices;
mod git;
mod hooks;
mod hosts;
mod interop;
mod introspect;
mod malformed;
mod openapi;
mod orgs;
mod patches;
mod policy;
mod projects;
mod providers;
mod replicas;
mod sessions;
mod signin;
mod signin_trust;
mod tokens;
mod users;
