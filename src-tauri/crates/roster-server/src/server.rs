//! The listener: one TCP socket, TLS if configured, HTTP/1.1 per connection through hyper, a cap on
//! connections, and a graceful shutdown.
//!
//! Invariants: plain HTTP is served on loopback addresses only, and that is checked before anything is
//! bound; shutting down stops accepting at once, lets requests in flight finish within the grace period,
//! then cuts what is left.

use crate::config::{is_loopback, ConnectionLimits, ServerConfig, Tls};
use crate::tls::Identity;
use crate::{generated, tls, ServerError};
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use rustls::pki_types::ServerName;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// Starts servers.
pub struct Server;

/// A server that is listening. Dropping it stops accepting and lets requests in flight finish in the
/// background; [`RunningServer::shutdown`] does the same and waits.
#[derive(Debug)]
pub struct RunningServer {
    local_addr: SocketAddr,
    fingerprint: Option<String>,
    stop: Option<oneshot::Sender<()>>,
    stopped: Option<tokio::task::JoinHandle<Stopped>>,
}

/// How a shutdown went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    /// Connections still busy when the grace period ran out, and cut.
    pub connections_cut: usize,
}

impl Server {
    /// Checks `config`, prepares TLS (reading the certificate files, or the generated certificate, made
    /// if needed), binds `config.listen` and starts serving `app` (usually [`crate::FrontDoors::router`]).
    ///
    /// Refused before anything is bound: plain HTTP on an address that is not loopback, and host names
    /// that are not names.
    pub async fn start(config: ServerConfig, app: Router) -> Result<RunningServer, ServerError> {
        let ServerConfig {
            listen,
            tls,
            host_names,
            limits,
        } = config;
        if matches!(tls, Tls::None) && !is_loopback(listen.ip()) {
            return Err(ServerError::PlainHttpNotLoopback(listen));
        }
        check_host_names(&host_names)?;
        let identity = match tls {
            Tls::None => None,
            Tls::Files { cert_pem, key_pem } => Some(tls::from_files(
                &cert_pem,
                &key_pem,
                time::OffsetDateTime::now_utc(),
            )?),
            Tls::Generated { data_dir, secrets } => Some(
                tokio::task::spawn_blocking(move || {
                    generated::load_or_create(
                        &data_dir,
                        secrets.as_ref(),
                        &host_names,
                        time::OffsetDateTime::now_utc(),
                    )
                })
                .await
                .map_err(|e| ServerError::Generated(format!("it could not be prepared: {e}.")))??,
            ),
        };

        let listener = TcpListener::bind(listen)
            .await
            .map_err(|e| bind_error(listen, e))?;
        let local_addr = listener.local_addr().map_err(|e| bind_error(listen, e))?;
        let (fingerprint, acceptor) = match identity {
            Some(Identity {
                config,
                fingerprint,
            }) => (Some(fingerprint), Some(TlsAcceptor::from(config))),
            None => (None, None),
        };
        let (stop, stop_rx) = oneshot::channel();
        let stopped = tokio::spawn(serve(listener, acceptor, app, limits, stop_rx));
        tracing::info!(%local_addr, tls = fingerprint.is_some(), "listening");
        Ok(RunningServer {
            local_addr,
            fingerprint,
            stop: Some(stop),
            stopped: Some(stopped),
        })
    }
}

impl RunningServer {
    /// The address it listens on (with the port picked, when asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The SHA-256 fingerprint of its TLS certificate (`AB:CD:…`), or `None` for plain HTTP.
    pub fn fingerprint(&self) -> Option<&str> {
        self.fingerprint.as_deref()
    }

    /// Stops accepting connections at once, lets requests in flight finish within the grace period
    /// ([`ConnectionLimits::shutdown_grace`]), then cuts the connections still busy, and returns when
    /// all are closed. Idle kept-alive connections are closed straight away.
    pub async fn shutdown(mut self) -> Stopped {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.stopped.take() {
            Some(task) => task.await.unwrap_or(Stopped { connections_cut: 0 }),
            None => Stopped { connections_cut: 0 },
        }
    }
}

