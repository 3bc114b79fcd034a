use super::*;

fn temp(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tandem-files-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn symlinks_and_special_files_are_not_served() {
    let root = temp("resolve");
    std::fs::create_dir(root.join("docs")).expect("mkdir");
    std::fs::write(root.join("docs/a.txt"), b"a").expect("write");
    std::os::unix::fs::symlink("/etc/passwd", root.join("docs/passwd")).expect("symlink");
    let ok = RelativePath::parse("docs/a.txt").expect("path");
    assert_eq!(resolve_no_symlinks(&root, &ok), Ok(root.join("docs/a.txt")));
    let link = RelativePath::parse("docs/passwd").expect("path");
    assert!(resolve_no_symlinks(&root, &link).is_err_and(|e| e.contains("symbolic")));
    let listing = list_dir(&root.join("docs")).expect("list");
    assert_eq!(
        listing.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
        vec!["a.txt"]
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn the_final_name_never_replaces_a_file() {
    let dir = temp("place");
    let partial = dir.join(".r.txt.tandem-partial");
    std::fs::write(&partial, b"new").expect("write");
    std::fs::write(dir.join("r.txt"), b"old").expect("write");
    let name = FileName::parse("r.txt").expect("name");
    let placed = jobs::place_for_tests(&partial, &dir, &name).expect("placed");
    assert_eq!(placed, dir.join("r (2).txt"));
    assert_eq!(std::fs::read(dir.join("r.txt")).expect("read"), b"old");
    assert_eq!(std::fs::read(&placed).expect("read"), b"new");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn disk_full_is_said_in_words() {
    assert_eq!(
        describe_io(&std::io::Error::from_raw_os_error(28)),
        "the disk is full"
    );
}
