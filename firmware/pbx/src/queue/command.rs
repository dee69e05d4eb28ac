//! What goes into and out of the queue machine besides time.

/// A caller in the queue, chosen by the call code (unique among the queue's live callers).
pub type CallerId = u64;

/// What the call code knows of a member's phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberState {
    Available,
    /// In a call (queue or not): rung only when the queue rings members in use.
    InCall,
    /// Not registered, or logged out of the queue: never rung.
    Offline,
}

/// How one ring leg towards a member ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RingResult {
    Answered,
    Busy,
    NoAnswer,
    Failed,
}

/// Who ended a connected queue call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallEnd {
    /// The agent hung up (or transferred the caller away): the caller goes on to the
    /// "destination after agent" if one is configured.
    AgentHungUp,
    /// The caller hung up: nothing more for them.
    CallerHungUp,
}

/// Why a caller left the queue without an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnansweredReason {
    /// The caller waited the queue's max time.
    MaxWait,
    /// The queue already held its max waiting callers when this one arrived.
    Full,
    /// No member configured or none reachable (all offline).
    NoMembers,
}

/// What the call code must do. Drained with [`super::Queue::poll_command`], in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueCommand {
    /// Ring these members for the caller (users in configured order). `auto_answer` asks the
    /// call code to add Call-Info answer-after=0 / Alert-Info for desk phones.
    Ring {
        caller: CallerId,
        users: Vec<String>,
        auto_answer: bool,
    },
    /// Cancel the ring legs of these members for this caller.
    StopRinging {
        caller: CallerId,
        users: Vec<String>,
    },
    /// Bridge the caller with the member who answered (its ring leg).
    Connect {
        caller: CallerId,
        user: String,
    },
    StartMoh {
        caller: CallerId,
    },
    StopMoh {
        caller: CallerId,
    },
    /// Send the caller to the "destination if unanswered".
    Unanswered {
        caller: CallerId,
        reason: UnansweredReason,
    },
    /// The agent completed the call: send the caller to the "destination after agent".
    AfterAgent {
        caller: CallerId,
    },
}

/// An event the machine cannot apply; the call code may log it or clean up the leg it names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    #[error("caller {caller} is already in the queue")]
    DuplicateCaller { caller: CallerId },
    #[error("caller {caller} is not in the queue")]
    UnknownCaller { caller: CallerId },
    /// A ring result for a leg the queue no longer rings (a late answer racing a cancel): the
    /// call code should hang that leg up.
    #[error("member {user:?} is not ringing for caller {caller}")]
    NotRinging { caller: CallerId, user: String },
    #[error("caller {caller} is not connected to {user:?}")]
    NotConnected { caller: CallerId, user: String },
}
