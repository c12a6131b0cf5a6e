//! What RFC 8705 §2.1.2 matches a client certificate by: its subject distinguished name
//! (registered as an RFC 4514 string, compared attribute by attribute with LDAP's
//! case-ignoring match) and its DNS subject alternative names; and the form of a registered
//! certificate thumbprint (`x5t#S256`).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rustls_pki_types::CertificateDer;

/// One attribute of a distinguished name: its type (a dotted OID) and its value, normalised
/// for comparison (trimmed, inner white space collapsed, lowercase).
type Attribute = (String, String);
/// A relative distinguished name: its attributes, sorted (their order does not count).
type Rdn = Vec<Attribute>;

/// A distinguished name, outermost RDN (`C`, `DC`) first, as in the certificate's DER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistinguishedName(Vec<Rdn>);

/// Short attribute names of RFC 4514 §3 and the usual extras, with their OIDs.
const NAMES: &[(&str, &str)] = &[
    ("cn", "2.5.4.3"),
    ("sn", "2.5.4.4"),
    ("serialnumber", "2.5.4.5"),
    ("c", "2.5.4.6"),
    ("l", "2.5.4.7"),
    ("st", "2.5.4.8"),
    ("street", "2.5.4.9"),
    ("o", "2.5.4.10"),
    ("ou", "2.5.4.11"),
    ("title", "2.5.4.12"),
    ("gn", "2.5.4.42"),
    ("givenname", "2.5.4.42"),
    ("dc", "0.9.2342.19200300.100.1.25"),
    ("uid", "0.9.2342.19200300.100.1.1"),
    ("emailaddress", "1.2.840.113549.1.9.1"),
    ("e", "1.2.840.113549.1.9.1"),
];

fn normalise(value: &str) -> String {
    value
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn attribute_type(name: &str) -> Result<String, String> {
    let name = name.trim();
    let lower = name.to_ascii_lowercase();
    if let Some((_, oid)) = NAMES.iter().find(|(n, _)| *n == lower) {
        return Ok((*oid).to_owned());
    }
    let dotted = lower.strip_prefix("oid.").unwrap_or(&lower);
    let is_oid = !dotted.is_empty()
        && dotted
            .split('.')
            .all(|arc| !arc.is_empty() && arc.bytes().all(|b| b.is_ascii_digit()));
    if is_oid {
        Ok(dotted.to_owned())
    } else {
        Err(format!("`{name}` is not a known attribute type or an OID"))
    }
}

/// Splits `s` at unescaped `sep`, keeping escapes for the value parser.
fn split_unescaped(s: &str, sep: &[char]) -> Vec<(String, Option<char>)> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            current.push(c);
            if let Some(next) = chars.next() {
                current.push(next);
            }
        } else if sep.contains(&c) {
            parts.push((std::mem::take(&mut current), Some(c)));
        } else {
            current.push(c);
        }
    }
    parts.push((current, None));
    parts
}

/// Unescapes an RFC 4514 §3 value: `\` before a special character, or two hex digits (of a
/// UTF-8 byte).
fn unescape(value: &str) -> Result<String, String> {
    let value = value.trim_start_matches(' ');
    // A trailing space is kept only when escaped.
    let value = if value.ends_with("\\ ") {
        value
    } else {
        value.trim_end_matches(' ')
    };
    if value.starts_with('#') {
        return Err("hex-encoded (`#...`) values are not supported".to_owned());
    }
    let mut bytes = Vec::with_capacity(value.len());
    let raw = value.as_bytes();
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        if b != b'\\' {
            bytes.push(b);
            i += 1;
            continue;
        }
        let (Some(&h), l) = (raw.get(i + 1), raw.get(i + 2)) else {
            return Err("a value ends with a lone `\\`".to_owned());
        };
        let hex = |c: u8| char::from(c).to_digit(16);
        match (hex(h), l.copied().and_then(hex)) {
            (Some(hi), Some(lo)) => {
                bytes.push(u8::try_from(hi * 16 + lo).unwrap_or(0));
                i += 3;
            }
            _ if b" \"#+,;<=>\\".contains(&h) => {
                bytes.push(h);
                i += 2;
            }
            _ => return Err(format!("`\\{}` is not a valid escape", char::from(h))),
        }
    }
    String::from_utf8(bytes).map_err(|_| "an escaped value is not UTF-8".to_owned())
}

impl std::str::FromStr for DistinguishedName {
    type Err = String;

    /// Parses an RFC 4514 string (`CN=client,O=Example,C=DE`: innermost RDN first).
    fn from_str(s: &str) -> Result<Self, String> {
        if s.trim().is_empty() {
            return Err("the distinguished name is empty".to_owned());
        }
        let mut rdns = Vec::new();
        for (rdn, _) in split_unescaped(s, &[',', ';']) {
            let mut attributes = Vec::new();
            for (ava, _) in split_unescaped(&rdn, &['+']) {
                let (name, value) = ava
                    .split_once('=')
                    .ok_or_else(|| format!("`{}` is not `type=value`", ava.trim()))?;
                attributes.push((attribute_type(name)?, normalise(&unescape(value)?)));
            }
            attributes.sort();
            rdns.push(attributes);
        }
        rdns.reverse();
        Ok(Self(rdns))
    }
}

/// A DER element: its tag and contents; the rest of the input.
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let (len_bytes, rest) = rest.split_at_checked(n)?;
        let len = len_bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, rest)
    };
    let (contents, rest) = rest.split_at_checked(len)?;
    Some((tag, contents, rest))
}

