//! media crate (placeholder)
