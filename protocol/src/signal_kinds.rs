//! The wire names of the portal's messages, for logs.

use super::PortalMessage;

impl PortalMessage {
    /// The message's type as on the wire ("redeemed", "signal"…), for logs and errors: the
    /// derived `Debug` shows every field, and fields hold codes, keys in links and
    /// invitation texts, resume secrets, seat tokens and SDP, none of which may reach a log.
    pub fn kind(&self) -> &'static str {
        match self {
            PortalMessage::Welcome { .. } => "welcome",
            PortalMessage::LoggedIn { .. } => "logged_in",
            PortalMessage::CodeCreated(_) => "code_created",
            PortalMessage::Codes { .. } => "codes",
            PortalMessage::CodeCancelled { .. } => "code_cancelled",
            PortalMessage::Redeemed { .. } => "redeemed",
            PortalMessage::Resumed { .. } => "resumed",
            PortalMessage::CustomerAway { .. } => "customer_away",
            PortalMessage::CustomerBack => "customer_back",
            PortalMessage::Joined { .. } => "joined",
            PortalMessage::AttendeeJoined(_) => "attendee_joined",
            PortalMessage::AttendeeLeft { .. } => "attendee_left",
            PortalMessage::Consent { .. } => "consent",
            PortalMessage::Signal { .. } => "signal",
            PortalMessage::SessionEnded { .. } => "session_ended",
            PortalMessage::Reps { .. } => "reps",
            PortalMessage::Invitation(_) => "invitation",
            PortalMessage::InvitationWithdrawn { .. } => "invitation_withdrawn",
            PortalMessage::InvitationAnswered { .. } => "invitation_answered",
            PortalMessage::SpecialistInvited(_) => "specialist_invited",
            PortalMessage::SpecialistInvitationCancelled { .. } => {
                "specialist_invitation_cancelled"
            }
            PortalMessage::Grant { .. } => "grant",
            PortalMessage::Roster { .. } => "roster",
            PortalMessage::Chat { .. } => "chat",
            PortalMessage::Portal(_) => "portal",
            PortalMessage::Management(_) => "management",
            PortalMessage::Report(_) => "report",
            PortalMessage::SecondFactor(_) => "second_factor",
            PortalMessage::Functions { .. } => "functions",
            PortalMessage::RequestStatus { .. } => "request_status",
            PortalMessage::Queries { .. } => "queries",
            PortalMessage::RequestTaken { .. } => "request_taken",
            PortalMessage::WebChat { .. } => "web_chat",
            PortalMessage::CodeEmailed { .. } => "code_emailed",
            PortalMessage::NotesSaved { .. } => "notes_saved",
            PortalMessage::PanelTicket { .. } => "panel_ticket",
            PortalMessage::PanelWaiting { .. } => "panel_waiting",
            PortalMessage::RecordingToken { .. } => "recording_token",
            PortalMessage::Recording { .. } => "recording",
            PortalMessage::Error { .. } => "error",
        }
    }
}
