//! REFER (RFC 3515), Replaces (RFC 3891) and message/sipfrag bodies for call transfer.
