//! Call set-ups shared by the tests: a SIPp callee registered from its own port, a
//! SIPp caller, harness-owned RTP sockets in both SDPs, and the hang-up trigger.

use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::time::Duration;

use tempfile::TempDir;

use crate::daemon::Daemon;
use crate::error::{HarnessError, Result};
use crate::rtp::{MediaInfo, RtpEndpoint};
use crate::sip_client::{unique, Register, SipClient};
use crate::sipp::{SippBuilder, SippOutcome, SippProcess};
use crate::tenant::TestUser;
use crate::{ports, wait};

/// One phone played by SIPp, with the RTP socket its SDP advertises.
pub struct Phone {
    pub sipp: SippProcess,
    pub rtp: RtpEndpoint,
    pub media_file: PathBuf,
    pub user: TestUser,
}

impl Phone {
    /// Waits (bounded) until the scenario wrote the box's media address, failing early
    /// with SIPp's logs if SIPp exited first.
    pub fn media(&mut self) -> Result<MediaInfo> {
        let file = self.media_file.clone();
        self.media_from(file)
    }

    /// The media address a hold scenario wrote after the resume (`<media_file>.resumed`).
    pub fn media_after_resume(&mut self) -> Result<MediaInfo> {
        let mut name = self.media_file.clone().into_os_string();
        name.push(".resumed");
        self.media_from(PathBuf::from(name))
    }

    /// Waits (bounded) for a marker file `<media_file><suffix>` a scenario writes when
    /// it reaches a point the harness must not overtake (e.g. `.answered`).
    pub fn wait_marker(&mut self, suffix: &str) -> Result<()> {
        let mut name = self.media_file.clone().into_os_string();
        name.push(suffix);
        let file = PathBuf::from(name);
        let sipp = &mut self.sipp;
        wait::until(
            &format!("SIPp to write {}", file.display()),
            Duration::from_secs(20),
            Duration::from_millis(50),
            || {
                if file.exists() {
                    return Ok(Some(()));
                }
                if let Some(code) = sipp.exited()? {
                    // The scenario's last `<exec>` runs detached and may finish after
                    // SIPp (see sipp::EXEC_SETTLE): one bounded look more.
                    if code == Some(0)
                        && wait::until(
                            "a detached SIPp exec",
                            crate::sipp::EXEC_SETTLE * 6,
                            Duration::from_millis(50),
                            || Ok(file.exists().then_some(())),
                        )
                        .is_ok()
                    {
                        return Ok(Some(()));
                    }
                    return Err(HarnessError::Timeout {
                        what: format!(
                            "{}; SIPp already exited with {code:?}\n{}",
                            file.display(),
                            sipp.logs()
                        ),
                        waited: Duration::ZERO,
                    });
                }
                Ok(None)
            },
        )
    }

    fn media_from(&mut self, file: PathBuf) -> Result<MediaInfo> {
        let sipp = &mut self.sipp;
        wait::until(
            &format!(
                "SIPp ({}) to write {}",
                self.user.username(),
                file.display()
            ),
            Duration::from_secs(20),
            Duration::from_millis(50),
            || {
                if let Some(info) = MediaInfo::read(&file)? {
                    return Ok(Some(info));
                }
                if let Some(code) = sipp.exited()? {
                    return Err(HarnessError::Timeout {
                        what: format!(
                            "{}; SIPp already exited with {code:?}\n{}",
                            file.display(),
                            sipp.logs()
                        ),
                        waited: Duration::ZERO,
                    });
                }
                Ok(None)
            },
        )
    }

    pub fn finish(self) -> Result<SippOutcome> {
        self.sipp.wait()
    }
}

/// A scratch folder for the media files of one test.
pub fn scratch() -> Result<TempDir> {
    tempfile::Builder::new()
        .prefix("centralita-e2e-media-")
        .tempdir()
        .map_err(HarnessError::io("create scratch dir"))
}

/// Variations of a SIPp phone. `Default` is a plain UDP phone with PCMU.
#[derive(Debug, Clone, Copy, Default)]
pub struct PhoneOptions<'a> {
    /// Callee only: Contact and SDP advertise [`NAT_PRIVATE_IP`] instead of the real
    /// source, as a phone behind NAT does, so only a registrar that honours
    /// rport/received and a relay that latches reach it.
    pub behind_nat: bool,
    /// Caller only: signalling over one TCP connection.
    pub tcp: bool,
    /// Text replacements applied to the scenario (SDP variants, expected codes).
    pub substitutions: &'a [(&'a str, &'a str)],
    /// RTP payload type the harness sends for this phone (0 PCMU, 8 PCMA).
    pub payload_type: u8,
}

/// Where a phone behind NAT believes it is: another loopback address, so that anything
/// the box sends there (instead of to the source address it saw) is lost without
/// leaving the machine. Port 9 (discard) has no listener.
pub const NAT_PRIVATE_IP: &str = "127.0.0.2";

