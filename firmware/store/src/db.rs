//! Opening the database file with the settings that make it durable.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use crate::error::{DbContext, StoreError};

/// File name of the database inside the data folder.
pub const DB_FILE: &str = "centralita.db";

/// How long a writer waits for another connection's lock (the web server, a CLI `import`
/// while the daemon runs) before giving up with SQLITE_BUSY.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) fn open_connection(data_dir: &Path) -> Result<Connection, StoreError> {
    std::fs::create_dir_all(data_dir).map_err(|source| StoreError::CreateDir {
        path: data_dir.to_path_buf(),
        source,
    })?;
    let path = data_dir.join(DB_FILE);
    let conn = Connection::open(&path).map_err(|source| StoreError::Open {
        path: path.clone(),
        source,
    })?;
    restrict_permissions(&path)?;
    configure(&conn)?;
    Ok(conn)
}

/// The database holds SIP passwords in clear (digest authentication needs them), so only the
/// daemon's user may read it. SQLite gives the -wal and -shm files the database's mode.
#[cfg(unix)]
fn restrict_permissions(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|source| {
        StoreError::Permissions {
            path: path.to_path_buf(),
            source,
        }
    })
}

#[cfg(not(unix))]
fn restrict_permissions(_path: &Path) -> Result<(), StoreError> {
    Ok(())
}

/// WAL lets readers (CDR listing, the web page) run while the daemon writes; FULL sync makes a
/// committed transaction survive a power cut, which on an appliance without a UPS is the
/// normal way to shut down.
pub(crate) fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT).op("setting busy timeout")?;
    // Switching to WAL needs an exclusive lock and SQLite answers SQLITE_BUSY at once, without
    // its busy handler, when another process opens the same new database at that moment (a
    // first start racing `centralita import`): retry for up to the busy timeout.
    let mut waited = std::time::Duration::ZERO;
    let mode: String = loop {
        match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)) {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && waited < BUSY_TIMEOUT =>
            {
                let pause = std::time::Duration::from_millis(20);
                std::thread::sleep(pause);
                waited += pause;
            }
            other => break other.op("enabling WAL")?,
        }
    };
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Pragma {
            pragma: "journal_mode",
            value: mode,
        });
    }
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
        .op("setting pragmas")?;
    Ok(())
}
