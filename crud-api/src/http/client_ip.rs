//! Who is asking, for the per-client limits: the socket peer, or — behind proxies this
//! deployment trusts — the address the outermost trusted proxy saw.
//!
//! `X-Forwarded-For` is a list each hop *appends* to (nginx's `$proxy_add_x_forwarded_for`,
//! Envoy, cloud load balancers), so only its right-most entries were written by proxies we run;
//! everything to their left is whatever the client sent. With `N` trusted proxies the client is
//! the `N`-th entry from the right. Taking the first entry (as this once did) let any client
//! pick a new address per request and walk past every per-IP limit.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::platform::error::ApiError;
use crate::state::AppState;

/// The client's IP, as far as this deployment can know it (see the module docs).
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer =
            parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()).unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let hops = state.config.trust_forwarded_for.0;
        // A request may carry the header more than once; proxies append to the last.
        let forwarded: Vec<&str> =
            parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
        Ok(ClientIp(client_address(peer, &forwarded, hops)))
    }
}

/// The address `hops` trusted proxies vouch for: the `hops`-th `X-Forwarded-For` entry from
/// the right. With fewer entries than proxies, the left-most (the first proxy's peer); with an
/// entry that isn't an address — a proxy we trust wrote garbage — the socket peer.
pub fn client_address(peer: IpAddr, forwarded: &[&str], hops: u8) -> IpAddr {
    if hops == 0 {
        return peer;
    }
    let entries: Vec<&str> =
        forwarded.iter().flat_map(|h| h.split(',')).map(str::trim).filter(|e| !e.is_empty()).collect();
    let Some(index) = entries.len().checked_sub(hops as usize).or((!entries.is_empty()).then_some(0)) else {
        return peer;
    };
    parse_entry(entries[index]).unwrap_or(peer)
}

/// An `X-Forwarded-For` entry: a bare address, possibly with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:443`).
fn parse_entry(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| entry.trim_start_matches('[').trim_end_matches(']').parse().ok())
}

/// The key a client is limited under. IPv6 clients are limited per /64 — the smallest block
/// an ISP hands a subscriber, so one subscriber has 2^64 addresses to rotate through; IPv4 per
/// address (an IPv4-mapped IPv6 address counts as the IPv4 one).
pub fn limit_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{}/64", Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn untrusted_header_is_ignored() {
        assert_eq!(client_address(ip("192.0.2.1"), &["203.0.113.9"], 0), ip("192.0.2.1"));
    }

    #[test]
    fn one_proxy_vouches_for_the_right_most_entry_not_what_the_client_wrote() {
        // The client wrote "10.9.1.1"; nginx appended the address it saw.
        let fwd = ["10.9.1.1, 203.0.113.7"];
        assert_eq!(client_address(ip("10.0.0.2"), &fwd, 1), ip("203.0.113.7"));
    }

    #[test]
    fn two_proxies_vouch_for_the_second_from_the_right() {
        let fwd = ["6.6.6.6, 203.0.113.7", "10.0.0.5"];
        assert_eq!(client_address(ip("10.0.0.2"), &fwd, 2), ip("203.0.113.7"));
    }

    #[test]
    fn short_or_missing_or_garbage_headers() {
        assert_eq!(client_address(ip("10.0.0.2"), &["203.0.113.7"], 2), ip("203.0.113.7"));
        assert_eq!(client_address(ip("10.0.0.2"), &[], 1), ip("10.0.0.2"));
        assert_eq!(client_address(ip("10.0.0.2"), &["1.1.1.1, nonsense"], 1), ip("10.0.0.2"));
        assert_eq!(client_address(ip("10.0.0.2"), &["[2001:db8::1]:443"], 1), ip("2001:db8::1"));
        assert_eq!(client_address(ip("10.0.0.2"), &["198.51.100.4:5678"], 1), ip("198.51.100.4"));
    }

    #[test]
    fn ipv6_is_limited_per_64() {
        assert_eq!(limit_key(ip("2001:db8:1:2:aaaa::1")), limit_key(ip("2001:db8:1:2:ffff:1:2:3")));
        assert_ne!(limit_key(ip("2001:db8:1:2::1")), limit_key(ip("2001:db8:1:3::1")));
        assert_eq!(limit_key(ip("::ffff:192.0.2.1")), "192.0.2.1");
        assert_eq!(limit_key(ip("192.0.2.1")), "192.0.2.1");
    }
}
