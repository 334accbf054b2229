//! `baseUrl` validation. Strict on purpose: the URL decides where a signed payment request goes,
//! so anything unusual (user info, a query, plain http to a remote host) is refused up front.

use super::error::Error;
use super::options::MAX_BASE_URL_CHARS;

const FIELD: &str = "baseUrl";

/// A validated base: `origin` is `scheme://host[:port]`, `prefix` a path without a trailing `/`
/// (empty for most users; non-empty behind a proxy that mounts TTPay under a path).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseUrl {
    pub origin: String,
    pub prefix: String,
}

impl BaseUrl {
    pub fn parse(input: &str) -> Result<BaseUrl, Error> {
        if input.chars().count() > MAX_BASE_URL_CHARS {
            return Err(Error::invalid(
                FIELD,
                format!("must be at most {MAX_BASE_URL_CHARS} characters"),
            ));
        }
        let (scheme, rest) = split_scheme(input)
            .ok_or_else(|| Error::invalid(FIELD, "must be an absolute https:// URL"))?;
        if rest.contains(['?', '#']) {
            return Err(Error::invalid(FIELD, "must not have a query or a fragment"));
        }
        // `split_at_checked`, not `split_at`: no panic path (and its formatting) in the wasm.
        let (authority, path) = rest
            .find('/')
            .and_then(|i| rest.split_at_checked(i))
            .unwrap_or((rest, ""));
        if authority.contains('@') {
            return Err(Error::invalid(FIELD, "must not carry user information"));
        }
        let (host, port) = split_host_port(authority)?;
        if scheme == "http" && !is_loopback(&host) {
            return Err(Error::invalid(
                FIELD,
                "must use https (plain http is allowed only for localhost, 127.0.0.0/8 and [::1])",
            ));
        }
        if !path.bytes().all(is_path_byte) {
            return Err(Error::invalid(
                FIELD,
                "has characters not allowed in a URL path",
            ));
        }
        // fetch resolves `.` and `..` (and their %2e spellings) before sending, so the path sent
        // would not be the path signed: refuse them rather than guess how each runtime resolves.
        if path.split('/').any(is_dot_segment) {
            return Err(Error::invalid(
                FIELD,
                "must not have `.` or `..` path segments (also as %2e)",
            ));
        }
        let origin = match port {
            Some(p) => format!("{scheme}://{host}:{p}"),
            None => format!("{scheme}://{host}"),
        };
        Ok(BaseUrl {
            origin,
            prefix: path.trim_end_matches('/').to_string(),
        })
    }

    /// The path and query that are signed and the full URL that is fetched, for an API path.
    pub fn endpoint(&self, api_path: &str) -> (String, String) {
        let path = format!("{}{api_path}", self.prefix);
        (format!("{}{path}", self.origin), path)
    }
}

fn split_scheme(input: &str) -> Option<(&'static str, &str)> {
    // A byte search rather than `split_once("://")`: the substring searcher drags a panic path
    // with Unicode tables into the wasm.
    let at = input.as_bytes().windows(3).position(|w| w == b"://")?;
    let scheme = input.get(..at)?;
    let rest = input.get(at + 3..)?;
    if scheme.eq_ignore_ascii_case("https") {
        Some(("https", rest))
    } else if scheme.eq_ignore_ascii_case("http") {
        Some(("http", rest))
    } else {
        None
    }
}

fn split_host_port(authority: &str) -> Result<(String, Option<u16>), Error> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (inner, after) = v6
            .split_once(']')
            .ok_or_else(|| Error::invalid(FIELD, "has an unclosed IPv6 bracket"))?;
        if inner.is_empty()
            || !inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return Err(Error::invalid(FIELD, "has an invalid IPv6 address"));
        }
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| Error::invalid(FIELD, "has an invalid port"))?,
            ),
        };
        (format!("[{}]", inner.to_ascii_lowercase()), port)
    } else {
        let (host, port) = match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        let valid = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            && !host.starts_with(['.', '-'])
            && !host.as_bytes().windows(2).any(|w| w == b"..");
        if !valid {
            return Err(Error::invalid(FIELD, "must name a host"));
        }
        (host.to_ascii_lowercase(), port)
    };
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Some(n),
            _ => return Err(Error::invalid(FIELD, "has an invalid port")),
        },
    };
    Ok((host, port))
}

fn is_loopback(host: &str) -> bool {
    // Exactly these names: `*.localhost` resolves to loopback only where the resolver says so.
    if host == "localhost" || host == "[::1]" {
        return true;
    }
    let octets: Vec<&str> = host.split('.').collect();
    octets.len() == 4
        && octets.first() == Some(&"127")
        && octets
            .iter()
            .all(|o| !o.is_empty() && o.len() <= 3 && o.parse::<u8>().is_ok())
}

/// `.` or `..`, with any dot spelled `%2e` or `%2E`.
fn is_dot_segment(segment: &str) -> bool {
    let mut rest = segment;
    let mut dots = 0;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            rest = r;
        } else if rest.len() >= 3 && rest.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("%2e")) {
            rest = rest.get(3..).unwrap_or_default();
        } else {
            return false;
        }
        dots += 1;
    }
    (1..=2).contains(&dots)
}

fn is_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~/%!$&'()*+,;=:@".contains(&b)
}
