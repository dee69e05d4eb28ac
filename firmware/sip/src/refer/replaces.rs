//! The Replaces header (RFC 3891 §6.1): `callid;to-tag=x;from-tag=y[;early-only]`, and the
//! decision a UA takes when an INVITE carries one (§3).
use super::ReferError;
use crate::header::lex::is_token;

/// Longest Call-ID kept. Phones use 20–80 characters; the cap bounds memory per request.
pub const MAX_CALL_ID: usize = 256;
/// Longest tag kept.
pub const MAX_TAG: usize = 128;
/// Longest Replaces value accepted (Call-ID, both tags and some generic parameters).
pub const MAX_REPLACES: usize = 1024;

/// One Replaces value. Tags are named as on the wire: `to_tag` is the tag of the receiver of the
/// INVITE-with-Replaces (its local tag), `from_tag` that of the other end (its remote tag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaces {
    pub call_id: String,
    pub to_tag: String,
    pub from_tag: String,
    /// Only an early (still ringing) dialog may be replaced; a confirmed one answers 486.
    pub early_only: bool,
}

/// State of the dialog a Replaces named, as the pbx knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogState {
    /// Ringing. `initiated_here` is true when this side sent the INVITE (it is the UAC).
    Early {
        initiated_here: bool,
    },
    Confirmed,
    Terminated,
}

/// A dialog from the point of view of whoever received the INVITE with Replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplacedDialog<'a> {
    pub call_id: &'a str,
    pub local_tag: &'a str,
    pub remote_tag: &'a str,
    pub state: DialogState,
}

/// What RFC 3891 §3 says to do with an INVITE whose Replaces was matched against a dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplacesVerdict {
    /// Accept the new INVITE, then end the old dialog (BYE if confirmed, CANCEL if early).
    Replace,
    /// 481: no such dialog, or an early dialog this side did not initiate (replacing it would
    /// answer someone else's ringing call).
    NoDialog,
    /// 486: `early-only` and the dialog is already answered.
    Busy,
    /// 603: the dialog has already ended.
    Declined,
}

impl ReplacesVerdict {
    /// The response code to send instead of accepting, if any.
    pub fn reject_status(self) -> Option<u16> {
        match self {
            ReplacesVerdict::Replace => None,
            ReplacesVerdict::NoDialog => Some(481),
            ReplacesVerdict::Busy => Some(486),
            ReplacesVerdict::Declined => Some(603),
        }
    }
}

impl Replaces {
    /// Parses one value (already %-decoded when it came from a Refer-To URI). Exactly one
    /// to-tag and one from-tag are required; unknown generic parameters are ignored.
    pub fn parse(value: &str) -> Result<Replaces, ReferError> {
        if value.len() > MAX_REPLACES {
            return Err(ReferError::TooLong {
                header: "Replaces",
                len: value.len(),
                max: MAX_REPLACES,
            });
        }
        let mut parts = value.split(';');
        let call_id = parts.next().unwrap_or_default().trim();
        if !is_call_id(call_id) {
            return Err(ReferError::CallId);
        }
        let (mut to_tag, mut from_tag, mut early_only) = (None, None, false);
        for part in parts {
            let (name, val) = match part.split_once('=') {
                Some((n, v)) => (n.trim(), Some(v.trim())),
                None => (part.trim(), None),
            };
            if name.is_empty() {
                return Err(ReferError::EmptyParam);
            }
            if name.eq_ignore_ascii_case("to-tag") {
                set_tag(&mut to_tag, val, "to-tag")?;
            } else if name.eq_ignore_ascii_case("from-tag") {
                set_tag(&mut from_tag, val, "from-tag")?;
            } else if name.eq_ignore_ascii_case("early-only") {
                // The flag has no value in the grammar; a stray `=x` does not change its meaning.
                early_only = true;
            }
        }
        Ok(Replaces {
            call_id: call_id.to_string(),
            to_tag: to_tag.ok_or(ReferError::MissingParam { param: "to-tag" })?,
            from_tag: from_tag.ok_or(ReferError::MissingParam { param: "from-tag" })?,
            early_only,
        })
    }

    /// Whether this Replaces names the dialog: same Call-ID, `to-tag` = local tag, `from-tag` =
    /// remote tag (RFC 3891 §3: the tags are compared as if they came in a request to us).
    /// Identifiers compare byte for byte, as dialog ids do.
    pub fn names(&self, call_id: &str, local_tag: &str, remote_tag: &str) -> bool {
        self.call_id == call_id && self.to_tag == local_tag && self.from_tag == remote_tag
    }

    /// Like [`Replaces::names`] but also accepts the two tags swapped. Some transferors fill the
    /// tags from their own point of view; Call-ID plus the two tags still identify one dialog, so
    /// the pbx may use this as a fallback after a strict lookup fails.
    pub fn names_either_way(&self, call_id: &str, local_tag: &str, remote_tag: &str) -> bool {
        self.names(call_id, local_tag, remote_tag) || self.names(call_id, remote_tag, local_tag)
    }

    /// RFC 3891 §3 decision for `dialog`, the dialog the pbx looked up for this Replaces
    /// (`None` when it found none).
    pub fn verdict(&self, dialog: Option<&ReplacedDialog<'_>>) -> ReplacesVerdict {
        let Some(d) = dialog else {
            return ReplacesVerdict::NoDialog;
        };
        if !self.names(d.call_id, d.local_tag, d.remote_tag) {
            return ReplacesVerdict::NoDialog;
        }
        match d.state {
            DialogState::Terminated => ReplacesVerdict::Declined,
            DialogState::Confirmed if self.early_only => ReplacesVerdict::Busy,
            DialogState::Confirmed => ReplacesVerdict::Replace,
            DialogState::Early {
                initiated_here: true,
            } => ReplacesVerdict::Replace,
            DialogState::Early {
                initiated_here: false,
            } => ReplacesVerdict::NoDialog,
        }
    }
}

