//! store crate (placeholder)
