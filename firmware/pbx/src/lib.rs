//! The call brain of Centralita: registrar, authentication and the B2BUA that connects extensions,
//! as a sans-IO state machine ([`endpoint::Pbx`]). Events in (datagrams, time), commands out
//! (datagrams, media anchor operations, CDRs).
//!
//! Implements: RFC 3261 §10 (registrar), §22 + RFC 8760 (digest, MD5/SHA-256), §12-§15 as a
//! back-to-back user agent (two dialogs per call, re-INVITE/INFO/OPTIONS relayed, CANCEL and BYE
//! from either side), RFC 3264 offer/answer with media anchored on the box.
// Tests may unwrap (team rule); production code may not (workspace lint).
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod apps;
pub mod auth;
pub mod call;
pub mod cdr;
pub mod dialplan;
pub mod directory;
pub mod endpoint;
pub mod guard;
pub mod ids;
pub mod info_dtmf;
pub mod media;
pub mod media_config;
pub mod mwi;
pub mod presence;
pub mod queue;
pub mod registrar;
pub mod routing;
pub mod subscribe_request;
pub mod trunk;
pub mod trunk_peers;
pub mod trunks;

pub use cdr::{Cdr, Direction, Disposition};
pub use directory::{Account, DialTarget, Directory, Tenant, TrunkAccount};
pub use endpoint::{Pbx, PbxConfig, WallClock};
pub use media::{
    CallRecording, MediaControl, MediaEvent, MediaPorts, Playback, RecordEnd, RecordSpec, Side,
    SideFormat,
};
