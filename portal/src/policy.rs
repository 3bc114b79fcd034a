//! Functions by policy: what a representative may do, set per representative, per team
//! (and every team above it) and per customer portal. What is in force is the most
//! restrictive of them: a function any of them withholds is withheld. Pure: the hub holds a
//! [`PolicyBook`] and consults it under its lock, so a grant and the policy it obeys never
//! disagree, and a changed book is applied to running sessions in the same step.
//!
//! The portal enforces policy through the grants it sends: the customer's agent enforces
//! grants, so it enforces policy too. Functions that are not rights (inviting) are checked
//! by the hub before it acts.

use std::collections::BTreeMap;

use tandem_protocol::Rights;
use tandem_protocol::signal::RecordingTerms;

/// A team's id (its database row).
pub type TeamId = i64;

/// A representative's account id.
pub type RepId = i64;

/// A set of functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Functions(u32);

impl Functions {
    /// Nothing.
    pub const NONE: Functions = Functions(0);
    /// Seeing the customer's screen.
    pub const SCREEN: Functions = Functions(1);
    /// Using the customer's mouse and keyboard.
    pub const CONTROL: Functions = Functions(1 << 1);
    /// Sending and fetching files (and browsing the folder the customer shares).
    pub const FILES: Functions = Functions(1 << 2);
    /// Rebooting the customer's machine and reconnecting.
    pub const REBOOT: Functions = Functions(1 << 3);
    /// Chat with the customer and the other attendees.
    pub const CHAT: Functions = Functions(1 << 4);
    /// Inviting other representatives into a session.
    pub const INVITE_REPS: Functions = Functions(1 << 5);
    /// Inviting external specialists to watch.
    pub const INVITE_SPECIALISTS: Functions = Functions(1 << 6);
    /// Giving external specialists control.
    pub const SPECIALIST_CONTROL: Functions = Functions(1 << 7);
    /// Sessions without recording. Withheld: the session is recorded (the customer is asked
    /// first, and may refuse unless [`Functions::REFUSE_RECORDING`] is withheld too).
    pub const UNRECORDED: Functions = Functions(1 << 8);
    /// A customer refusing recording lets the session go on unrecorded. Withheld: refusing
    /// ends the session.
    pub const REFUSE_RECORDING: Functions = Functions(1 << 9);
    /// Sharing the clipboard with the customer, both ways (needs control too: pasting is
    /// typing).
    pub const CLIPBOARD: Functions = Functions(1 << 10);
    /// Every function.
    pub const ALL: Functions = Functions((1 << 11) - 1);

