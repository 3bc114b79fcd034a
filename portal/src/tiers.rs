//! Tiered access to the management pages. Administrators (account-level managers) may do
//! everything. A team manager manages the teams assigned to them and every subteam below
//! them, and only with the powers an administrator gave them; they never make managers and
//! never touch portals. A representative may be allowed to see their own sessions' reports.
//! Pure: the portal reads who is who in the same transaction as the change it checks.

use std::collections::BTreeSet;

use tandem_protocol::management::PolicyScope;

use crate::management::{PolicyChange, PolicyRows};
use crate::policy::{RepId, TeamId};

/// What a manager (or a representative) was allowed beyond their own work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Powers(u32);

impl Powers {
    /// Nothing beyond their own work.
    pub const NONE: Powers = Powers(0);
    /// Add representatives to the teams they manage.
    pub const ADD_REPS: Powers = Powers(1);
    /// Change teams, members and functions of the teams they manage.
    pub const CHANGE_FUNCTIONS: Powers = Powers(1 << 1);
    /// See the reports of sessions hosted by their teams' representatives.
    pub const VIEW_REPORTS: Powers = Powers(1 << 2);
    /// See the reports of their own sessions (any representative).
    pub const OWN_REPORTS: Powers = Powers(1 << 3);
    const ALL: Powers = Powers((1 << 4) - 1);

    /// Every power with its name.
    pub const NAMED: [(Powers, &'static str); 4] = [
        (Self::ADD_REPS, "add_reps"),
        (Self::CHANGE_FUNCTIONS, "change_functions"),
        (Self::VIEW_REPORTS, "view_reports"),
        (Self::OWN_REPORTS, "own_reports"),
    ];

    /// From stored bits.
    pub const fn from_bits(bits: u32) -> Powers {
        Powers(bits & Self::ALL.0)
    }

    /// As stored.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// True when every power in `other` is in `self`.
    pub const fn contains(self, other: Powers) -> bool {
        self.0 & other.0 == other.0
    }

    /// Both sets.
    pub const fn union(self, other: Powers) -> Powers {
        Powers(self.0 | other.0)
    }

    /// The names, in [`Powers::NAMED`] order.
    pub fn names(self) -> Vec<String> {
        Self::NAMED
            .iter()
            .filter(|(p, _)| self.contains(*p))
            .map(|(_, n)| (*n).to_owned())
            .collect()
    }

    /// Parses names.
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<Powers, String> {
        let mut set = Powers::NONE;
        for name in names {
            let name = name.as_ref().trim();
            let Some((p, _)) = Self::NAMED.iter().find(|(_, n)| *n == name) else {
                return Err(format!(
                    "unknown power '{name}' (add_reps, change_functions, view_reports, own_reports)"
                ));
            };
            set = set.union(*p);
        }
        Ok(set)
    }
}

/// Who is asking, as far as management goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// An administrator: everything.
    Admin,
    /// A team manager: `teams` are the teams assigned to them and all their subteams.
    Manager {
        /// The account.
        rep: RepId,
        /// Teams they reach.
        teams: BTreeSet<TeamId>,
        /// What they may do there.
        powers: Powers,
    },
    /// Anyone else.
    Rep {
        /// The account.
        rep: RepId,
        /// Their own powers (`OWN_REPORTS`).
        powers: Powers,
    },
}

/// Someone an administrator gave more than their own work: team managers, and anyone with
/// a manager's power (their settings are the administrator's to change). Seeing one's own
/// reports is not one.
fn is_manager(m: &crate::management::MemberRow) -> bool {
    let beyond_own = m.powers.bits() & !Powers::OWN_REPORTS.bits();
    !m.manages.is_empty() || beyond_own != 0
}

/// Whose sessions a report may show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportScope {
    /// Everyone's.
    All,
    /// Those hosted by these accounts.
    Hosts(BTreeSet<RepId>),
}

/// Why management was refused to someone who may not.
pub const NOT_A_MANAGER: &str =
    "only administrators and team managers may use the management pages";

