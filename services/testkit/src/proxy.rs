//! A TCP proxy between a service and a real service it calls, which a test makes slow or
//! freezes to see what the caller does: the service behind it runs unchanged, and the
//! caller sees what it would see of a service that is overloaded ([`Fault::Delay`]) or
//! stuck ([`Fault::Frozen`]: connections stay open, nothing comes back, as with SIGSTOP)
//! without the test stopping a process the test itself runs.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Result;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

/// What the proxy does to the bytes passing through, both ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// They pass as they come.
    None,
    /// Each chunk arrives this much later than it was sent, however many are in flight.
    Delay(Duration),
    /// Nothing passes until the fault changes; then what was held passes at once.
    Frozen,
}

#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    fault: watch::Sender<Fault>,
    /// Accepts connections; its connections are aborted with it.
    accepting: JoinHandle<()>,
}

impl FaultProxy {
    /// Listens on a free port and forwards every connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (fault, _) = watch::channel(Fault::None);
        let faults = fault.clone();
        let accepting = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((inbound, _)) = listener.accept().await {
                connections.spawn(forward(inbound, upstream, faults.subscribe()));
                // Reap the connections that have ended.
                while connections.try_join_next().is_some() {}
            }
        });
        Ok(Self {
            addr,
            fault,
            accepting,
        })
    }

    /// Where callers connect instead of the service.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// From now on, for every connection, open or new.
    pub fn set(&self, fault: Fault) {
        self.fault.send_replace(fault);
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

async fn forward(inbound: TcpStream, upstream: SocketAddr, fault: watch::Receiver<Fault>) {
    let Ok(outbound) = TcpStream::connect(upstream).await else {
        return;
    };
    let _ = inbound.set_nodelay(true);
    let _ = outbound.set_nodelay(true);
    let (inbound_read, inbound_write) = inbound.into_split();
    let (outbound_read, outbound_write) = outbound.into_split();
    tokio::join!(
        pass(inbound_read, outbound_write, fault.clone()),
        pass(outbound_read, inbound_write, fault),
    );
}

/// Copies one direction: a reader takes each chunk as it comes, stamped with when it
/// came, and the writer holds it back as the fault says.
async fn pass(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, mut fault: watch::Receiver<Fault>) {
    let (chunks, mut held) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let read = async move {
        let mut buffer = vec![0; 16 * 1024];
        while let Ok(read @ 1..) = from.read(&mut buffer).await {
            if chunks
                .send((Instant::now(), buffer[..read].to_vec()))
                .is_err()
            {
                break;
            }
        }
        // Dropping `chunks` tells the writer that this side has closed.
    };
    let write = async move {
        while let Some((came, chunk)) = held.recv().await {
            loop {
                let now = *fault.borrow_and_update();
                match now {
                    Fault::None => break,
                    Fault::Delay(delay) => {
                        tokio::time::sleep_until(came + delay).await;
                        break;
                    }
                    Fault::Frozen => {
                        if fault.changed().await.is_err() {
                            return;
                        }
                    }
                }
            }
            if to.write_all(&chunk).await.is_err() {
                return;
            }
        }
        let _ = to.shutdown().await;
    };
    tokio::join!(read, write);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server that sends back what it reads.
    async fn echo() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let addr = listener.local_addr().expect("an address");
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let (mut read, mut write) = stream.into_split();
                    let _ = tokio::io::copy(&mut read, &mut write).await;
                });
            }
        });
        addr
    }

    async fn round_trip(client: &mut TcpStream, byte: u8) -> Duration {
        let sent = Instant::now();
        client.write_all(&[byte]).await.expect("sent");
        let mut answer = [0];
        client.read_exact(&mut answer).await.expect("an answer");
        assert_eq!(answer[0], byte);
        sent.elapsed()
    }

    #[tokio::test]
    async fn a_frozen_proxy_holds_the_bytes_until_thawed_and_a_slow_one_delays_them() {
        let proxy = FaultProxy::start(echo().await).await.expect("a proxy");
        let mut client = TcpStream::connect(proxy.addr())
            .await
            .expect("a connection");
        assert!(round_trip(&mut client, b'a').await < Duration::from_millis(200));

        proxy.set(Fault::Frozen);
        client.write_all(b"b").await.expect("sent");
        let mut answer = [0];
        let held = tokio::time::timeout(Duration::from_millis(300), client.read(&mut answer));
        assert!(held.await.is_err(), "a frozen proxy let an answer through");
        proxy.set(Fault::None);
        client
            .read_exact(&mut answer)
            .await
            .expect("the held answer");
        assert_eq!(&answer, b"b");

        proxy.set(Fault::Delay(Duration::from_millis(150)));
        // Both ways are delayed.
        assert!(round_trip(&mut client, b'c').await >= Duration::from_millis(300));
    }
}
