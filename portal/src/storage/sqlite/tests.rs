use super::*;
use crate::storage::KeyState;

const T0: UnixTime = 1_700_000_000;

fn code(s: &str) -> SessionCode {
    s.parse().expect("test codes are valid")
}

fn db_with_rep() -> (SqliteBackend, i64) {
    let mut db = SqliteBackend::open_in_memory().expect("opens");
    let rep = db
        .add_representative("bob", "Bob", "$hash", false, T0)
        .expect("adds");
    (db, rep.id)
}

fn issue(db: &mut SqliteBackend, rep: i64, c: &str, now: UnixTime) -> IssueOutcome {
    let new = NewCode {
        rep_id: rep,
        code: code(c),
        customer: "Alice",
        portal: "default",
        expires_at: now + 600,
        max_active: 8,
    };
    db.issue_code(&new, now).expect("db works")
}

#[test]
fn user_names_are_unique() {
    let (mut db, _) = db_with_rep();
    assert!(matches!(
        db.add_representative("bob", "Other Bob", "$h", false, T0),
        Err(StorageError::UserExists(_))
    ));
    assert_eq!(db.representative_count().expect("counts"), 1);
    let (rep, hash) = db.representative("bob").expect("db works").expect("exists");
    assert_eq!((rep.name.as_str(), hash.as_str()), ("Bob", "$hash"));
    assert!(db.representative("nobody").expect("db works").is_none());
}

#[test]
fn active_code_limit_counts_only_active_codes() {
    let (mut db, rep) = db_with_rep();
    for i in 0..8 {
        assert!(matches!(
            issue(&mut db, rep, &format!("10000000{i}"), T0),
            IssueOutcome::Issued(_)
        ));
    }
    assert_eq!(issue(&mut db, rep, "200000000", T0), IssueOutcome::TooMany);
    // Cancelling, redeeming or expiry frees a slot.
    assert!(
        db.cancel_code(rep, code("100000000"), T0)
            .expect("db works")
            .is_ok()
    );
    assert!(matches!(
        issue(&mut db, rep, "200000000", T0),
        IssueOutcome::Issued(_)
    ));
    assert!(
        db.redeem_code(code("100000001"), "alice@pc", T0)
            .expect("db works")
            .is_ok()
    );
    assert!(matches!(
        issue(&mut db, rep, "200000001", T0),
        IssueOutcome::Issued(_)
    ));
    assert_eq!(issue(&mut db, rep, "200000002", T0), IssueOutcome::TooMany);
    assert!(matches!(
        issue(&mut db, rep, "200000002", T0 + 600),
        IssueOutcome::Issued(_)
    ));
}

#[test]
fn active_digits_are_not_issued_twice() {
    let (mut db, rep) = db_with_rep();
    assert!(matches!(
        issue(&mut db, rep, "123456789", T0),
        IssueOutcome::Issued(_)
    ));
    assert_eq!(
        issue(&mut db, rep, "123456789", T0 + 1),
        IssueOutcome::Collision
    );
    // Once the first has expired the digits may come round again; the new one wins lookups.
    let IssueOutcome::Issued(again) = issue(&mut db, rep, "123456789", T0 + 600) else {
        panic!("expired digits should be reusable");
    };
    let found = db
        .find_code(code("123456789"), T0 + 601)
        .expect("db works")
        .expect("found");
    assert_eq!(found.id, again.id);
}

#[test]
fn codes_are_redeemed_exactly_once() {
    let (mut db, rep) = db_with_rep();
    let IssueOutcome::Issued(c) = issue(&mut db, rep, "000000042", T0) else {
        panic!("issued")
    };
    let r = db
        .redeem_code(c.code, "alice@pc", T0 + 5)
        .expect("db works")
        .expect("redeems");
    assert_eq!(r.code.state, StoredState::Redeemed);
    assert_eq!(r.code.rep_name, "Bob");
    assert_eq!(
        db.redeem_code(c.code, "mallory", T0 + 6).expect("db works"),
        Err(CodeRefusal::Redeemed)
    );
    let s = db
        .session(r.session_id)
        .expect("db works")
        .expect("session row");
    assert_eq!(
        (s.customer.as_str(), s.code_id, s.ended_at),
        ("alice@pc", c.id, None)
    );
    assert_eq!(db.session_for_code(c.id).expect("db works"), Some(s));
    assert!(db.active_codes(rep, T0 + 6).expect("db works").is_empty());
}

