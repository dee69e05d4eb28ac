//! The `application/simple-message-summary` body (RFC 3842 §5.2).
use super::Summary;

/// `Messages-Waiting` says whether there is anything *new*; the voice counts are new/old, with
/// the urgent counts (which the box does not track) as zeros.
pub fn render(summary: Summary, message_account: &str) -> String {
    format!(
        "Messages-Waiting: {}\r\nMessage-Account: {}\r\nVoice-Message: {}/{} (0/0)\r\n",
        if summary.new > 0 { "yes" } else { "no" },
        message_account,
        summary.new,
        summary.old,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies() {
        assert_eq!(
            render(Summary { new: 2, old: 8 }, "sip:700@pbx.example"),
            "Messages-Waiting: yes\r\nMessage-Account: sip:700@pbx.example\r\n\
             Voice-Message: 2/8 (0/0)\r\n"
        );
        assert_eq!(
            render(Summary { new: 0, old: 3 }, "sip:700@10.0.0.1"),
            "Messages-Waiting: no\r\nMessage-Account: sip:700@10.0.0.1\r\n\
             Voice-Message: 0/3 (0/0)\r\n"
        );
    }
}