/// Registers `user` with Contact = a port that SIPp then listens on with `scenario`.
/// The REGISTER is sent from that very port, so a registrar that prefers the source
/// address (NAT handling) and one that trusts the Contact reach the same SIPp.
pub fn callee(daemon: &Daemon, user: TestUser, scenario: &str, dir: &TempDir) -> Result<Phone> {
    callee_with(daemon, user, scenario, dir, &PhoneOptions::default())
}

/// [`callee`] with options.
pub fn callee_with(
    daemon: &Daemon,
    user: TestUser,
    scenario: &str,
    dir: &TempDir,
    options: &PhoneOptions,
) -> Result<Phone> {
    let socket = ports::bound_udp("callee registration")?;
    let mut client = SipClient::with_socket(socket, daemon.sip)?;
    let port = client.local.port();
    let contact = if options.behind_nat {
        format!("<sip:{}@{NAT_PRIVATE_IP}:9>", user.username())
    } else {
        client.own_contact(&user)
    };
    let reg = Register {
        contact: Some(contact),
        expires: Some(600),
    };
    let response = client.register(&user, &reg)?;
    if response.code != 200 {
        return Err(HarnessError::BadResponse {
            reason: format!(
                "callee REGISTER for {} answered {}",
                user.username(),
                response.code
            ),
            text: response.raw,
        });
    }
    drop(client.into_socket());
    let rtp = RtpEndpoint::with_payload_type(*b"E2EB", options.payload_type)?;
    let media_file = dir.path().join(format!("{}-callee.media", user.extension));
    let rtp_ip = if options.behind_nat {
        NAT_PRIVATE_IP
    } else {
        "127.0.0.1"
    };
    let sipp = substituted(scenario, options)
        .local_port(port)
        .key("caller", user.username())
        .key("rtp_ip", rtp_ip)
        .key("rtp_port", rtp.local.port())
        .key("media_file", media_file.display())
        .spawn()?;
    sipp.wait_listening()?;
    Ok(Phone {
        sipp,
        rtp,
        media_file,
        user,
    })
}

fn substituted(scenario: &str, options: &PhoneOptions) -> SippBuilder {
    let builder = options
        .substitutions
        .iter()
        .fold(SippBuilder::new(scenario), |b, (from, to)| {
            b.substitute(from, to)
        });
    if options.tcp {
        builder.tcp()
    } else {
        builder
    }
}

/// Starts a SIPp caller as `user` dialling `number`, with `substitutions` applied to
/// the scenario (e.g. the expected failure code of `uac_reject`).
pub fn caller(
    daemon: &Daemon,
    user: TestUser,
    number: &str,
    scenario: &str,
    substitutions: &[(&str, &str)],
    dir: &TempDir,
) -> Result<Phone> {
    let options = PhoneOptions {
        substitutions,
        ..PhoneOptions::default()
    };
    caller_with(daemon, user, number, scenario, dir, &options)
}

/// [`caller`] with options.
pub fn caller_with(
    daemon: &Daemon,
    user: TestUser,
    number: &str,
    scenario: &str,
    dir: &TempDir,
    options: &PhoneOptions,
) -> Result<Phone> {
    let rtp = RtpEndpoint::with_payload_type(*b"E2EA", options.payload_type)?;
    let media_file = dir.path().join(format!("{}-caller.media", user.extension));
    let sipp = substituted(scenario, options)
        .remote(daemon.sip)
        .service(number)
        .auth(&user.username(), user.password)
        .key("caller", user.username())
        .key("rtp_ip", "127.0.0.1")
        .key("rtp_port", rtp.local.port())
        .key("media_file", media_file.display())
        .spawn()?;
    Ok(Phone {
        sipp,
        rtp,
        media_file,
        user,
    })
}

/// Tells the SIPp phone at `to` to hang up the dialog `call_id` (see sipp/README.md).
pub fn trigger_hangup(to: SocketAddr, call_id: &str) -> Result<()> {
    trigger(to, call_id)
}

/// Moves the SIPp phone at `to` past its next `<recv request="MESSAGE"/>` (hang up,
/// or answer in the early-media scenario): a MESSAGE straight to SIPp, which routes it
/// to the call by Call-ID. The box never sees it.
pub fn trigger(to: SocketAddr, call_id: &str) -> Result<()> {
    let socket = UdpSocket::bind("127.0.0.1:0").map_err(HarnessError::io("bind trigger socket"))?;
    let local = socket
        .local_addr()
        .map_err(HarnessError::io("trigger socket address"))?;
    let msg = format!(
        "MESSAGE sip:hangup@{to} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {local};branch={branch}\r\n\
         From: <sip:harness@{local}>;tag={tag}\r\n\
         To: <sip:hangup@{to}>\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: 1 MESSAGE\r\n\
         Max-Forwards: 70\r\n\
         Content-Length: 0\r\n\r\n",
        branch = unique("z9hG4bKtrigger"),
        tag = unique("harness"),
    );
    socket
        .send_to(msg.as_bytes(), to)
        .map_err(HarnessError::io("send hang-up trigger"))?;
    Ok(())
}
