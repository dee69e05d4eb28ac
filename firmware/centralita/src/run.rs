//! `centralita run`: opens the data folder, creates the demo tenant on a first start, binds the
//! sockets and drives the engine until SIGTERM/SIGINT.
use crate::config::{advertised_ip, RunArgs};
use crate::engine::{Control, Engine};
use crate::rtp_relay::{PortPool, RelayTable};
use crate::tcp::TcpRegistry;
use anyhow::Context;
use pbx::{Cdr, Pbx, PbxConfig, WallClock};
use rand::{Rng, SeedableRng};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use store::Store;
use tokio::sync::{mpsc, watch};

struct SystemClock;

impl WallClock for SystemClock {
    fn unix_ms(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// A strong SIP password: 20 characters from an unambiguous alphabet (~115 bits).
fn generate_password(rng: &mut impl Rng) -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..20)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

pub fn run(args: RunArgs) -> anyhow::Result<()> {
    raise_fd_limit();
    std::fs::create_dir_all(&args.data)
        .with_context(|| format!("creating data folder {}", args.data.display()))?;
    let mut store = Store::open(&args.data)
        .with_context(|| format!("opening the store in {}", args.data.display()))?;
    if store.tenant_count()? == 0 {
        let mut rng = rand::rngs::OsRng;
        let passwords = [generate_password(&mut rng), generate_password(&mut rng)];
        let demo = store.create_demo_tenant(passwords)?;
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "first start: created demo tenant {}",
            store::DEMO_TENANT_ID
        )?;
        for ext in demo {
            writeln!(
                out,
                "extension {}  username {}  password {}",
                ext.extension, ext.username, ext.password
            )?;
        }
        out.flush()?;
    }
    let directory = Arc::new(crate::snapshot::load(&store, &args.data)?);
    tracing::info!(
        accounts = directory.account_count(),
        dids = directory.routes.len(),
        "configuration loaded"
    );
    drop(store);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(serve(args, directory))
}

