//! Thread-per-core serving: `workers` threads, each with its own single-threaded tokio
//! runtime, its own listening socket on the same address (`SO_REUSEPORT`, so the kernel spreads
//! connections) and its own upstream connections. A request never hops threads, which on a
//! small machine saves the cross-thread wake-ups a work-stealing runtime pays per request.
//!
//! Shutdown is one signal for all: every worker stops accepting, drains its connections, and
//! [`serve_workers`] returns when the last one has.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use super::app::App;

/// Binds a listening socket that shares `addr` with the other workers.
fn bind_shared(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.set_reuseport(true)?;
    socket.set_nodelay(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

/// Serves `app` on `addr` with `workers` threads until `shutdown` resolves, then drains.
/// Returns once every worker has stopped; a worker that cannot bind fails the whole call
/// before anything is served.
pub async fn serve_workers(
    app: Arc<App>,
    addr: SocketAddr,
    workers: usize,
    tls: Option<TlsAcceptor>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<std::io::Result<()>>();
    let mut threads = Vec::with_capacity(workers);
    for i in 0..workers.max(1) {
        let app = app.clone();
        let tls = tls.clone();
        let mut stop = stop_rx.clone();
        let ready = ready_tx.clone();
        let thread = std::thread::Builder::new()
            .name(format!("oauth4os-worker-{i}"))
            .spawn(move || -> std::io::Result<()> {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                rt.block_on(async move {
                    let listener = match bind_shared(addr) {
                        Ok(l) => {
                            let _ = ready.send(Ok(()));
                            l
                        }
                        Err(e) => {
                            let kind = e.kind();
                            let _ = ready.send(Err(e));
                            return Err(std::io::Error::from(kind));
                        }
                    };
                    let stopped = async move {
                        while !*stop.borrow_and_update() {
                            if stop.changed().await.is_err() {
                                break;
                            }
                        }
                    };
                    match tls {
                        Some(acceptor) => {
                            super::tls::serve_tls(app, listener, acceptor, stopped).await
                        }
                        None => super::server::serve(app, listener, stopped).await,
                    }
                })
            })?;
        threads.push(thread);
    }
    drop(ready_tx);
    let n = threads.len();
    let bound = tokio::task::spawn_blocking(move || {
        for _ in 0..n {
            match ready_rx.recv() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(e),
                Err(_) => return Err(std::io::Error::other("a worker stopped before listening")),
            }
        }
        Ok(())
    })
    .await
    .map_err(|_| std::io::Error::other("the worker start-up failed"))?;
    if let Err(e) = bound {
        let _ = stop_tx.send(true);
        for t in threads {
            let _ = tokio::task::spawn_blocking(move || t.join()).await;
        }
        return Err(e);
    }
    shutdown.await;
    let _ = stop_tx.send(true);
    let mut result = Ok(());
    for t in threads {
        let joined = tokio::task::spawn_blocking(move || t.join()).await;
        match joined {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => result = Err(e),
            _ => result = Err(std::io::Error::other("a worker thread panicked")),
        }
    }
    result
}