fn oid_string(der: &[u8]) -> Option<String> {
    let mut subidentifiers = Vec::new();
    let mut value: u64 = 0;
    for &b in der {
        value = value.checked_mul(128)? | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            subidentifiers.push(value);
            value = 0;
        }
    }
    let (&first, rest) = subidentifiers.split_first()?;
    let (a, b) = if first < 80 {
        (first / 40, first % 40)
    } else {
        (2, first - 80)
    };
    let mut arcs = vec![a, b];
    arcs.extend_from_slice(rest);
    Some(
        arcs.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("."),
    )
}

fn string_value(tag: u8, contents: &[u8]) -> Option<String> {
    match tag {
        // UTF8String, PrintableString, IA5String, NumericString, VisibleString
        0x0c | 0x13 | 0x16 | 0x12 | 0x1a => String::from_utf8(contents.to_vec()).ok(),
        // TeletexString: read as Latin-1
        0x14 => Some(contents.iter().map(|b| char::from(*b)).collect()),
        // BMPString: UTF-16BE
        0x1e => {
            let units: Vec<u16> = contents
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c.first().copied()?, c.get(1).copied()?]).into())
                .collect::<Option<Vec<u16>>>()?;
            String::from_utf16(&units).ok()
        }
        _ => None,
    }
}

impl DistinguishedName {
    /// The subject of a certificate.
    pub fn of_certificate(der: &CertificateDer<'_>) -> Option<Self> {
        let cert = webpki::EndEntityCert::try_from(der).ok()?;
        Self::from_der(cert.subject())
    }

    /// Parses the contents of a DER `Name` (the RDN sequence, without its outer tag).
    fn from_der(mut der: &[u8]) -> Option<Self> {
        let mut rdns = Vec::new();
        while !der.is_empty() {
            let (tag, mut set, rest) = element(der)?;
            der = rest;
            if tag != 0x31 {
                return None;
            }
            let mut attributes = Vec::new();
            while !set.is_empty() {
                let (tag, ava, rest) = element(set)?;
                set = rest;
                if tag != 0x30 {
                    return None;
                }
                let (oid_tag, oid, value) = element(ava)?;
                let (value_tag, value, _) = element(value)?;
                if oid_tag != 0x06 {
                    return None;
                }
                attributes.push((
                    oid_string(oid)?,
                    normalise(&string_value(value_tag, value)?),
                ));
            }
            attributes.sort();
            rdns.push(attributes);
        }
        Some(Self(rdns))
    }
}

/// Whether the certificate's subject alternative names hold the DNS name `name` (compared
/// without regard to ASCII case, no wildcard matching).
pub fn has_dns_name(der: &CertificateDer<'_>, name: &str) -> bool {
    webpki::EndEntityCert::try_from(der)
        .map(|c| c.valid_dns_names().any(|n| n.eq_ignore_ascii_case(name)))
        .unwrap_or(false)
}

/// Checks a registered `x5t#S256`: the base64url (unpadded) SHA-256 of a certificate.
pub fn check_thumbprint(thumbprint: &str) -> Result<(), String> {
    match URL_SAFE_NO_PAD.decode(thumbprint) {
        Ok(raw) if raw.len() == 32 => Ok(()),
        _ => Err(format!(
            "`{thumbprint}` is not a SHA-256 certificate thumbprint (43 base64url characters)"
        )),
    }
}

/// The `x5t#S256` of a certificate given as an `x5c` member (standard base64 of the DER).
pub fn thumbprint_of_x5c(x5c: &str) -> Option<String> {
    let der = STANDARD.decode(x5c).ok()?;
    Some(URL_SAFE_NO_PAD.encode(crate::services::secrets::sha256(&der)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(dn: &[(rcgen::DnType, &str)], sans: Vec<String>) -> CertificateDer<'static> {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(sans).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        for (t, v) in dn {
            params.distinguished_name.push(t.clone(), *v);
        }
        params.self_signed(&key).unwrap().der().clone()
    }

    #[test]
    fn a_subject_matches_its_rfc_4514_form_and_nothing_else() {
        let der = cert(
            &[
                (rcgen::DnType::CountryName, "DE"),
                (rcgen::DnType::OrganizationName, "Example, Inc."),
                (rcgen::DnType::CommonName, "ci  runner"),
            ],
            vec!["ci.example".to_owned()],
        );
        let subject = DistinguishedName::of_certificate(&der).unwrap();
        let parse = |s: &str| s.parse::<DistinguishedName>().unwrap();
        assert_eq!(subject, parse(r"CN=ci runner,O=Example\, Inc.,C=DE"));
        assert_eq!(subject, parse(r"cn = CI Runner , o=Example\2C Inc. ; c=de"));
        assert_eq!(subject, parse(r"2.5.4.3=ci runner,O=Example\, Inc.,C=DE"));
        // Another order, value or an extra RDN is another name.
        for other in [
            r"C=DE,O=Example\, Inc.,CN=ci runner",
            r"CN=ci-runner,O=Example\, Inc.,C=DE",
            r"CN=ci runner,OU=x,O=Example\, Inc.,C=DE",
            r"CN=ci runner,O=Example\, Inc.",
        ] {
            assert_ne!(subject, parse(other), "{other}");
        }
        for bad in ["", "CN", "XX=1", "CN=#0403", r"CN=a\"] {
            assert!(bad.parse::<DistinguishedName>().is_err(), "{bad}");
        }
        assert!(has_dns_name(&der, "CI.example"));
        assert!(!has_dns_name(&der, "other.example"));
    }

    #[test]
    fn thumbprints_are_base64url_sha_256() {
        let der = cert(&[(rcgen::DnType::CommonName, "x")], Vec::new());
        let t = thumbprint_of_x5c(&STANDARD.encode(der.as_ref())).unwrap();
        assert!(check_thumbprint(&t).is_ok());
        assert!(check_thumbprint("abc").is_err());
        assert!(check_thumbprint(&format!("{t}=")).is_err());
    }
}
