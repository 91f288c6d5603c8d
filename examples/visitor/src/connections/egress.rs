//! Where the server may fetch a connection's metadata from.
//!
//! An organization's admin types the metadata URL, and the server fetches it:
//! without a check, any admin could make the server read its own loopback
//! services, the cloud provider's instance metadata (169.254.169.254) or the
//! private network (server-side request forgery). So the URL's host, literal
//! or resolved, must be a public address unless the operator allows private
//! ones (`server.private_metadata_hosts`, for an IdP on the same machine or
//! network, as in the demo and the conformance suite).
//!
//! This is a check before the fetch, not a pinned connection: a name that
//! resolves differently a moment later (DNS rebinding) is not caught here,
//! and the fetcher's own rule (redirects only within the same origin) keeps
//! the URL's host. Deploy behind an egress filter for a full guarantee.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, ToSocketAddrs};

use actix_web::http::Uri;

use super::ConnectionError;

/// Refuses `url` when its host is, or resolves to, a loopback, private,
/// link-local or otherwise non-public address. A name that does not resolve
/// passes: the fetch then fails and says so.
pub async fn refuse_private_host(url: &str) -> Result<(), ConnectionError> {
    let uri: Uri = url.parse().map_err(|_| ConnectionError::BadUrl)?;
    let host = uri.host().ok_or(ConnectionError::BadUrl)?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let lower = host.to_ascii_lowercase();
    // RFC 6761 §6.3: localhost names are loopback whatever DNS says.
    if lower == "localhost" || lower.ends_with(".localhost") {
        return Err(ConnectionError::PrivateHost(host));
    }
    let addresses: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => {
            let port = uri.port_u16().unwrap_or(443);
            let name = host.clone();
            actix_web::web::block(move || (name.as_str(), port).to_socket_addrs())
                .await
                .ok()
                .and_then(Result::ok)
                .map(|it| it.map(|a| a.ip()).collect())
                .unwrap_or_default()
        }
    };
    if addresses.iter().any(|ip| !is_public(ip)) {
        return Err(ConnectionError::PrivateHost(host));
    }
    Ok(())
}

/// A globally routable unicast address.
pub fn is_public(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => is_public_v4(*a),
        IpAddr::V6(a) => is_public_v6(*a),
    }
}

fn is_public_v4(a: Ipv4Addr) -> bool {
    let [o0, o1, ..] = a.octets();
    !(a.is_loopback()
        || a.is_private()
        || a.is_link_local()
        || a.is_unspecified()
        || a.is_broadcast()
        || a.is_multicast()
        || a.is_documentation()
        || o0 == 0
        // RFC 6598 shared address space (carrier-grade NAT), 100.64.0.0/10.
        || (o0 == 100 && (o1 & 0xc0) == 64)
        // RFC 2544 benchmarking, 198.18.0.0/15.
        || (o0 == 198 && (o1 & 0xfe) == 18)
        // RFC 1112 reserved, 240.0.0.0/4.
        || o0 >= 240)
}

fn is_public_v6(a: Ipv6Addr) -> bool {
    if let Some(v4) = a.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s0 = a.segments()[0];
    !(a.is_loopback()
        || a.is_unspecified()
        || a.is_multicast()
        // RFC 4193 unique local, fc00::/7.
        || (s0 & 0xfe00) == 0xfc00
        // RFC 4291 link-local, fe80::/10.
        || (s0 & 0xffc0) == 0xfe80
        // RFC 3849 documentation, 2001:db8::/32.
        || (s0 == 0x2001 && a.segments()[1] == 0x0db8))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn only_public_unicast_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "198.18.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "2001:db8::1",
        ] {
            assert!(!is_public(&private.parse().unwrap()), "{private}");
        }
        for public in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(&public.parse().unwrap()), "{public}");
        }
    }

    #[actix_web::test]
    async fn loopback_metadata_and_instance_metadata_urls_are_refused() {
        for url in [
            "http://127.0.0.1:8080/realms/x/protocol/saml/descriptor",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/md",
            "http://localhost/md",
            "https://idp.localhost/md",
            "http://10.0.0.5/md",
        ] {
            assert!(
                matches!(
                    refuse_private_host(url).await,
                    Err(ConnectionError::PrivateHost(_))
                ),
                "{url}"
            );
        }
        // A public literal passes, and so does a name that does not resolve
        // (`.test` never does, RFC 6761 §6.2): the fetch reports that one.
        assert!(
            refuse_private_host("https://93.184.216.34/md")
                .await
                .is_ok()
        );
        assert!(
            refuse_private_host("https://login.example.test/md")
                .await
                .is_ok()
        );
    }
}
