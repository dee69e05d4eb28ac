//! Outbound dial plan: number classes, call permissions, caller-ID selection — being written.
