//! Message-waiting indication (RFC 3842): SUBSCRIBE/NOTIFY message-summary subscriptions.
