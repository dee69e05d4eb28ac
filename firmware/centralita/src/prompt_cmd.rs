//! `centralita prompt …` and `centralita moh …`: add an audio file to a tenant (decoded and
//! converted once to the internal 16 kHz WAV, stored under the data folder, and added to
//! the tenant's document through export → edit → import so the store validates and
//! audits it), and list what a tenant has.
//!
//! Wiring in main.rs (the same arguments serve both commands):
//! `Prompt(prompt_cmd::PromptArgs)` → `prompt_cmd::run(args)`,
//! `Moh(prompt_cmd::PromptArgs)` → `prompt_cmd::run_moh(args)`.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use prompts::{decode_upload, slug, valid_id, FolderKind, Limits, PromptFolder, INTERNAL_RATE};
use store::document::{MusicOnHold, Prompt};
use store::{AuditEntry, Store, TenantDocument};

#[derive(clap::Args, Debug)]
pub struct PromptArgs {
    #[command(subcommand)]
    pub action: PromptAction,
}

#[derive(clap::Subcommand, Debug)]
pub enum PromptAction {
    /// Decode an audio file (WAV, MP3, OGG/Vorbis, FLAC), store it and add or replace it
    /// in the tenant's configuration.
    Add {
        #[arg(long, default_value = "data")]
        data: PathBuf,
        #[arg(long)]
        tenant: u32,
        /// Identifier (letters, digits, '-', '_'); default: made from --name.
        #[arg(long)]
        id: Option<String>,
        /// Name shown in the panel.
        #[arg(long)]
        name: String,
        file: PathBuf,
    },
    /// List the tenant's entries with their files and durations.
    List {
        #[arg(long, default_value = "data")]
        data: PathBuf,
        #[arg(long)]
        tenant: u32,
    },
}

/// `centralita prompt …`
pub fn run(args: PromptArgs) -> anyhow::Result<()> {
    dispatch(FolderKind::Prompts, args)
}

/// `centralita moh …`
pub fn run_moh(args: PromptArgs) -> anyhow::Result<()> {
    dispatch(FolderKind::MusicOnHold, args)
}

fn dispatch(kind: FolderKind, args: PromptArgs) -> anyhow::Result<()> {
    match args.action {
        PromptAction::Add {
            data,
            tenant,
            id,
            name,
            file,
        } => {
            let now_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
                .unwrap_or(0);
            let added = add(&data, kind, tenant, id.as_deref(), &name, &file, now_ms)?;
            println!(
                "{} {} stored as {} ({:.1} s)",
                noun(kind),
                added.id,
                added.file,
                added.seconds
            );
            Ok(())
        }
        PromptAction::List { data, tenant } => {
            for line in list(&data, kind, tenant)? {
                println!("{line}");
            }
            Ok(())
        }
    }
}

fn noun(kind: FolderKind) -> &'static str {
    match kind {
        FolderKind::Prompts => "prompt",
        FolderKind::MusicOnHold => "music on hold",
    }
}

/// What `add` stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Added {
    pub id: String,
    /// Path relative to the data folder, as the document holds it.
    pub file: String,
    pub seconds: f64,
}

/// Reads at most `limit + 1` bytes, so a huge file is refused without being loaded.
fn read_limited(file: &Path, limit: usize) -> anyhow::Result<Vec<u8>> {
    let f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let mut bytes = Vec::new();
    f.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {}", file.display()))?;
    Ok(bytes)
}

/// Sets the entry `id` in the document (replacing one with the same id in place).
fn upsert(doc: &mut TenantDocument, kind: FolderKind, id: &str, name: &str, file: &str) {
    match kind {
        FolderKind::Prompts => {
            let entry = Prompt {
                id: id.to_string(),
                name: name.to_string(),
                file: file.to_string(),
            };
            match doc.prompts.iter_mut().find(|p| p.id == id) {
                Some(p) => *p = entry,
                None => doc.prompts.push(entry),
            }
        }
        FolderKind::MusicOnHold => {
            let entry = MusicOnHold {
                id: id.to_string(),
                name: name.to_string(),
                file: file.to_string(),
            };
            match doc.music_on_hold.iter_mut().find(|p| p.id == id) {
                Some(p) => *p = entry,
                None => doc.music_on_hold.push(entry),
            }
        }
    }
}