#[test]
fn refusals_for_unknown_expired_and_cancelled() {
    let (mut db, rep) = db_with_rep();
    assert_eq!(
        db.redeem_code(code("999999999"), "a", T0).expect("ok"),
        Err(CodeRefusal::Unknown)
    );
    issue(&mut db, rep, "111111111", T0);
    assert_eq!(
        db.redeem_code(code("111111111"), "a", T0 + 600)
            .expect("ok"),
        Err(CodeRefusal::Expired)
    );
    issue(&mut db, rep, "222222222", T0);
    assert!(
        db.cancel_code(rep, code("222222222"), T0)
            .expect("ok")
            .is_ok()
    );
    assert_eq!(
        db.cancel_code(rep, code("222222222"), T0).expect("ok"),
        Err(CodeRefusal::Cancelled)
    );
    assert_eq!(
        db.redeem_code(code("222222222"), "a", T0).expect("ok"),
        Err(CodeRefusal::Cancelled)
    );
}

#[test]
fn only_the_owner_cancels() {
    let (mut db, rep) = db_with_rep();
    let eve = db
        .add_representative("eve", "Eve", "$h", false, T0)
        .expect("adds")
        .id;
    issue(&mut db, rep, "333333333", T0);
    assert_eq!(
        db.cancel_code(eve, code("333333333"), T0).expect("ok"),
        Err(CodeRefusal::Unknown)
    );
    assert!(
        db.cancel_code(rep, code("333333333"), T0)
            .expect("ok")
            .is_ok()
    );
}

#[test]
fn listing_is_newest_first_and_sessions_end_once() {
    let (mut db, rep) = db_with_rep();
    issue(&mut db, rep, "444444441", T0);
    issue(&mut db, rep, "444444442", T0 + 1);
    let list = db.active_codes(rep, T0 + 2).expect("ok");
    let digits: Vec<String> = list.iter().map(|c| c.code.digits()).collect();
    assert_eq!(digits, ["444444442", "444444441"]);

    let r = db
        .redeem_code(code("444444441"), "alice", T0 + 3)
        .expect("ok")
        .expect("redeems");
    db.record_consent(r.session_id, AttendeeId::HOST, Rights::VIEW, T0 + 4)
        .expect("records");
    assert!(db.end_session(r.session_id, "done", T0 + 5).expect("ok"));
    assert!(!db.end_session(r.session_id, "again", T0 + 6).expect("ok"));
    let s = db.session(r.session_id).expect("ok").expect("row");
    assert_eq!(
        (s.ended_at, s.end_reason.as_deref()),
        (Some(T0 + 5), Some("done"))
    );
}

#[test]
fn open_sessions_are_closed_after_restart() {
    let (mut db, rep) = db_with_rep();
    issue(&mut db, rep, "555555555", T0);
    let r = db
        .redeem_code(code("555555555"), "alice", T0)
        .expect("ok")
        .expect("redeems");
    assert_eq!(
        db.end_open_sessions("the portal restarted", T0 + 9)
            .expect("ok"),
        1
    );
    let s = db.session(r.session_id).expect("ok").expect("row");
    assert_eq!(s.end_reason.as_deref(), Some("the portal restarted"));
}

fn running_session(db: &mut SqliteBackend, rep: i64, c: &str) -> u64 {
    issue(db, rep, c, T0);
    db.redeem_code(code(c), "alice@pc", T0)
        .expect("db works")
        .expect("redeems")
        .session_id
}

fn issue_key(db: &mut SqliteBackend, session: u64, k: &str, now: UnixTime) -> KeyIssue {
    db.issue_specialist_key(session, code(k), Rights::VIEW, now)
        .expect("db works")
}

