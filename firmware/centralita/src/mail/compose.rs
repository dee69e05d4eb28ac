//! What the emails say (Spanish, the language of the box's users) and how a queued mail
//! becomes a MIME message. Pure: no clock, no files.

use chrono::{DateTime, Datelike, TimeZone, Timelike, Utc};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, Mailboxes, MultiPart, SinglePart};
use lettre::Message;
use store::{MailAttachment, NewMail, VoicemailMessage};

use super::error::MailError;

/// Longest caller or box name put in a subject: a SIP peer chooses the caller string.
const MAX_NAME_CHARS: usize = 80;

/// The email announcing a new voicemail message, to queue with `Store::add_voicemail_with_mail`
/// (then `MailHandle::wake`). `None` when the box has no email address. The time is shown in
/// the tenant's time zone when given, else in UTC.
pub fn voicemail_mail(
    message: &VoicemailMessage,
    box_name: &str,
    email: &str,
    time_zone: Option<chrono_tz::Tz>,
) -> Option<NewMail> {
    let to = email.trim();
    if to.is_empty() {
        return None;
    }
    let caller = match clean(&message.caller) {
        c if c.is_empty() => "número desconocido".to_owned(),
        c => c,
    };
    let box_name = clean(box_name);
    let received = DateTime::<Utc>::from_timestamp_millis(message.received_utc)
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let (when, stamp, zone) = match time_zone {
        Some(tz) => {
            let local = received.with_timezone(&tz);
            (
                spanish_date(&local),
                file_stamp(&local),
                tz.name().to_owned(),
            )
        }
        None => (
            spanish_date(&received),
            file_stamp(&received),
            "UTC".to_owned(),
        ),
    };
    let body = format!(
        "Tiene un mensaje de voz nuevo en el buzón «{box_name}».\n\n\
         De: {caller}\n\
         Fecha: {when} ({zone})\n\
         Duración: {}\n\n\
         El mensaje va adjunto en formato WAV.\n\n\
         --\n\
         Centralita\n",
        spanish_duration(message.duration_ms)
    );
    Some(NewMail {
        tenant_id: Some(message.tenant_id),
        to: to.to_owned(),
        subject: format!("Nuevo mensaje de voz de {caller} ({box_name})"),
        body,
        attachment: Some(MailAttachment {
            path: message.file.clone(),
            name: format!("mensaje-{stamp}.wav"),
            mime: "audio/wav".to_owned(),
        }),
    })
}

/// One line of at most `MAX_NAME_CHARS`, without control characters (no header injection).
fn clean(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_NAME_CHARS)
        .collect();
    one_line.trim().to_owned()
}

const WEEKDAYS: [&str; 7] = [
    "lunes",
    "martes",
    "miércoles",
    "jueves",
    "viernes",
    "sábado",
    "domingo",
];
const MONTHS: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