impl std::fmt::Display for Replaces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{};to-tag={};from-tag={}",
            self.call_id, self.to_tag, self.from_tag
        )?;
        if self.early_only {
            f.write_str(";early-only")?;
        }
        Ok(())
    }
}

/// RFC 3261 `callid = word ["@" word]`, loosened to any visible ASCII but `;` (which would end
/// it): a Call-ID is only ever compared byte for byte, so odd characters cannot mislead.
fn is_call_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_CALL_ID && s.bytes().all(|b| b.is_ascii_graphic() && b != b';')
}

fn set_tag(
    slot: &mut Option<String>,
    value: Option<&str>,
    param: &'static str,
) -> Result<(), ReferError> {
    if slot.is_some() {
        return Err(ReferError::DuplicateParam { param });
    }
    let v = value.ok_or(ReferError::BadParam { param })?;
    if v.len() > MAX_TAG || !is_token(v) {
        return Err(ReferError::BadParam { param });
    }
    *slot = Some(v.to_string());
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc3891_examples_and_prints_back() {
        let r = Replaces::parse("98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff").unwrap();
        assert_eq!(r.call_id, "98732@sip.example.com");
        assert_eq!(
            (r.to_tag.as_str(), r.from_tag.as_str()),
            ("ff87ff", "r33th4x0r")
        );
        assert!(!r.early_only);
        assert_eq!(
            r.to_string(),
            "98732@sip.example.com;to-tag=ff87ff;from-tag=r33th4x0r"
        );
        let r = Replaces::parse(" 12adf2f34456gs5;to-tag = 12345 ; from-tag=54321;early-only ")
            .unwrap();
        assert!(r.early_only);
        assert_eq!(Replaces::parse(&r.to_string()).unwrap(), r);
        let r = Replaces::parse("x;TO-TAG=a;From-Tag=b;foo=bar;baz").unwrap();
        assert_eq!((r.to_tag.as_str(), r.from_tag.as_str()), ("a", "b"));
    }

    #[test]
    fn refusals() {
        use ReferError::*;
        let cases: &[(&str, ReferError)] = &[
            ("", CallId),
            (";to-tag=a;from-tag=b", CallId),
            ("a b;to-tag=a;from-tag=b", CallId),
            ("abc;from-tag=b", MissingParam { param: "to-tag" }),
            ("abc;to-tag=a", MissingParam { param: "from-tag" }),
            (
                "abc;to-tag=a;to-tag=a;from-tag=b",
                DuplicateParam { param: "to-tag" },
            ),
            ("abc;to-tag;from-tag=b", BadParam { param: "to-tag" }),
            ("abc;to-tag=;from-tag=b", BadParam { param: "to-tag" }),
            ("abc;to-tag=a\"b;from-tag=b", BadParam { param: "to-tag" }),
            ("abc;;to-tag=a;from-tag=b", EmptyParam),
        ];
        for (text, want) in cases {
            assert_eq!(Replaces::parse(text).unwrap_err(), *want, "{text}");
        }
        let long = format!("{};to-tag=a;from-tag=b", "c".repeat(MAX_CALL_ID + 1));
        assert_eq!(Replaces::parse(&long).unwrap_err(), CallId);
        let huge = "x".repeat(MAX_REPLACES + 1);
        assert!(matches!(Replaces::parse(&huge), Err(TooLong { .. })));
    }

    #[test]
    fn matching_and_verdicts() {
        let r = Replaces::parse("cid@h;to-tag=mine;from-tag=theirs").unwrap();
        assert!(r.names("cid@h", "mine", "theirs"));
        assert!(!r.names("cid@h", "theirs", "mine"));
        assert!(r.names_either_way("cid@h", "theirs", "mine"));
        assert!(!r.names("CID@h", "mine", "theirs"));
        let dialog = |state| ReplacedDialog {
            call_id: "cid@h",
            local_tag: "mine",
            remote_tag: "theirs",
            state,
        };
        use DialogState::*;
        use ReplacesVerdict::*;
        assert_eq!(r.verdict(None), NoDialog);
        assert_eq!(r.verdict(Some(&dialog(Confirmed))), Replace);
        assert_eq!(r.verdict(Some(&dialog(Terminated))), Declined);
        let early_here = Early {
            initiated_here: true,
        };
        let early_there = Early {
            initiated_here: false,
        };
        assert_eq!(r.verdict(Some(&dialog(early_here))), Replace);
        assert_eq!(r.verdict(Some(&dialog(early_there))), NoDialog);
        let other = ReplacedDialog {
            remote_tag: "else",
            ..dialog(Confirmed)
        };
        assert_eq!(r.verdict(Some(&other)), NoDialog);
        let early_only = Replaces {
            early_only: true,
            ..r
        };
        assert_eq!(early_only.verdict(Some(&dialog(Confirmed))), Busy);
        assert_eq!(early_only.verdict(Some(&dialog(early_here))), Replace);
        assert_eq!(Busy.reject_status(), Some(486));
        assert_eq!(NoDialog.reject_status(), Some(481));
        assert_eq!(Declined.reject_status(), Some(603));
        assert_eq!(Replace.reject_status(), None);
    }
}
