//! The prompts folder under the data directory: atomic stores and safe resolution of the
//! relative paths the configuration holds.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use media::wav::{encode_pcm16, WavFormat};

use crate::{ImportError, INTERNAL_RATE};

/// Which of the two folders a file belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderKind {
    Prompts,
    MusicOnHold,
}

impl FolderKind {
    /// Folder name under the data directory.
    pub fn dir_name(self) -> &'static str {
        match self {
            FolderKind::Prompts => "prompts",
            FolderKind::MusicOnHold => "moh",
        }
    }
}

/// Longest id accepted (also the longest slug made).
const MAX_ID: usize = 64;

/// Distinguishes temporary files of concurrent stores within one process.
static TMP_SEQ: AtomicU64 = AtomicU64::new(0);

/// True for ids [`PromptFolder::store`] accepts: 1 to 64 ASCII letters, digits, '-', '_'.
pub fn valid_id(id: &str) -> bool {
    (1..=MAX_ID).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A safe id from a user's name: lowercase ASCII letters and digits, accents dropped to
/// their base letter, everything else one '-', the extension removed, at most 64 chars.
/// "Bienvenida Ventas.mp3" -> "bienvenida-ventas". Empty input gives "prompt".
pub fn slug(name: &str) -> String {
    let base = Path::new(name)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(name);
    let mut out = String::new();
    let mut dash = false;
    for c in base.chars() {
        let c = match c.to_lowercase().next().unwrap_or(c) {
            'á' | 'à' | 'â' | 'ä' | 'ã' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            other => other,
        };
        if c.is_ascii_alphanumeric() || c == '_' {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c);
            if out.len() >= MAX_ID {
                break;
            }
        } else {
            dash = true;
        }
    }
    out.truncate(MAX_ID);
    if out.is_empty() {
        "prompt".to_string()
    } else {
        out
    }
}

/// The folders of prompt and music-on-hold files, rooted at the data directory.
#[derive(Debug, Clone)]
pub struct PromptFolder {
    root: PathBuf,
}

fn io(op: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ImportError {
    let path = path.to_path_buf();
    move |source| ImportError::Io { op, path, source }
}

impl PromptFolder {
    pub fn new(data_dir: &Path) -> Self {
        PromptFolder {
            root: data_dir.to_path_buf(),
        }
    }

    /// Writes `<data>/<prompts|moh>/<tenant>/<id>.wav` (16 kHz mono PCM16) atomically:
    /// temporary file, fsync, rename, fsync of the folder. Returns the path relative to
    /// the data directory, as the tenant document stores it.
    pub fn store(
        &self,
        kind: FolderKind,
        tenant_id: u32,
        id: &str,
        pcm16k: &[i16],
    ) -> Result<String, ImportError> {
        if !valid_id(id) {
            return Err(ImportError::BadId { id: id.to_string() });
        }
        let relative = format!("{}/{}/{}.wav", kind.dir_name(), tenant_id, id);
        let dir = self.root.join(kind.dir_name()).join(tenant_id.to_string());
        fs::create_dir_all(&dir).map_err(io("creating", &dir))?;
        // A symlinked prompts or tenant folder must not redirect the write elsewhere.
        self.inside(&dir, &relative)?;
        let final_path = dir.join(format!("{id}.wav"));
        let tmp = dir.join(format!(
            ".{id}.{}.{}.tmp",
            std::process::id(),
            TMP_SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let bytes = encode_pcm16(WavFormat::mono(INTERNAL_RATE), pcm16k);
        let written = (|| {
            let mut f = File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(io("writing", &tmp)(e));
        }
        if let Err(e) = fs::rename(&tmp, &final_path) {
            let _ = fs::remove_file(&tmp);
            return Err(io("renaming", &final_path)(e));
        }
        // The rename itself survives a power cut only once the folder is synced.
        File::open(&dir)
            .and_then(|d| d.sync_all())
            .map_err(io("syncing", &dir))?;
        Ok(relative)
    }

    /// Resolves a relative path from the configuration to an existing file inside the
    /// data directory. Refused: absolute paths, `..`, `.`, empty parts, NUL and other
    /// control characters, backslashes, and symlinks that lead outside.
    pub fn resolve(&self, relative: &str) -> Result<PathBuf, ImportError> {
        let outside = || ImportError::OutsideData {
            path: relative.to_string(),
        };
        let lexically_ok = !relative.is_empty()
            && !relative.contains('\\')
            && !relative.chars().any(char::is_control)
            && relative
                .split('/')
                .all(|p| !p.is_empty() && p != "." && p != "..")
            && Path::new(relative)
                .components()
                .all(|c| matches!(c, Component::Normal(_)));
        if !lexically_ok {
            return Err(outside());
        }
        let path = self.root.join(relative);
        self.inside(&path, relative)
    }

    /// Canonical form of `path`, refused unless it lies under the canonical data dir.
    fn inside(&self, path: &Path, relative: &str) -> Result<PathBuf, ImportError> {
        let root = self
            .root
            .canonicalize()
            .map_err(io("opening", &self.root))?;
        let real = path.canonicalize().map_err(io("opening", path))?;
        if real.starts_with(&root) {
            Ok(real)
        } else {
            Err(ImportError::OutsideData {
                path: relative.to_string(),
            })
        }
    }
}

#[cfg(test)]
mod tests;
