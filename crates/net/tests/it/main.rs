//! rosette-net against real sockets: hand-rolled HTTP/1.1 listeners on loopback count every
//! connection, so "refused" also means "nothing was sent".

mod dns;
mod fetch;
mod redirect;
mod ssrf;
mod support;
