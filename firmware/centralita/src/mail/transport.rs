//! The SMTP connection: lettre's blocking transport over rustls (ring provider).

use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};

use super::args::{SmtpSettings, SmtpTls};
use super::error::MailError;

/// Per SMTP command: a server that hangs does not hold the sender (and the retention sweep
/// that shares its thread) for lettre's default minute.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

pub fn build(settings: &SmtpSettings) -> Result<SmtpTransport, MailError> {
    let tls = match settings.tls {
        SmtpTls::None => Tls::None,
        SmtpTls::Starttls => Tls::Required(tls_parameters(settings)?),
        SmtpTls::Tls => Tls::Wrapper(tls_parameters(settings)?),
    };
    let mut builder = SmtpTransport::builder_dangerous(settings.host.clone())
        .port(settings.port)
        .tls(tls)
        .timeout(Some(COMMAND_TIMEOUT));
    if let Some((user, password)) = &settings.credentials {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    Ok(builder.build())
}

fn tls_parameters(settings: &SmtpSettings) -> Result<TlsParameters, MailError> {
    TlsParameters::builder(settings.host.clone())
        .dangerous_accept_invalid_certs(settings.accept_invalid_certs)
        .dangerous_accept_invalid_hostnames(settings.accept_invalid_certs)
        .build_rustls()
        .map_err(|source| MailError::Tls {
            host: settings.host.clone(),
            source,
        })
}

pub fn send(transport: &SmtpTransport, message: &Message) -> Result<(), MailError> {
    transport
        .send(message)
        .map(|_| ())
        .map_err(|source| MailError::Smtp { source })
}
