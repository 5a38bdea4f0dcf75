//! The Reviews service against a real FerretDB and a real Catalog (on a real
//! PostgreSQL), driven through the generated client.

mod bad_input;
mod faults;
mod helpers;
mod hostile;
mod resilience;
mod reviews;
