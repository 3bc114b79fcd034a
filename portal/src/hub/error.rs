//! Why a hub operation was refused.

use tandem_protocol::AttendeeId;
use tandem_protocol::roster::MAX_SPECIALISTS;
use tandem_protocol::signal::ErrorKind;

/// Why a hub operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HubError {
    /// Signal, Consent, Chat or EndSession from a connection outside any session.
    #[error("you are not in a session")]
    NotInSession,
    /// Redeem, JoinSession or joining by invitation from a connection that already is in
    /// (or waits for) a session.
    #[error("this connection is already in a session; open a new one to join another")]
    AlreadyInSession,
    /// Another connection already is (or waits to be) this session's host.
    #[error("this session's host is already connected from another window")]
    HostTaken,
    /// The session is over.
    #[error("that session has ended")]
    SessionGone,
    /// Signal (or a host action) naming an attendee that is not in the session.
    #[error("attendee {0} is not in this session")]
    NoSuchAttendee(AttendeeId),
    /// A message this attendee may not send.
    #[error("{0}")]
    NotAllowed(&'static str),
    /// A request that cannot be served as asked (words for the person who sent it).
    #[error("{0}")]
    Refused(String),
    /// A host-only action from someone who is not the host of a running session.
    #[error("only the host of the session may do that")]
    NotHost,
    /// The session already has [`MAX_SPECIALISTS`] specialists.
    #[error("this session already has {MAX_SPECIALISTS} specialists, the most it allows")]
    TooManySpecialists,
    /// The invitation cannot be accepted or declined (any more).
    #[error("{0}")]
    InvitationGone(&'static str),
    /// `Resume` with a secret that is not the session's.
    #[error("that is not this session's resume secret")]
    WrongSecret,
    /// Signal for the customer while its agent is away.
    #[error("the customer's machine is not connected right now; wait for it to come back")]
    CustomerAway,
    /// A specialist's key was cancelled (by the host, or by removing someone who joined
    /// with it): it admits nobody, neither new nor returning.
    #[error("this invitation was cancelled by the representative")]
    KeyCancelled,
}

impl HubError {
    /// The signalling error category.
    pub fn kind(&self) -> ErrorKind {
        match self {
            HubError::SessionGone => ErrorKind::SessionGone,
            HubError::NotHost => ErrorKind::NotHost,
            HubError::TooManySpecialists => ErrorKind::TooManySpecialists,
            HubError::InvitationGone(_) => ErrorKind::InvitationGone,
            HubError::WrongSecret => ErrorKind::Unauthorized,
            HubError::KeyCancelled => ErrorKind::CodeCancelled,
            _ => ErrorKind::BadRequest,
        }
    }
}
