use super::*;

#[test]
fn slugs() {
    assert_eq!(slug("Bienvenida Ventas.mp3"), "bienvenida-ventas");
    assert_eq!(slug("  Menú Principal (v2).WAV"), "menu-principal-v2");
    assert_eq!(slug("Año_nuevo"), "ano_nuevo");
    assert_eq!(slug("../../etc/passwd"), "passwd");
    assert_eq!(slug("!!!"), "prompt");
    assert_eq!(slug(""), "prompt");
    assert_eq!(slug(&"x".repeat(200)).len(), 64);
    for name in ["a\0b", "/abs/x.mp3", "日本語.ogg", "C:\\x\\y.wav"] {
        assert!(valid_id(&slug(name)), "{name}");
    }
}

#[test]
fn store_writes_an_atomic_16k_wav() {
    let dir = tempfile::tempdir().unwrap();
    let folder = PromptFolder::new(dir.path());
    let pcm: Vec<i16> = (0..1600).map(|i| (i % 100) as i16).collect();
    let rel = folder
        .store(FolderKind::Prompts, 7, "bienvenida", &pcm)
        .unwrap();
    assert_eq!(rel, "prompts/7/bienvenida.wav");
    let path = folder.resolve(&rel).unwrap();
    let audio = media::wav::decode(&fs::read(&path).unwrap()).unwrap();
    assert_eq!(audio.format, WavFormat::mono(16_000));
    assert_eq!(audio.samples, pcm);
    // Replacing keeps one file and no temporaries.
    let rel2 = folder
        .store(FolderKind::Prompts, 7, "bienvenida", &pcm[..10])
        .unwrap();
    assert_eq!(rel2, rel);
    let names: Vec<_> = fs::read_dir(dir.path().join("prompts/7"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec!["bienvenida.wav"]);
    let moh = folder
        .store(FolderKind::MusicOnHold, 7, "jazz", &pcm)
        .unwrap();
    assert_eq!(moh, "moh/7/jazz.wav");
}

#[test]
fn unsafe_ids_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let folder = PromptFolder::new(dir.path());
    for id in [
        "",
        "../x",
        "a/b",
        "/abs",
        "a\0b",
        "con espacio",
        ".hidden",
        &"x".repeat(65),
    ] {
        assert!(
            matches!(
                folder.store(FolderKind::Prompts, 1, id, &[0]),
                Err(ImportError::BadId { .. })
            ),
            "{id:?}"
        );
    }
    assert!(!dir.path().join("x.wav").exists());
}

#[test]
fn resolve_refuses_escapes() {
    let outer = tempfile::tempdir().unwrap();
    let data = outer.path().join("data");
    fs::create_dir_all(data.join("prompts/1")).unwrap();
    fs::write(outer.path().join("secret.wav"), b"x").unwrap();
    fs::write(data.join("prompts/1/ok.wav"), b"x").unwrap();
    let folder = PromptFolder::new(&data);
    assert!(folder.resolve("prompts/1/ok.wav").is_ok());
    for bad in [
        "../secret.wav",
        "prompts/../../secret.wav",
        "/etc/passwd",
        "prompts/1/./ok.wav",
        "prompts//1/ok.wav",
        "prompts/1/ok.wav\0",
        "prompts\\1\\ok.wav",
        "",
    ] {
        assert!(
            matches!(folder.resolve(bad), Err(ImportError::OutsideData { .. })),
            "{bad:?}"
        );
    }
    // A symlink inside the data dir that points outside it.
    std::os::unix::fs::symlink(
        outer.path().join("secret.wav"),
        data.join("prompts/1/link.wav"),
    )
    .unwrap();
    assert!(matches!(
        folder.resolve("prompts/1/link.wav"),
        Err(ImportError::OutsideData { .. })
    ));
    // A symlinked tenant folder cannot redirect a store either.
    fs::create_dir_all(outer.path().join("elsewhere")).unwrap();
    std::os::unix::fs::symlink(outer.path().join("elsewhere"), data.join("prompts/2")).unwrap();
    assert!(matches!(
        folder.store(FolderKind::Prompts, 2, "x", &[0]),
        Err(ImportError::OutsideData { .. })
    ));
    assert!(!outer.path().join("elsewhere/x.wav").exists());
    // Missing files are an I/O error, not a path error.
    assert!(matches!(
        folder.resolve("prompts/1/none.wav"),
        Err(ImportError::Io { .. })
    ));
}
