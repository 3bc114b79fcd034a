//! The management pages' changes to teams and policy, checked before they reach the
//! database, and the state they are shown (`tandem_protocol::management`).

use std::collections::{BTreeMap, BTreeSet};

use tandem_protocol::management::{
    ManageRequest, ManagementView, MemberView, PolicyScope, PortalPolicyView, TeamView,
};

use crate::policy::{Functions, Member, PolicyBook, RepId, Team, TeamId};
use crate::tiers::{Actor, Powers};

/// Longest team name, in characters.
pub const MAX_TEAM_NAME_CHARS: usize = 60;

/// Most teams a portal keeps (each page shows them all).
pub const MAX_TEAMS: usize = 500;

/// What a management request comes to: the whole state after it and who asked, or why not.
pub type Managed = Result<(PolicyRows, Actor), Refused>;

/// Why a management request was refused, in words for the person who asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The asker may not do that (`crate::tiers`).
    #[error("{0}")]
    NotAllowed(String),
    /// The change itself cannot be made (a missing team, a loop, a taken name…).
    #[error("{0}")]
    Invalid(String),
}

/// A checked change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyChange {
    /// A new team.
    AddTeam {
        /// Its name, trimmed, 1 to [`MAX_TEAM_NAME_CHARS`] characters.
        name: String,
        /// Its parent.
        parent: Option<TeamId>,
    },
    /// A team moves.
    MoveTeam {
        /// The team.
        team: TeamId,
        /// Its new parent.
        parent: Option<TeamId>,
    },
    /// A representative changes team.
    SetTeam {
        /// Account name.
        user: String,
        /// The team.
        team: Option<TeamId>,
    },
    /// What a scope withholds.
    Withhold {
        /// Where.
        scope: PolicyScope,
        /// What.
        withheld: Functions,
    },
    /// Who manages which teams, with which powers.
    SetAccess {
        /// Account name.
        user: String,
        /// Teams managed.
        manages: Vec<TeamId>,
        /// Powers.
        powers: Powers,
    },
    /// A new account (the caller made its password and keeps it to show once).
    AddRep {
        /// Account name.
        user: String,
        /// Display name.
        name: String,
        /// Team.
        team: Option<TeamId>,
        /// Argon2id hash of the first password.
        password_hash: String,
    },
}

impl PolicyChange {
    /// Parses a request; `Ok(None)` for `Show`.
    pub fn parse(request: ManageRequest) -> Result<Option<PolicyChange>, String> {
        Ok(Some(match request {
            ManageRequest::Show => return Ok(None),
            ManageRequest::AddTeam { name, parent } => {
                let name = name.trim().to_owned();
                let chars = name.chars().count();
                if chars == 0 || chars > MAX_TEAM_NAME_CHARS || name.chars().any(char::is_control) {
                    return Err(format!(
                        "a team name has 1 to {MAX_TEAM_NAME_CHARS} characters and no control characters"
                    ));
                }
                PolicyChange::AddTeam { name, parent }
            }
            ManageRequest::MoveTeam { team, parent } => PolicyChange::MoveTeam { team, parent },
            ManageRequest::SetTeam { user, team } => PolicyChange::SetTeam { user, team },
            ManageRequest::Withhold { scope, withheld } => PolicyChange::Withhold {
                scope,
                withheld: Functions::from_names(&withheld)?,
            },
            ManageRequest::SetAccess {
                user,
                mut manages,
                powers,
            } => {
                manages.sort_unstable();
                manages.dedup();
                PolicyChange::SetAccess {
                    user,
                    manages,
                    powers: Powers::from_names(&powers)?,
                }
            }
            ManageRequest::AddRep { user, name, team } => {
                crate::accounts::check_new_account(&user, &name)?;
                PolicyChange::AddRep {
                    user,
                    name: name.trim().to_owned(),
                    team,
                    password_hash: String::new(),
                }
            }
            _ => return Err("this portal does not know that management request".into()),
        }))
    }