async fn serve(args: RunArgs, directory: Arc<pbx::Directory>) -> anyhow::Result<()> {
    let advertised = advertised_ip(args.sip.ip(), args.advertise);
    let udp = bind_udp(args.sip)?;
    let sip_local = udp.local_addr()?;
    let tcp_listener = tokio::net::TcpListener::bind(args.sip)
        .await
        .with_context(|| format!("binding SIP TCP on {}", args.sip))?;
    let sip_addr = SocketAddr::new(advertised, sip_local.port());

    let bind_ip = args.sip.ip();
    let pool = PortPool::new(args.rtp_ports.0, args.rtp_ports.1, bind_ip)
        .with_context(|| format!("RTP port range {:?}", args.rtp_ports))?;
    let mut anchor = RelayTable::new(pool).with_own_ips(vec![advertised, bind_ip]);
    // DTMF and the ends of playbacks and recordings, for the call brain.
    let media_events_rx = anchor
        .events()
        .ok_or_else(|| anyhow::anyhow!("media relay events already taken"))?;
    let mail = crate::mail::start(&args.data, args.mail.clone())
        .context("voicemail email (--smtp-* options)")?;
    let mail = Arc::new(mail);
    let mail_for_effects = mail.clone();

    let (cdr_tx, cdr_rx) = std::sync::mpsc::channel::<Cdr>();
    let cdr_thread = spawn_cdr_writer(args.data.clone(), cdr_rx)?;
    let (effects_tx, effects_rx) = std::sync::mpsc::channel::<pbx::call::AppEffect>();

    let config = PbxConfig {
        sip_addr,
        media_ip: advertised,
        timers: Default::default(),
        registrar: Default::default(),
        user_agent: format!("Centralita/{}", env!("CARGO_PKG_VERSION")),
        digest_algorithms: args.digest.clone(),
        guard: pbx::guard::GuardConfig {
            flood_per_sec: args.flood_limit,
            ..Default::default()
        },
    };
    let pbx = Pbx::new(
        config,
        directory,
        Box::new(anchor),
        Box::new(SystemClock),
        Box::new(rand::rngs::StdRng::from_entropy()),
        Instant::now(),
    );
    let resolver = match crate::resolver::DnsResolver::from_system() {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "no system DNS configuration; trunk names resolve through 127.0.0.53");
            crate::resolver::DnsResolver::with_name_server(SocketAddr::from(([127, 0, 0, 53], 53)))
        }
    };
    let (resolved_tx, resolved_rx) = mpsc::unbounded_channel();
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let (tcp_tx, tcp_rx) = mpsc::channel(1024);
    let (control_tx, control_rx) = mpsc::channel(256);
    let effects_thread = crate::app_effects::spawn(
        args.data.clone(),
        effects_rx,
        control_tx.clone(),
        Box::new(move || mail_for_effects.wake()),
    )?;
    let registry = TcpRegistry::default();
    tokio::spawn(crate::tcp::serve(tcp_listener, registry.clone(), tcp_tx));
    let engine = Engine {
        pbx,
        udp: Arc::new(udp),
        tcp_events: tcp_rx,
        tcp: registry,
        cdr_out: cdr_tx,
        shutdown: shutdown_rx,
        control: control_rx,
        resolver: Arc::new(resolver),
        resolved_tx,
        resolved: resolved_rx,
        data_dir: args.data.clone(),
        media_events: media_events_rx,
        effects_out: effects_tx,
    };
    let engine_task = tokio::spawn(engine.run());

    let mut signals = Signals::install()?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "centralita ready sip={sip_local} advertised={sip_addr}"
        )?;
        out.flush()?;
    }
    tracing::info!(%sip_local, %sip_addr, "SIP listening on UDP and TCP");

    let mut engine_task = engine_task;
    tokio::select! {
        stop = wait_for_stop(&mut signals, &args.data, &control_tx) => stop?,
        ended = &mut engine_task => {
            // A bug that kills the SIP engine must not leave a process that looks alive but
            // answers nothing: exit non-zero so the supervisor (systemd) restarts the box's PBX.
            anyhow::bail!("the SIP engine stopped unexpectedly: {ended:?}");
        }
    }
    tracing::info!("shutting down");
    let _ = shutdown_tx.send(true);
    let _ = engine_task.await;
    // The engine owned the last CDR sender: the writer drains what is queued and exits.
    let _ = tokio::task::spawn_blocking(move || cdr_thread.join()).await;
    // The engine also owned the effects sender: pending voicemails are stored before exit.
    let _ = tokio::task::spawn_blocking(move || effects_thread.join()).await;
    // The effects thread held the other handle: the mail thread finishes its current exchange.
    if let Ok(mail) = Arc::try_unwrap(mail) {
        let _ = tokio::task::spawn_blocking(move || mail.shutdown()).await;
    }
    Ok(())
}

/// Each bridged call holds four UDP sockets; the usual soft limit of 1,024 descriptors would cap
/// the box at ~250 calls.
fn raise_fd_limit() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        if soft < hard {
            if let Err(e) = setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
                tracing::warn!(error = %e, "could not raise the open-file limit");
            }
        }
    }
}

fn bind_udp(addr: SocketAddr) -> anyhow::Result<tokio::net::UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    // Bursts of thousands of REGISTERs must queue in the kernel, not be dropped.
    let _ = socket.set_recv_buffer_size(8 * 1024 * 1024);
    let _ = socket.set_send_buffer_size(8 * 1024 * 1024);
    socket.set_nonblocking(true)?;
    socket
        .bind(&addr.into())
        .with_context(|| format!("binding SIP UDP on {addr}"))?;
    Ok(tokio::net::UdpSocket::from_std(socket.into())?)
}

/// Waits for SIGTERM/SIGINT. SIGHUP reloads accounts and numbers from the store (after
/// `centralita import` into a running box) without dropping registrations or calls.
/// The signals the daemon handles, installed before `centralita ready` is printed so that a
/// SIGTERM right after start (a supervisor's quick stop) still gets a clean shutdown.
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> anyhow::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            hup: signal(SignalKind::hangup())?,
        })
    }
}

