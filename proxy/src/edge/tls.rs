//! TLS for the listener: rustls (aws-lc-rs), certificate chain and key from PEM files, HTTP/1.1
//! and HTTP/2 over ALPN, optional TLS client certificates (RFC 8705), graceful shutdown that
//! drains in-flight connections.

use std::sync::Arc;

use oauth4os_core::Result;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::client::danger::HandshakeSignatureValid;
use tokio_rustls::rustls::crypto::{
    WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature,
};
use tokio_rustls::rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use tokio_rustls::rustls::{
    DigitallySignedStruct, DistinguishedName, Error as TlsError, ServerConfig, SignatureScheme,
};

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
    let builder = ServerConfig::builder();
    let builder = if tls.client_certificates {
        builder.with_client_cert_verifier(Arc::new(AnyClientCertificate::new()))
    } else {
        builder.with_no_client_auth()
    };
    let mut config = builder.with_single_cert(chain, key).map_err(|e| {
        loaded.error_at(
            &tls.key_pem,
            "tls.key_pem",
            &format!("the key does not fit the certificate: {e}"),
        )
    })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Asks for a client certificate and accepts any whose key the client proves it holds (the
/// handshake's signature is checked), or none: which certificate a client must hold is the
/// authorization server's decision (RFC 8705 §2), made per client from its registration.
#[derive(Debug)]
struct AnyClientCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl AnyClientCertificate {
    fn new() -> Self {
        Self {
            algorithms: tokio_rustls::rustls::crypto::aws_lc_rs::default_provider()
                .signature_verification_algorithms,
        }
    }
}

impl ClientCertVerifier for AnyClientCertificate {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> std::result::Result<ClientCertVerified, TlsError> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, TlsError> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, TlsError> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
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
