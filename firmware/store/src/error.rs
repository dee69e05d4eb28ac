//! The store's one error type.

use std::fmt;
use std::path::PathBuf;

/// One problem found in a tenant document, located by a JSON-path-like `path`
/// (`users[3].extension`) so that the person who wrote the document can find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

impl Problem {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every problem of a refused document, printed one per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create data folder {path}: {source}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot restrict permissions of {path}: {source}")]
    Permissions {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open database {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("database schema version {found} is newer than this firmware supports ({supported})")]
    SchemaTooNew { found: u32, supported: u32 },
    #[error("migration to schema version {version} failed: {source}")]
    Migration {
        version: u32,
        #[source]
        source: rusqlite::Error,
    },
    /// A database operation failed; `op` names what the store was doing.
    #[error("database error while {op}: {source}")]
    Db {
        op: &'static str,
        #[source]
        source: rusqlite::Error,
    },
    /// A row holds a value this firmware cannot interpret (written by a newer firmware, or
    /// edited by hand).
    #[error("unexpected value {value:?} in {table}.{column}")]
    CorruptRow {
        table: &'static str,
        column: &'static str,
        value: String,
    },
    #[error("SQLite refused PRAGMA {pragma}: it reports {value:?}")]
    Pragma { pragma: &'static str, value: String },
    /// Malformed JSON, or a field of the wrong type or unknown name; `message` is serde's
    /// description without its position, which `line` and `column` hold.
    #[error("line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("{problems}")]
    InvalidDocument { problems: Problems },
    #[error("tenant {tenant_id} does not exist")]
    TenantNotFound { tenant_id: u32 },
    #[error("tenant {tenant_id} already exists")]
    TenantExists { tenant_id: u32 },
}

impl StoreError {
    /// The problems of a refused document (empty for every other error).
    pub fn problems(&self) -> &[Problem] {
        match self {
            StoreError::InvalidDocument { problems } => &problems.0,
            _ => &[],
        }
    }
}

/// Attaches what the store was doing to a rusqlite error.
pub(crate) trait DbContext<T> {
    fn op(self, op: &'static str) -> Result<T, StoreError>;
}

impl<T> DbContext<T> for Result<T, rusqlite::Error> {
    fn op(self, op: &'static str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Db { op, source })
    }
}
