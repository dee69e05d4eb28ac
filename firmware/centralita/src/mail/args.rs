//! `--smtp-*` options (flattened into `centralita run`) and the settings derived from them.

use clap::{Args, ValueEnum};
use lettre::message::Mailbox;

use super::error::MailError;

/// Environment variable read for the SMTP password when `--smtp-password` is not given (so the
/// password need not appear in the process list).
pub const PASSWORD_ENV: &str = "CENTRALITA_SMTP_PASSWORD";

#[derive(Args, Clone, Default)]
pub struct MailArgs {
    /// SMTP server for voicemail emails. Without it, emails stay queued until a restart with it.
    #[arg(long)]
    pub smtp_host: Option<String>,
    /// SMTP port (default: 25 with --smtp-tls none, 587 with starttls, 465 with tls).
    #[arg(long)]
    pub smtp_port: Option<u16>,
    /// SMTP user name (AUTH); no authentication without it.
    #[arg(long)]
    pub smtp_user: Option<String>,
    /// SMTP password (default: the environment variable CENTRALITA_SMTP_PASSWORD).
    #[arg(long)]
    pub smtp_password: Option<String>,
    /// Transport security: none, starttls (required, not opportunistic) or tls (implicit TLS).
    #[arg(long, value_enum, default_value_t = SmtpTls::Starttls)]
    pub smtp_tls: SmtpTls,
    /// Sender address (default: the user name when it is an address, else centralita@<host>).
    #[arg(long)]
    pub smtp_from: Option<String>,
    /// Accept any server certificate and name (self-signed servers, tests). Insecure.
    #[arg(long)]
    pub smtp_accept_invalid_certs: bool,
}

/// Written by hand so that printing the run options never shows the password.
impl std::fmt::Debug for MailArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailArgs")
            .field("smtp_host", &self.smtp_host)
            .field("smtp_port", &self.smtp_port)
            .field("smtp_user", &self.smtp_user)
            .field(
                "smtp_password",
                &self.smtp_password.as_ref().map(|_| "<hidden>"),
            )
            .field("smtp_tls", &self.smtp_tls)
            .field("smtp_from", &self.smtp_from)
            .field("smtp_accept_invalid_certs", &self.smtp_accept_invalid_certs)
            .finish()
    }
}

#[derive(ValueEnum, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SmtpTls {
    None,
    #[default]
    Starttls,
    Tls,
}

impl SmtpTls {
    pub fn default_port(self) -> u16 {
        match self {
            SmtpTls::None => 25,
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
        }
    }
}

/// Everything the sender needs to reach the server, checked once at start.
#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    /// User and password.
    pub credentials: Option<(String, String)>,
    pub from: Mailbox,
    pub accept_invalid_certs: bool,
}

/// Never prints the password (settings end up in logs).
impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.credentials.as_ref().map(|c| &c.0))
            .field("from", &self.from)
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .finish()
    }
}

impl MailArgs {
    /// The settings, `Ok(None)` when no SMTP server is configured. `env_password` is the value
    /// of `PASSWORD_ENV` (passed in so tests do not depend on the environment).
    pub fn settings(
        &self,
        env_password: Option<String>,
    ) -> Result<Option<SmtpSettings>, MailError> {
        let Some(host) = self
            .smtp_host
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())
        else {
            return Ok(None);
        };
        let credentials = match &self.smtp_user {
            Some(user) => {
                let password = self
                    .smtp_password
                    .clone()
                    .or(env_password)
                    .ok_or(MailError::MissingPassword)?;
                Some((user.clone(), password))
            }
            None => None,
        };
        let from_text = match (&self.smtp_from, &self.smtp_user) {
            (Some(from), _) => from.clone(),
            (None, Some(user)) if user.contains('@') => user.clone(),
            (None, _) => format!("centralita@{host}"),
        };
        let from = from_text
            .parse::<Mailbox>()
            .map_err(|source| MailError::BadAddress {
                address: from_text,
                source,
            })?;
        Ok(Some(SmtpSettings {
            host: host.to_owned(),
            port: self.smtp_port.unwrap_or(self.smtp_tls.default_port()),
            tls: self.smtp_tls,
            credentials,
            from,
            accept_invalid_certs: self.smtp_accept_invalid_certs,
        }))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests may unwrap

    use super::*;

    fn args(host: Option<&str>) -> MailArgs {
        MailArgs {
            smtp_host: host.map(str::to_owned),
            ..MailArgs::default()
        }
    }

    #[test]
    fn no_host_is_not_configured() {
        assert!(args(None).settings(None).unwrap().is_none());
        assert!(args(Some(" ")).settings(None).unwrap().is_none());
    }

    #[test]
    fn port_follows_tls_mode_and_from_defaults() {
        let mut a = args(Some("mail.example.com"));
        let s = a.settings(None).unwrap().unwrap();
        assert_eq!((s.port, s.tls), (587, SmtpTls::Starttls));
        assert_eq!(s.from.email.to_string(), "centralita@mail.example.com");
        assert!(s.credentials.is_none());
        a.smtp_tls = SmtpTls::Tls;
        assert_eq!(a.settings(None).unwrap().unwrap().port, 465);
        a.smtp_tls = SmtpTls::None;
        assert_eq!(a.settings(None).unwrap().unwrap().port, 25);
        a.smtp_port = Some(2525);
        assert_eq!(a.settings(None).unwrap().unwrap().port, 2525);
    }

    #[test]
    fn password_from_flag_or_environment() {
        let mut a = args(Some("mail.example.com"));
        a.smtp_user = Some("buzon@example.com".into());
        assert!(matches!(a.settings(None), Err(MailError::MissingPassword)));
        let s = a.settings(Some("env".into())).unwrap().unwrap();
        assert_eq!(
            s.credentials,
            Some(("buzon@example.com".into(), "env".into()))
        );
        assert_eq!(s.from.email.to_string(), "buzon@example.com");
        a.smtp_password = Some("flag".into());
        let s = a.settings(Some("env".into())).unwrap().unwrap();
        assert_eq!(s.credentials.unwrap().1, "flag");
    }

    #[test]
    fn bad_sender_is_refused() {
        let mut a = args(Some("mail.example.com"));
        a.smtp_from = Some("not an address".into());
        assert!(matches!(
            a.settings(None),
            Err(MailError::BadAddress { .. })
        ));
        a.smtp_from = Some("Centralita <pbx@example.com>".into());
        let s = a.settings(None).unwrap().unwrap();
        assert_eq!(s.from.name.as_deref(), Some("Centralita"));
    }
}
