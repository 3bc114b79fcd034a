//! What the console's management pages send and get: teams, who is in which, and the
//! functions withheld per representative, per team and per portal. Functions travel by name
//! ("screen", "control", "files", "reboot", "chat", "invite_reps", "invite_specialists",
//! "specialist_control"); the portal refuses names it does not know.

use serde::{Deserialize, Serialize};

/// Where a withholding applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PolicyScope {
    /// One representative, by account name.
    Rep {
        /// Account name.
        user: String,
    },
    /// A team and its subteams.
    Team {
        /// The team's id.
        team: i64,
    },
    /// Every session started on a customer portal.
    Portal {
        /// The portal's name.
        portal: String,
    },
}

/// A management request (administrators only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ManageRequest {
    /// Send the current state.
    Show,
    /// A new team, at the top or under `parent`.
    AddTeam {
        /// Its name (unique).
        name: String,
        /// The team it is a subteam of.
        #[serde(default)]
        parent: Option<i64>,
    },
    /// Moves a team under another (or to the top).
    MoveTeam {
        /// The team.
        team: i64,
        /// Its new parent.
        #[serde(default)]
        parent: Option<i64>,
    },
    /// Puts a representative in a team (or in none).
    SetTeam {
        /// Account name.
        user: String,
        /// The team.
        #[serde(default)]
        team: Option<i64>,
    },
    /// Replaces what `scope` withholds.
    Withhold {
        /// Where.
        scope: PolicyScope,
        /// Function names withheld there; the rest are allowed there.
        withheld: Vec<String>,
    },
    /// Makes a representative a team manager of `manages` (none: not a manager) with
    /// `powers` ("add_reps", "change_functions", "view_reports", "own_reports"; the last
    /// also for representatives who manage nothing). Administrators only.
    SetAccess {
        /// Account name.
        user: String,
        /// Teams they manage (with their subteams).
        #[serde(default)]
        manages: Vec<i64>,
        /// Power names.
        #[serde(default)]
        powers: Vec<String>,
    },
    /// Signs every connection of `user` out at once (administrators; team managers for
    /// their teams' people).
    SignOut {
        /// Account name.
        user: String,
    },
    /// Signs `user` out, turns their second factor off and gives them a new password
    /// (shown once, in `ManagementView::added`).
    ResetSignIn {
        /// Account name.
        user: String,
    },
    /// One's own second factor: starts setting one up (answered with a secret to enter in an
    /// authenticator app; nothing changes until `SecondFactorOn`).
    SecondFactorSetup,
    /// Turns one's own second factor on with the secret just set up, proved by a code.
    SecondFactorOn {
        /// The code the app shows now.
        code: String,
    },
    /// Turns one's own second factor off, proved by a code.
    SecondFactorOff {
        /// The code the app shows now.
        code: String,
    },
    /// A session report (administrators; managers and representatives as their powers
    /// allow): answered with `Report`.
    Report(crate::reports::ReportFilter),
    /// A one-use address of a session's recording (whoever may see the session's report):
    /// answered with `Recording`.
    Recording {
        /// The session.
        session: u64,
    },
    /// A new representative account in `team`; the portal makes its first password and
    /// shows it once (in `ManagementView::added`).
    AddRep {
        /// Account name.
        user: String,
        /// Name shown to customers.
        name: String,
        /// Their team.
        #[serde(default)]
        team: Option<i64>,
    },
}

/// A representative just added, with the only copy of their first password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddedRep {
    /// Account name.
    pub user: String,
    /// The first password: shown once, never stored in the clear.
    pub password: String,
}

/// A team as the management pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamView {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// The team above it.
    pub parent: Option<i64>,
    /// Function names it withholds.
    pub withheld: Vec<String>,
}

/// A representative as the management pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    /// Account name.
    pub user: String,
    /// Display name.
    pub name: String,
    /// An administrator (may use these pages).
    pub admin: bool,
    /// Their team.
    pub team: Option<i64>,
    /// Function names withheld from them alone.
    pub withheld: Vec<String>,
    /// Function names in force for them on the default portal (after team and portal).
    pub in_force: Vec<String>,
    /// Teams they manage (empty: not a manager).
    #[serde(default)]
    pub manages: Vec<i64>,
    /// Their power names.
    #[serde(default)]
    pub powers: Vec<String>,
}

/// A portal's policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalPolicyView {
    /// The portal's name.
    pub portal: String,
    /// Function names withheld from every session started there.
    pub withheld: Vec<String>,
}

/// Everything the management pages show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagementView {
    /// Every function name, in the order to list them.
    pub functions: Vec<String>,
    /// Teams, by id.
    pub teams: Vec<TeamView>,
    /// Representatives, by account name.
    pub members: Vec<MemberView>,
    /// Portals (the default one included), by name; empty for team managers.
    pub portals: Vec<PortalPolicyView>,
    /// "admin" (everything) or "manager" (the teams listed, with `powers`).
    pub you: String,
    /// The asking manager's power names (administrators: all).
    #[serde(default)]
    pub powers: Vec<String>,
    /// The representative the request added, with their first password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added: Option<AddedRep>,
}

/// One's own second factor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondFactorView {
    /// On: signing in asks for a code.
    pub enabled: bool,
    /// A setup in progress: enter this in an authenticator app, then confirm with a code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup: Option<SecondFactorSetup>,
}

/// A secret to enter in an authenticator app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondFactorSetup {
    /// Base32, as apps take it typed in.
    pub secret: String,
    /// The `otpauth://` URI, as apps take it from a link or QR code.
    pub uri: String,
}
