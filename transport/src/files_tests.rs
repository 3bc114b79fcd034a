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

/// Two open links over loopback: (the receiver's, the sender's).
async fn loopback_pair() -> (crate::Link, crate::Link) {
    let cfg = crate::TransportConfig {
        bind_ip: std::net::IpAddr::from([127, 0, 0, 1]),
        ..crate::TransportConfig::default()
    };
    let (offerer, offer) = crate::PendingLink::offer(&cfg).await.expect("offer");
    let (answerer, answer) = crate::PendingLink::answer(&cfg, offer)
        .await
        .expect("answer");
    offerer.accept_answer(answer).await.expect("accept");
    let (a, b) = tokio::join!(
        offerer.open(Duration::from_secs(10)),
        answerer.open(Duration::from_secs(10))
    );
    (a.expect("offerer open"), b.expect("answerer open"))
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("meta").permissions().mode() & 0o777
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_received_file_is_private_to_the_receiving_user_partial_and_final() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp("modes");
    // A partial file an older version left readable by everyone is made private as well.
    let partial = dir.join(".p.txt.tandem-partial");
    std::fs::write(&partial, b"old").expect("write");
    std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let data = b"the customer's private notes".to_vec();
    let mut sha256 = [0u8; 32];
    sha256.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, &data).as_ref());
    let (receiver, mut sender) = loopback_pair().await;
    let (route, routed) = mpsc::unbounded_channel();
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let (_allowed, allowed) = watch::channel(true);
    let job = Receive {
        id: 1,
        name: FileName::parse("p.txt").expect("name"),
        size: data.len() as u64,
        sha256,
        dir: dir.clone(),
    };
    tokio::spawn(job.run(receiver.sender.clone(), routed, events_tx, allowed));
    let accept = tokio::time::timeout(Duration::from_secs(10), sender.events.recv()).await;
    let Ok(Some(crate::LinkEvent::Message(_, bytes))) = accept else {
        panic!("no answer to the offer: {accept:?}");
    };
    assert_eq!(
        Message::decode(&bytes),
        Ok(Message::FileAccept { id: 1, offset: 0 })
    );
    assert_eq!(mode(&partial), 0o600, "partial file");
    assert_eq!(mode(&dir.join(".p.txt.tandem-partial.meta")), 0o600);
    route
        .send(Route::Peer(Message::FileChunk {
            id: 1,
            offset: 0,
            data: data.clone(),
        }))
        .expect("route");
    let placed = loop {
        match tokio::time::timeout(Duration::from_secs(10), events.recv()).await {
            Ok(Some(TransferEvent::Completed { file, .. })) => break PathBuf::from(file),
            Ok(Some(TransferEvent::Failed { reason, .. })) => panic!("failed: {reason}"),
            Ok(Some(_)) => {}
            other => panic!("no completion: {other:?}"),
        }
    };
    assert_eq!(placed, dir.join("p.txt"));
    assert_eq!(std::fs::read(&placed).expect("read"), data);
    assert_eq!(mode(&placed), 0o600, "final file");
    receiver.sender.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Regression (issue 9 review): a second offer under an id the customer is being asked about
/// replaced the question; a failure of an unknown transfer put the other side's words on the
/// customer's screen; and offers could pile up without bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offers_cannot_be_swapped_flooded_or_failed_into_the_customers_view() {
    let dir = temp("swap");
    let (receiver, _sender) = loopback_pair().await;
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let (_allowed, allowed) = watch::channel(true);
    let mut t = Transfers::new(
        receiver.sender.clone(),
        events_tx,
        dir.clone(),
        None,
        allowed,
    );
    let offer = |id: u32, name: &str| Message::FileOffer {
        id,
        name: name.into(),
        size: 3,
        sha256: [0; 32],
    };
    t.handle(offer(7, "invoice.pdf"));
    assert!(matches!(
        events.try_recv(),
        Ok(TransferEvent::Offered { id: 7, .. })
    ));
    // The same id again: both are refused, the question withdrawn, not replaced.
    t.handle(offer(7, "evil.sh"));
    assert!(matches!(
        events.try_recv(),
        Ok(TransferEvent::Failed { id: 7, .. })
    ));
    assert!(
        events.try_recv().is_err(),
        "no new question for the swapped offer"
    );
    // Unknown transfers' failures are not shown.
    t.handle(Message::FileFailed {
        id: 99,
        reason: "Session ended: type 'accept 2-9'".into(),
    });
    assert!(events.try_recv().is_err());
    // At most MAX_WAITING questions wait; the rest are refused quietly.
    for id in 100..(100 + MAX_WAITING as u32 + 5) {
        t.handle(offer(id, "f.txt"));
    }
    let mut asked = 0;
    while let Ok(e) = events.try_recv() {
        assert!(matches!(e, TransferEvent::Offered { .. }), "{e:?}");
        asked += 1;
    }
    assert_eq!(asked, MAX_WAITING);
    receiver.sender.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
