//! The accept loop of a listener, plain or TLS: HTTP/1.1 and HTTP/2 (hyper-util's auto
//! builder), graceful shutdown that drains in-flight connections.
//!
//! Every request goes through the one router, except those the router would hand to its
//! fallback anyway (OpenSearch paths): those go straight to the pipeline, observed exactly as
//! the router's middleware observes the others, skipping the router's per-request layers.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt as _;

use super::app::App;
use super::router::router;
use super::unread;
use crate::services::forwarded::ClientCertificate;

/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long shutdown waits for open connections before closing them.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether the router would answer `path` with its fallback, the pipeline: every path but the
/// proxy's own routes (`/admin` is matched as a prefix: an index whose name starts with it only
/// takes the router's way to the same pipeline).
fn pipeline_path(path: &str) -> bool {
    crate::services::metrics::route_class(path) == "proxy" && !path.starts_with("/admin")
}

/// Answers one request from `peer`, with `Connection: close` when its body was not read
/// (see [`unread`]).
async fn dispatch(
    app: Arc<App>,
    router: Router,
    peer: SocketAddr,
    certificate: Option<Arc<ClientCertificate>>,
    req: hyper::Request<Incoming>,
) -> Result<Response, Infallible> {
    let announced = unread::announces_body(req.version(), req.headers());
    let (parts, body) = req.into_parts();
    let (body, read) = unread::Tracked::new(body);
    let req = hyper::Request::from_parts(parts, Body::new(body));
    let response = answer(app, router, peer, certificate, req).await?;
    Ok(unread::close_if_unread(response, announced, &read))
}

/// Answers one request from `peer` (which presented `certificate`, if any).
async fn answer(
    app: Arc<App>,
    router: Router,
    peer: SocketAddr,
    certificate: Option<Arc<ClientCertificate>>,
    mut req: hyper::Request<Body>,
) -> Result<Response, Infallible> {
    let origin = app.trusted_proxies.origin(peer.ip(), req.headers());
    if let Some(c) = certificate {
        req.extensions_mut().insert(c);
    }
    if pipeline_path(req.uri().path()) {
        let method = req.method().clone();
        let uri = req.uri().clone();
        let handler = crate::resource::pipeline::respond(&app.proxy, Some(origin), req);
        return Ok(crate::services::metrics::observe(&app.metrics, &method, &uri, handler).await);
    }
    req.extensions_mut().insert(ConnectInfo(peer));
    req.extensions_mut().insert(origin);
    router.oneshot(req).await
}

/// Serves until `shutdown` resolves, then drains in-flight requests (up to 30 s).
pub async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_listener(app, listener, None, shutdown).await
}

/// Serves connections from `listener` (through `tls` when given) until `shutdown` resolves,
/// then waits up to 30 s for open connections to finish.
pub async fn serve_listener(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    tls: Option<TlsAcceptor>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = router(app.clone());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, say: wait a little instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let (app, router, tls) = (app.clone(), router.clone(), tls.clone());
        let service = move |certificate: Option<Arc<ClientCertificate>>| {
            hyper::service::service_fn(move |req| {
                dispatch(app.clone(), router.clone(), peer, certificate.clone(), req)
            })
        };
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let builder = auto::Builder::new(TokioExecutor::new());
            let served = match tls {
                None => {
                    let conn =
                        builder.serve_connection_with_upgrades(TokioIo::new(stream), service(None));
                    watcher.watch(conn.into_owned()).await
                }
                Some(acceptor) => {
                    let Ok(Ok(tls)) =
                        tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                    else {
                        return; // handshake failed or timed out: nothing to answer
                    };
                    // The client certificate, once per connection (RFC 8705).
                    let certificate = tls
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|chain| {
                            ClientCertificate::from_chain(
                                chain.iter().map(|c| c.clone().into_owned()).collect(),
                            )
                        })
                        .map(Arc::new);
                    let conn = builder
                        .serve_connection_with_upgrades(TokioIo::new(tls), service(certificate));
                    watcher.watch(conn.into_owned()).await
                }
            };
            if let Err(e) = served {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after 30 s of draining; closing them");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::pipeline_path;

    #[test]
    fn only_paths_the_router_leaves_to_its_fallback_skip_it() {
        for p in [
            "/logs-*/_search",
            "/_bulk",
            "/",
            "/oauth",
            "/health/",
            "/_cat/indices",
        ] {
            assert!(pipeline_path(p), "{p}");
        }
        for p in [
            "/oauth/token",
            "/.well-known/oauth-protected-resource",
            "/admin",
            "/admin/clients",
            "/adminlogs/_search",
            "/health",
            "/ready",
            "/metrics",
        ] {
            assert!(!pipeline_path(p), "{p}");
        }
    }
}