    /// Every function with its name, in the order pages list them.
    pub const NAMED: [(Functions, &'static str); 11] = [
        (Self::SCREEN, "screen"),
        (Self::CONTROL, "control"),
        (Self::FILES, "files"),
        (Self::REBOOT, "reboot"),
        (Self::CLIPBOARD, "clipboard"),
        (Self::CHAT, "chat"),
        (Self::INVITE_REPS, "invite_reps"),
        (Self::INVITE_SPECIALISTS, "invite_specialists"),
        (Self::SPECIALIST_CONTROL, "specialist_control"),
        (Self::UNRECORDED, "unrecorded"),
        (Self::REFUSE_RECORDING, "refuse_recording"),
    ];

    /// From stored bits; bits no function has are dropped.
    pub const fn from_bits(bits: u32) -> Functions {
        Functions(bits & Self::ALL.0)
    }

    /// The bits as stored.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// True when every function in `other` is in `self`.
    pub const fn contains(self, other: Functions) -> bool {
        self.0 & other.0 == other.0
    }

    /// Both sets.
    pub const fn union(self, other: Functions) -> Functions {
        Functions(self.0 | other.0)
    }

    /// `self` without `other`.
    pub const fn without(self, other: Functions) -> Functions {
        Functions(self.0 & !other.0)
    }

    /// The names of the functions in the set, in [`Functions::NAMED`] order.
    pub fn names(self) -> Vec<String> {
        Self::NAMED
            .iter()
            .filter(|(f, _)| self.contains(*f))
            .map(|(_, n)| (*n).to_owned())
            .collect()
    }

    /// Parses names as [`Functions::names`] gives them.
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<Functions, String> {
        let mut set = Functions::NONE;
        for name in names {
            let name = name.as_ref().trim();
            let Some((f, _)) = Self::NAMED.iter().find(|(_, n)| *n == name) else {
                let known: Vec<&str> = Self::NAMED.iter().map(|(_, n)| *n).collect();
                return Err(format!(
                    "unknown function '{name}' (one of {})",
                    known.join(", ")
                ));
            };
            set = set.union(*f);
        }
        Ok(set)
    }

    /// The most a representative with these functions may hold in a session. Control
    /// without the screen is nothing (nobody controls a screen they cannot see).
    pub fn rights_cap(self) -> Rights {
        let mut r = Rights::NONE;
        let pairs = [
            (Self::SCREEN, Rights::VIEW),
            (Self::CHAT, Rights::CHAT),
            (Self::FILES, Rights::FILES),
            (Self::REBOOT, Rights::REBOOT),
        ];
        for (f, right) in pairs {
            if self.contains(f) {
                r = r.union(right);
            }
        }
        if self.contains(Self::SCREEN.union(Self::CONTROL)) {
            r = r.union(Rights::CONTROL);
        }
        if self.contains(Self::SCREEN.union(Self::CONTROL).union(Self::CLIPBOARD)) {
            r = r.union(Rights::CLIPBOARD);
        }
        r
    }

    /// Whether sessions of a host with these functions are recorded, and on what terms:
    /// `None` while unrecorded sessions are allowed (the default).
    pub fn recording_terms(self) -> Option<RecordingTerms> {
        (!self.contains(Self::UNRECORDED)).then_some(RecordingTerms {
            required: !self.contains(Self::REFUSE_RECORDING),
        })
    }

    /// The most an external specialist invited by a host with these functions may hold:
    /// nothing unless inviting specialists is allowed, never control unless giving them
    /// control is, and never more than the host itself may hold.
    pub fn specialist_cap(self) -> Rights {
        if !self.contains(Self::INVITE_SPECIALISTS) {
            return Rights::NONE;
        }
        let cap = self.rights_cap();
        if self.contains(Self::SPECIALIST_CONTROL) {
            cap
        } else {
            cap.without(Rights::CONTROL)
        }
    }
}

/// A team: nested under at most one other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    /// Shown on the management pages.
    pub name: String,
    /// The team it is a subteam of.
    pub parent: Option<TeamId>,
    /// Functions withheld from everyone in it and in its subteams.
    pub withheld: Functions,
}

/// A representative's place in the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Member {
    /// The one team they belong to, if any.
    pub team: Option<TeamId>,
    /// Functions withheld from them alone.
    pub withheld: Functions,
}

/// How deep teams may nest. Deeper chains are refused when made, and a chain that is
/// somehow deeper (or a loop) withholds everything rather than looping.
pub const MAX_TEAM_DEPTH: usize = 16;

/// Everything the policy knows: teams, representatives and portals.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PolicyBook {
    /// Teams by id.
    pub teams: BTreeMap<TeamId, Team>,
    /// Representatives by account; absent ones belong to no team and have nothing withheld.
    pub members: BTreeMap<RepId, Member>,
    /// Functions withheld from every session started on a portal, by portal name.
    pub portals: BTreeMap<String, Functions>,
}

impl PolicyBook {
    /// What `rep` may do in a session started on `portal`: every function, less what the
    /// representative, their team, the teams above it and the portal withhold.
    pub fn in_force(&self, rep: RepId, portal: &str) -> Functions {
        let member = self.members.get(&rep).copied().unwrap_or_default();
        let mut withheld = member.withheld;
        if let Some(p) = self.portals.get(portal) {
            withheld = withheld.union(*p);
        }
        match self.team_chain(member.team) {
            Some(chain) => {
                for team in chain {
                    withheld = withheld.union(team.withheld);
                }
            }
            None => return Functions::NONE,
        }
        Functions::ALL.without(withheld)
    }