pub(crate) fn check_host_names(names: &[String]) -> Result<(), ServerError> {
    for name in names {
        if name.contains('*') || ServerName::try_from(name.as_str()).is_err() {
            return Err(ServerError::HostName(name.clone()));
        }
    }
    Ok(())
}

fn bind_error(addr: SocketAddr, e: std::io::Error) -> ServerError {
    use std::io::ErrorKind;
    let reason = match e.kind() {
        ErrorKind::AddrInUse => return ServerError::AddressInUse(addr),
        ErrorKind::PermissionDenied => format!("permission denied ({e}). Ports below 1024 need administrator rights: choose a port above 1024, such as 8742, and let a reverse proxy listen on 443."),
        ErrorKind::AddrNotAvailable => format!("{} is not an address of this machine ({e}). Listen on 127.0.0.1, on one of this machine's addresses, or on 0.0.0.0 for all of them.", addr.ip()),
        _ => format!("{e}. Check the address, or choose another."),
    };
    ServerError::Bind { addr, reason }
}

/// Accepts connections until told to stop, then shuts down gracefully.
async fn serve(
    listener: TcpListener,
    acceptor: Option<TlsAcceptor>,
    app: Router,
    limits: ConnectionLimits,
    mut stop: oneshot::Receiver<()>,
) -> Stopped {
    let graceful = GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            // A dropped RunningServer stops the server too.
            _ = &mut stop => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = accept(&listener, &permits) => match accepted {
                Ok((stream, peer, permit)) => {
                    connections.spawn(connection(
                        stream,
                        peer,
                        acceptor.clone(),
                        app.clone(),
                        limits.clone(),
                        graceful.watcher(),
                        permit,
                    ));
                }
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was accepted: wait a
                    // moment rather than spin.
                    tracing::warn!("accepting a connection failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
    drop(listener);
    let finished = tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_ok();
    if !finished {
        connections.abort_all();
    }
    let mut connections_cut = 0;
    while let Some(ended) = connections.join_next().await {
        if ended.is_err_and(|e| e.is_cancelled()) {
            connections_cut += 1;
        }
    }
    tracing::info!(connections_cut, "stopped");
    Stopped { connections_cut }
}

/// Waits for room under the connection cap, then for a connection.
async fn accept(
    listener: &TcpListener,
    permits: &Arc<Semaphore>,
) -> std::io::Result<(TcpStream, SocketAddr, OwnedSemaphorePermit)> {
    let permit = permits
        .clone()
        .acquire_owned()
        .await
        .map_err(std::io::Error::other)?;
    let (stream, peer) = listener.accept().await?;
    Ok((stream, peer, permit))
}

/// One connection, holding its place under the cap until it closes.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    acceptor: Option<TlsAcceptor>,
    app: Router,
    limits: ConnectionLimits,
    watcher: Watcher,
    _permit: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    match acceptor {
        None => http(stream, peer, app, &limits, watcher).await,
        Some(acceptor) => {
            match tokio::time::timeout(limits.tls_handshake_timeout, acceptor.accept(stream)).await
            {
                Ok(Ok(tls)) => http(tls, peer, app, &limits, watcher).await,
                Ok(Err(e)) => tracing::debug!(%peer, "TLS handshake failed: {e}"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        }
    }
}

/// HTTP/1.1 on one connection; each request carries the peer's address as axum's [`ConnectInfo`].
async fn http<I>(io: I, peer: SocketAddr, app: Router, limits: &ConnectionLimits, watcher: Watcher)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        app.clone().oneshot(req)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let conn = builder.serve_connection(TokioIo::new(io), service);
    if let Err(e) = watcher.watch(conn).await {
        tracing::debug!(%peer, "connection ended: {e}");
    }
}
