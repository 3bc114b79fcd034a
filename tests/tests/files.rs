//! File transfer between a representative and the customer's machine: real processes, real
//! WebRTC, real file systems (including a full one).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use tandem_e2e::x::Xvfb;
use tandem_e2e::{Portal, Proc, TempDir, Viewer, agent_with};

const T: Duration = Duration::from_secs(120);
const BIG: u64 = 200 * 1024 * 1024;

struct Files {
    _x: Xvfb,
    dir: TempDir,
    portal: Portal,
    code: String,
    _agent: Proc,
    viewer: Viewer,
    inbox: PathBuf,
    share: PathBuf,
    downloads: PathBuf,
}

fn session(tag: &str, inbox: Option<PathBuf>) -> Files {
    let dir = TempDir::new(tag);
    let x = Xvfb::start(320, 240);
    let portal = Portal::start(&dir, &[]);
    let code = portal.create_code("Alice").code.digits();
    let inbox = inbox.unwrap_or_else(|| dir.path("inbox"));
    let (share, downloads) = (dir.path("share"), dir.path("downloads"));
    for d in [&inbox, &share, &downloads] {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    let mut viewer = portal.headless_viewer_in(&code, &downloads);
    viewer.wait_event("waiting", T);
    let join = portal.join_link_at(portal.addr(), &code);
    // Listing and fetching need the customer's browse consent; allowed in advance here.
    let extra = tandem_e2e::file_sharing_args(&inbox, &share);
    let agent = agent_with(&x.display, &join, "view", &extra);
    viewer.wait_event("connected", T);
    Files {
        _x: x,
        dir,
        portal,
        code,
        _agent: agent,
        viewer,
        inbox,
        share,
        downloads,
    }
}

/// A file of `size` pseudo-random bytes (incompressible, deterministic).
fn make_file(path: &Path, size: u64) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut buf = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        for chunk in buf.chunks_exact_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.copy_from_slice(&state.to_le_bytes());
        }
        let n = left.min(buf.len() as u64) as usize;
        out.write_all(&buf[..n]).expect("write");
        left -= n as u64;
    }
    out.flush().expect("flush");
}

fn same_contents(a: &Path, b: &Path) -> bool {
    let (Ok(fa), Ok(fb)) = (std::fs::File::open(a), std::fs::File::open(b)) else {
        return false;
    };
    let (mut ra, mut rb) = (std::io::BufReader::new(fa), std::io::BufReader::new(fb));
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let na = ra.read(&mut ba).expect("read");
        let nb = rb.read_exact(&mut bb[..na]).map(|_| na);
        if nb.is_err() {
            return false;
        }
        if ba[..na] != bb[..na] {
            return false;
        }
        if na == 0 {
            return rb.read(&mut bb).map(|n| n == 0).unwrap_or(false);
        }
    }
}

fn transfer_event(v: &mut Viewer, kind: &str) -> Value {
    let line = v.proc.wait_line(&format!("transfer {kind}"), T, |l| {
        serde_json::from_str::<Value>(l)
            .is_ok_and(|e| e["event"] == "transfer" && e["kind"] == kind)
    });
    serde_json::from_str(&line).expect("json")
}

fn hidden_leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn a_large_file_travels_both_ways_intact() {
    let mut s = session("both", None);
    let local = s.dir.path("big.bin");
    make_file(&local, BIG);
    s.viewer.send(json!({"cmd": "send_file", "path": local}));
    let done = transfer_event(&mut s.viewer, "completed");
    assert_eq!(done["file"], "big.bin");
    assert!(
        same_contents(&local, &s.inbox.join("big.bin")),
        "the customer's copy differs"
    );
    assert_eq!(
        hidden_leftovers(&s.inbox),
        vec!["big.bin".to_owned()],
        "no partial files left"
    );

    std::fs::rename(s.inbox.join("big.bin"), s.share.join("from-customer.bin")).expect("move");
    s.viewer
        .send(json!({"cmd": "fetch_file", "path": "from-customer.bin"}));
    let done = transfer_event(&mut s.viewer, "completed");
    let fetched = s.downloads.join("from-customer.bin");
    assert_eq!(done["file"], fetched.display().to_string());
    assert!(
        same_contents(&local, &fetched),
        "the representative's copy differs"
    );
}

