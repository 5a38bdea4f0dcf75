//! The Catalog against a real PostgreSQL, driven through the generated REST client and
//! the generated tonic client, as other services and the storefront drive it.

mod admin;
mod bad_input;
mod cache;
mod faults;
mod grpc;
mod helpers;
mod resilience;
mod rest;
