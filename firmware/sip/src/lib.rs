//! sip crate (placeholder)
