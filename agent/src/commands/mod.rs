//! One module per subcommand.

pub(crate) mod credential;
pub(crate) mod demo;
pub(crate) mod import;
pub(crate) mod keys;
pub(crate) mod store;
