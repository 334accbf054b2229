//! A TTPay payment-gateway client for JavaScript runtimes, written in Rust and compiled to wasm.
//!
//! The data path of one call, in order:
//! 1. [`core::options`] validates what the caller passed (before any network traffic);
//! 2. [`core::call`] builds the body once ([`core::body`]) and signs each attempt
//!    ([`core::sign`], AES-256-ECB keyed by [`core::secret`]);
//! 3. the wasm shell (`wasm`, wasm32 only) sends it with `fetch` under a timeout and the
//!    caller's signal, and reads the body;
//! 4. [`core::reply`] classifies the reply into a result or an [`core::Error`] whose `kind` is
//!    one of eight stable strings.
//!
//! Everything under `core` is sans-IO: time and randomness come in as arguments.

#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod core;

#[cfg(target_arch = "wasm32")]
mod wasm;
