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
    for record in store.list_recent_cdrs(limit)? {
        writeln!(out, "{}", serde_json::to_string(&record)?)?;
    }
    Ok(())
}
