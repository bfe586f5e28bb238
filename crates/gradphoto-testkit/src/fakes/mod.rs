//! Local servers that speak the protocols of outside services gradphoto cannot reach from
//! a test machine. Each checks requests as the real service does — with its own,
//! separately written verification, so a mistake in gradphoto's signing is not mirrored
//! here — and records what it accepted.

pub mod alipay;
pub mod aliyun_sms;
mod rsa;
pub mod wechat_pay;

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

/// `n` random characters of `[A-Za-z0-9]` (nonces, ids, QR payloads).
pub(crate) fn random_alnum(n: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = vec![0u8; n];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).expect("random");
    bytes
        .iter()
        .map(|b| char::from(CHARS[usize::from(*b) % CHARS.len()]))
        .collect()
}

/// China Standard Time (UTC+8, no daylight saving), the payment providers' clock.
pub(crate) fn china() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8")
}

/// A reqwest client for the notifications the fakes send.
pub(crate) fn notifier() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().build().expect("client")
}
