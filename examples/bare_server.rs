//! The baseline of the benchmark (`bench/run.py`): a bare axum server that answers the same
//! requests as the emulator with fixed bodies, reading each request's body and doing nothing
//! else. Not part of the product.
//!
//! `bare_server --listen ADDR --put FILE --get FILE --list FILE`

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use axum::Router;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn body(name: &str) -> Bytes {
    arg(name)
        .and_then(|f| std::fs::read(f).ok())
        .map(Bytes::from)
        .unwrap_or_else(|| Bytes::from_static(b"{}"))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listen: SocketAddr = arg("--listen")
        .unwrap_or_else(|| "127.0.0.1:8081".into())
        .parse()
        .map_err(std::io::Error::other)?;
    let (put, get_body, list) = (body("--put"), body("--get"), body("--list"));
    let json = |b: Bytes| ([(CONTENT_TYPE, "application/json;charset=UTF-8")], b);
    let app = Router::new()
        .route(
            "/v1/admin/meeting/userconfig/trackingCodes",
            get(move || {
                let b = get_body.clone();
                async move { json(b) }
            })
            .put(move |_body: Bytes| {
                let b = put.clone();
                async move { json(b) }
            }),
        )
        .route(
            "/v1/admin/meeting/config/trackingCodes",
            get(move || {
                let b = list.clone();
                async move { json(b) }
            }),
        );
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await
}
