//! The Cart against a real Redis and a real Catalog (on a real PostgreSQL), driven
//! through the generated client, with the dependencies stopped and restarted on purpose.

mod bad_input;
mod faults;
mod helpers;
mod idempotency;
mod lines;
mod resilience;
