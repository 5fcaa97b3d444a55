//! Which host names the server answers to, so a page in the user's browser cannot reach the
//! desktop's local API by DNS rebinding: a server bound to loopback answers only to loopback
//! names; a team server to the host names of its public URL. Hosts are parsed (`http`'s
//! `Authority`, the `url` crate for the public URL) and compared whole, never by prefix.

use std::net::SocketAddr;

use axum::http::uri::Authority;
use axum::http::{header, Request};

/// The names a loopback-bound server answers to, with any port.
pub const LOOPBACK_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// The host names a server accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostPolicy {
    /// Any name: a server reachable from outside with no public URL to compare with.
    Any,
    /// Only these names (lower case, IPv6 in brackets), with any port.
    Only(Vec<String>),
}

/// Why a request's host was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostRefusal {
    /// No host at all, or one that is not a host name.
    Unreadable,
    /// A well-formed name this server does not answer to.
    Misdirected,
}

impl HostPolicy {
    /// The policy of a server bound to `bound` with public URL `public`: loopback names when it
    /// is bound to loopback, plus the public URL's host name when there is one.
    pub fn new(bound: Option<SocketAddr>, public: Option<&url::Url>) -> Self {
        let mut names = Vec::new();
        if bound.is_some_and(|a| a.ip().is_loopback()) {
            names.extend(LOOPBACK_NAMES.iter().map(|n| (*n).to_owned()));
        }
        if let Some(host) = public.and_then(url::Url::host_str) {
            names.push(normalize(host));
        }
        if names.is_empty() {
            HostPolicy::Any
        } else {
            HostPolicy::Only(names)
        }
    }

    /// Checks the host a request is addressed to: the request target's authority when it is in
    /// absolute form, else the `Host` header.
    pub fn check<B>(&self, req: &Request<B>) -> Result<(), HostRefusal> {
        let authority = match req.uri().authority() {
            Some(a) => a.clone(),
            None => {
                let value = req.headers().get(header::HOST).ok_or(HostRefusal::Unreadable)?;
                let text = value.to_str().map_err(|_| HostRefusal::Unreadable)?;
                text.parse::<Authority>().map_err(|_| HostRefusal::Unreadable)?
            }
        };
        // A Host header names a host and a port (digits), never a user.
        let port_unreadable = authority.as_str().len() > authority.host().len() && authority.port_u16().is_none();
        if authority.as_str().contains('@') || port_unreadable {
            return Err(HostRefusal::Unreadable);
        }
        let HostPolicy::Only(names) = self else { return Ok(()) };
        let host = normalize(authority.host());
        if names.contains(&host) {
            Ok(())
        } else {
            Err(HostRefusal::Misdirected)
        }
    }
}

/// Lower case, without the one trailing dot a fully qualified name may carry.
fn normalize(host: &str) -> String {
    host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(host: &str) -> Request<()> {
        Request::builder().uri("/api/v1/health").header(header::HOST, host).body(()).unwrap()
    }

    #[test]
    fn loopback_servers_answer_only_to_loopback_names() {
        let p = HostPolicy::new(Some("127.0.0.1:7878".parse().unwrap()), None);
        for ok in ["localhost", "localhost:7878", "127.0.0.1:1", "[::1]:7878", "LOCALHOST", "localhost."] {
            assert_eq!(p.check(&req(ok)), Ok(()), "{ok}");
        }
        for bad in [
            "rebind.attacker.example",
            "localhost.attacker.example",
            "127.0.0.1.nip.io",
            "127.0.0.2",
            "[::2]",
            "localhostx",
        ] {
            assert_eq!(p.check(&req(bad)), Err(HostRefusal::Misdirected), "{bad}");
        }
        for unreadable in ["127.0.0.1:80@evil.example", "a b", "", "localhost:port"] {
            assert_eq!(p.check(&req(unreadable)), Err(HostRefusal::Unreadable), "{unreadable}");
        }
        let none = Request::builder().uri("/").body(()).unwrap();
        assert_eq!(p.check(&none), Err(HostRefusal::Unreadable));
        let absolute = Request::builder().uri("http://evil.example/api/v1/health").body(()).unwrap();
        assert_eq!(p.check(&absolute), Err(HostRefusal::Misdirected));
    }

    #[test]
    fn team_servers_answer_to_their_public_url() {
        let public = url::Url::parse("https://Tessera.Example.com/").unwrap();
        let p = HostPolicy::new(Some("0.0.0.0:7878".parse().unwrap()), Some(&public));
        assert_eq!(p.check(&req("tessera.example.com")), Ok(()));
        assert_eq!(p.check(&req("tessera.example.com:443")), Ok(()));
        assert_eq!(p.check(&req("localhost")), Err(HostRefusal::Misdirected));
        assert_eq!(p.check(&req("example.com")), Err(HostRefusal::Misdirected));
        let v6 = url::Url::parse("http://[2001:db8::1]:8080/").unwrap();
        let p = HostPolicy::new(Some("[::]:8080".parse().unwrap()), Some(&v6));
        assert_eq!(p.check(&req("[2001:db8::1]:8080")), Ok(()));
        assert_eq!(HostPolicy::new(Some("0.0.0.0:1".parse().unwrap()), None), HostPolicy::Any);
    }
}