impl Actor {
    /// Who `rep` is in `rows` (read in the same transaction as the change being checked).
    ///
    /// Whether they are an administrator is read from `rows` too (an account demoted since
    /// it signed in is not one any more); `admin` counts only for an account `rows` lacks.
    pub fn of(rows: &PolicyRows, rep: RepId, admin: bool) -> Actor {
        let Some(member) = rows.members.iter().find(|m| m.id == rep) else {
            return if admin {
                Actor::Admin
            } else {
                Actor::Rep {
                    rep,
                    powers: Powers::NONE,
                }
            };
        };
        if member.admin {
            return Actor::Admin;
        }
        if member.manages.is_empty() {
            return Actor::Rep {
                rep,
                powers: member.powers,
            };
        }
        let mut teams = BTreeSet::new();
        for team in &member.manages {
            teams.extend(rows.subtree(*team));
        }
        Actor::Manager {
            rep,
            teams,
            powers: member.powers,
        }
    }

    /// Whether this actor may open the management pages at all.
    pub fn manages(&self) -> bool {
        !matches!(self, Actor::Rep { .. })
    }

    /// Whether this actor may make `change` in `rows`.
    pub fn may(&self, rows: &PolicyRows, change: &PolicyChange) -> Result<(), String> {
        let (me, teams, powers) = match self {
            Actor::Admin => return Ok(()),
            Actor::Rep { .. } => return Err(NOT_A_MANAGER.into()),
            Actor::Manager { rep, teams, powers } => (*rep, teams, *powers),
        };
        let mine = |team: &Option<TeamId>| team.is_some_and(|t| teams.contains(&t));
        // A manager's settings for people are for the people they manage: never their own,
        // an administrator's or another manager's (whom an administrator set).
        let managed = |user: &str| match rows.members.iter().find(|m| m.user == user) {
            Some(m) if m.id == me || m.admin || is_manager(m) => {
                Err("only an administrator may change that account".to_owned())
            }
            Some(m) if mine(&m.member.team) => Ok(()),
            _ => Err("you manage only your own teams".to_owned()),
        };
        let need = |p: Powers, what: &str| {
            if powers.contains(p) {
                Ok(())
            } else {
                Err(format!("an administrator has not allowed you to {what}"))
            }
        };
        let outside = || Err("you manage only your own teams".to_owned());
        match change {
            PolicyChange::SetAccess { .. } => {
                Err("only administrators may make or change managers".into())
            }
            PolicyChange::AddRep { team, .. } => {
                need(Powers::ADD_REPS, "add representatives")?;
                if mine(team) { Ok(()) } else { outside() }
            }
            PolicyChange::AddTeam { parent, .. } => {
                need(Powers::CHANGE_FUNCTIONS, "change teams")?;
                if mine(parent) { Ok(()) } else { outside() }
            }
            PolicyChange::MoveTeam { team, parent } => {
                need(Powers::CHANGE_FUNCTIONS, "change teams")?;
                // Their own top teams stay where the administrator put them.
                let below_mine = rows.teams.get(team).is_some_and(|t| mine(&t.parent));
                if below_mine && mine(parent) {
                    Ok(())
                } else {
                    outside()
                }
            }
            PolicyChange::SetTeam { user, team } => {
                need(Powers::CHANGE_FUNCTIONS, "move representatives")?;
                managed(user)?;
                if mine(team) { Ok(()) } else { outside() }
            }
            PolicyChange::Withhold { scope, .. } => {
                need(Powers::CHANGE_FUNCTIONS, "change functions")?;
                match scope {
                    PolicyScope::Team { team } if teams.contains(team) => Ok(()),
                    PolicyScope::Rep { user } => managed(user),
                    PolicyScope::Portal { .. } => {
                        Err("only administrators may change a portal's functions".into())
                    }
                    _ => outside(),
                }
            }
        }
    }

    /// Whether this actor may sign `user` out or reset their sign-in: administrators
    /// anyone, team managers with the power to add representatives the people in their
    /// teams (never an administrator).
    pub fn may_manage_account(&self, rows: &PolicyRows, user: &str) -> Result<(), String> {
        let Some(member) = rows.members.iter().find(|m| m.user == user) else {
            return Err(format!("there is no representative '{user}'"));
        };
        match self {
            Actor::Admin => Ok(()),
            Actor::Rep { .. } => Err(NOT_A_MANAGER.into()),
            Actor::Manager { rep, teams, powers } => {
                if !powers.contains(Powers::ADD_REPS) {
                    return Err("an administrator has not allowed you to manage accounts".into());
                }
                if member.id == *rep || member.admin || is_manager(member) {
                    return Err("only an administrator may change that account".into());
                }
                if member.member.team.is_some_and(|t| teams.contains(&t)) {
                    Ok(())
                } else {
                    Err("you manage only your own teams".into())
                }
            }
        }
    }

