//! TLS for the listener: rustls (aws-lc-rs), certificate chain and key from PEM files, HTTP/1.1
//! and HTTP/2 over ALPN, graceful shutdown that drains in-flight connections.

use std::sync::Arc;

use oauth4os_core::Result;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;

use super::app::App;
use crate::services::config::{ListenerTls, Loaded};

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
    super::server::serve_listener(app, listener, Some(acceptor), shutdown).await
}
