//! The runtime under the crates that `cargo xtask codegen` writes into `generated/`.
//!
//! A generated crate holds only what is specific to its spec: the types, the handler
//! trait, one response enum per operation and the router that wires them. Everything that
//! is the same for every spec is written once, by hand, here, the way `progenitor-client`
//! sits under progenitor's output:
//!
//! - for servers (feature `server`): the extractors that answer every malformed request
//!   with the contract's `Error` body ([`extract`]), the bearer token, the
//!   [`ServiceError`] a handler returns with `?`, and [`respond`], which turns a handler's
//!   result into the answer, logging the cause of a 5xx once;
//! - for clients (feature `client`): the [`HeaderHook`] every generated client runs on its
//!   outgoing requests (W3C trace context, for example), [`client!`], the `Client`
//!   struct, and [`client::Call`], which puts each generated operation's request
//!   together, sends it and sorts its answer. It builds for wasm32 too;
//! - for both: the types every contract shares ([`ErrorBody`], [`ConversionError`]).
//!
//! The generator relies on the house rules it enforces on every spec: an operation with
//! parameters or a body declares 400, one with a body 415 and 422, a secured one 401, and
//! every one 500. So the statuses used here are always declared.

mod contract;
pub use contract::{ConversionError, ErrorBody};

#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "client")]
mod hook;
#[cfg(feature = "client")]
pub use hook::HeaderHook;
/// What [`client!`] expands to refers to it, so a generated crate needs no name of its
/// own for it.
#[cfg(feature = "client")]
#[doc(hidden)]
pub use reqwest;

#[cfg(feature = "server")]
mod error;
#[cfg(feature = "server")]
pub mod extract;
#[cfg(feature = "server")]
mod respond;

#[cfg(feature = "server")]
pub use error::ServiceError;
#[cfg(feature = "server")]
pub use extract::{BearerToken, RequestContext};
#[cfg(feature = "server")]
pub use respond::{Operation, fallback, method_not_allowed, respond};
