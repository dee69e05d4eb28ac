//! Validation of a whole tenant document, collecting every problem instead of stopping at
//! the first: whoever wrote the document fixes it in one round.
//!
//! What SQL also enforces (unique numbers, the extension limit, formats) is checked here
//! again only to give a message with the document path; what SQL cannot express (references
//! held in destinations, regular expressions) is checked only here.

use std::collections::HashMap;

use super::checks;
use super::model::*;
use crate::error::Problem;

pub(crate) fn validate(doc: &TenantDocument) -> Vec<Problem> {
    let mut v = Validator {
        problems: Vec::new(),
        ids: Ids::default(),
        numbers: HashMap::new(),
    };
    v.ids = v.collect_ids(doc);
    v.document(doc);
    v.problems
}

/// Index of every entity by stable id, per collection.
#[derive(Default)]
struct Ids<'d> {
    users: HashMap<&'d str, usize>,
    dids: HashMap<&'d str, usize>,
    queues: HashMap<&'d str, usize>,
    voicemail: HashMap<&'d str, usize>,
    ivrs: HashMap<&'d str, usize>,
    externals: HashMap<&'d str, usize>,
    conferences: HashMap<&'d str, usize>,
    prompts: HashMap<&'d str, usize>,
    moh: HashMap<&'d str, usize>,
}

/// What a plain (non-destination) reference points at.
#[derive(Clone, Copy)]
enum Ref {
    User,
    Did,
    Prompt,
    Music,
}

pub(super) struct Validator<'d> {
    problems: Vec<Problem>,
    ids: Ids<'d>,
    /// Numbers dialable inside the tenant, with what already owns each one.
    numbers: HashMap<&'d str, String>,
}

impl<'d> Validator<'d> {
    fn push(&mut self, path: impl Into<String>, message: Option<String>) {
        if let Some(message) = message {
            self.problems.push(Problem::new(path, message));
        }
    }

    fn collect_ids(&mut self, doc: &'d TenantDocument) -> Ids<'d> {
        Ids {
            users: self.index("users", doc.users.iter().map(|e| e.id.as_str())),
            dids: self.index("dids", doc.dids.iter().map(|e| e.id.as_str())),
            queues: self.index("queues", doc.queues.iter().map(|e| e.id.as_str())),
            voicemail: self.index(
                "voicemail_boxes",
                doc.voicemail_boxes.iter().map(|e| e.id.as_str()),
            ),
            ivrs: self.index("ivrs", doc.ivrs.iter().map(|e| e.id.as_str())),
            externals: self.index(
                "external_numbers",
                doc.external_numbers.iter().map(|e| e.id.as_str()),
            ),
            conferences: self.index(
                "conference_rooms",
                doc.conference_rooms.iter().map(|e| e.id.as_str()),
            ),
            prompts: self.index("prompts", doc.prompts.iter().map(|e| e.id.as_str())),
            moh: self.index(
                "music_on_hold",
                doc.music_on_hold.iter().map(|e| e.id.as_str()),
            ),
        }
    }

    fn index(
        &mut self,
        collection: &str,
        ids: impl Iterator<Item = &'d str>,
    ) -> HashMap<&'d str, usize> {
        let mut seen = HashMap::new();
        for (i, id) in ids.enumerate() {
            let path = format!("{collection}[{i}].id");
            if id.trim().is_empty() {
                self.push(path, Some("must not be empty".to_owned()));
            } else if let Some(first) = seen.get(id) {
                self.push(
                    path,
                    Some(format!("duplicate id {id:?} (also {collection}[{first}])")),
                );
            } else {
                seen.insert(id, i);
            }
        }
        seen
    }

    /// Claims `number` in the tenant's dialling namespace for `owner`.
    fn claim(&mut self, path: String, number: &'d str, owner: String) {
        if let Some(message) = checks::internal_number(number) {
            self.push(path, Some(message));
            return;
        }
        match self.numbers.get(number) {
            Some(existing) => {
                let message = format!("{number} is already {existing}");
                self.push(path, Some(message));
            }
            None => {
                self.numbers.insert(number, owner);
            }
        }
    }

