//! Public badge pages and the drop-a-file verification page (see [`service`]).

pub mod http;
mod pages;
mod records;
pub mod service;

pub use service::*;
