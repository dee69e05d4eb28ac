//! Typed views of the headers the stack reasons about. Each type parses from one header *value*
//! (one element of a comma list) and prints back with `Display`.
mod auth;
mod cseq;
pub(crate) mod lex;
mod name_addr;
mod names;
mod params;
mod via;

pub use auth::{AuthParams, Credentials};
pub use cseq::CSeq;
pub use name_addr::{Contact, NameAddr};
pub use params::Params;
pub use via::{Transport, Via};