#[test]
fn specialist_keys_belong_to_a_session_and_share_digits_with_codes() {
    let (mut db, rep) = db_with_rep();
    let session = running_session(&mut db, rep, "600000000");
    let KeyIssue::Issued(key) = issue_key(&mut db, session, "700000000", T0 + 1) else {
        panic!("issued")
    };
    assert_eq!(
        (key.session_id, key.rights, key.state, key.session_ended),
        (session, Rights::VIEW, KeyState::Active, false)
    );
    assert_eq!(
        (key.host_name.as_str(), key.customer.as_str()),
        ("Bob", "alice@pc")
    );
    // Live keys and active codes never share digits, in either direction.
    assert_eq!(
        issue_key(&mut db, session, "700000000", T0 + 2),
        KeyIssue::Collision
    );
    assert_eq!(
        issue(&mut db, rep, "700000000", T0 + 2),
        IssueOutcome::Collision
    );
    issue(&mut db, rep, "800000000", T0 + 2);
    assert_eq!(
        issue_key(&mut db, session, "800000000", T0 + 3),
        KeyIssue::Collision
    );
    let found = db
        .find_specialist_key(code("700000000"))
        .expect("db works")
        .expect("found");
    assert_eq!(found, key);
    assert!(
        db.find_specialist_key(code("700000001"))
            .expect("ok")
            .is_none()
    );
}

#[test]
fn cancelled_and_ended_keys_stop_admitting_and_stay_on_record() {
    let (mut db, rep) = db_with_rep();
    let session = running_session(&mut db, rep, "610000000");
    let other = running_session(&mut db, rep, "620000000");
    issue_key(&mut db, session, "710000000", T0);
    issue_key(&mut db, session, "720000000", T0);
    // Only the session's own keys can be cancelled through it.
    assert!(
        db.cancel_specialist_key(other, code("710000000"), T0)
            .expect("ok")
            .is_none()
    );
    let cancelled = db
        .cancel_specialist_key(session, code("710000000"), T0 + 5)
        .expect("ok")
        .expect("found");
    assert_eq!(
        (cancelled.state, cancelled.cancelled_at),
        (KeyState::Cancelled, Some(T0 + 5))
    );
    assert!(!cancelled.is_live());
    // Cancelling again keeps the first cancellation time.
    let again = db
        .cancel_specialist_key(session, code("710000000"), T0 + 9)
        .expect("ok")
        .expect("found");
    assert_eq!(again.cancelled_at, Some(T0 + 5));
    assert!(db.end_session(session, "done", T0 + 10).expect("ok"));
    let ended = db
        .find_specialist_key(code("720000000"))
        .expect("ok")
        .expect("found");
    assert!(ended.session_ended && !ended.is_live());
    // Digits of dead keys may be drawn again.
    assert!(matches!(
        issue_key(&mut db, other, "720000000", T0 + 11),
        KeyIssue::Issued(_)
    ));
    let live = db
        .find_specialist_key(code("720000000"))
        .expect("ok")
        .expect("found");
    assert_eq!(live.session_id, other);
    let record: Vec<String> = db
        .specialist_keys(session)
        .expect("ok")
        .iter()
        .map(|k| format!("{}:{}", k.key, k.state.as_str()))
        .collect();
    assert_eq!(record, ["710000000:cancelled", "720000000:active"]);
}

fn live_state(session: u64, code_id: i64, away: bool) -> crate::storage::LiveState {
    let host = crate::hub::host_info("Bob");
    crate::storage::LiveState {
        session_id: session,
        code_id,
        owner: crate::hub::Owner::default(),
        customer: "alice@laptop".into(),
        host: host.clone(),
        resume_digest: vec![7; 32],
        grants: 3,
        next_attendee: 5,
        away,
        attendees: vec![
            host,
            tandem_protocol::signal::AttendeeInfo {
                id: AttendeeId::from_wire(4),
                name: "Sam".into(),
                role: tandem_protocol::Role::Specialist,
                rights: Rights::VIEW,
                masked: false,
            },
        ],
        seats: vec![crate::storage::Seat {
            rep_id: 1,
            info: tandem_protocol::signal::AttendeeInfo {
                id: AttendeeId::from_wire(3),
                name: "Carol".into(),
                role: tandem_protocol::Role::Representative,
                rights: Rights::VIEW.union(Rights::CONTROL),
                masked: true,
            },
        }],
        specialist_seats: vec![crate::storage::SpecialistSeat {
            key: code("730000000"),
            token_digest: vec![9; 32],
            info: tandem_protocol::signal::AttendeeInfo {
                id: AttendeeId::from_wire(4),
                name: "Sam".into(),
                role: tandem_protocol::Role::Specialist,
                rights: Rights::VIEW,
                masked: false,
            },
        }],
    }
}

