//! Every decision about where Tessera sends a request or a browser is made on a parsed URL
//! (scheme, host, port), never on a string prefix: `http://127.0.0.1:80@example.invalid` starts
//! like a loopback address but its host is `example.invalid`.
//!
//! The rule is the same everywhere: `https://` to any host, plain `http://` only to this computer
//! (`localhost`, `127.0.0.0/8`, `::1`), and never a user name or password in the URL.

use std::net::IpAddr;

use url::{Host, Url};

/// Why a URL was refused; each is a sentence for the person who typed or configured it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// It does not parse as an absolute URL.
    #[error("{0} is not a full URL like https://tessera.example.com")]
    NotAUrl(String),
    /// Its scheme is neither https nor http to this computer.
    #[error("{0} must use https (plain http only to this computer: localhost, 127.0.0.1 or [::1])")]
    Insecure(String),
    /// It names no host.
    #[error("{0} names no host")]
    NoHost(String),
    /// It carries a user name or password, which would be sent to the wrong place or logged.
    #[error("{0} must not contain a user name or password")]
    UserInfo(String),
    /// It carries a query or a fragment where a base address is expected.
    #[error("{0} must not contain ? or #")]
    QueryOrFragment(String),
}

/// Whether `host` is this computer: `localhost`, an address in `127.0.0.0/8`, or `::1`.
pub fn is_loopback_host(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| IpAddr::V4(v4).is_loopback()),
    }
}

/// Whether a parsed URL is plain http to this computer.
pub fn is_loopback_http(url: &Url) -> bool {
    url.scheme() == "http" && url.host().is_some_and(|h| is_loopback_host(&h))
}

/// Parses `input` (described as `what` in errors) and checks the rule of this module: https
/// anywhere, http only to loopback, a host, no user info.
pub fn web_url(what: &str, input: &str) -> Result<Url, UrlError> {
    let url = Url::parse(input.trim()).map_err(|_| UrlError::NotAUrl(what.to_owned()))?;
    match url.host() {
        None => return Err(UrlError::NoHost(what.to_owned())),
        Some(Host::Domain("")) => return Err(UrlError::NoHost(what.to_owned())),
        Some(_) => {}
    }
    if !(url.scheme() == "https" || is_loopback_http(&url)) {
        return Err(UrlError::Insecure(what.to_owned()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::UserInfo(what.to_owned()));
    }
    Ok(url)
}

/// A base address (a Tessera server, a provider's issuer or web base): [`web_url`] without
/// query or fragment, returned without a trailing slash so paths can be appended.
pub fn base_url(what: &str, input: &str) -> Result<String, UrlError> {
    let url = web_url(what, input)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(UrlError::QueryOrFragment(what.to_owned()));
    }
    let origin = url.origin().ascii_serialization();
    Ok(format!("{origin}{}", url.path().trim_end_matches('/')))
}

/// A loopback redirect URI as RFC 8252 section 7.3 describes it: plain http to loopback with an
/// explicit port, no user info, query or fragment.
pub fn is_loopback_redirect(input: &str) -> bool {
    Url::parse(input).is_ok_and(|u| {
        is_loopback_http(&u)
            && u.port().is_some()
            && u.username().is_empty()
            && u.password().is_none()
            && u.query().is_none()
            && u.fragment().is_none()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_and_http_only_to_this_computer() {
        for good in [
            "https://idp.example",
            "https://idp.example:8443/realms/x",
            "http://127.0.0.1:8080",
            "http://127.5.6.7/",
            "http://localhost:3000/x",
            "http://LOCALHOST",
            "http://[::1]:9000",
        ] {
            assert!(web_url("url", good).is_ok(), "{good}");
        }
        let refused = [
            ("http://127.0.0.1:80@example.invalid", UrlError::Insecure("url".into())),
            ("http://localhost@example.invalid/", UrlError::Insecure("url".into())),
            ("http://127.0.0.1.example.invalid", UrlError::Insecure("url".into())),
            ("http://localhost.example.invalid:80", UrlError::Insecure("url".into())),
            ("http://[::1].example.invalid", UrlError::NotAUrl("url".into())),
            ("http://idp.example", UrlError::Insecure("url".into())),
            ("http://10.0.0.1", UrlError::Insecure("url".into())),
            ("https://ada:pw@idp.example", UrlError::UserInfo("url".into())),
            ("https://ada@idp.example", UrlError::UserInfo("url".into())),
            ("http://ada:pw@127.0.0.1:80", UrlError::UserInfo("url".into())),
            ("ftp://idp.example", UrlError::Insecure("url".into())),
            ("javascript:alert(1)", UrlError::NoHost("url".into())),
            ("file:///etc/passwd", UrlError::NoHost("url".into())),
            ("idp.example", UrlError::NotAUrl("url".into())),
            ("", UrlError::NotAUrl("url".into())),
        ];
        for (bad, why) in refused {
            assert_eq!(web_url("url", bad), Err(why), "{bad}");
        }
    }

    #[test]
    fn base_urls_lose_the_trailing_slash_and_refuse_queries() {
        assert_eq!(base_url("s", " https://t.example/ ").as_deref(), Ok("https://t.example"));
        assert_eq!(base_url("s", "https://t.example/tessera/").as_deref(), Ok("https://t.example/tessera"));
        assert_eq!(base_url("s", "http://127.0.0.1:8080").as_deref(), Ok("http://127.0.0.1:8080"));
        assert_eq!(base_url("s", "https://t.example/?x=1"), Err(UrlError::QueryOrFragment("s".into())));
        assert_eq!(base_url("s", "https://t.example/#x"), Err(UrlError::QueryOrFragment("s".into())));
        assert_eq!(base_url("s", "http://127.0.0.1:80@t.example"), Err(UrlError::Insecure("s".into())));
    }

    #[test]
    fn redirect_uris_are_loopback_with_a_port() {
        for good in ["http://127.0.0.1:5555/callback", "http://localhost:1/cb", "http://[::1]:8080/callback"] {
            assert!(is_loopback_redirect(good), "{good}");
        }
        for bad in [
            "https://evil.example/callback",
            "http://127.0.0.1/callback",
            "http://127.0.0.1.evil.example:80/callback",
            "http://127.0.0.1:80@evil.example:80/callback",
            "http://ada@127.0.0.1:80/callback",
            "http://127.0.0.1:80/callback?x=1",
            "http://127.0.0.1:80/callback#x",
            "javascript:alert(1)",
            "",
        ] {
            assert!(!is_loopback_redirect(bad), "{bad}");
        }
    }
}
