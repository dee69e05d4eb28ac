//! The mail sender's error type, and which errors are worth retrying.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error(
        "--smtp-user is set but no password: give --smtp-password or set {}",
        super::args::PASSWORD_ENV
    )]
    MissingPassword,
    #[error("invalid email address {address:?}: {source}")]
    BadAddress {
        address: String,
        #[source]
        source: lettre::address::AddressError,
    },
    #[error("invalid attachment type {mime:?}")]
    BadContentType { mime: String },
    #[error("cannot build the email: {source}")]
    Build {
        #[source]
        source: lettre::error::Error,
    },
    #[error("cannot read attachment {path}: {source}")]
    Attachment {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("attachment path {path:?} leaves the data folder")]
    UnsafePath { path: String },
    #[error("cannot set up TLS for {host}: {source}")]
    Tls {
        host: String,
        #[source]
        source: lettre::transport::smtp::Error,
    },
    #[error("SMTP: {source}")]
    Smtp {
        #[source]
        source: lettre::transport::smtp::Error,
    },
    #[error("cannot start the mail thread: {source}")]
    Spawn {
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

impl MailError {
    /// True when trying again cannot help (a bad address, a 5xx refusal): the mail is given
    /// up at once instead of being retried for two days.
    pub fn is_permanent(&self) -> bool {
        match self {
            MailError::BadAddress { .. }
            | MailError::BadContentType { .. }
            | MailError::Build { .. }
            | MailError::UnsafePath { .. } => true,
            MailError::Smtp { source } => source.is_permanent(),
            MailError::MissingPassword
            | MailError::Attachment { .. }
            | MailError::Tls { .. }
            | MailError::Spawn { .. }
            | MailError::Store(_) => false,
        }
    }
}
