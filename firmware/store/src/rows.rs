//! Small helpers to read rows into document types with the store's error type.

use rusqlite::types::FromSql;
use rusqlite::{Connection, Params, Row};

use crate::document::Destination;
use crate::error::{DbContext, StoreError};

/// A row plus what we were reading, for error messages.
pub(crate) struct R<'a, 'r> {
    row: &'a Row<'r>,
    table: &'static str,
}

impl R<'_, '_> {
    pub(crate) fn get<T: FromSql>(&self, index: usize) -> Result<T, StoreError> {
        self.row.get(index).op(self.table)
    }

    /// A destination stored as kind + reference in columns `kind_index` and `kind_index + 1`.
    pub(crate) fn dest(&self, kind_index: usize) -> Result<Option<Destination>, StoreError> {
        let kind: Option<String> = self.get(kind_index)?;
        let reference: Option<String> = self.get(kind_index + 1)?;
        match kind {
            None => Ok(None),
            Some(kind) => Destination::from_parts(&kind, reference.clone())
                .map(Some)
                .ok_or(StoreError::CorruptRow {
                    table: self.table,
                    column: "destination",
                    value: format!("{kind} {}", reference.unwrap_or_default()),
                }),
        }
    }

    /// A destination that cannot be absent.
    pub(crate) fn required_dest(&self, kind_index: usize) -> Result<Destination, StoreError> {
        self.dest(kind_index)?.ok_or(StoreError::CorruptRow {
            table: self.table,
            column: "destination",
            value: String::new(),
        })
    }
}

/// Runs `sql` and maps every row with `f`.
pub(crate) fn rows<T>(
    conn: &Connection,
    table: &'static str,
    sql: &str,
    params: impl Params,
    mut f: impl FnMut(&R<'_, '_>) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).op(table)?;
    let mut rows = stmt.query(params).op(table)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().op(table)? {
        out.push(f(&R { row, table })?);
    }
    Ok(out)
}
