//! The HTTP GET behind [`crate::HttpFetcher`], with the rules a metadata
//! fetch must keep:
//!
//! - redirects are followed by hand (at most [`MAX_REDIRECTS`]) and only
//!   within the origin of the configured URL (RFC 6454 §4: scheme, host,
//!   port). A redirect elsewhere would let whoever controls the metadata
//!   host (or a path on it) point the SP at an internal address (blind
//!   SSRF), and one from `https` to `http` would hand unpinned metadata, the
//!   trust anchor for signatures, to anyone on the network path;
//! - the body is read up to a size limit and the whole exchange (redirects
//!   included) within a time limit;
//! - every refusal is a [`FetchError`] naming what was refused.

use std::time::Duration;

use awc::http::Uri;

/// Redirects followed: an IdP moving its metadata once or twice (a trailing
/// slash, a version path) fits; a loop does not.
pub const MAX_REDIRECTS: usize = 3;

/// Why a metadata fetch failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The URL is not an absolute `http`/`https` URL.
    #[error("{url:?} is not an absolute http(s) URL")]
    BadUrl {
        /// The URL.
        url: String,
    },
    /// Connecting, TLS, or the HTTP exchange failed.
    #[error("GET {url:?}: {reason}")]
    Transport {
        /// The URL.
        url: String,
        /// What the client reported.
        reason: String,
    },
    /// Not answered completely within the time limit.
    #[error("GET {url:?}: no complete answer within {millis} ms")]
    Timeout {
        /// The URL first requested.
        url: String,
        /// The limit, in milliseconds.
        millis: u64,
    },
    /// A status other than 2xx or a followed redirect.
    #[error("GET {url:?}: HTTP {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// A redirect to another origin (scheme, host or port).
    #[error("redirect from {from:?} to another origin {to:?} refused")]
    CrossOriginRedirect {
        /// The URL that redirected.
        from: String,
        /// Where it pointed.
        to: String,
    },
    /// A redirect from `https` to `http`.
    #[error("redirect from https {from:?} to plain http {to:?} refused")]
    Downgrade {
        /// The URL that redirected.
        from: String,
        /// Where it pointed.
        to: String,
    },
    /// A redirect without a usable `Location`.
    #[error("redirect from {from:?} without a usable Location")]
    BadRedirect {
        /// The URL that redirected.
        from: String,
    },
    /// More than [`MAX_REDIRECTS`] redirects.
    #[error("more than {max} redirects from {url:?}")]
    TooManyRedirects {
        /// The URL first requested.
        url: String,
        /// The limit.
        max: usize,
    },
    /// An HTTP/1.1 answer whose body has neither a `Content-Length` nor
    /// chunked framing, so it ends only when the connection closes (RFC 9112
    /// §6.3, last rule). The HTTP client here does not read such a body (it
    /// sees it as empty), so this is said plainly instead of reporting the
    /// metadata as empty XML. PHP's built-in web server answers like this;
    /// production servers send a length or chunks.
    #[error(
        "GET {url:?}: the answer's body has no Content-Length and is not chunked (it ends at connection close), which this client cannot read; serve the metadata with a Content-Length"
    )]
    UnframedBody {
        /// The URL.
        url: String,
    },
    /// The body is larger than the size limit.
    #[error("GET {url:?}: body larger than {limit} bytes")]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit.
        limit: usize,
    },
}

/// `(scheme, host, port)` with the scheme's default port filled in.
fn origin(uri: &Uri) -> Option<(String, String, u16)> {
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let default = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let host = uri.host()?.to_ascii_lowercase();
    Some((scheme, host, uri.port_u16().unwrap_or(default)))
}

fn parse(url: &str) -> Result<Uri, FetchError> {
    let uri: Uri = url
        .parse()
        .map_err(|_| FetchError::BadUrl { url: clip(url) })?;
    origin(&uri).ok_or_else(|| FetchError::BadUrl { url: clip(url) })?;
    Ok(uri)
}

/// Attacker-influenced URLs (a Location header) in errors: bounded.
fn clip(s: &str) -> String {
    s.chars().take(256).collect()
}

/// Where a redirect from `from` to `location` leads, if it may be followed.
pub(crate) fn redirect_target(from: &Uri, location: &str) -> Result<Uri, FetchError> {
    let from_s = from.to_string();
    let bad = || FetchError::BadRedirect {
        from: clip(&from_s),
    };
    let (scheme, _, _) = origin(from).ok_or_else(bad)?;
    let authority = from.authority().ok_or_else(bad)?;
    // RFC 9110 §10.2.2: Location is a URI reference, resolved against the
    // request's URL. Absolute, scheme-relative and absolute-path forms are
    // what servers send; a relative path is resolved against the directory.
    let absolute = if location.starts_with("//") {
        format!("{scheme}:{location}")
    } else if location.starts_with('/') {
        format!("{scheme}://{authority}{location}")
    } else if location.contains("://") {
        location.to_owned()
    } else {
        let path = from.path();
        let dir = path.rfind('/').and_then(|i| path.get(..=i)).unwrap_or("/");
        format!("{scheme}://{authority}{dir}{location}")
    };
    let to: Uri = absolute.parse().map_err(|_| bad())?;
    let to_origin = origin(&to).ok_or_else(bad)?;
    if scheme == "https" && to_origin.0 == "http" {
        return Err(FetchError::Downgrade {
            from: clip(&from_s),
            to: clip(&absolute),
        });
    }
    if origin(from) != Some(to_origin) {
        return Err(FetchError::CrossOriginRedirect {
            from: clip(&from_s),
            to: clip(&absolute),
        });
    }
    Ok(to)
}

