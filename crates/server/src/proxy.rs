//! Who the client is behind a reverse proxy. `X-Forwarded-For` is believed only from
//! `--trusted-proxy` addresses; then the client is the right-most address in it that is not a
//! trusted proxy, since every hop appends the address it received the request from and only the
//! hops we trust can be believed about what came before them.

use std::net::IpAddr;
use std::str::FromStr;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

/// A `--trusted-proxy` value that is neither an address nor a network.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0:?} is not an IP address or a network such as 10.0.0.0/8")]
pub struct BadProxy(pub String);

impl FromStr for TrustedProxies {
    type Err = BadProxy;

    /// Parses addresses and networks separated by commas or spaces.
    fn from_str(s: &str) -> Result<Self, BadProxy> {
        let mut nets = Vec::new();
        for item in s.split([',', ' ']).map(str::trim).filter(|i| !i.is_empty()) {
            let net = match item.parse::<IpNet>() {
                Ok(n) => n.trunc(),
                Err(_) => IpNet::from(item.parse::<IpAddr>().map_err(|_| BadProxy(item.to_owned()))?),
            };
            nets.push(net);
        }
        Ok(TrustedProxies(nets))
    }
}

impl TrustedProxies {
    /// Trusts these networks.
    pub fn new(nets: Vec<IpNet>) -> Self {
        TrustedProxies(nets)
    }

    /// Adds the networks of `other`.
    pub fn extend(&mut self, other: TrustedProxies) {
        self.0.extend(other.0);
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The client of a request that arrived from `peer` with `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        for hop in hops.iter().rev() {
            // An unreadable entry was written by whoever sent it to the last trusted hop: that
            // sender is the client as far as anyone can tell.
            let Ok(ip) = hop.parse::<IpAddr>() else { break };
            client = canonical(ip);
            if !self.trusts(client) {
                break;
            }
        }
        client
    }
}

/// IPv4-mapped IPv6 addresses as the IPv4 addresses they are.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xff(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", v.parse().unwrap());
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let t: TrustedProxies = "10.0.0.0/8, 192.0.2.1".parse().unwrap();
        assert_eq!(t.client(ip("203.0.113.9"), &xff("1.2.3.4")), ip("203.0.113.9"), "untrusted peer");
        assert_eq!(t.client(ip("10.1.2.3"), &xff("198.51.100.7")), ip("198.51.100.7"));
        // A client forging the header: the right-most untrusted address is the one the proxy saw.
        assert_eq!(t.client(ip("10.1.2.3"), &xff("6.6.6.6, 198.51.100.7")), ip("198.51.100.7"));
        assert_eq!(t.client(ip("10.1.2.3"), &xff("198.51.100.7, 192.0.2.1, 10.9.9.9")), ip("198.51.100.7"));
        assert_eq!(t.client(ip("10.1.2.3"), &HeaderMap::new()), ip("10.1.2.3"), "no header: the proxy itself");
        assert_eq!(t.client(ip("10.1.2.3"), &xff("junk, 10.0.0.5")), ip("10.0.0.5"));
        assert_eq!(t.client(ip("::ffff:10.1.2.3"), &xff("198.51.100.7")), ip("198.51.100.7"));
        assert_eq!(TrustedProxies::default().client(ip("10.1.2.3"), &xff("1.2.3.4")), ip("10.1.2.3"));
    }

    #[test]
    fn bad_proxy_values_are_refused_by_name() {
        assert_eq!("10.0.0.0/8,nope".parse::<TrustedProxies>(), Err(BadProxy("nope".to_owned())));
        assert!("".parse::<TrustedProxies>().unwrap().is_empty());
        assert!("::1 127.0.0.1/32".parse::<TrustedProxies>().is_ok());
    }
}