    fn reference(&mut self, path: String, what: Ref, id: &str) {
        let ids = match what {
            Ref::User => &self.ids.users,
            Ref::Did => &self.ids.dids,
            Ref::Prompt => &self.ids.prompts,
            Ref::Music => &self.ids.moh,
        };
        if !ids.contains_key(id) {
            let name = match what {
                Ref::User => "user",
                Ref::Did => "DID",
                Ref::Prompt => "prompt",
                Ref::Music => "music on hold",
            };
            self.push(path, Some(format!("no {name} with id {id:?}")));
        }
    }

    fn destination(&mut self, path: String, dest: &Destination) {
        let (what, known) = match dest {
            Destination::Hangup => return,
            Destination::Extension(id) => ("user", self.ids.users.contains_key(id.as_str())),
            Destination::Queue(id) => ("queue", self.ids.queues.contains_key(id.as_str())),
            Destination::Voicemail(id) => (
                "voicemail box",
                self.ids.voicemail.contains_key(id.as_str()),
            ),
            Destination::Ivr(id) => ("IVR", self.ids.ivrs.contains_key(id.as_str())),
            Destination::External(id) => (
                "external number",
                self.ids.externals.contains_key(id.as_str()),
            ),
            Destination::Conference(id) => (
                "conference room",
                self.ids.conferences.contains_key(id.as_str()),
            ),
            Destination::Did(id) => ("DID", self.ids.dids.contains_key(id.as_str())),
            Destination::PromptThenHangup(id) => {
                ("prompt", self.ids.prompts.contains_key(id.as_str()))
            }
        };
        if !known {
            let id = dest.reference().unwrap_or_default();
            self.push(path, Some(format!("no {what} with id {id:?}")));
        }
    }

    fn text(&mut self, path: String, value: &str, required: bool) {
        let message = if required {
            checks::non_empty(value).or_else(|| checks::text(value))
        } else {
            checks::text(value)
        };
        self.push(path, message);
    }

    fn document(&mut self, doc: &'d TenantDocument) {
        if doc.schema != SCHEMA_VERSION {
            self.push(
                "schema",
                Some(format!(
                    "unsupported version {} (this firmware reads {SCHEMA_VERSION})",
                    doc.schema
                )),
            );
        }
        self.tenant(&doc.tenant, doc.users.len());
        if let Some(p) = &doc.provider {
            self.trunk(
                "provider",
                &p.username,
                &p.password,
                &p.domain,
                p.outbound_proxy.as_deref(),
            );
            if let Some(s) = &p.secondary {
                self.trunk(
                    "provider.secondary",
                    &s.username,
                    &s.password,
                    &s.domain,
                    s.outbound_proxy.as_deref(),
                );
            }
        }
        for (i, p) in doc.prompts.iter().enumerate() {
            self.text(format!("prompts[{i}].name"), &p.name, true);
            self.push(format!("prompts[{i}].file"), checks::data_file(&p.file));
        }
        for (i, m) in doc.music_on_hold.iter().enumerate() {
            self.text(format!("music_on_hold[{i}].name"), &m.name, true);
            self.push(
                format!("music_on_hold[{i}].file"),
                checks::data_file(&m.file),
            );
        }
        // Applications claim their numbers before users so that a clash is reported on the
        // extension, as people think of the application as the older, shared resource.
        for (i, q) in doc.queues.iter().enumerate() {
            self.queue(i, q);
        }
        for (i, ivr) in doc.ivrs.iter().enumerate() {
            self.ivr(i, ivr);
        }
        for (i, b) in doc.voicemail_boxes.iter().enumerate() {
            self.voicemail(i, b);
        }
        for (i, c) in doc.conference_rooms.iter().enumerate() {
            self.text(format!("conference_rooms[{i}].name"), &c.name, true);
            self.text(format!("conference_rooms[{i}].link"), &c.link, true);
            if let Some(n) = &c.number {
                self.claim(
                    format!("conference_rooms[{i}].number"),
                    n,
                    format!("conference room {:?}", c.name),
                );
            }
        }
        for (i, a) in doc.aliases.iter().enumerate() {
            let shown = if a.display_name.is_empty() {
                &a.number
            } else {
                &a.display_name
            };
            self.claim(
                format!("aliases[{i}].alias"),
                &a.alias,
                format!("alias {shown:?}"),
            );
            self.push(
                format!("aliases[{i}].number"),
                checks::public_number(&a.number),
            );
            self.text(format!("aliases[{i}].display_name"), &a.display_name, false);
            self.text(format!("aliases[{i}].description"), &a.description, false);
        }
        for (i, u) in doc.users.iter().enumerate() {
            self.user(i, u);
        }
        self.dids(&doc.dids);
        for (i, e) in doc.external_numbers.iter().enumerate() {
            self.push(
                format!("external_numbers[{i}].number"),
                checks::public_number(&e.number),
            );
            self.text(
                format!("external_numbers[{i}].description"),
                &e.description,
                false,
            );
        }
        super::validate_extra::rest(self, doc);
        let loops = super::validate_loops::loops(doc);
        self.problems.extend(loops);
    }

