//! pbx crate (placeholder)