/// Decodes `file`, stores it as `<data>/<prompts|moh>/<tenant>/<id>.wav` and sets it in
/// the tenant's document. Nothing is written unless the file decodes and the edited
/// document validates.
pub fn add(
    data: &Path,
    kind: FolderKind,
    tenant: u32,
    id: Option<&str>,
    name: &str,
    file: &Path,
    now_ms: i64,
) -> anyhow::Result<Added> {
    let id = id.map_or_else(|| slug(name), str::to_string);
    if !valid_id(&id) {
        return Err(prompts::ImportError::BadId { id }.into());
    }
    let limits = Limits::default();
    // The real size for the message; read_limited still guards a file that grows meanwhile.
    let size = std::fs::metadata(file)
        .with_context(|| format!("opening {}", file.display()))?
        .len();
    if size > limits.max_bytes as u64 {
        let e = prompts::ImportError::TooLarge {
            bytes: usize::try_from(size).unwrap_or(usize::MAX),
            limit: limits.max_bytes,
        };
        return Err(anyhow::Error::new(e).context(file.display().to_string()));
    }
    let bytes = read_limited(file, limits.max_bytes)?;
    let file_name = file.file_name().and_then(|n| n.to_str());
    let pcm =
        decode_upload(&bytes, file_name, &limits).with_context(|| format!("{}", file.display()))?;
    drop(bytes);
    let mut store = Store::open(data).with_context(|| format!("opening {}", data.display()))?;
    let mut doc = store.export_document(tenant)?;
    let relative = format!("{}/{}/{}.wav", kind.dir_name(), tenant, id);
    upsert(&mut doc, kind, &id, name, &relative);
    let problems = store::validate_document(&doc);
    if !problems.is_empty() {
        let all: Vec<String> = problems.iter().map(ToString::to_string).collect();
        bail!("{} refused: {}", noun(kind), all.join("; "));
    }
    let stored = PromptFolder::new(data).store(kind, tenant, &id, &pcm)?;
    if stored != relative {
        bail!("{} stored at {stored}, expected {relative}", noun(kind));
    }
    let audit = AuditEntry {
        tenant_id: Some(tenant),
        at_utc: now_ms,
        user_name: "cli".to_string(),
        email: String::new(),
        action: format!("add {}", noun(kind)),
        entity_id: Some(id.clone()),
        address: None,
        user_agent: Some("centralita".to_string()),
    };
    store
        .import_document_audited(&doc, &audit)
        .map_err(|e| anyhow::anyhow!("{}", e.to_string().replace('\n', "; ")))?;
    Ok(Added {
        id,
        file: stored,
        seconds: pcm.len() as f64 / f64::from(INTERNAL_RATE),
    })
}