    /// `team` and the teams above it, nearest first; `None` for a loop, a missing team or
    /// a chain deeper than [`MAX_TEAM_DEPTH`] (nothing can be trusted about it).
    fn team_chain(&self, team: Option<TeamId>) -> Option<Vec<&Team>> {
        let mut chain = Vec::new();
        let mut next = team;
        while let Some(id) = next {
            if chain.len() >= MAX_TEAM_DEPTH {
                return None;
            }
            let team = self.teams.get(&id)?;
            chain.push(team);
            next = team.parent;
        }
        Some(chain)
    }

    /// Whether `team` may become a subteam of `parent`: the parent exists, is not the team
    /// itself nor below it, and the result nests no deeper than [`MAX_TEAM_DEPTH`].
    pub fn may_nest(&self, team: Option<TeamId>, parent: TeamId) -> Result<(), String> {
        let chain_ids = {
            let mut ids = Vec::new();
            let mut next = Some(parent);
            while let Some(id) = next {
                if ids.len() >= MAX_TEAM_DEPTH {
                    return Err(format!("teams may nest at most {MAX_TEAM_DEPTH} deep"));
                }
                let Some(t) = self.teams.get(&id) else {
                    return Err(format!("there is no team {id}"));
                };
                ids.push(id);
                next = t.parent;
            }
            ids
        };
        if let Some(team) = team
            && chain_ids.contains(&team)
        {
            return Err("a team cannot be placed inside itself or its own subteam".into());
        }
        let below = team.map_or(0, |t| self.depth_below(t));
        if chain_ids.len() + 1 + below > MAX_TEAM_DEPTH {
            return Err(format!("teams may nest at most {MAX_TEAM_DEPTH} deep"));
        }
        Ok(())
    }

