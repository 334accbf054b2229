//! A TTPay payment-gateway client for JavaScript runtimes, written in Rust and compiled to wasm.
//!
//! The data path of one call, in order:
//! 1. [`core::options`] validates what the caller passed (before any network traffic), read into
//!    typed structs of [`core::input::Input`]s through serde-wasm-bindgen by the shell;
//! 2. [`core::call`] builds the body once ([`core::wire`], serde_json) and signs each attempt
//!    ([`core::sign`], AES-256-ECB keyed by [`core::secret`]), after [`core::limiter`] grants a
//!    send;
//! 3. the wasm shell (`wasm`, wasm32 only) sends it with `fetch` through web-sys under a timeout
//!    and the caller's signal, and reads the reply;
//! 4. [`core::verify`] checks the reply's signature binds it to this request, and
//!    [`core::reply`] classifies it into a result or an [`core::Error`] whose `kind` is one of
//!    eight stable strings.
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