    /// What this actor sees of `rows`: a manager only their teams and the representatives in
    /// them (and no portals); `None` for someone who may not manage.
    pub fn visible(&self, rows: &PolicyRows) -> Option<PolicyRows> {
        match self {
            Actor::Admin => Some(rows.clone()),
            Actor::Rep { .. } => None,
            Actor::Manager { teams, .. } => {
                let mut seen = rows.clone();
                seen.teams.retain(|id, _| teams.contains(id));
                seen.members
                    .retain(|m| m.member.team.is_some_and(|t| teams.contains(&t)));
                seen.portals.clear();
                seen.portal_names.clear();
                Some(seen)
            }
        }
    }

    /// Whose sessions this actor's reports may show, or why none.
    pub fn report_scope(&self, rows: &PolicyRows) -> Result<ReportScope, String> {
        match self {
            Actor::Admin => Ok(ReportScope::All),
            Actor::Manager { rep, teams, powers } => {
                if powers.contains(Powers::VIEW_REPORTS) {
                    let mut hosts: BTreeSet<RepId> = rows
                        .members
                        .iter()
                        .filter(|m| m.member.team.is_some_and(|t| teams.contains(&t)))
                        .map(|m| m.id)
                        .collect();
                    hosts.insert(*rep);
                    Ok(ReportScope::Hosts(hosts))
                } else if powers.contains(Powers::OWN_REPORTS) {
                    Ok(ReportScope::Hosts(BTreeSet::from([*rep])))
                } else {
                    Err("an administrator has not allowed you to see reports".into())
                }
            }
            Actor::Rep { rep, powers } if powers.contains(Powers::OWN_REPORTS) => {
                Ok(ReportScope::Hosts(BTreeSet::from([*rep])))
            }
            Actor::Rep { .. } => Err("an administrator has not allowed you to see reports".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::management::MemberRow;
    use crate::policy::{Functions, Member, Team};

    /// Teams 1 (Support) > 2 (Tier 1), and 3 (Sales); Mia (10) manages team 1, Bob (11) is
    /// in team 2, Sam (12) in team 3.
    fn rows(mia_powers: Powers) -> PolicyRows {
        let mut rows = PolicyRows {
            portal_names: vec!["default".into()],
            ..PolicyRows::default()
        };
        for (id, name, parent) in [
            (1, "Support", None),
            (2, "Tier 1", Some(1)),
            (3, "Sales", None),
        ] {
            let team = Team {
                name: name.into(),
                parent,
                withheld: Functions::NONE,
            };
            rows.teams.insert(id, team);
        }
        for (id, user, team, manages, powers) in [
            (10, "mia", Some(1), vec![1], mia_powers),
            (11, "bob", Some(2), vec![], Powers::OWN_REPORTS),
            (12, "sam", Some(3), vec![], Powers::NONE),
        ] {
            rows.members.push(MemberRow {
                id,
                user: user.into(),
                name: user.to_uppercase(),
                admin: false,
                member: Member {
                    team,
                    withheld: Functions::NONE,
                },
                manages,
                powers,
            });
        }
        rows
    }

    fn withhold(scope: PolicyScope) -> PolicyChange {
        PolicyChange::Withhold {
            scope,
            withheld: Functions::FILES,
        }
    }

    #[test]
    fn a_team_manager_changes_only_their_teams_and_never_makes_managers() {
        let all = Powers::ADD_REPS.union(Powers::CHANGE_FUNCTIONS);
        let r = rows(all);
        let mia = Actor::of(&r, 10, false);
        assert!(
            mia.may(&r, &withhold(PolicyScope::Team { team: 2 }))
                .is_ok()
        );
        assert!(
            mia.may(&r, &withhold(PolicyScope::Rep { user: "bob".into() }))
                .is_ok()
        );
        let other_team = mia.may(&r, &withhold(PolicyScope::Team { team: 3 }));
        assert_eq!(other_team, Err("you manage only your own teams".into()));
        assert!(
            mia.may(&r, &withhold(PolicyScope::Rep { user: "sam".into() }))
                .is_err()
        );
        let portal = PolicyScope::Portal {
            portal: "default".into(),
        };
        assert!(mia.may(&r, &withhold(portal)).is_err());
        let make_manager = PolicyChange::SetAccess {
            user: "bob".into(),
            manages: vec![2],
            powers: Powers::NONE,
        };
        assert!(
            mia.may(&r, &make_manager)
                .expect_err("refused")
                .contains("only administrators")
        );
        let steal = PolicyChange::SetTeam {
            user: "sam".into(),
            team: Some(2),
        };
        assert!(mia.may(&r, &steal).is_err(), "Sam is not in her teams");
        let move_top = PolicyChange::MoveTeam {
            team: 1,
            parent: Some(2),
        };
        assert!(mia.may(&r, &move_top).is_err(), "her own top team stays");
        let add = PolicyChange::AddRep {
            user: "new".into(),
            name: "New".into(),
            team: Some(2),
            password_hash: String::new(),
        };
        assert!(mia.may(&r, &add).is_ok());
        let add_elsewhere = PolicyChange::AddRep {
            user: "new".into(),
            name: "New".into(),
            team: Some(3),
            password_hash: String::new(),
        };
        assert!(mia.may(&r, &add_elsewhere).is_err());
        assert!(Actor::Admin.may(&r, &make_manager).is_ok());
        // Never herself, nor another manager or an administrator in her teams.
        let lift_own = withhold(PolicyScope::Rep { user: "mia".into() });
        assert!(
            mia.may(&r, &lift_own).is_err(),
            "her own settings are the admin's"
        );
        assert!(mia.may_manage_account(&r, "mia").is_err(), "no self-reset");
        let mut r2 = r.clone();
        r2.members[1].manages = vec![2];
        let bob_managed = withhold(PolicyScope::Rep { user: "bob".into() });
        assert!(mia.may(&r2, &bob_managed).is_err(), "Bob manages now");
        assert!(mia.may_manage_account(&r2, "bob").is_err());
        let mut r3 = r.clone();
        r3.members[1].admin = true;
        assert!(
            mia.may_manage_account(&r3, "bob").is_err(),
            "an administrator"
        );
        assert_eq!(
            Actor::of(&r3, 11, false),
            Actor::Admin,
            "read from the rows"
        );
    }

    #[test]
    fn powers_the_administrator_did_not_give_are_refused() {
        let r = rows(Powers::VIEW_REPORTS);
        let mia = Actor::of(&r, 10, false);
        let why = mia
            .may(&r, &withhold(PolicyScope::Team { team: 2 }))
            .expect_err("no power");
        assert!(why.contains("not allowed you to change functions"), "{why}");
    }

    #[test]
    fn a_manager_sees_only_their_teams_and_people() {
        let r = rows(Powers::NONE);
        let seen = Actor::of(&r, 10, false).visible(&r).expect("a manager");
        assert_eq!(seen.teams.keys().copied().collect::<Vec<_>>(), [1, 2]);
        let users: Vec<&str> = seen.members.iter().map(|m| m.user.as_str()).collect();
        assert_eq!(users, ["mia", "bob"]);
        assert!(seen.portal_names.is_empty());
        assert_eq!(
            Actor::of(&r, 11, false).visible(&r),
            None,
            "Bob manages nothing"
        );
    }

    #[test]
    fn reports_reach_as_far_as_the_powers_say() {
        let r = rows(Powers::VIEW_REPORTS);
        assert_eq!(
            Actor::of(&r, 10, false).report_scope(&r),
            Ok(ReportScope::Hosts(BTreeSet::from([10, 11])))
        );
        assert_eq!(
            Actor::of(&r, 11, false).report_scope(&r),
            Ok(ReportScope::Hosts(BTreeSet::from([11])))
        );
        assert!(Actor::of(&r, 12, false).report_scope(&r).is_err());
        assert_eq!(Actor::Admin.report_scope(&r), Ok(ReportScope::All));
    }
}
