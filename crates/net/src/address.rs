//! Which IP addresses a fetch may connect to: public unicast only.
//!
//! Ranges from the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and
//! successors). IPv6 is judged by an allow-list (global unicast `2000::/3` minus the special
//! blocks inside it), so a block we did not name is refused rather than let through.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is not public: the special-purpose block it falls in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpecialAddress {
    /// `127.0.0.0/8`, `::1`.
    Loopback,
    /// `10.0.0.0/8`, `172.16.0.0/12`, `192.168.0.0/16` (RFC 1918).
    Private,
    /// `fc00::/7` (RFC 4193).
    UniqueLocal,
    /// `169.254.0.0/16`, `fe80::/10`: cloud metadata services live here.
    LinkLocal,
    /// `fec0::/10`, deprecated but still routed inside some networks.
    SiteLocal,
    /// `100.64.0.0/10`, carrier-grade NAT (RFC 6598).
    SharedCgnat,
    /// `224.0.0.0/4`, `ff00::/8`.
    Multicast,
    /// `0.0.0.0`, `::`: connecting there reaches the local host.
    Unspecified,
    /// `0.0.0.0/8`, "this network".
    ThisNetwork,
    /// `255.255.255.255`.
    Broadcast,
    /// `198.18.0.0/15` (RFC 2544).
    Benchmarking,
    /// `192.0.2.0/24`, `198.51.100.0/24`, `203.0.113.0/24`, `2001:db8::/32`, `3fff::/20`.
    Documentation,
    /// `::ffff:0:0/96`: an IPv4 address in IPv6 clothing; the stack connects to the IPv4 one.
    Ipv4Mapped,
    /// `::/96` (deprecated IPv4-compatible form).
    Ipv4Compatible,
    /// `64:ff9b::/96` embedding a non-public IPv4 address, or `64:ff9b:1::/48` (local NAT64).
    Nat64,
    /// `2002::/16` (6to4): embeds an IPv4 address that the relay would reach.
    SixToFour,
    /// `2001::/32` (Teredo) and the rest of `2001::/23` (IETF protocol assignments).
    IetfProtocol,
    /// `240.0.0.0/4`, IETF-reserved IPv4 blocks, and any IPv6 outside global unicast.
    Reserved,
}

impl fmt::Display for SpecialAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Loopback => "a loopback address",
            Self::Private => "a private address",
            Self::UniqueLocal => "a unique local address",
            Self::LinkLocal => "a link-local address",
            Self::SiteLocal => "a site-local address",
            Self::SharedCgnat => "a carrier-grade NAT address",
            Self::Multicast => "a multicast address",
            Self::Unspecified => "the unspecified address",
            Self::ThisNetwork => "a \"this network\" address",
            Self::Broadcast => "the broadcast address",
            Self::Benchmarking => "a benchmarking address",
            Self::Documentation => "a documentation address",
            Self::Ipv4Mapped => "an IPv4-mapped IPv6 address",
            Self::Ipv4Compatible => "an IPv4-compatible IPv6 address",
            Self::Nat64 => "a NAT64 address of a non-public IPv4 address",
            Self::SixToFour => "a 6to4 address",
            Self::IetfProtocol => "an IETF protocol address",
            Self::Reserved => "a reserved address",
        })
    }
}

/// The special-purpose block `ip` falls in, or `None` for a public unicast address.
pub fn classify(ip: IpAddr) -> Option<SpecialAddress> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, base: [u8; 4], prefix: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(base)) & mask
}

fn in_v6(ip: Ipv6Addr, base: u128, prefix: u32) -> bool {
    let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
    u128::from(ip) & mask == base & mask
}

