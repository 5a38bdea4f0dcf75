//! The library half of `cargo xtask`, so the generator's tests can call it.

pub mod codegen;
pub mod contracts;
pub mod storefront;