/// An HTTP/1.1 success answer with neither `Content-Length` nor
/// `Transfer-Encoding`: its body is delimited by the connection's close, which
/// the client reads as empty (HTTP/1.0 answers it does read to the end).
fn is_unframed<S>(res: &awc::ClientResponse<S>) -> bool {
    use awc::http::{Version, header};
    res.version() != Version::HTTP_10
        && res.status() != awc::http::StatusCode::NO_CONTENT
        && !res.headers().contains_key(header::CONTENT_LENGTH)
        && !res.headers().contains_key(header::TRANSFER_ENCODING)
}

/// GETs `url` under the rules above.
pub(crate) async fn get(
    url: &str,
    timeout: Duration,
    max_bytes: usize,
) -> Result<Vec<u8>, FetchError> {
    let start = parse(url)?;
    let exchange = async {
        // Redirects are ours to check, never the client's to follow.
        let client = awc::Client::builder()
            .timeout(timeout)
            .max_redirects(0)
            .disable_redirects()
            .finish();
        let mut current = start;
        for _ in 0..=MAX_REDIRECTS {
            let current_s = current.to_string();
            let mut res = client
                .get(current.clone())
                .insert_header(("Accept", "application/samlmetadata+xml, application/xml"))
                .send()
                .await
                .map_err(|e| match e {
                    awc::error::SendRequestError::Timeout => FetchError::Timeout {
                        url: clip(url),
                        millis: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
                    },
                    e => FetchError::Transport {
                        url: clip(&current_s),
                        reason: e.to_string(),
                    },
                })?;
            let status = res.status();
            if status.is_redirection() {
                let location = res
                    .headers()
                    .get(awc::http::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| FetchError::BadRedirect {
                        from: clip(&current_s),
                    })?;
                current = redirect_target(&current, location)?;
                continue;
            }
            if !status.is_success() {
                return Err(FetchError::Status {
                    url: clip(&current_s),
                    status: status.as_u16(),
                });
            }
            if is_unframed(&res) {
                return Err(FetchError::UnframedBody {
                    url: clip(&current_s),
                });
            }
            let body = res.body().limit(max_bytes).await.map_err(|e| match e {
                awc::error::PayloadError::Overflow => FetchError::TooLarge {
                    url: clip(&current_s),
                    limit: max_bytes,
                },
                e => FetchError::Transport {
                    url: clip(&current_s),
                    reason: e.to_string(),
                },
            })?;
            return Ok(body.to_vec());
        }
        Err(FetchError::TooManyRedirects {
            url: clip(url),
            max: MAX_REDIRECTS,
        })
    };
    // One deadline for the whole exchange, redirects and body included.
    actix_web::rt::time::timeout(timeout, exchange)
        .await
        .map_err(|_| FetchError::Timeout {
            url: clip(url),
            millis: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
        })?
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn target(from: &str, loc: &str) -> Result<String, FetchError> {
        redirect_target(&from.parse().unwrap(), loc).map(|u| u.to_string())
    }

    #[test]
    fn same_origin_redirects_are_resolved() {
        let from = "https://idp.example.com/realms/a/descriptor";
        assert_eq!(
            target(from, "/realms/b/descriptor").unwrap(),
            "https://idp.example.com/realms/b/descriptor"
        );
        assert_eq!(
            target(from, "descriptor2").unwrap(),
            "https://idp.example.com/realms/a/descriptor2"
        );
        assert_eq!(
            target(from, "https://IDP.example.com:443/x").unwrap(),
            "https://IDP.example.com:443/x"
        );
        assert_eq!(
            target(from, "//idp.example.com/y").unwrap(),
            "https://idp.example.com/y"
        );
    }

    #[test]
    fn https_to_http_redirect_refused() {
        let from = "https://idp.example.com/md";
        for to in ["http://idp.example.com/md", "http://idp.example.com:443/md"] {
            assert_eq!(
                target(from, to),
                Err(FetchError::Downgrade {
                    from: from.into(),
                    to: to.into()
                })
            );
        }
    }

    #[test]
    fn cross_origin_redirects_refused() {
        let from = "http://idp.example.com/md";
        for to in [
            "http://169.254.169.254/latest/meta-data",
            "http://idp.example.com:8080/md",
            "https://idp.example.com/md",
            "//other.example.com/md",
        ] {
            assert!(
                matches!(
                    target(from, to),
                    Err(FetchError::CrossOriginRedirect { .. })
                ),
                "{to}"
            );
        }
        assert!(matches!(
            target(from, "ftp://idp.example.com/md"),
            Err(FetchError::BadRedirect { .. })
        ));
    }
}