/// "miércoles, 25 de noviembre de 2026, 09:05:03" (chrono's own locales need an unstable
/// feature; two tables are simpler).
fn spanish_date<Z: TimeZone>(t: &DateTime<Z>) -> String {
    let weekday = WEEKDAYS
        .get(t.weekday().num_days_from_monday() as usize)
        .copied()
        .unwrap_or("");
    let month = MONTHS.get(t.month0() as usize).copied().unwrap_or("");
    format!(
        "{weekday}, {} de {month} de {}, {:02}:{:02}:{:02}",
        t.day(),
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// "20261125-090503": sorts by time and is safe in any file system.
fn file_stamp<Z: TimeZone>(t: &DateTime<Z>) -> String {
    format!(
        "{:04}{:02}{:02}-{:02}{:02}{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// "42 s", "1 min 5 s".
fn spanish_duration(ms: u32) -> String {
    let secs = (u64::from(ms) + 500) / 1000;
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s} s"),
        (m, s) => format!("{m} min {s} s"),
    }
}

/// The attachment of a queued mail as the sender found it on disk.
#[derive(Debug)]
pub enum AttachmentContent {
    /// The mail has none.
    None,
    Bytes(Vec<u8>),
    /// The file is gone (the message was deleted or expired before the mail could be sent) or
    /// too large: the mail is still sent, saying so.
    Unavailable {
        reason: &'static str,
    },
}

/// The MIME message for a queued mail: plain text, plus the attachment when there is one.
pub fn build_message(
    mail: &NewMail,
    from: &Mailbox,
    attachment: AttachmentContent,
) -> Result<Message, MailError> {
    let to: Mailboxes = mail.to.parse().map_err(|source| MailError::BadAddress {
        address: mail.to.clone(),
        source,
    })?;
    let mut builder = Message::builder()
        .from(from.clone())
        .subject(clean_subject(&mail.subject));
    for mailbox in to {
        builder = builder.to(mailbox);
    }
    let text = |body: String| SinglePart::plain(body);
    let built = match (attachment, &mail.attachment) {
        (AttachmentContent::Bytes(bytes), Some(a)) => {
            let mime = ContentType::parse(&a.mime).map_err(|_| MailError::BadContentType {
                mime: a.mime.clone(),
            })?;
            let file = Attachment::new(a.name.clone()).body(bytes, mime);
            builder.multipart(
                MultiPart::mixed()
                    .singlepart(text(mail.body.clone()))
                    .singlepart(file),
            )
        }
        (AttachmentContent::Unavailable { reason }, Some(a)) => builder.singlepart(text(format!(
            "{}\n(El archivo adjunto {} no se incluye: {reason}.)\n",
            mail.body, a.name
        ))),
        _ => builder.singlepart(text(mail.body.clone())),
    };
    built.map_err(|source| MailError::Build { source })
}

fn clean_subject(subject: &str) -> String {
    subject
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests may unwrap

    use super::*;

    fn message(caller: &str) -> VoicemailMessage {
        VoicemailMessage {
            id: 1,
            tenant_id: 20191,
            box_id: "vm700".into(),
            caller: caller.into(),
            // 2023-11-14 22:13:20 UTC, 23:13:20 in Madrid.
            received_utc: 1_700_000_000_000,
            duration_ms: 65_400,
            file: "voicemail/20191/vm700/1700000000000-1.wav".into(),
            heard: false,
        }
    }

    #[test]
    fn voicemail_mail_in_spanish_with_local_time() {
        let m = voicemail_mail(
            &message("600111222"),
            "Ventas",
            " ventas@example.com ",
            Some(chrono_tz::Europe::Madrid),
        )
        .unwrap();
        assert_eq!(m.to, "ventas@example.com");
        assert_eq!(m.tenant_id, Some(20191));
        assert_eq!(m.subject, "Nuevo mensaje de voz de 600111222 (Ventas)");
        assert!(m.body.contains("De: 600111222\n"), "{}", m.body);
        assert!(
            m.body
                .contains("Fecha: martes, 14 de noviembre de 2023, 23:13:20 (Europe/Madrid)"),
            "{}",
            m.body
        );
        assert!(m.body.contains("Duración: 1 min 5 s"), "{}", m.body);
        let a = m.attachment.unwrap();
        assert_eq!(a.name, "mensaje-20231114-231320.wav");
        assert_eq!(a.mime, "audio/wav");
        assert_eq!(a.path, "voicemail/20191/vm700/1700000000000-1.wav");
    }

    #[test]
    fn utc_without_time_zone_and_no_mail_without_address() {
        let m = voicemail_mail(&message("10"), "B", "a@b.es", None).unwrap();
        assert!(m.body.contains("22:13:20 (UTC)"));
        assert!(voicemail_mail(&message("10"), "B", "  ", None).is_none());
    }

    #[test]
    fn hostile_caller_cannot_inject_headers() {
        let evil = format!("x\r\nBcc: victim@example.com\r\n{}", "A".repeat(500));
        let m = voicemail_mail(&message(&evil), "B", "a@b.es", None).unwrap();
        assert!(!m.subject.contains('\r') && !m.subject.contains('\n'));
        assert!(m.subject.len() < 200);
        let anonymous = voicemail_mail(&message(" \u{7} "), "B", "a@b.es", None).unwrap();
        assert!(anonymous.subject.contains("número desconocido"));
    }

    #[test]
    fn durations() {
        assert_eq!(spanish_duration(0), "0 s");
        assert_eq!(spanish_duration(42_499), "42 s");
        assert_eq!(spanish_duration(59_600), "1 min 0 s");
        assert_eq!(spanish_duration(u32::MAX), "71582 min 47 s");
    }

    fn from() -> Mailbox {
        "Centralita <pbx@example.com>".parse().unwrap()
    }

    #[test]
    fn message_with_attachment_and_several_recipients() {
        let mut m = voicemail_mail(&message("600"), "Ventas", "a@b.es", None).unwrap();
        m.to = "a@b.es, Jefa <c@d.es>".into();
        let wav = b"RIFF....WAVE".to_vec();
        let built = build_message(&m, &from(), AttachmentContent::Bytes(wav)).unwrap();
        assert_eq!(built.envelope().to().len(), 2);
        let text = String::from_utf8(built.formatted()).unwrap();
        assert!(text.contains("multipart/mixed"), "{text}");
        assert!(text.contains("audio/wav"), "{text}");
        assert!(text.contains("mensaje-20231114-221320.wav"), "{text}");
    }

    #[test]
    fn message_when_the_file_is_gone_or_there_is_none() {
        let m = voicemail_mail(&message("600"), "Ventas", "a@b.es", None).unwrap();
        let built = build_message(
            &m,
            &from(),
            AttachmentContent::Unavailable {
                reason: "ya no está en la centralita",
            },
        )
        .unwrap();
        let text = String::from_utf8(built.formatted()).unwrap();
        assert!(!text.contains("multipart"), "{text}");
        let plain = NewMail {
            attachment: None,
            ..m
        };
        assert!(build_message(&plain, &from(), AttachmentContent::None).is_ok());
    }

    #[test]
    fn bad_recipient_is_a_permanent_error() {
        let mut m = voicemail_mail(&message("600"), "Ventas", "a@b.es", None).unwrap();
        m.to = "not an address".into();
        let e = build_message(&m, &from(), AttachmentContent::None).unwrap_err();
        assert!(e.is_permanent(), "{e}");
        m.to = "a@b.es".into();
        m.attachment.as_mut().unwrap().mime = "no type".into();
        let e = build_message(&m, &from(), AttachmentContent::Bytes(vec![1])).unwrap_err();
        assert!(matches!(e, MailError::BadContentType { .. }));
    }
}
