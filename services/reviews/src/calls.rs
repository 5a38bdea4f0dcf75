//! Turns at the store for the service's calls, in two queues. FerretDB does a call's work
//! (its BSON and JSON, its sorting and counting) on the CPU whatever the client does, so
//! calls whose work grows with the data (heavy) wait for each other, and calls that read a
//! document by id or write one or two (light) never wait behind them. With one queue the
//! heavy calls took every turn: 16 callers reading second pages of a listing made the
//! listing pages' rating summaries wait 0.8 s at the median and time out, 19 batches a
//! second where 20,000 are served otherwise (`make load` found it: at 220 shoppers'
//! journeys a second Reviews answered 503 while the machine sat half idle).

use std::future::Future;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::error::ReviewsError;

/// Light calls made at once.
pub const LIGHT_CALLS: usize = 16;
/// Heavy calls made at once: more let FerretDB's sorting crowd its lookups out again
/// (6 served fewer listing pages and fewer summaries than 3, `docs/benchmarks.md`).
pub const HEAVY_CALLS: usize = 3;

/// What a call costs the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    Light,
    Heavy,
}

#[derive(Debug)]
pub struct Calls {
    light: Semaphore,
    heavy: Semaphore,
    /// How long a call may wait for its turn, and then how long it may take.
    timeout: Duration,
}

impl Calls {
    pub fn new(timeout: Duration) -> Self {
        Self {
            light: Semaphore::new(LIGHT_CALLS),
            heavy: Semaphore::new(HEAVY_CALLS),
            timeout,
        }
    }

    /// Makes `call` once its turn comes, waiting for it and then making it within the
    /// timeout each; past either, [`ReviewsError::StoreTimedOut`] (a 503).
    pub async fn make<T>(
        &self,
        weight: Weight,
        call: impl Future<Output = Result<T, ReviewsError>>,
    ) -> Result<T, ReviewsError> {
        let queue = match weight {
            Weight::Light => &self.light,
            Weight::Heavy => &self.heavy,
        };
        let timed_out = ReviewsError::StoreTimedOut(self.timeout);
        let _turn = match tokio::time::timeout(self.timeout, queue.acquire()).await {
            Ok(Ok(turn)) => turn,
            Ok(Err(_)) | Err(_) => return Err(timed_out),
        };
        tokio::time::timeout(self.timeout, call)
            .await
            .map_err(|_| timed_out)?
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// A call that never ends, such as one to a store sorting for ever.
    async fn endless() -> Result<(), ReviewsError> {
        std::future::pending().await
    }

    #[tokio::test(start_paused = true)]
    async fn light_calls_go_on_while_heavy_ones_take_every_turn() {
        let calls = Arc::new(Calls::new(Duration::from_secs(2)));
        for _ in 0..LIGHT_CALLS {
            let calls = Arc::clone(&calls);
            tokio::spawn(async move { calls.make(Weight::Heavy, endless()).await });
        }
        tokio::task::yield_now().await;
        let light = calls.make(Weight::Light, async { Ok(7) }).await;
        assert_eq!(
            light.ok(),
            Some(7),
            "a lookup does not wait behind the sorting"
        );
        let heavy = calls.make(Weight::Heavy, async { Ok(7) }).await;
        assert!(
            matches!(heavy, Err(ReviewsError::StoreTimedOut(_))),
            "another heavy call waits its turn, for the timeout at most"
        );
    }
}
