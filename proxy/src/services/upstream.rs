//! The connection to OpenSearch: hyper's HTTP/1.1 client connections (rustls for `https`) in a
//! pool per serving thread, so that a request and its upstream connection live on one thread.
//!
//! A connection goes back to its pool when the response body has been read to its end (a
//! response dropped half-read closes it); one taken from the pool is checked to be open and
//! idle first, and a request it could not even start sending is retried once on a new
//! connection. The scheme, authority and path prefix are parsed once from the configuration:
//! no URL parsing per request.

use oauth4os_core::Reason;
use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use axum::http::uri::{Authority, PathAndQuery, Scheme};
use axum::http::{HeaderValue, Method, Request, Response, Uri, header};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use oauth4os_core::{Error, Result};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use tokio_rustls::rustls;

use crate::services::config::Loaded;

type Sender = SendRequest<Full<Bytes>>;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Idle connections kept per serving thread and upstream.
const MAX_IDLE: usize = 64;

static NEXT_ID: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

thread_local! {
    /// This thread's idle connections, by upstream id (tests run several proxies in a process).
    static IDLE: RefCell<Vec<(usize, Sender)>> = const { RefCell::new(Vec::new()) };
}

fn take_idle(id: usize) -> Option<Sender> {
    IDLE.with(|idle| {
        let mut idle = idle.borrow_mut();
        let at = idle.iter().rposition(|(i, _)| *i == id)?;
        Some(idle.swap_remove(at).1)
    })
}

fn put_idle(id: usize, sender: Sender) {
    if sender.is_closed() {
        return;
    }
    IDLE.with(|idle| {
        let mut idle = idle.borrow_mut();
        if idle.iter().filter(|(i, _)| *i == id).count() < MAX_IDLE {
            idle.push((id, sender));
        }
    });
}

/// A response body that hands its connection back to the pool once read to its end.
pub struct PooledBody {
    body: Incoming,
    sender: Option<(usize, Sender)>,
}

impl std::fmt::Debug for PooledBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PooledBody")
    }
}

impl PooledBody {
    fn release(&mut self) {
        if let Some((id, sender)) = self.sender.take() {
            put_idle(id, sender);
        }
    }
}

impl hyper::body::Body for PooledBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<std::result::Result<hyper::body::Frame<Bytes>, hyper::Error>>> {
        let frame = std::task::ready!(std::pin::Pin::new(&mut self.body).poll_frame(cx));
        match &frame {
            None => self.release(),
            Some(Err(_)) => self.sender = None,
            Some(Ok(_)) => {}
        }
        std::task::Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

impl Drop for PooledBody {
    fn drop(&mut self) {
        // The server may stop polling once the announced length is written: the body is
        // complete, and so is the connection's exchange.
        if hyper::body::Body::is_end_stream(&self.body) {
            self.release();
        }
    }
}

/// Starts hyper's HTTP/1.1 client on an open connection; its task runs until the connection
/// closes (when the upstream closes it, or when its sender is dropped).
async fn start<T>(io: T) -> Result<Sender>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = http1::handshake(TokioIo::new(io)).await.map_err(|_| {
        Error::new(
            Reason::UpstreamFailed,
            "the connection to OpenSearch failed",
        )
    })?;
    tokio::spawn(conn);
    Ok(sender)
}

/// How the proxy reaches OpenSearch.
pub struct Upstream {
    id: usize,
    scheme: Scheme,
    authority: Authority,
    /// The URL's path without its trailing slash (usually empty), put before every request path.
    prefix: String,
    /// `host:port` to connect to, and the TLS name when the scheme is `https`.
    address: String,
    tls: Option<(tokio_rustls::TlsConnector, ServerName<'static>)>,
    host: HeaderValue,
    timeout: Duration,
    /// The `Authorization` value sent upstream, if any.
    authorization: Option<HeaderValue>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("scheme", &self.scheme)
            .field("authority", &self.authority)
            .finish_non_exhaustive()
    }
}

fn tls_error(message: String) -> Error {
    Error::new(Reason::UpstreamTls, message)
}

fn read_pem(loaded: &Loaded, path: &std::path::Path) -> Result<Vec<u8>> {
    std::fs::read(loaded.path(path))
        .map_err(|e| tls_error(format!("cannot read `{}`: {e}", path.display())))
}

