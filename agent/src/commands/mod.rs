//! The command line: its definition ([`cli`]) and one module per subcommand.

pub(crate) mod cli;
pub(crate) mod credential;
pub(crate) mod demo;
pub(crate) mod import;
pub(crate) mod institution;
pub(crate) mod keyfile;
pub(crate) mod keys;
pub(crate) mod store;
