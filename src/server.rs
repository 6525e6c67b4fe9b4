//! The accept loop: one task per connection, served by hyper.
//!
//! The emulator runs its own loop rather than `axum::serve` for three things a mock server
//! for tests needs: a fault can drop a connection without answering (the request holds a
//! [`ConnectionControl`]), a client that sends its headers too slowly is cut off instead of
//! holding a task, and shutdown stops accepting, then waits (bounded) for the requests in
//! flight.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use tower::Service;

use crate::http::App;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// How long a client may take to send a request's headers (counted for the first request
/// from the moment the connection is accepted).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long shutdown waits for requests in flight.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Lets a request end its own connection without an answer (a "dropped connection" fault).
#[derive(Debug, Clone, Default)]
pub struct ConnectionControl {
    drop: Arc<Notify>,
}

impl ConnectionControl {
    /// Closes the connection at once; whatever the request would answer is never sent.
    pub fn drop_connection(&self) {
        self.drop.notify_one();
    }
}

/// Serves `app` on `listener` until `shutdown` completes.
pub async fn run(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    run_with_header_timeout(listener, app, HEADER_READ_TIMEOUT, shutdown).await
}

/// [`run`] with another header timeout than [`HEADER_READ_TIMEOUT`] (tests of slow clients
/// use a short one).
pub async fn run_with_header_timeout(
    listener: TcpListener,
    app: App,
    header_read_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: wait a moment, keep serving.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let control = ConnectionControl::default();
        let app = app.clone();
        let request_control = control.clone();
        let requested = Arc::new(AtomicBool::new(false));
        let first_request = Arc::clone(&requested);
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            first_request.store(true, Ordering::Relaxed);
            request.extensions_mut().insert(request_control.clone());
            app.clone().call(request.map(Body::new))
        });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            tokio::select! {
                _ = connection => {}
                () = control.drop.notified() => {}
                () = no_request_within(header_read_timeout, &requested) => {}
            }
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
    Ok(())
}

/// Completes when a connection has had no request within `timeout` of being accepted; never
/// once it has. hyper's header timeout starts only once the connection's first bytes have
/// told HTTP/1 from HTTP/2 (and HTTP/2 has none), so a client that connects and sends
/// nothing, or only the start of the HTTP/2 preface, would otherwise hold its connection
/// forever.
async fn no_request_within(timeout: Duration, requested: &AtomicBool) {
    tokio::time::sleep(timeout).await;
    if requested.load(Ordering::Relaxed) {
        std::future::pending::<()>().await;
    }
}
