//! Aliases ("Alias" in the panel): short numbers dialled from extensions that stand for a real
//! number, shown with a display name. Pure lookups over the tenant's alias list; the store's
//! Directory resolves the same thing from its snapshot (`DialTarget::Alias`), this is the form
//! the call code and tests use without a store.
use super::numbering::NumberPlan;

/// One alias as the call code needs it (the store's `Alias` without id and description).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasEntry {
    /// The short number dialled.
    pub alias: String,
    /// The real number called.
    pub number: String,
    pub display_name: String,
}

/// The alias `dialled` names, if any. Exact match: aliases are short digit strings that the
/// user types exactly as configured.
pub fn resolve_alias<'a>(aliases: &'a [AliasEntry], dialled: &str) -> Option<&'a AliasEntry> {
    let dialled = dialled.trim();
    aliases.iter().find(|a| a.alias == dialled)
}

/// The alias whose real number is `number` (compared after normalisation, so `+34655974643`
/// finds `655974643`): lets an incoming call from that number show the alias's name.
pub fn alias_for_number<'a>(
    aliases: &'a [AliasEntry],
    plan: &NumberPlan,
    number: &str,
) -> Option<&'a AliasEntry> {
    let wanted = plan.normalize(number).ok()?;
    aliases
        .iter()
        .find(|a| plan.normalize(&a.number).is_ok_and(|n| n == wanted))
}

/// Longest display name kept; SIP allows more but phone screens show about 20-30 characters and
/// a long one only costs bytes in every INVITE.
const MAX_DISPLAY_CHARS: usize = 64;

/// A display name fit to go into a SIP header or a CDR: control characters (CR/LF could
/// otherwise split a header) and bidirectional/zero-width format characters (they make a name
/// display as something else on a screen or a web page) removed, whitespace runs collapsed, length capped. Quotes,
/// backslashes and HTML are kept as text: the SIP printer quotes and escapes them, the web page
/// escapes them; removing them here would only corrupt names like O'Brien.
pub fn clean_display_name(name: &str) -> String {
    let mut out = String::new();
    let mut space = false;
    for c in name.chars().filter(|c| !is_invisible(*c)) {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if out.chars().count() >= MAX_DISPLAY_CHARS {
            break;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.push(c);
    }
    out
}

/// Characters that show nothing themselves but change how text around them is shown or parsed.
/// Whitespace controls (tab, CR, LF) are kept here and folded into single spaces by the caller.
fn is_invisible(c: char) -> bool {
    (c.is_control() && !c.is_whitespace())
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}
