//! `;name=value` parameter lists (Via params, header params, URI params). Names compare
//! case-insensitively; order and original spelling are kept for printing.
use super::lex::{is_ws, quoted_end, skip_ws};
use crate::error::ParseError;

/// Ordered parameter list; a parameter may have no value (`;lr`, `;rport`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pub list: Vec<(String, Option<String>)>,
}

impl Params {
    /// Header parameters as they follow a Via sent-by or a name-addr: `;name[=value]...`, with LWS
    /// allowed around `;` and `=` (RFC 4475 wsinv). Quoted values are kept with their quotes so
    /// they print back unchanged. An empty name (`;;`, RFC 4475 badinv01) is an error.
    pub fn parse_header(s: &str, header: &'static str) -> Result<Params, ParseError> {
        let mut params = Params::default();
        match parse_header_into(s, &mut params) {
            Ok(()) => Ok(params),
            Err(()) => Err(ParseError::Header { header }),
        }
    }

    /// Like [`Params::parse_header`] but keeps whatever parsed before the first error; used when
    /// salvaging a Via from a malformed message to address the 400.
    pub(crate) fn parse_header_lenient(s: &str) -> Params {
        let mut params = Params::default();
        let _ = parse_header_into(s, &mut params);
        params
    }

    /// URI parameters (RFC 3261 §19.1.1): `;name[=value]` with no white space, as the text between
    /// the host part and `?`/end. Values stay %-escaped as on the wire.
    pub fn parse_uri(s: &str) -> Result<Params, ParseError> {
        let mut params = Params::default();
        if s.is_empty() {
            return Ok(params);
        }
        let rest = s.strip_prefix(';').ok_or(ParseError::Uri)?;
        for item in rest.split(';') {
            let (name, value) = match item.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (item, None),
            };
            if name.is_empty() {
                return Err(ParseError::Uri);
            }
            params.list.push((name.to_string(), value));
        }
        Ok(params)
    }

    pub fn get(&self, name: &str) -> Option<Option<&str>> {
        self.list
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_deref())
    }
    /// The value of `name` when present with a value.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).flatten()
    }
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
    pub fn set(&mut self, name: &str, value: Option<String>) {
        if let Some(slot) = self
            .list
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            slot.1 = value;
        } else {
            self.list.push((name.to_string(), value));
        }
    }
    pub fn remove(&mut self, name: &str) {
        self.list.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }
}

impl std::fmt::Display for Params {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (n, v) in &self.list {
            match v {
                Some(v) => write!(f, ";{n}={v}")?,
                None => write!(f, ";{n}")?,
            }
        }
        Ok(())
    }
}

/// Characters that may never appear in an unquoted parameter name or value.
fn is_param_delim(b: u8) -> bool {
    is_ws(b) || matches!(b, b';' | b'=' | b',' | b'"' | b'<' | b'>')
}

fn parse_header_into(s: &str, params: &mut Params) -> Result<(), ()> {
    let b = s.as_bytes();
    let mut i = skip_ws(b, 0);
    while i < b.len() {
        if b[i] != b';' {
            return Err(());
        }
        i = skip_ws(b, i + 1);
        let name_start = i;
        while i < b.len() && !is_param_delim(b[i]) {
            i += 1;
        }
        if i == name_start {
            return Err(());
        }
        let name = &s[name_start..i];
        i = skip_ws(b, i);
        let mut value = None;
        if i < b.len() && b[i] == b'=' {
            i = skip_ws(b, i + 1);
            let value_start = i;
            if i < b.len() && b[i] == b'"' {
                i = quoted_end(b, i).ok_or(())?;
            } else {
                while i < b.len() && !is_param_delim(b[i]) {
                    i += 1;
                }
            }
            value = Some(s[value_start..i].to_string());
            i = skip_ws(b, i);
        }
        params.list.push((name.to_string(), value));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn header_params_with_lws() {
        let p = Params::parse_header(" ;   tag    = 1918181833n", "To").unwrap();
        assert_eq!(p.value("TAG"), Some("1918181833n"));
        let p = Params::parse_header("; newparam = newvalue ; secondparam ; q = 0.33", "Contact")
            .unwrap();
        assert_eq!(p.list.len(), 3);
        assert!(p.has("secondparam"));
        assert_eq!(p.value("q"), Some("0.33"));
        let p = Params::parse_header(r#";x="a;b\"c";y"#, "To").unwrap();
        assert_eq!(p.value("x"), Some(r#""a;b\"c""#));
        assert!(Params::parse_header(";;", "Via").is_err());
        assert!(Params::parse_header(";a b", "Via").is_err());
        assert!(Params::parse_header("junk", "Via").is_err());
        assert!(Params::parse_header(";x=\"open", "Via").is_err());
        assert_eq!(Params::parse_header_lenient(";a=1;;b").list.len(), 1);
    }

    #[test]
    fn uri_params() {
        let p = Params::parse_uri(";lr;transport=tcp;n%61me=v%61lue%25%34%31").unwrap();
        assert!(p.has("lr"));
        assert_eq!(p.value("transport"), Some("tcp"));
        assert_eq!(p.value("n%61me"), Some("v%61lue%25%34%31"));
        assert!(Params::parse_uri(";;").is_err());
        assert!(Params::parse_uri("x").is_err());
    }
}
