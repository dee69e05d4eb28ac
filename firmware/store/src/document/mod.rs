//! The tenant document (docs/tenant-document.md): parse, validate, import, export.

mod checks;
mod export;
mod export_apps;
pub(crate) mod import;
mod import_apps;
pub mod model;
mod validate;
mod validate_extra;
mod validate_loops;

pub(crate) use export::export;
pub use model::*;

use crate::error::{Problem, StoreError};

/// Parses a tenant document, reporting malformed JSON (or a field of the wrong type) with
/// its line and column.
pub fn parse_document(json: &str) -> Result<TenantDocument, StoreError> {
    serde_json::from_str(json).map_err(|source| {
        let (line, column) = (source.line(), source.column());
        let full = source.to_string();
        // serde_json appends " at line L column C"; we report the position as fields.
        let suffix = format!(" at line {line} column {column}");
        let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
        StoreError::Json {
            line,
            column,
            message,
            source,
        }
    })
}

/// Every problem of a document that can be found without the database; the import adds
/// the checks against other tenants on the box.
pub fn validate_document(doc: &TenantDocument) -> Vec<Problem> {
    validate::validate(doc)
}
