//! `HttpFetcher` against real HTTP servers on loopback: redirects within the
//! origin are followed, to another origin refused, bodies over the limit
//! refused, and the whole exchange bounded in time. (https -> http needs a
//! TLS server the fetcher trusts; that rule is tested on the redirect policy
//! itself, in `src/fetch.rs`.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, HttpServer, web};
use samlsp_actix::{FetchError, HttpFetcher, MAX_REDIRECTS, MetadataFetcher};

const BODY: &str = "<md:EntityDescriptor/>";

/// Starts a server on an ephemeral loopback port; `other` is the base URL of
/// another origin to redirect to.
fn serve(other: Option<String>) -> (String, ServerHandle) {
    let srv = HttpServer::new(move || {
        let other = other.clone().unwrap_or_default();
        App::new()
            .route(
                "/md",
                web::get().to(|| async { HttpResponse::Ok().body(BODY) }),
            )
            .route(
                "/moved",
                web::get().to(|| async {
                    HttpResponse::Found()
                        .insert_header(("Location", "/md"))
                        .finish()
                }),
            )
            .route(
                "/moved-relative",
                web::get().to(|| async {
                    HttpResponse::MovedPermanently()
                        .insert_header(("Location", "md"))
                        .finish()
                }),
            )
            .route(
                "/elsewhere",
                web::get().to(move || {
                    let to = format!("{other}/md");
                    async move {
                        HttpResponse::Found()
                            .insert_header(("Location", to))
                            .finish()
                    }
                }),
            )
            .route(
                "/metadata-service",
                web::get().to(|| async {
                    HttpResponse::TemporaryRedirect()
                        .insert_header(("Location", "http://169.254.169.254/latest/meta-data"))
                        .finish()
                }),
            )
            .route(
                "/loop",
                web::get().to(|| async {
                    HttpResponse::Found()
                        .insert_header(("Location", "/loop"))
                        .finish()
                }),
            )
            .route(
                "/big",
                web::get().to(|| async { HttpResponse::Ok().body(vec![b'x'; 4096]) }),
            )
            .route(
                "/big-streamed",
                web::get().to(|| async {
                    // No Content-Length: the limit must hold while reading.
                    let chunks = (0..8)
                        .map(|_| Ok::<_, actix_web::Error>(web::Bytes::from(vec![b'x'; 1024])));
                    HttpResponse::Ok().streaming(futures_util::stream::iter(chunks))
                }),
            )
            .route(
                "/silent",
                web::get().to(|| async {
                    std::future::pending::<()>().await;
                    HttpResponse::Ok().finish()
                }),
            )
            .route(
                "/gone",
                web::get().to(|| async { HttpResponse::NotFound().finish() }),
            )
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .unwrap();
    let addr = srv.addrs()[0];
    let server = srv.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (format!("http://{addr}"), handle)
}

fn fetcher() -> HttpFetcher {
    HttpFetcher::new(Duration::from_secs(20), 1024)
}

#[actix_web::test]
async fn same_origin_redirects_are_followed() {
    let (base, h) = serve(None);
    for path in ["/md", "/moved", "/moved-relative"] {
        let got = fetcher()
            .fetch_metadata(&format!("{base}{path}"))
            .await
            .unwrap();
        assert_eq!(got, BODY.as_bytes(), "{path}");
    }
    // Through the trait the refresher uses, too.
    assert_eq!(
        fetcher().fetch(&format!("{base}/moved")).await.unwrap(),
        BODY.as_bytes()
    );
    h.stop(false).await;
}

#[actix_web::test]
async fn cross_origin_redirect_refused() {
    let (other, h2) = serve(None);
    let (base, h) = serve(Some(other.clone()));
    // Same host, another port: another origin (RFC 6454 §4).
    let err = fetcher()
        .fetch_metadata(&format!("{base}/elsewhere"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        FetchError::CrossOriginRedirect {
            from: format!("{base}/elsewhere"),
            to: format!("{other}/md"),
        }
    );
    let err = fetcher()
        .fetch_metadata(&format!("{base}/metadata-service"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, FetchError::CrossOriginRedirect { to, .. } if to.starts_with("http://169.254.169.254")),
        "{err:?}"
    );
    // The refresher logs the reason.
    let reason = fetcher()
        .fetch(&format!("{base}/elsewhere"))
        .await
        .unwrap_err();
    assert!(reason.contains("to another origin"), "{reason}");
    h.stop(false).await;
    h2.stop(false).await;
}

#[actix_web::test]
async fn redirect_loops_stop() {
    let (base, h) = serve(None);
    let err = fetcher()
        .fetch_metadata(&format!("{base}/loop"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        FetchError::TooManyRedirects {
            url: format!("{base}/loop"),
            max: MAX_REDIRECTS
        }
    );
    h.stop(false).await;
}

#[actix_web::test]
async fn oversized_body_refused() {
    let (base, h) = serve(None);
    for path in ["/big", "/big-streamed"] {
        let err = fetcher()
            .fetch_metadata(&format!("{base}{path}"))
            .await
            .unwrap_err();
        assert_eq!(
            err,
            FetchError::TooLarge {
                url: format!("{base}{path}"),
                limit: 1024
            },
            "{path}"
        );
    }
    h.stop(false).await;
}

#[actix_web::test]
async fn errors_and_silence_are_typed() {
    let (base, h) = serve(None);
    let err = fetcher()
        .fetch_metadata(&format!("{base}/gone"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        FetchError::Status {
            url: format!("{base}/gone"),
            status: 404
        }
    );
    // A server that never answers: the time limit ends it (a deadline the
    // test waits for, not a timing assertion).
    let err = HttpFetcher::new(Duration::from_millis(300), 1024)
        .fetch_metadata(&format!("{base}/silent"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        FetchError::Timeout {
            url: format!("{base}/silent"),
            millis: 300
        }
    );
    for bad in ["file:///etc/passwd", "ftp://x/md", "not a url"] {
        assert_eq!(
            fetcher().fetch_metadata(bad).await.unwrap_err(),
            FetchError::BadUrl { url: bad.into() }
        );
    }
    h.stop(false).await;
}

/// One raw HTTP exchange on an ephemeral loopback port: reads the request
/// head, writes `answer`, closes. For answers an HTTP framework would not
/// produce.
fn serve_raw(answer: &'static [u8]) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap() > 0 && line != "\r\n" {
            line.clear();
        }
        let mut stream = reader.into_inner();
        stream.write_all(answer).unwrap();
    });
    format!("http://{addr}/md")
}

#[actix_web::test]
async fn close_delimited_body_is_named_not_read_as_empty() {
    let url = serve_raw(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n<md:EntityDescriptor/>");
    let err = fetcher().fetch_metadata(&url).await.unwrap_err();
    assert_eq!(err, FetchError::UnframedBody { url: url.clone() });
    // The same answer framed by a length is read.
    let url = serve_raw(
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 22\r\n\r\n<md:EntityDescriptor/>",
    );
    assert_eq!(
        fetcher().fetch_metadata(&url).await.unwrap(),
        BODY.as_bytes()
    );
}
