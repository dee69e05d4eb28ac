//! Admin commands that work on the data folder directly (the daemon may be running: SQLite WAL
//! lets both share the file).
use anyhow::Context;
use std::io::Write;
use std::path::Path;
use store::Store;

pub fn import(data: &Path, file: &Path) -> anyhow::Result<()> {
    let json =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let doc = match store::parse_document(&json) {
        Ok(doc) => doc,
        Err(e) => {
            eprintln!("{}: {e}", file.display());
            std::process::exit(1);
        }
    };
    std::fs::create_dir_all(data).with_context(|| format!("creating {}", data.display()))?;
    let mut store = Store::open(data)?;
    match store.import_document(&doc) {
        Ok(summary) => {
            println!(
                "imported tenant {} ({} users)",
                summary.tenant_id, summary.users
            );
            Ok(())
        }
        Err(e) => {
            eprintln!("{}: document refused:\n{e}", file.display());
            std::process::exit(1);
        }
    }
}

pub fn export(data: &Path, tenant: u32) -> anyhow::Result<()> {
    let store = Store::open(data)?;
    let doc = store.export_document(tenant)?;
    let json = serde_json::to_string_pretty(&doc)?;
    println!("{json}");
    Ok(())
}

pub fn cdr(data: &Path, limit: usize) -> anyhow::Result<()> {
    let store = Store::open(data)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for entry in store.recent_cdr_entries(limit)? {
        writeln!(out, "{}", serde_json::to_string(&entry)?)?;
    }
    Ok(())
}

/// Deletes a CDR and its recording (row in one transaction, then the file).
pub fn cdr_delete(data: &Path, id: i64) -> anyhow::Result<()> {
    let mut store = Store::open(data)?;
    let file = store.delete_cdr_with_recording(id)?;
    if let Some(file) = file {
        let path = data.join(&file);
        std::fs::remove_file(&path).with_context(|| {
            format!(
                "CDR {id} deleted; removing its recording {}",
                path.display()
            )
        })?;
        println!("deleted CDR {id} and its recording {file}");
    } else {
        println!("deleted CDR {id} (it had no recording)");
    }
    Ok(())
}