    /// How many levels of subteams hang below `team`.
    fn depth_below(&self, team: TeamId) -> usize {
        self.teams
            .iter()
            .filter(|(_, t)| t.parent == Some(team))
            .map(|(id, _)| 1 + self.depth_below(*id))
            .max()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recording_is_off_unless_a_scope_asks_and_required_when_any_says_so() {
        let mut b = book();
        assert_eq!(b.in_force(7, "main").recording_terms(), None);
        b.portals.insert("main".into(), Functions::UNRECORDED);
        let terms = b.in_force(7, "main").recording_terms();
        assert_eq!(terms, Some(RecordingTerms { required: false }));
        assert_eq!(b.in_force(7, "other").recording_terms(), None);
        // A team above says refusing ends the session: the portal's recording becomes required.
        b.teams.get_mut(&1).expect("team").withheld = Functions::REFUSE_RECORDING;
        let terms = b.in_force(7, "main").recording_terms();
        assert_eq!(terms, Some(RecordingTerms { required: true }));
        // A broken book withholds everything: recorded, and required.
        b.teams.get_mut(&1).expect("team").parent = Some(2);
        let terms = b.in_force(7, "other").recording_terms();
        assert_eq!(terms, Some(RecordingTerms { required: true }));
    }

    fn book() -> PolicyBook {
        let mut b = PolicyBook::default();
        b.teams.insert(
            1,
            Team {
                name: "Support".into(),
                parent: None,
                withheld: Functions::REBOOT,
            },
        );
        b.teams.insert(
            2,
            Team {
                name: "Tier 1".into(),
                parent: Some(1),
                withheld: Functions::FILES,
            },
        );
        b.members.insert(
            7,
            Member {
                team: Some(2),
                withheld: Functions::INVITE_REPS,
            },
        );
        b.portals
            .insert("kiosk".into(), Functions::CONTROL.union(Functions::CHAT));
        b
    }

    #[test]
    fn the_most_restrictive_of_rep_team_parents_and_portal_is_in_force() {
        let b = book();
        let f = b.in_force(7, "default");
        assert!(!f.contains(Functions::REBOOT), "parent team withholds");
        assert!(!f.contains(Functions::FILES), "own team withholds");
        assert!(!f.contains(Functions::INVITE_REPS), "the rep's own setting");
        assert!(f.contains(Functions::CONTROL.union(Functions::CHAT)));
        let kiosk = b.in_force(7, "kiosk");
        assert!(!kiosk.contains(Functions::CONTROL) && !kiosk.contains(Functions::CHAT));
        assert_eq!(
            b.in_force(99, "default"),
            Functions::ALL,
            "nobody withholds"
        );
        assert_eq!(
            b.in_force(99, "kiosk"),
            Functions::ALL.without(Functions::CONTROL.union(Functions::CHAT))
        );
    }

    #[test]
    fn rights_follow_functions_and_control_needs_the_screen() {
        assert_eq!(Functions::ALL.rights_cap(), Rights::HOST_DEFAULT);
        let no_screen = Functions::ALL.without(Functions::SCREEN);
        assert!(!no_screen.rights_cap().contains(Rights::CONTROL));
        assert!(!no_screen.rights_cap().contains(Rights::VIEW));
        let no_files = Functions::ALL.without(Functions::FILES);
        assert_eq!(
            no_files.rights_cap(),
            Rights::HOST_DEFAULT.without(Rights::FILES)
        );
    }

    #[test]
    fn specialists_get_nothing_without_the_invite_function_and_control_only_when_allowed() {
        assert_eq!(
            Functions::ALL
                .without(Functions::INVITE_SPECIALISTS)
                .specialist_cap(),
            Rights::NONE
        );
        let watch_only = Functions::ALL.without(Functions::SPECIALIST_CONTROL);
        assert!(!watch_only.specialist_cap().contains(Rights::CONTROL));
        assert!(watch_only.specialist_cap().contains(Rights::VIEW));
        let no_control = Functions::ALL.without(Functions::CONTROL);
        assert!(
            !no_control.specialist_cap().contains(Rights::CONTROL),
            "a specialist never gets more than the host may hold"
        );
    }

    #[test]
    fn loops_and_missing_teams_withhold_everything() {
        let mut b = book();
        b.teams.get_mut(&1).expect("team 1").parent = Some(2);
        assert_eq!(b.in_force(7, "default"), Functions::NONE);
        let mut b = book();
        b.members.insert(
            8,
            Member {
                team: Some(42),
                withheld: Functions::NONE,
            },
        );
        assert_eq!(b.in_force(8, "default"), Functions::NONE);
    }

    #[test]
    fn nesting_refuses_loops_missing_parents_and_depth() {
        let b = book();
        assert!(b.may_nest(Some(1), 2).is_err(), "under its own subteam");
        assert!(b.may_nest(Some(2), 2).is_err(), "under itself");
        assert!(b.may_nest(None, 5).is_err(), "no such parent");
        assert!(b.may_nest(None, 2).is_ok());
        let mut deep = PolicyBook::default();
        for id in 1..=MAX_TEAM_DEPTH as i64 {
            let parent = (id > 1).then_some(id - 1);
            deep.teams.insert(
                id,
                Team {
                    name: format!("t{id}"),
                    parent,
                    withheld: Functions::NONE,
                },
            );
        }
        assert!(deep.may_nest(None, MAX_TEAM_DEPTH as i64).is_err());
        assert!(deep.may_nest(None, MAX_TEAM_DEPTH as i64 - 1).is_ok());
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        let f = Functions::FILES.union(Functions::SPECIALIST_CONTROL);
        assert_eq!(Functions::from_names(&f.names()), Ok(f));
        assert!(Functions::from_names(&["teleport"]).is_err());
        assert_eq!(Functions::from_bits(u32::MAX), Functions::ALL);
    }
}