    /// What the audit trail says: (action, subject, detail).
    pub fn audit(&self, teams: &BTreeMap<TeamId, Team>) -> (&'static str, String, String) {
        let team_name = |id: &Option<TeamId>| match id {
            Some(id) => teams
                .get(id)
                .map_or(format!("team {id}"), |t| format!("team {id} ({})", t.name)),
            None => "no team".to_owned(),
        };
        match self {
            PolicyChange::AddTeam { name, parent } => (
                "team.add",
                name.clone(),
                format!("under {}", team_name(parent)),
            ),
            PolicyChange::MoveTeam { team, parent } => (
                "team.move",
                team_name(&Some(*team)),
                format!("under {}", team_name(parent)),
            ),
            PolicyChange::SetTeam { user, team } => (
                "team.member",
                user.clone(),
                format!("to {}", team_name(team)),
            ),
            PolicyChange::Withhold { scope, withheld } => {
                let subject = match scope {
                    PolicyScope::Rep { user } => format!("representative {user}"),
                    PolicyScope::Team { team } => team_name(&Some(*team)),
                    PolicyScope::Portal { portal } => format!("portal {portal}"),
                };
                let names = withheld.names();
                let detail = if names.is_empty() {
                    "withholds nothing".to_owned()
                } else {
                    format!("withholds {}", names.join(", "))
                };
                ("policy.change", subject, detail)
            }
            PolicyChange::SetAccess {
                user,
                manages,
                powers,
            } => {
                let teams: Vec<String> = manages.iter().map(|t| team_name(&Some(*t))).collect();
                let detail = format!(
                    "manages [{}] with powers [{}]",
                    teams.join(", "),
                    powers.names().join(", ")
                );
                ("access.change", user.clone(), detail)
            }
            PolicyChange::AddRep { user, team, .. } => (
                "account.add",
                user.clone(),
                format!("in {}", team_name(team)),
            ),
        }
    }
}

/// A representative as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    /// Account id.
    pub id: RepId,
    /// Account name.
    pub user: String,
    /// Display name.
    pub name: String,
    /// An administrator.
    pub admin: bool,
    /// Team and what is withheld from them.
    pub member: Member,
    /// Teams they manage.
    pub manages: Vec<TeamId>,
    /// Their powers.
    pub powers: Powers,
}

/// Everything the policy is made of, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PolicyRows {
    /// Teams.
    pub teams: BTreeMap<TeamId, Team>,
    /// Representatives, by account name.
    pub members: Vec<MemberRow>,
    /// Portals with something withheld.
    pub portals: BTreeMap<String, Functions>,
    /// Every portal's name ("default" and those defined).
    pub portal_names: Vec<String>,
}

impl PolicyRows {
    /// The book the hub consults.
    pub fn book(&self) -> PolicyBook {
        PolicyBook {
            teams: self.teams.clone(),
            members: self.members.iter().map(|m| (m.id, m.member)).collect(),
            portals: self.portals.clone(),
        }
    }

    /// `team` and every team below it.
    pub fn subtree(&self, team: TeamId) -> BTreeSet<TeamId> {
        let mut found = BTreeSet::from([team]);
        // Bounded by the number of teams, so a loop in stored data cannot hang it.
        for _ in 0..self.teams.len() {
            let before = found.len();
            for (id, t) in &self.teams {
                if t.parent.is_some_and(|p| found.contains(&p)) {
                    found.insert(*id);
                }
            }
            if found.len() == before {
                break;
            }
        }
        found
    }

    /// Checks `change` against the state it would change; the database applies it only
    /// when this says yes.
    pub fn check(&self, change: &PolicyChange) -> Result<(), String> {
        let book = self.book();
        let team_exists = |id: &TeamId| {
            if self.teams.contains_key(id) {
                Ok(())
            } else {
                Err(format!("there is no team {id}"))
            }
        };
        match change {
            PolicyChange::AddTeam { name, parent } => {
                if self.teams.len() >= MAX_TEAMS {
                    return Err(format!("a portal keeps at most {MAX_TEAMS} teams"));
                }
                if self.teams.values().any(|t| &t.name == name) {
                    return Err(format!("there is a team named '{name}' already"));
                }
                parent.map_or(Ok(()), |p| book.may_nest(None, p))
            }
            PolicyChange::MoveTeam { team, parent } => {
                team_exists(team)?;
                parent.map_or(Ok(()), |p| book.may_nest(Some(*team), p))
            }
            PolicyChange::SetTeam { user, team } => {
                if !self.members.iter().any(|m| &m.user == user) {
                    return Err(format!("there is no representative '{user}'"));
                }
                team.as_ref().map_or(Ok(()), team_exists)
            }
            PolicyChange::SetAccess { user, manages, .. } => {
                if !self.members.iter().any(|m| &m.user == user) {
                    return Err(format!("there is no representative '{user}'"));
                }
                manages.iter().try_for_each(team_exists)
            }
            PolicyChange::AddRep { user, team, .. } => {
                if self.members.iter().any(|m| &m.user == user) {
                    return Err(format!("there is an account named '{user}' already"));
                }
                team.as_ref().map_or(Ok(()), team_exists)
            }
            PolicyChange::Withhold { scope, .. } => match scope {
                PolicyScope::Rep { user } if !self.members.iter().any(|m| &m.user == user) => {
                    Err(format!("there is no representative '{user}'"))
                }
                PolicyScope::Team { team } => team_exists(team),
                PolicyScope::Portal { portal } if !self.portal_names.contains(portal) => {
                    Err(format!("there is no portal '{portal}'"))
                }
                _ => Ok(()),
            },
        }
    }

