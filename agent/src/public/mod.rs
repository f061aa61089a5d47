//! Public badge pages and the drop-a-file verification page (see [`service`]).

pub mod badge;
pub mod http;
mod pages;
mod records;
pub mod service;

pub use badge::{Alignment, BadgeFacts, UploadError, facts_of};
pub use service::*;