/// Accepts any certificate (`danger_accept_invalid_certs`), but still checks that the server
/// holds the key of the certificate it shows.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The TLS client configuration: the system's roots plus `ca_pem`, or no verification at all
/// with the `danger_` switch; the client certificate when one is configured.
fn tls_config(loaded: &Loaded) -> Result<rustls::ClientConfig> {
    let u = &loaded.config.upstream;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error(format!("cannot set up TLS: {e}")))?;
    let builder = if u.danger_accept_invalid_certs {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
    } else {
        let mut roots = rustls::RootCertStore::empty();
        // Unreadable system certificates are skipped: `ca_pem` may be all that is needed.
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
        if let Some(ca) = &u.ca_pem {
            let pem = read_pem(loaded, ca)?;
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
                .collect::<std::result::Result<_, _>>()
                .map_err(|_| tls_error(format!("`{}` is not a PEM certificate", ca.display())))?;
            if certs.is_empty() {
                return Err(tls_error(format!(
                    "`{}` holds no PEM certificate",
                    ca.display()
                )));
            }
            for cert in certs {
                roots.add(cert).map_err(|_| {
                    tls_error(format!("`{}` is not a usable CA certificate", ca.display()))
                })?;
            }
        }
        builder.with_root_certificates(roots)
    };
    match &u.client_identity_pem {
        None => Ok(builder.with_no_client_auth()),
        Some(id) => {
            let pem = read_pem(loaded, id)?;
            let bad = || {
                tls_error(format!(
                    "`{}` must hold a PEM certificate and its key",
                    id.display()
                ))
            };
            let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
                .collect::<std::result::Result<_, _>>()
                .map_err(|_| bad())?;
            let key = PrivateKeyDer::from_pem_slice(&pem).map_err(|_| bad())?;
            if chain.is_empty() {
                return Err(bad());
            }
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| tls_error(format!("`{}`: {e}", id.display())))
        }
    }
}

impl Upstream {
    /// Builds the client from `[upstream]`: URL, TLS, credential, timeout.
    pub fn from_config(loaded: &Loaded, authorization: Option<String>) -> Result<Self> {
        let u = &loaded.config.upstream;
        if u.danger_accept_invalid_certs {
            tracing::warn!(
                "upstream TLS certificate verification is DISABLED (danger_accept_invalid_certs)"
            );
        }
        let bad_url = || {
            Error::new(
                Reason::UpstreamConfig,
                "`upstream.url` is not an http(s) URL",
            )
        };
        let uri = u.url.uri();
        let authority = u.url.authority();
        let prefix = uri.path().trim_end_matches('/').to_owned();
        let https = u.url.is_https();
        let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
        let host_name = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let address = if host_name.contains(':') {
            format!("[{host_name}]:{port}")
        } else {
            format!("{host_name}:{port}")
        };
        let tls = if https {
            let name = ServerName::try_from(host_name.to_owned()).map_err(|_| bad_url())?;
            let connector = tokio_rustls::TlsConnector::from(Arc::new(tls_config(loaded)?));
            Some((connector, name))
        } else {
            None
        };
        let host = HeaderValue::from_str(authority.as_str()).map_err(|_| bad_url())?;
        let authorization = authorization
            .map(|a| {
                let mut v = HeaderValue::from_str(&a).map_err(|_| {
                    Error::new(Reason::UpstreamConfig, "the upstream credential is invalid")
                })?;
                v.set_sensitive(true);
                Ok::<_, Error>(v)
            })
            .transpose()?;
        Ok(Self {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            scheme: if https { Scheme::HTTPS } else { Scheme::HTTP },
            authority: authority.clone(),
            prefix,
            address,
            tls,
            host,
            timeout: Duration::from_secs(u.timeout_secs),
            authorization,
        })
    }

    /// The credential the proxy sends upstream, if any.
    pub fn authorization(&self) -> Option<&HeaderValue> {
        self.authorization.as_ref()
    }

    /// The upstream request target (origin form) for a client's path and query.
    pub fn uri(&self, path_and_query: &PathAndQuery) -> Result<Uri> {
        if self.prefix.is_empty() {
            return Ok(Uri::from(path_and_query.clone()));
        }
        let pq = PathAndQuery::try_from(format!("{}{path_and_query}", self.prefix))
            .map_err(|_| Error::new(Reason::BadPath, "the path is not valid"))?;
        Ok(Uri::from(pq))
    }

