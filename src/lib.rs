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

// Size: a sorted, coalescing free list instead of dlmalloc saves ~2.3 KB gzip. A call allocates a
// few dozen small blocks, so its O(free blocks) search costs nothing measurable (`make bench`), and
// the wasm memory stays flat over 100,000 calls (bench, and tests/js/scale.test.mjs). The lock is
// a flag here (wasm32 without threads); it keeps `unsafe` out of this crate.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());
