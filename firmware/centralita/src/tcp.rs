//! SIP over TCP (RFC 3261 §18): a listener, one reader task per connection framing messages by
//! Content-Length, and a writer per connection the engine sends to by peer address.
use sip::message::{Message, Response};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// Connections with an unfinished message for longer than this are closed (RFC 4475 clerr).
const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(32);
/// A peer may not make the box buffer more than this for one message.
const MAX_BUFFER: usize = 64 * 1024;

pub enum TcpEvent {
    Message {
        from: SocketAddr,
        message: Message,
    },
    Malformed {
        from: SocketAddr,
        reply: Option<Response>,
    },
}

/// Writers of live connections, by peer address.
#[derive(Clone, Default)]
pub struct TcpRegistry {
    writers: Arc<Mutex<HashMap<SocketAddr, mpsc::UnboundedSender<Vec<u8>>>>>,
}

impl TcpRegistry {
    pub fn send(&self, to: SocketAddr, bytes: Vec<u8>) {
        let writers = match self.writers.lock() {
            Ok(w) => w,
            Err(poisoned) => poisoned.into_inner(),
        };
        match writers.get(&to) {
            Some(tx) => {
                let _ = tx.send(bytes);
            }
            None => tracing::debug!(%to, "no TCP connection to send on"),
        }
    }

    fn insert(&self, peer: SocketAddr, tx: mpsc::UnboundedSender<Vec<u8>>) {
        if let Ok(mut w) = self.writers.lock() {
            w.insert(peer, tx);
        }
    }

    fn remove(&self, peer: SocketAddr) {
        if let Ok(mut w) = self.writers.lock() {
            w.remove(&peer);
        }
    }
}

pub async fn serve(listener: TcpListener, registry: TcpRegistry, events: mpsc::Sender<TcpEvent>) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let registry = registry.clone();
                let events = events.clone();
                tokio::spawn(async move {
                    connection(stream, peer, registry.clone(), events).await;
                    registry.remove(peer);
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "TCP accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    registry: TcpRegistry,
    events: mpsc::Sender<TcpEvent>,
) {
    let (mut reader, mut writer) = stream.into_split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
    registry.insert(peer, tx);
    let write_task = tokio::spawn(async move {
        while let Some(bytes) = rx.recv().await {
            if writer.write_all(&bytes).await.is_err() {
                break;
            }
        }
    });
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        let read = tokio::time::timeout(READ_TIMEOUT, reader.read(&mut chunk)).await;
        let n = match read {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => n,
            Err(_) if buf.is_empty() => continue,
            Err(_) => break, // a half message that never completes
        };
        buf.extend_from_slice(&chunk[..n]);
        loop {
            match sip::parse::parse_stream(&buf) {
                Ok(Some((message, used))) => {
                    buf.drain(..used);
                    if events
                        .send(TcpEvent::Message {
                            from: peer,
                            message,
                        })
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Ok(None) => {
                    // RFC 5626 §4.4.1: a double-CRLF ping gets a CRLF pong; either way the
                    // keep-alive bytes are consumed so they never pile up.
                    let skip = sip::parse::skip_keepalives(&buf);
                    if skip > 0 && skip == buf.len() {
                        if skip >= 4 {
                            registry.send(peer, b"\r\n".to_vec());
                        }
                        buf.clear();
                    }
                    if buf.len() > MAX_BUFFER {
                        tracing::info!(%peer, "TCP message too large; closing");
                        write_task.abort();
                        return;
                    }
                    break;
                }
                Err(error) => {
                    // Stream framing is lost: answer if we can, then close (RFC 4475 ncl, mcl01).
                    let reply = sip::parse::reply_for_malformed(&buf, &error);
                    tracing::info!(%peer, %error, "malformed SIP over TCP; closing");
                    let _ = events.send(TcpEvent::Malformed { from: peer, reply }).await;
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    write_task.abort();
                    return;
                }
            }
        }
    }
    write_task.abort();
}