#[test]
fn a_transfer_cut_by_a_killed_viewer_resumes_where_it_stopped() {
    let mut s = session("resume", None);
    let local = s.dir.path("resume.bin");
    make_file(&local, BIG);
    s.viewer.send(json!({"cmd": "send_file", "path": local}));
    let cut_at = loop {
        let p = transfer_event(&mut s.viewer, "progress");
        let done = p["done"].as_u64().unwrap_or(0);
        if done > BIG / 4 {
            break done;
        }
    };
    drop(s.viewer); // killed, as a crash would
    let partial = s.inbox.join(".resume.bin.tandem-partial");
    tandem_e2e::wait_for("the agent to keep its partial file", T, || {
        std::fs::metadata(&partial)
            .ok()
            .filter(|m| m.len() > 0)
            .map(|_| ())
    });
    assert!(
        !s.inbox.join("resume.bin").exists(),
        "nothing under the final name before it is complete"
    );

    let mut again = s.portal.headless_viewer_in(&s.code, &s.downloads);
    again.wait_event("connected", T);
    again.send(json!({"cmd": "send_file", "path": local}));
    let first = transfer_event(&mut again, "progress");
    let resumed_from = first["done"].as_u64().unwrap_or(0);
    assert!(
        resumed_from >= cut_at / 2,
        "resumed at {resumed_from}, cut at {cut_at}: it started over"
    );
    transfer_event(&mut again, "completed");
    assert!(same_contents(&local, &s.inbox.join("resume.bin")));
    assert!(!partial.exists());
}

#[test]
fn traversal_paths_are_refused_and_nothing_leaves_the_shared_folder() {
    let mut s = session("traversal", None);
    std::fs::write(s.dir.path("secret.txt"), b"outside the shared folder").expect("write");
    for path in ["../secret.txt", "/etc/passwd", "a/../../secret.txt"] {
        s.viewer.send(json!({"cmd": "fetch_file", "path": path}));
        let failed = transfer_event(&mut s.viewer, "failed");
        let reason = failed["reason"].as_str().unwrap_or("");
        assert!(reason.contains("refused"), "{path}: {failed}");
    }
    std::os::unix::fs::symlink(s.dir.path("secret.txt"), s.share.join("link.txt"))
        .expect("symlink");
    s.viewer
        .send(json!({"cmd": "fetch_file", "path": "link.txt"}));
    let failed = transfer_event(&mut s.viewer, "failed");
    assert!(
        failed["reason"]
            .as_str()
            .is_some_and(|r| r.contains("symbolic")),
        "{failed}"
    );
    assert!(
        hidden_leftovers(&s.downloads).is_empty(),
        "nothing was written"
    );
}

#[test]
fn a_full_disk_is_reported_and_leaves_nothing_behind() {
    let dir = TempDir::new("fullmount");
    let small = dir.path("small");
    std::fs::create_dir_all(&small).expect("mkdir");
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
        .arg(&small)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: mounting a small tmpfs needs root");
        return;
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(small.clone());
    let mut s = session("full", Some(small.clone()));
    let local = s.dir.path("too-big.bin");
    make_file(&local, 16 * 1024 * 1024);
    s.viewer.send(json!({"cmd": "send_file", "path": local}));
    let failed = transfer_event(&mut s.viewer, "failed");
    assert!(
        failed["reason"]
            .as_str()
            .is_some_and(|r| r.contains("disk is full")),
        "{failed}"
    );
    assert!(
        hidden_leftovers(&small).is_empty(),
        "left behind: {:?}",
        hidden_leftovers(&small)
    );
}