fn classify_v4(ip: Ipv4Addr) -> Option<SpecialAddress> {
    use SpecialAddress as S;
    // Most specific first: 0.0.0.0 before 0/8, 255.255.255.255 before 240/4.
    let table: [([u8; 4], u32, SpecialAddress); 18] = [
        ([0, 0, 0, 0], 32, S::Unspecified),
        ([255, 255, 255, 255], 32, S::Broadcast),
        ([0, 0, 0, 0], 8, S::ThisNetwork),
        ([10, 0, 0, 0], 8, S::Private),
        ([100, 64, 0, 0], 10, S::SharedCgnat),
        ([127, 0, 0, 0], 8, S::Loopback),
        ([169, 254, 0, 0], 16, S::LinkLocal),
        ([172, 16, 0, 0], 12, S::Private),
        // IETF protocol assignments (DS-Lite, PCP anycast, …).
        ([192, 0, 0, 0], 24, S::Reserved),
        ([192, 0, 2, 0], 24, S::Documentation),
        // Deprecated 6to4 relay anycast.
        ([192, 88, 99, 0], 24, S::Reserved),
        ([192, 168, 0, 0], 16, S::Private),
        ([198, 18, 0, 0], 15, S::Benchmarking),
        ([198, 51, 100, 0], 24, S::Documentation),
        ([203, 0, 113, 0], 24, S::Documentation),
        ([224, 0, 0, 0], 4, S::Multicast),
        ([240, 0, 0, 0], 4, S::Reserved),
        // AS112 DNS sinks: answering nothing useful, routed anywhere.
        ([192, 31, 196, 0], 24, S::Reserved),
    ];
    table
        .iter()
        .find(|(base, prefix, _)| in_v4(ip, *base, *prefix))
        .map(|(_, _, class)| *class)
}

fn classify_v6(ip: Ipv6Addr) -> Option<SpecialAddress> {
    use SpecialAddress as S;
    if ip == Ipv6Addr::UNSPECIFIED {
        return Some(S::Unspecified);
    }
    if ip == Ipv6Addr::LOCALHOST {
        return Some(S::Loopback);
    }
    let bits = u128::from(ip);
    // NAT64 (RFC 6052 well-known prefix): the gateway connects to the embedded IPv4 address,
    // so judge that; IPv6-only networks reach all of IPv4 this way.
    if in_v6(ip, 0x0064_ff9b_0000_0000_0000_0000_0000_0000, 96) {
        let embedded = Ipv4Addr::from((bits & 0xffff_ffff) as u32);
        return classify_v4(embedded).map(|_| S::Nat64);
    }
    let table: [(u128, u32, SpecialAddress); 12] = [
        (0x0000_0000_0000_0000_0000_ffff_0000_0000, 96, S::Ipv4Mapped),
        (0, 96, S::Ipv4Compatible),
        (0x0064_ff9b_0001_0000_0000_0000_0000_0000, 48, S::Nat64),
        (0xfc00_u128 << 112, 7, S::UniqueLocal),
        (0xfe80_u128 << 112, 10, S::LinkLocal),
        (0xfec0_u128 << 112, 10, S::SiteLocal),
        (0xff00_u128 << 112, 8, S::Multicast),
        (0x2001_0db8_u128 << 96, 32, S::Documentation),
        (0x3fff_u128 << 112, 20, S::Documentation),
        (0x2002_u128 << 112, 16, S::SixToFour),
        (0x2001_u128 << 112, 23, S::IetfProtocol),
        // Discard-only (RFC 6666).
        (0x0100_u128 << 112, 64, S::Reserved),
    ];
    if let Some((_, _, class)) = table
        .iter()
        .find(|(base, prefix, _)| in_v6(ip, *base, *prefix))
    {
        return Some(*class);
    }
    // Everything outside global unicast 2000::/3 is not for us.
    (!in_v6(ip, 0x2000_u128 << 112, 3)).then_some(S::Reserved)
}

