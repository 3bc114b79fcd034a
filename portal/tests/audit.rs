//! The audit trail end to end: a portal's security events land in a hash chain in its
//! database, `tandem-portal audit verify` says it is intact, and every edit, removal or
//! insertion made directly in the database is found and named.

mod common;

use std::path::Path;

use common::{Client, Server, TempDir, config};
use rusqlite::{Connection, params};

/// `tandem-portal audit <args>` on `db`: (success, stdout + stderr).
fn audit(db: &Path, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tandem-portal"))
        .arg("--db")
        .arg(db)
        .arg("audit")
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("tandem-portal runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn actions(db: &Path) -> Vec<String> {
    let conn = Connection::open(db).expect("open");
    let mut stmt = conn
        .prepare("SELECT action FROM audit_log ORDER BY id")
        .expect("audit_log");
    stmt.query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

#[tokio::test]
async fn the_chain_verifies_and_names_edited_removed_and_inserted_records() {
    let dir = TempDir::new("audit");
    let server = Server::start(config(&dir)).await;
    let mut wrong = Client::connect(server.addr).await;
    let refused = wrong.login("admin", "not the password").await;
    assert!(matches!(
        refused,
        tandem_protocol::signal::PortalMessage::Error { .. }
    ));
    let mut rep = Client::admin(server.addr).await;
    let info = rep.create_code("Alice").await;
    let mut agent = Client::connect(server.addr).await;
    agent.redeem(info.code, "alice@pc").await;
    server.stop().await;
    let db = dir.db();
    // Written by the time the portal has stopped: shutdown waits for the writer.
    let written = actions(&db);
    for wanted in [
        "account.add",
        "login.failed",
        "login",
        "code.create",
        "session.start",
    ] {
        assert!(
            written.iter().any(|a| a == wanted),
            "{wanted} missing: {written:?}"
        );
    }
    let (ok, said) = audit(&dir.db().with_file_name("no-such.sqlite3"), &["verify"]);
    assert!(!ok && said.contains("no database"), "{said}");
    let (ok, said) = audit(&db, &["verify"]);
    assert!(ok && said.contains("intact"), "{said}");
    let (ok, head) = audit(&db, &["head"]);
    assert!(ok, "{head}");
    let head = head.trim().to_owned();
    assert!(head.contains(":sha256:"), "{head}");
    let (ok, said) = audit(&db, &["verify", "--head", &head]);
    assert!(ok, "{said}");

    let conn = Connection::open(&db).expect("open");
    // Edited: the failed login's name changed.
    conn.execute("UPDATE audit_log SET subject = 'mallory' WHERE seq = 1", [])
        .expect("edit");
    let (ok, said) = audit(&db, &["verify"]);
    assert!(!ok && said.contains("record 1 was changed"), "{said}");
    conn.execute("UPDATE audit_log SET subject = 'admin' WHERE seq = 1", [])
        .expect("undo");
    assert!(audit(&db, &["verify"]).0, "restored");

    // Removed: the login record deleted (kept aside to put it back).
    let kept: (i64, Vec<u8>) = conn
        .query_row("SELECT id, hash FROM audit_log WHERE seq = 2", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("record 2");
    conn.execute(
        "CREATE TABLE aside AS SELECT * FROM audit_log WHERE seq = 2",
        [],
    )
    .expect("aside");
    conn.execute("DELETE FROM audit_log WHERE seq = 2", [])
        .expect("delete");
    let (ok, said) = audit(&db, &["verify"]);
    assert!(
        !ok && said.contains("records 2 to 2 were removed"),
        "{said}"
    );
    conn.execute("INSERT INTO audit_log SELECT * FROM aside", [])
        .expect("put back");
    assert!(audit(&db, &["verify"]).0, "restored");
    assert_eq!(kept.1.len(), 32);

    // Inserted: a copy of record 2 written again at the end.
    conn.execute(
        "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev, hash) \
         SELECT seq, at, actor, action, subject, detail, prev, hash FROM aside",
        [],
    )
    .expect("insert");
    let (ok, said) = audit(&db, &["verify"]);
    assert!(!ok && said.contains("record 2 was inserted"), "{said}");
    conn.execute(
        "DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)",
        params![],
    )
    .expect("undo");

    // Cut off the end: the chain alone verifies, the kept head does not.
    conn.execute(
        "DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)",
        [],
    )
    .expect("truncate");
    assert!(
        audit(&db, &["verify"]).0,
        "a shorter chain is still a chain"
    );
    let (ok, said) = audit(&db, &["verify", "--head", &head]);
    assert!(!ok && said.contains("cut off the end"), "{said}");
}