fn open_session(db: &mut SqliteBackend, rep: i64, c: &str) -> (u64, i64) {
    assert!(matches!(issue(db, rep, c, T0), IssueOutcome::Issued(_)));
    let r = db
        .redeem_code(code(c), "alice@laptop", T0)
        .expect("db works")
        .expect("redeems");
    (r.session_id, r.code.id)
}

#[test]
fn running_sessions_come_back_within_their_window_and_end_after_it() {
    let (mut db, rep) = db_with_rep();
    // Live at a crash (heartbeat at T0 + 50), suspended at a shutdown, never stored.
    let (crashed, crashed_code) = open_session(&mut db, rep, "100000001");
    let (stopped, stopped_code) = open_session(&mut db, rep, "100000002");
    let (unstored, _) = open_session(&mut db, rep, "100000003");
    let (away_long, away_code) = open_session(&mut db, rep, "100000004");
    db.save_live(&live_state(crashed, crashed_code, false), T0)
        .expect("saves");
    db.save_live(&live_state(stopped, stopped_code, false), T0)
        .expect("saves");
    // Its agent left at T0 and stays away across later writes.
    db.save_live(&live_state(away_long, away_code, true), T0)
        .expect("saves");
    db.save_live(&live_state(away_long, away_code, true), T0 + 50)
        .expect("saves");
    db.touch_live(T0 + 50).expect("touches");
    assert_eq!(db.suspend_live(T0 + 55).expect("suspends"), 3);
    // The crashed one was not suspended by a shutdown: make it look like a crash.
    db.conn
        .execute(
            "UPDATE live_sessions SET suspended_at = NULL WHERE session_id = ?1",
            [i64::try_from(crashed).expect("fits")],
        )
        .expect("updates");

    let (back, ended) = db
        .restore_open_sessions("the portal restarted", T0 + 60, 30)
        .expect("restores");
    let ids: Vec<u64> = back.iter().map(|r| r.state.session_id).collect();
    assert_eq!(ids, [crashed, stopped]);
    assert_eq!(ended, 2);
    let first = &back[0];
    assert_eq!(first.last_live, T0 + 50);
    assert_eq!(back[1].last_live, T0 + 55);
    assert!(first.state.away);
    assert_eq!((first.state.grants, first.state.next_attendee), (3, 5));
    assert_eq!(first.state.resume_digest, vec![7; 32]);
    assert_eq!(
        first.state.owner.rep, rep,
        "the owner comes from the sessions table"
    );
    assert_eq!(
        first.state.attendees,
        live_state(crashed, crashed_code, false).attendees
    );
    assert_eq!(
        first.state.seats,
        live_state(crashed, crashed_code, false).seats,
        "invited representatives' seats come back"
    );
    assert_eq!(
        first.state.specialist_seats,
        live_state(crashed, crashed_code, false).specialist_seats,
        "specialists' seats come back, with the rights they had"
    );
    for gone in [unstored, away_long] {
        let s = db.session(gone).expect("db works").expect("exists");
        assert_eq!(s.end_reason.as_deref(), Some("the portal restarted"));
    }
    // A second start-up within the window finds them again, with the same last live time.
    let (again, _) = db
        .restore_open_sessions("the portal restarted", T0 + 70, 30)
        .expect("restores");
    assert_eq!(again[0].last_live, T0 + 50);
    // An ended session is forgotten and no longer stored.
    assert!(db.end_session(crashed, "done", T0 + 71).expect("ends"));
    db.save_live(&live_state(crashed, crashed_code, false), T0 + 72)
        .expect("saves nothing");
    let (left, _) = db
        .restore_open_sessions("the portal restarted", T0 + 73, 30)
        .expect("restores");
    assert_eq!(
        left.iter().map(|r| r.state.session_id).collect::<Vec<_>>(),
        [stopped]
    );
}
