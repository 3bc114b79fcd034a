//! Samples of what the management and report pages receive (see `web_samples.rs`).

use tandem_protocol::reports::{RecordingSummary, ReportEvent, ReportView, SessionReport};

pub(super) fn management_sample() -> tandem_protocol::management::ManagementView {
    use tandem_protocol::management::{
        AddedRep, ManagementView, MemberView, PortalPolicyView, TeamView,
    };
    let all: Vec<String> = [
        "screen",
        "control",
        "files",
        "reboot",
        "chat",
        "invite_reps",
        "invite_specialists",
        "specialist_control",
    ]
    .map(String::from)
    .to_vec();
    ManagementView {
        functions: all.clone(),
        teams: vec![
            TeamView {
                id: 1,
                name: "Support".into(),
                parent: None,
                withheld: vec!["reboot".into()],
            },
            TeamView {
                id: 2,
                name: "Tier 1".into(),
                parent: Some(1),
                withheld: Vec::new(),
            },
        ],
        members: vec![MemberView {
            user: "bob".into(),
            name: "Bob Smith".into(),
            admin: false,
            team: Some(2),
            withheld: vec!["files".into()],
            in_force: all
                .iter()
                .filter(|f| *f != "files" && *f != "reboot")
                .cloned()
                .collect(),
            manages: vec![2],
            powers: vec!["change_functions".into(), "view_reports".into()],
        }],
        portals: vec![PortalPolicyView {
            portal: "default".into(),
            withheld: Vec::new(),
        }],
        you: "admin".into(),
        powers: vec![
            "add_reps".into(),
            "change_functions".into(),
            "view_reports".into(),
            "own_reports".into(),
        ],
        added: Some(AddedRep {
            user: "carol".into(),
            password: "correct-horse-battery".into(),
        }),
    }
}

pub(super) fn report_sample() -> ReportView {
    let sessions = vec![SessionReport {
        id: 12,
        rep: "bob".into(),
        rep_name: "Bob Smith".into(),
        customer: "Carol Customer".into(),
        portal: "default".into(),
        started_at: 1_796_000_000,
        ended_at: Some(1_796_000_600),
        end_reason: Some("the representative ended the session".into()),
        outcome: Some("resolved".into()),
        notes: None,
        events: vec![ReportEvent {
            at: 1_796_000_010,
            actor: "customer app".into(),
            action: "file.transfer".into(),
            detail: "'a.txt' (3 bytes, sha256 ab) from Bob Smith to the customer".into(),
        }],
        recording: Some(RecordingSummary {
            bytes: 1_400_000,
            duration_ms: 190_000,
        }),
    }];
    ReportView {
        sessions,
        truncated: false,
        csv: "session,representative\r\n12,bob\r\n".into(),
    }
}
