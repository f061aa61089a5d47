use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rosette_net::{FetchPolicy, GuardedClient};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What a test listener does with each connection.
#[derive(Clone)]
pub(crate) enum Reply {
    /// Accepts and never answers (a firewalled or tar-pit port).
    Silent,
    /// Reads the request head, writes these bytes, closes.
    Bytes(Arc<Vec<u8>>),
}

/// A listener that counts the connections it accepts.
pub(crate) struct Server {
    pub(crate) port: u16,
    accepted: Arc<AtomicUsize>,
}

impl Server {
    /// Connections accepted so far. Waits a moment first so a connection still in the accept
    /// queue is counted.
    pub(crate) async fn accepted(&self) -> usize {
        tokio::time::sleep(Duration::from_millis(100)).await;
        self.accepted.load(Ordering::SeqCst)
    }
}

/// A raw HTTP/1.1 response.
pub(crate) fn response(status: &str, headers: &str, body: &[u8]) -> Reply {
    let mut bytes = format!(
        "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    Reply::Bytes(Arc::new(bytes))
}

/// A listener on 127.0.0.1.
pub(crate) async fn serve(reply: Reply) -> Server {
    serve_on("127.0.0.1:0", reply)
        .await
        .expect("bind 127.0.0.1")
}

/// A listener on `addr`, or `None` when it cannot be bound (no IPv6 on this host).
pub(crate) async fn serve_on(addr: &str, reply: Reply) -> Option<Server> {
    let listener = TcpListener::bind(addr).await.ok()?;
    let port = listener.local_addr().ok()?.port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let reply = reply.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                // Read until the end of the request head (or the peer gives up).
                loop {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                    if head.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                match reply {
                    Reply::Silent => {
                        // Hold the connection open until the client leaves.
                        while matches!(sock.read(&mut buf).await, Ok(n) if n > 0) {}
                    }
                    Reply::Bytes(bytes) => {
                        let _ = sock.write_all(&bytes).await;
                        let _ = sock.shutdown().await;
                    }
                }
            });
        }
    });
    Some(Server { port, accepted })
}

/// The development policy (loopback over http allowed) with short timeouts for tests.
pub(crate) fn dev_policy() -> FetchPolicy {
    FetchPolicy {
        allow_loopback_http: true,
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(5),
        ..FetchPolicy::default()
    }
}

pub(crate) fn client(policy: FetchPolicy) -> GuardedClient {
    GuardedClient::new(policy).expect("client")
}