    fn tenant(&mut self, t: &Tenant, users: usize) {
        if t.id < 10_000 {
            self.push(
                "tenant.id",
                Some(format!("{} must have at least 5 digits", t.id)),
            );
        }
        self.text("tenant.name".into(), &t.name, true);
        self.push("tenant.timezone", checks::timezone(&t.timezone));
        self.push("tenant.created", checks::date(&t.created));
        if users > t.max_extensions as usize {
            self.push(
                "users",
                Some(format!(
                    "{users} extensions exceed the tenant's limit of {} (tenant.max_extensions)",
                    t.max_extensions
                )),
            );
        }
    }

    fn trunk(&mut self, path: &str, user: &str, password: &str, domain: &str, proxy: Option<&str>) {
        self.text(format!("{path}.username"), user, true);
        self.text(format!("{path}.password"), password, true);
        self.push(format!("{path}.domain"), checks::sip_server(domain));
        if let Some(proxy) = proxy {
            self.push(format!("{path}.outbound_proxy"), checks::sip_server(proxy));
        }
    }

    fn user(&mut self, i: usize, u: &'d User) {
        let p = |field: &str| format!("users[{i}].{field}");
        self.claim(
            p("extension"),
            &u.extension,
            format!("the extension of {:?}", u.full_name),
        );
        self.text(p("full_name"), &u.full_name, true);
        self.push(p("email"), checks::email(&u.email));
        if let Some(hash) = &u.web_password_hash {
            self.text(p("web_password_hash"), hash, true);
        }
        self.text(p("sip_password"), &u.sip_password, true);
        if let Some(m) = &u.mobile {
            self.push(p("mobile"), checks::public_number(m));
        }
        if let Some(did) = &u.caller_id {
            self.reference(p("caller_id"), Ref::Did, did);
        }
        if !(1..=600).contains(&u.ring_seconds) {
            self.push(
                p("ring_seconds"),
                Some(format!("{} must be 1 to 600", u.ring_seconds)),
            );
        }
        for (field, dest) in [
            ("forward_always", &u.forward_always),
            ("forward_busy", &u.forward_busy),
            ("forward_no_answer", &u.forward_no_answer),
        ] {
            if let Some(d) = dest {
                self.destination(p(field), d);
            }
        }
    }

    fn dids(&mut self, dids: &'d [Did]) {
        let mut numbers: HashMap<&str, usize> = HashMap::new();
        for (i, d) in dids.iter().enumerate() {
            let p = |field: &str| format!("dids[{i}].{field}");
            self.push(p("number"), checks::public_number(&d.number));
            if let Some(first) = numbers.insert(&d.number, i) {
                self.push(
                    p("number"),
                    Some(format!("{} is already dids[{first}]", d.number)),
                );
            }
            self.text(p("description"), &d.description, false);
            if let Some(f) = &d.forward {
                self.destination(p("forward"), f);
            }
            let mut orders: HashMap<u32, usize> = HashMap::new();
            for (j, r) in d.rules.iter().enumerate() {
                let p = |field: &str| format!("dids[{i}].rules[{j}].{field}");
                if let Some(first) = orders.insert(r.order, j) {
                    self.push(
                        p("order"),
                        Some(format!("{} is already rules[{first}]", r.order)),
                    );
                }
                for (field, value) in [
                    ("year", &r.year),
                    ("month", &r.month),
                    ("day", &r.day),
                    ("weekday", &r.weekday),
                    ("caller_id", &r.caller_id),
                ] {
                    self.push(p(field), checks::pattern(value));
                }
                self.push(p("start"), checks::time_of_day(&r.start));
                self.push(p("end"), checks::time_of_day(&r.end));
                if r.destination == Destination::Did(d.id.clone()) {
                    self.push(
                        p("destination"),
                        Some("a DID's rule cannot send to the same DID".into()),
                    );
                } else {
                    self.destination(p("destination"), &r.destination);
                }
                if let Some(prompt) = &r.prompt {
                    self.reference(p("prompt"), Ref::Prompt, prompt);
                }
                if let Some(prefix) = &r.prefix {
                    self.text(p("prefix"), prefix, false);
                }
                self.text(p("description"), &r.description, false);
            }
        }
    }

