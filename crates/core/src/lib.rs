//! Building blocks shared by every Rosette crate: an injectable clock and secret values.
//!
//! Nothing here does I/O; the one place that reads the system time is [`SystemClock`].

mod clock;
pub mod kek;
mod open_enum;
mod secret;
pub mod text;

pub use clock::{Clock, FixedClock, SystemClock, Timestamp};
pub use secret::SecretString;
