//! TLS for the listener: rustls (aws-lc-rs), certificate chain and key from PEM files, HTTP/1.1
//! and HTTP/2 over ALPN, graceful shutdown that drains in-flight connections.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use oauth4os_core::Result;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tower::ServiceExt as _;

use crate::app::{App, router};
use crate::config::{ListenerTls, Loaded};

/// Builds the acceptor from the configured PEM files; errors name the file and the key.
pub fn acceptor(loaded: &Loaded, tls: &ListenerTls) -> Result<TlsAcceptor> {
    let cert_path = loaded.path(tls.cert_pem.get_ref());
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert_path)
        .and_then(|it| it.collect::<std::result::Result<_, _>>())
        .map_err(|e| {
            loaded.error_at(
                &tls.cert_pem,
                "tls.cert_pem",
                &format!("cannot read certificates: {e}"),
            )
        })?;
    if chain.is_empty() {
        return Err(loaded.error_at(&tls.cert_pem, "tls.cert_pem", "no certificate in the file"));
    }
    let key_path = loaded.path(tls.key_pem.get_ref());
    let key = PrivateKeyDer::from_pem_file(&key_path).map_err(|e| {
        loaded.error_at(
            &tls.key_pem,
            "tls.key_pem",
            &format!("cannot read the private key: {e}"),
        )
    })?;
    let mut config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| {
            loaded.error_at(
                &tls.key_pem,
                "tls.key_pem",
                &format!("the key does not fit the certificate: {e}"),
            )
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Serves HTTPS until `shutdown` resolves, then waits (up to 30 s) for open connections to finish.
pub async fn serve_tls(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    acceptor: TlsAcceptor,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = router(app);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let acceptor = acceptor.clone();
        let svc = router
            .clone()
            .layer(axum::Extension(ConnectInfo::<SocketAddr>(peer)));
        let svc =
            TowerToHyperService::new(svc.map_request(
                |r: hyper::Request<hyper::body::Incoming>| r.map(axum::body::Body::new),
            ));
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let tls = match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream))
                .await
            {
                Ok(Ok(s)) => s,
                _ => return, // handshake failed or timed out: nothing to answer
            };
            let builder = auto::Builder::new(TokioExecutor::new());
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(tls), svc);
            if let Err(e) = watcher.watch(conn.into_owned()).await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(30), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after 30 s of draining; closing them");
    }
    Ok(())
}