    fn queue(&mut self, i: usize, q: &'d Queue) {
        let p = |field: &str| format!("queues[{i}].{field}");
        self.text(p("name"), &q.name, true);
        self.claim(p("number"), &q.number, format!("queue {:?}", q.name));
        if q.step_seconds == 0 {
            self.push(p("step_seconds"), Some("must be at least 1".into()));
        }
        if q.max_wait_seconds == Some(0) {
            self.push(
                p("max_wait_seconds"),
                Some("must be at least 1, or null for no limit".into()),
            );
        }
        if let Some(m) = &q.music_on_hold {
            self.reference(p("music_on_hold"), Ref::Music, m);
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (j, m) in q.members.iter().enumerate() {
            let path = format!("queues[{i}].members[{j}].user");
            if let Some(first) = seen.insert(&m.user, j) {
                self.push(
                    path,
                    Some(format!("{:?} is already members[{first}]", m.user)),
                );
            } else {
                self.reference(path, Ref::User, &m.user);
            }
        }
        self.destination(p("unanswered"), &q.unanswered);
        if let Some(d) = &q.after_agent {
            self.destination(p("after_agent"), d);
        }
    }

    fn ivr(&mut self, i: usize, ivr: &'d Ivr) {
        let p = |field: &str| format!("ivrs[{i}].{field}");
        self.text(p("name"), &ivr.name, true);
        self.claim(p("number"), &ivr.number, format!("IVR {:?}", ivr.name));
        self.reference(p("prompt"), Ref::Prompt, &ivr.prompt);
        for (digit, dest) in &ivr.options {
            let path = format!("ivrs[{i}].options.{digit}");
            let is_digit = digit.len() == 1 && digit.bytes().all(|b| b.is_ascii_digit());
            if is_digit {
                self.destination(path, dest);
            } else {
                self.push(path, Some(format!("{digit:?} is not a digit 0 to 9")));
            }
        }
        self.destination(p("no_input"), &ivr.no_input);
        if !(1..=300).contains(&ivr.no_input_seconds) {
            self.push(
                p("no_input_seconds"),
                Some(format!("{} must be 1 to 300", ivr.no_input_seconds)),
            );
        }
    }

    fn voicemail(&mut self, i: usize, b: &'d VoicemailBox) {
        let p = |field: &str| format!("voicemail_boxes[{i}].{field}");
        self.text(p("name"), &b.name, true);
        self.claim(
            p("number"),
            &b.number,
            format!("voicemail box {:?}", b.name),
        );
        self.push(p("email"), checks::email(&b.email));
        if let Some(g) = &b.greeting {
            self.reference(p("greeting"), Ref::Prompt, g);
        }
        if b.keep_days == 0 {
            self.push(p("keep_days"), Some("must be at least 1".into()));
        }
        let pin_ok = (4..=12).contains(&b.pin.len()) && b.pin.bytes().all(|c| c.is_ascii_digit());
        if !pin_ok {
            self.push(p("pin"), Some("must be 4 to 12 digits".into()));
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (j, u) in b.users.iter().enumerate() {
            let path = format!("voicemail_boxes[{i}].users[{j}]");
            if let Some(first) = seen.insert(u, j) {
                self.push(path, Some(format!("{u:?} is already users[{first}]")));
            } else {
                self.reference(path, Ref::User, u);
            }
        }
    }

    /// For the checks in `validate_extra`.
    pub(super) fn problem(&mut self, path: String, message: Option<String>) {
        self.push(path, message);
    }
}
