//! LocalMart's contracts checked against the running services; the checks are the tests
//! in `tests/`, this library is empty.
//!
//! - `tests/schemathesis.rs`: each service, started on private datastores, fuzzed by
//!   schemathesis against its OpenAPI document (settings in `schemathesis/`).
