//! Local servers that speak the protocols of outside services gradphoto cannot reach from
//! a test machine. Each checks requests as the real service does — with its own,
//! separately written verification, so a mistake in gradphoto's signing is not mirrored
//! here — and records what it accepted.

pub mod aliyun_sms;

/// Binds `router` on a random loopback port and serves it until the test ends.
pub(crate) async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}
