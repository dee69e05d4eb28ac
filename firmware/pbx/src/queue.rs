//! Queues (SPEC §5): a sans-IO machine per queue deciding who rings when.