/// True for `127.0.0.0/8` and `::1` only: the addresses the development switch opens. Mapped
/// and NAT64 forms of loopback stay refused.
pub(crate) fn is_true_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6 == Ipv6Addr::LOCALHOST,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_table() {
        use SpecialAddress as S;
        let cases: &[(&str, Option<SpecialAddress>)] = &[
            // Public.
            ("93.184.216.34", None),
            ("1.1.1.1", None),
            ("8.8.8.8", None),
            ("172.15.255.255", None),
            ("172.32.0.0", None),
            ("100.63.255.255", None),
            ("100.128.0.0", None),
            ("198.17.255.255", None),
            ("198.20.0.0", None),
            ("223.255.255.255", None),
            ("2606:4700:4700::1111", None),
            ("2a00:1450:4001:80b::200e", None),
            ("64:ff9b::5db8:d822", None),
            // Loopback and the local host.
            ("127.0.0.1", Some(S::Loopback)),
            ("127.255.255.254", Some(S::Loopback)),
            ("::1", Some(S::Loopback)),
            ("0.0.0.0", Some(S::Unspecified)),
            ("::", Some(S::Unspecified)),
            ("0.1.2.3", Some(S::ThisNetwork)),
            // Private and local networks.
            ("10.0.0.1", Some(S::Private)),
            ("172.16.0.1", Some(S::Private)),
            ("172.31.255.255", Some(S::Private)),
            ("192.168.1.1", Some(S::Private)),
            ("100.64.0.1", Some(S::SharedCgnat)),
            ("100.127.255.255", Some(S::SharedCgnat)),
            ("169.254.169.254", Some(S::LinkLocal)),
            ("fe80::1", Some(S::LinkLocal)),
            ("febf::1", Some(S::LinkLocal)),
            ("fec0::1", Some(S::SiteLocal)),
            ("fc00::1", Some(S::UniqueLocal)),
            ("fd00:ec2::254", Some(S::UniqueLocal)),
            // Multicast, broadcast, reserved.
            ("224.0.0.1", Some(S::Multicast)),
            ("239.255.255.250", Some(S::Multicast)),
            ("ff02::1", Some(S::Multicast)),
            ("255.255.255.255", Some(S::Broadcast)),
            ("240.0.0.1", Some(S::Reserved)),
            ("192.0.0.8", Some(S::Reserved)),
            ("192.88.99.1", Some(S::Reserved)),
            ("100::1", Some(S::Reserved)),
            ("4000::1", Some(S::Reserved)),
            ("1::1", Some(S::Reserved)),
            // Benchmarking and documentation.
            ("198.18.0.1", Some(S::Benchmarking)),
            ("198.19.255.255", Some(S::Benchmarking)),
            ("192.0.2.1", Some(S::Documentation)),
            ("198.51.100.1", Some(S::Documentation)),
            ("203.0.113.1", Some(S::Documentation)),
            ("2001:db8::1", Some(S::Documentation)),
            ("3fff::1", Some(S::Documentation)),
            // IPv4 inside IPv6.
            ("::ffff:127.0.0.1", Some(S::Ipv4Mapped)),
            ("::ffff:7f00:1", Some(S::Ipv4Mapped)),
            ("::ffff:8.8.8.8", Some(S::Ipv4Mapped)),
            ("::127.0.0.1", Some(S::Ipv4Compatible)),
            ("::8.8.8.8", Some(S::Ipv4Compatible)),
            ("64:ff9b::7f00:1", Some(S::Nat64)),
            ("64:ff9b::a9fe:a9fe", Some(S::Nat64)),
            ("64:ff9b::a00:1", Some(S::Nat64)),
            ("64:ff9b:1::808:808", Some(S::Nat64)),
            ("2002:7f00:1::1", Some(S::SixToFour)),
            ("2001::1", Some(S::IetfProtocol)),
            ("2001:10::1", Some(S::IetfProtocol)),
        ];
        for (text, want) in cases {
            let ip: IpAddr = text.parse().unwrap();
            assert_eq!(classify(ip), *want, "{text}");
        }
    }

    #[test]
    fn only_true_loopback_is_loopback_for_the_dev_switch() {
        for yes in ["127.0.0.1", "127.8.9.10", "::1"] {
            assert!(is_true_loopback(yes.parse().unwrap()), "{yes}");
        }
        for no in [
            "::ffff:127.0.0.1",
            "::127.0.0.1",
            "64:ff9b::7f00:1",
            "0.0.0.0",
            "::",
            "10.0.0.1",
        ] {
            assert!(!is_true_loopback(no.parse().unwrap()), "{no}");
        }
    }
}