    /// Opens a new connection (TCP, then TLS for `https`) and starts its HTTP/1.1 task.
    async fn connect(&self) -> Result<Sender> {
        let unavailable = || Error::new(Reason::UpstreamUnavailable, "OpenSearch is unavailable");
        let tcp = tokio::time::timeout(
            CONNECT_TIMEOUT,
            tokio::net::TcpStream::connect(self.address.as_str()),
        )
        .await
        .map_err(|_| unavailable())?
        .map_err(|_| unavailable())?;
        let _ = tcp.set_nodelay(true);
        let Some((connector, name)) = &self.tls else {
            return start(tcp).await;
        };
        let tls = tokio::time::timeout(CONNECT_TIMEOUT, connector.connect(name.clone(), tcp))
            .await
            .map_err(|_| unavailable())?
            .map_err(|e| {
                tracing::warn!(error = %e, "TLS handshake with OpenSearch failed");
                Error::new(
                    Reason::UpstreamUnavailable,
                    "the TLS handshake with OpenSearch failed",
                )
            })?;
        start(tls).await
    }

    /// An idle connection that is still open, or a new one; and whether it is new.
    async fn checkout(&self) -> Result<(Sender, bool)> {
        while let Some(mut sender) = take_idle(self.id) {
            // A closed connection answers `ready` with an error: dropped, try the next.
            if sender.ready().await.is_ok() {
                return Ok((sender, false));
            }
        }
        Ok((Box::pin(self.connect()).await?, true))
    }

    async fn exchange(&self, mut req: Request<Full<Bytes>>) -> Result<Response<PooledBody>> {
        req.headers_mut().insert(header::HOST, self.host.clone());
        let failed = || Error::new(Reason::UpstreamFailed, "the request to OpenSearch failed");
        let (mut sender, mut fresh) = self.checkout().await?;
        loop {
            match sender.try_send_request(req).await {
                Ok(resp) => {
                    let (head, body) = resp.into_parts();
                    let body = PooledBody {
                        body,
                        sender: Some((self.id, sender)),
                    };
                    return Ok(Response::from_parts(head, body));
                }
                // Not sent at all (the connection closed while idle): once more on a new one.
                Err(mut e) if !fresh => match e.take_message() {
                    Some(again) => {
                        req = again;
                        sender = Box::pin(self.connect()).await?;
                        fresh = true;
                    }
                    None => return Err(failed()),
                },
                Err(_) => return Err(failed()),
            }
        }
    }

    /// How long a request may wait for OpenSearch (`timeout_secs`).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends a request, waiting at most `timeout_secs` for the response headers; the body
    /// streams afterwards. A connection that cannot be made is a 502 `upstream_unavailable`, a
    /// request cut short a 502 `upstream_failed`, no answer in time a 504 `upstream_timeout`.
    pub async fn send(&self, req: Request<Full<Bytes>>) -> Result<Response<PooledBody>> {
        tokio::time::timeout(self.timeout, self.exchange(req))
            .await
            .unwrap_or_else(|_| {
                Err(Error::new(
                    Reason::UpstreamTimeout,
                    "OpenSearch did not answer in time",
                ))
            })
    }

    /// A `GET` of the proxy's own (`path_and_query` is the proxy's, not a client's), with the
    /// upstream credential; the status and the whole body.
    pub async fn get(&self, path_and_query: &str) -> Result<(u16, Bytes)> {
        let unreachable = || Error::new(Reason::UpstreamFailed, "OpenSearch is unreachable");
        let pq = PathAndQuery::try_from(path_and_query)
            .map_err(|_| Error::internal("an upstream path is not valid"))?;
        let mut req = Request::builder()
            .method(Method::GET)
            .uri(self.uri(&pq)?)
            .body(Full::new(Bytes::new()))
            .map_err(|_| Error::internal("cannot build an upstream request"))?;
        if let Some(a) = &self.authorization {
            req.headers_mut().insert(header::AUTHORIZATION, a.clone());
        }
        let resp = self.send(req).await?;
        let status = resp.status().as_u16();
        let body = tokio::time::timeout(self.timeout, resp.into_body().collect())
            .await
            .map_err(|_| unreachable())?
            .map_err(|_| unreachable())?
            .to_bytes();
        Ok((status, body))
    }
}
