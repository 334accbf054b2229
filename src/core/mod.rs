//! The pure core: no I/O, no clock, no randomness, no JavaScript. Everything here is plain
//! functions over values and bytes, tested natively with `cargo test`.

pub mod base_url;
pub mod call;
pub mod codes;
pub mod error;
pub mod input;
pub mod limiter;
pub mod options;
pub mod replay;
pub mod reply;
pub mod retry;
pub mod secret;
pub mod sign;
pub mod skew;
pub mod text;
pub mod verify;
pub mod wire;

pub use call::{Call, Interrupted, Next, Reply, Request};
pub use error::{Error, ErrorKind};
pub use options::{ClientConfig, Input, RawClientOptions};
pub use reply::Success;
