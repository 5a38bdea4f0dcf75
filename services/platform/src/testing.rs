//! A service running inside a test (feature `testing`): built from a test configuration,
//! spawned on the test's runtime, and stopped or restarted (on the same ports) when the
//! test says so. Each service's `testing` module gives the one test configuration of its
//! service; this is the one way every test, bench and harness runs a service.

use std::fmt;

use anyhow::Result;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::service::{Service, ServiceConfig as _};

/// A service of type `S` running in this process. Dropping it stops the service without
/// waiting for it to drain.
pub struct TestServer<S: Service> {
    config: S::Config,
    http_addr: Option<std::net::SocketAddr>,
    running: Option<(oneshot::Sender<()>, JoinHandle<Result<()>>)>,
}

impl<S: Service> TestServer<S> {
    /// Builds the service from `config` and runs it.
    pub async fn start(config: S::Config) -> Result<Self> {
        let mut server = Self {
            config,
            http_addr: None,
            running: None,
        };
        server.launch().await?;
        Ok(server)
    }

    async fn launch(&mut self) -> Result<()> {
        let service = S::build(self.config.clone()).await?;
        self.config = service.config().clone();
        self.http_addr = Some(self.config.http_addr());
        let (stop, stopped) = oneshot::channel::<()>();
        // A dropped sender (the test let go of the server) stops the service too.
        let task = tokio::spawn(service.run(async {
            let _ = stopped.await;
        }));
        self.running = Some((stop, task));
        Ok(())
    }

    /// The configuration it runs with, its bound addresses filled in.
    pub fn config(&self) -> &S::Config {
        &self.config
    }

    /// The base URL of its REST API.
    pub fn http_url(&self) -> String {
        self.http_addr
            .map(|addr| format!("http://{addr}"))
            .unwrap_or_default()
    }

    /// Stops the service and waits until it has drained; its failure, if it failed, is
    /// the error. Stopping a stopped service does nothing.
    pub async fn stop(&mut self) -> Result<()> {
        if let Some((stop, task)) = self.running.take() {
            let _ = stop.send(());
            task.await??;
        }
        Ok(())
    }

    /// Stops the service (if it runs) and starts a new one on the same addresses and
    /// datastores.
    pub async fn restart(&mut self) -> Result<()> {
        self.stop().await?;
        self.launch().await
    }
}

impl<S: Service> fmt::Debug for TestServer<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestServer")
            .field("url", &self.http_url())
            .field("running", &self.running.is_some())
            .finish()
    }
}