    /// The management pages' view for `actor` (who sees these rows, already narrowed).
    pub fn view(&self, actor: &Actor) -> ManagementView {
        let book = self.book();
        let (you, powers) = match actor {
            Actor::Admin => (
                "admin",
                Powers::NAMED.iter().map(|(_, n)| (*n).to_owned()).collect(),
            ),
            Actor::Manager { powers, .. } | Actor::Rep { powers, .. } => {
                ("manager", powers.names())
            }
        };
        ManagementView {
            you: you.to_owned(),
            powers,
            added: None,
            functions: Functions::ALL.names(),
            teams: self
                .teams
                .iter()
                .map(|(id, t)| TeamView {
                    id: *id,
                    name: t.name.clone(),
                    parent: t.parent,
                    withheld: t.withheld.names(),
                })
                .collect(),
            members: self
                .members
                .iter()
                .map(|m| MemberView {
                    user: m.user.clone(),
                    name: m.name.clone(),
                    admin: m.admin,
                    team: m.member.team,
                    withheld: m.member.withheld.names(),
                    in_force: book.in_force(m.id, "default").names(),
                    manages: m.manages.clone(),
                    powers: m.powers.names(),
                })
                .collect(),
            portals: self
                .portal_names
                .iter()
                .map(|p| PortalPolicyView {
                    portal: p.clone(),
                    withheld: self.portals.get(p).copied().unwrap_or_default().names(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> PolicyRows {
        let mut rows = PolicyRows {
            portal_names: vec!["default".into(), "kiosk".into()],
            ..PolicyRows::default()
        };
        rows.teams.insert(
            1,
            Team {
                name: "Support".into(),
                parent: None,
                withheld: Functions::NONE,
            },
        );
        rows.members.push(MemberRow {
            id: 3,
            user: "bob".into(),
            name: "Bob".into(),
            admin: false,
            member: Member::default(),
            manages: Vec::new(),
            powers: Powers::NONE,
        });
        rows
    }

    #[test]
    fn changes_naming_what_does_not_exist_are_refused_with_words() {
        let r = rows();
        let refused = |c: PolicyChange| r.check(&c).expect_err("refused");
        assert!(
            refused(PolicyChange::SetTeam {
                user: "eve".into(),
                team: Some(1)
            })
            .contains("no representative")
        );
        assert!(
            refused(PolicyChange::SetTeam {
                user: "bob".into(),
                team: Some(9)
            })
            .contains("no team 9")
        );
        assert!(
            refused(PolicyChange::AddTeam {
                name: "Support".into(),
                parent: None
            })
            .contains("already")
        );
        assert!(
            refused(PolicyChange::Withhold {
                scope: PolicyScope::Portal {
                    portal: "nowhere".into()
                },
                withheld: Functions::FILES
            })
            .contains("no portal")
        );
        assert!(
            refused(PolicyChange::MoveTeam {
                team: 1,
                parent: Some(1)
            })
            .contains("inside itself")
        );
        assert!(
            r.check(&PolicyChange::SetTeam {
                user: "bob".into(),
                team: Some(1)
            })
            .is_ok()
        );
    }

    #[test]
    fn requests_parse_and_bad_names_are_refused() {
        assert_eq!(PolicyChange::parse(ManageRequest::Show), Ok(None));
        let bad = ManageRequest::AddTeam {
            name: "  ".into(),
            parent: None,
        };
        assert!(PolicyChange::parse(bad).is_err());
        let withhold = ManageRequest::Withhold {
            scope: PolicyScope::Team { team: 1 },
            withheld: vec!["files".into(), "control".into()],
        };
        assert_eq!(
            PolicyChange::parse(withhold),
            Ok(Some(PolicyChange::Withhold {
                scope: PolicyScope::Team { team: 1 },
                withheld: Functions::FILES.union(Functions::CONTROL)
            }))
        );
        let unknown = ManageRequest::Withhold {
            scope: PolicyScope::Team { team: 1 },
            withheld: vec!["teleport".into()],
        };
        assert!(PolicyChange::parse(unknown).is_err());
    }

    #[test]
    fn the_view_shows_what_is_in_force() {
        let mut r = rows();
        r.teams.get_mut(&1).expect("team").withheld = Functions::FILES;
        r.members[0].member.team = Some(1);
        let view = r.view(&Actor::Admin);
        assert!(!view.members[0].in_force.contains(&"files".to_owned()));
        assert!(view.members[0].in_force.contains(&"control".to_owned()));
        assert_eq!(view.teams[0].withheld, ["files"]);
        assert_eq!(view.portals.len(), 2);
    }
}