/// One line per entry: id, name, file and duration (or why the file cannot be read).
pub fn list(data: &Path, kind: FolderKind, tenant: u32) -> anyhow::Result<Vec<String>> {
    let store = Store::open(data).with_context(|| format!("opening {}", data.display()))?;
    let doc = store.export_document(tenant)?;
    let entries: Vec<(String, String, String)> = match kind {
        FolderKind::Prompts => doc
            .prompts
            .into_iter()
            .map(|p| (p.id, p.name, p.file))
            .collect(),
        FolderKind::MusicOnHold => doc
            .music_on_hold
            .into_iter()
            .map(|p| (p.id, p.name, p.file))
            .collect(),
    };
    let folder = PromptFolder::new(data);
    Ok(entries
        .into_iter()
        .map(|(id, name, file)| {
            let state = match folder.resolve(&file) {
                Ok(path) => match std::fs::read(&path).map(|b| media::wav::decode(&b)) {
                    Ok(Ok(a)) => format!(
                        "{:.1} s",
                        a.frames() as f64 / f64::from(a.format.sample_rate.max(1))
                    ),
                    Ok(Err(e)) => format!("unreadable: {e}"),
                    Err(e) => format!("unreadable: {e}"),
                },
                Err(e) => format!("missing: {e}"),
            };
            format!("{id}\t{name}\t{file}\t{state}")
        })
        .collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;
    use media::wav::{encode_pcm16, WavFormat};

    fn setup() -> (tempfile::TempDir, PathBuf, u32) {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let mut store = Store::open(&data).unwrap();
        store
            .create_demo_tenant_on(["s3cret-one-A".into(), "s3cret-two-B".into()], "2026-01-01")
            .unwrap();
        (dir, data, store::DEMO_TENANT_ID)
    }

    fn tone_wav(dir: &Path) -> PathBuf {
        let pcm: Vec<i16> = (0..8000)
            .map(|i| ((i as f64 * std::f64::consts::TAU / 8.0).sin() * 8000.0) as i16)
            .collect();
        let path = dir.join("Bienvenida Ventas.wav");
        std::fs::write(&path, encode_pcm16(WavFormat::mono(8000), &pcm)).unwrap();
        path
    }

    #[test]
    fn add_stores_and_configures_then_replaces() {
        let (dir, data, tenant) = setup();
        let file = tone_wav(dir.path());
        let added = add(
            &data,
            FolderKind::Prompts,
            tenant,
            None,
            "Bienvenida Ventas",
            &file,
            1,
        )
        .unwrap();
        assert_eq!(added.id, "bienvenida-ventas");
        assert_eq!(
            added.file,
            format!("prompts/{tenant}/bienvenida-ventas.wav")
        );
        assert!((added.seconds - 1.0).abs() < 0.01);
        let stored = media::wav::decode(&std::fs::read(data.join(&added.file)).unwrap()).unwrap();
        assert_eq!(stored.format, WavFormat::mono(16_000));
        let doc = Store::open(&data).unwrap().export_document(tenant).unwrap();
        assert_eq!(doc.prompts.len(), 1);
        assert_eq!(doc.prompts[0].name, "Bienvenida Ventas");
        // Same id again: replaced, not duplicated.
        add(
            &data,
            FolderKind::Prompts,
            tenant,
            Some("bienvenida-ventas"),
            "Nueva",
            &file,
            2,
        )
        .unwrap();
        let doc = Store::open(&data).unwrap().export_document(tenant).unwrap();
        assert_eq!(doc.prompts.len(), 1);
        assert_eq!(doc.prompts[0].name, "Nueva");
        let lines = list(&data, FolderKind::Prompts, tenant).unwrap();
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0].starts_with("bienvenida-ventas\tNueva\tprompts/"),
            "{}",
            lines[0]
        );
        assert!(lines[0].ends_with("\t1.0 s"), "{}", lines[0]);
        // Music on hold goes to its own folder and list.
        let m = add(
            &data,
            FolderKind::MusicOnHold,
            tenant,
            Some("jazz"),
            "Jazz",
            &file,
            3,
        )
        .unwrap();
        assert_eq!(m.file, format!("moh/{tenant}/jazz.wav"));
        assert_eq!(
            list(&data, FolderKind::MusicOnHold, tenant).unwrap().len(),
            1
        );
    }

    #[test]
    fn refusals_write_nothing() {
        let (dir, data, tenant) = setup();
        let text = dir.path().join("saludo.mp3");
        std::fs::write(&text, "esto no es audio\n").unwrap();
        let e = add(&data, FolderKind::Prompts, tenant, None, "Saludo", &text, 1).unwrap_err();
        let msg = format!("{e:#}");
        assert!(
            msg.contains("not an audio file (looks like text, although named saludo.mp3)"),
            "{msg}"
        );
        assert!(!msg.contains('\n'));
        let file = tone_wav(dir.path());
        let e = add(
            &data,
            FolderKind::Prompts,
            tenant,
            Some("../x"),
            "X",
            &file,
            1,
        )
        .unwrap_err();
        assert!(format!("{e:#}").contains("invalid prompt id"), "{e:#}");
        // 21 MB of zeros: refused by size before it is read, with its real size.
        let big = dir.path().join("big.wav");
        std::fs::File::create(&big)
            .unwrap()
            .set_len(21_000_000)
            .unwrap();
        let e = add(&data, FolderKind::Prompts, tenant, None, "Big", &big, 1).unwrap_err();
        assert!(
            format!("{e:#}").ends_with("file too large: 21000000 bytes, limit 20971520"),
            "{e:#}"
        );
        let e = add(&data, FolderKind::Prompts, 999, None, "X", &file, 1).unwrap_err();
        assert!(!format!("{e:#}").is_empty());
        assert!(!data.join("prompts").exists());
        let doc = Store::open(&data).unwrap().export_document(tenant).unwrap();
        assert!(doc.prompts.is_empty());
    }
}
