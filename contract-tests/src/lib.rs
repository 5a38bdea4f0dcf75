//! LocalMart's contracts checked against the running services.
//!
//! - `tests/schemathesis.rs`: each service, started on private datastores, fuzzed by
//!   schemathesis against its OpenAPI document (settings in `schemathesis/`);
//! - [`catalog_grpc`] and `tests/catalog_grpc.rs`: what the Cart relies on in the
//!   Catalog's gRPC answers, tested on both sides;
//! - [`openapi`] and `tests/openapi.rs`: each running service's live OpenAPI document
//!   held to its spec, operation by operation.

pub mod catalog_grpc;
pub mod openapi;
