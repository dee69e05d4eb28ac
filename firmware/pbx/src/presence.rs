//! Busy-lamp field (RFC 4235 dialog event package): SUBSCRIBE/NOTIFY dialog-info subscriptions.