async fn wait_for_stop(
    signals: &mut Signals,
    data: &std::path::Path,
    control: &mpsc::Sender<Control>,
) -> anyhow::Result<()> {
    let Signals { term, int, hup } = signals;
    loop {
        tokio::select! {
            _ = term.recv() => return Ok(()),
            _ = int.recv() => return Ok(()),
            _ = hup.recv() => {
                match Store::open(data).and_then(|s| crate::snapshot::load(&s, data)) {
                    Ok(dir) => {
                        tracing::info!(accounts = dir.account_count(), "configuration reloaded");
                        let _ = control.send(Control::ReplaceDirectory(Arc::new(dir))).await;
                    }
                    Err(e) => tracing::error!(error = %e, "reloading the directory failed"),
                }
            }
        }
    }
}

/// CDRs are written by one thread in batches: each batch is one transaction (one fsync), which is
/// what lets a Pi keep up with hundreds of calls per second with synchronous=FULL.
fn spawn_cdr_writer(
    data: std::path::PathBuf,
    rx: std::sync::mpsc::Receiver<Cdr>,
) -> anyhow::Result<std::thread::JoinHandle<()>> {
    let mut store = Store::open(&data)?;
    Ok(std::thread::Builder::new()
        .name("cdr-writer".into())
        .spawn(move || {
            while let Ok(first) = rx.recv() {
                let mut recordings = Vec::new();
                let mut batch = vec![to_record(first, &data, &mut recordings)];
                while batch.len() < 500 {
                    match rx.try_recv() {
                        Ok(cdr) => batch.push(to_record(cdr, &data, &mut recordings)),
                        Err(_) => break,
                    }
                }
                if let Err(e) = store.insert_cdrs(&batch) {
                    tracing::error!(error = %e, count = batch.len(), "storing CDRs failed");
                }
                // After the CDRs: adding a recording links the CDRs of its call.
                for recording in recordings {
                    if let Err(e) = store.add_recording(&recording) {
                        tracing::error!(error = %e, file = %recording.file, "storing a recording failed");
                    }
                }
            }
        })?)
}

fn to_record(
    c: Cdr,
    data: &std::path::Path,
    recordings: &mut Vec<store::Recording>,
) -> store::CdrRecord {
    if let Some(path) = &c.recording {
        let relative = path.strip_prefix(data).unwrap_or(path);
        recordings.push(store::Recording {
            id: 0,
            tenant_id: c.tenant_id,
            call_id: c.call_id.clone(),
            created_utc: c.answer_ms.unwrap_or(c.start_ms),
            duration_ms: u32::try_from(c.end_ms - c.answer_ms.unwrap_or(c.end_ms)).unwrap_or(0),
            file: relative.to_string_lossy().into_owned(),
        });
    }
    store::CdrRecord {
        tenant_id: c.tenant_id,
        call_id: c.call_id,
        start_utc: c.start_ms,
        answer_utc: c.answer_ms,
        end_utc: c.end_ms,
        billable_secs: c.billable_secs,
        direction: match c.direction {
            pbx::Direction::Internal => store::Direction::Internal,
            pbx::Direction::Incoming => store::Direction::Incoming,
            pbx::Direction::Outgoing => store::Direction::Outgoing,
        },
        source: c.source,
        destination: c.destination,
        did: c.did,
        disposition: match c.disposition {
            pbx::Disposition::Answered => store::Disposition::Answered,
            pbx::Disposition::NoAnswer => store::Disposition::NoAnswer,
            pbx::Disposition::Busy => store::Disposition::Busy,
            pbx::Disposition::Failed => store::Disposition::Failed,
        },
        hangup_cause: c.hangup_cause,
        caller_id_presented: c.caller_id_presented,
        queue: None,
        agent: None,
        trunk: c.trunk,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_strong_and_distinct() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let a = generate_password(&mut rng);
        let b = generate_password(&mut rng);
        assert_eq!(a.len(), 20);
        assert_ne!(a, b);
    }
}
