//! The default number-class table: Spain's Plan Nacional de Numeración Telefónica.
//!
//! Patterns see the number as a caller in Spain dials it (after [`super::NumberPlan::normalize`]
//! has turned `+34…`/`0034…` into the 9-digit national number and `+CC…` into `00CC…`). The first
//! matching row wins, so the carve-outs (800/900 free, 80x/90x special tariffs) come before the
//! broad geographic rows.
//!
//! Sources (read 2026): "El Plan Nacional de Numeración – Guía práctica de usuario" (SETSI/
//! Ministerio, v6, Dec 2016: geographic 8x/9x, mobile 6 and 7, 800/900 cobro revertido
//! automático, 901 pago compartido, 902 pago por el llamante, 803/806/807/905/907 tarificación
//! adicional, 70 numeración personal, 118AB consulta de abonados, short numbers); the ministry's
//! answer quoted by Verne (El País, 2017-09-08): mobile ranges 71-74 in use since 2011, 75-79
//! reserved for mobile; operators' published restriction lists (Vodafone: "tarificación
//! adicional: 907, 803, 806 y 807"; 704 personal numbers billed as a national call).
use super::class::NumberClass;

/// One row of a class table: a whole-number regular expression, the class it gives, and why.
pub(super) struct DefaultRow {
    pub pattern: &'static str,
    pub class: NumberClass,
    pub description: &'static str,
}

const fn row(pattern: &'static str, class: NumberClass, description: &'static str) -> DefaultRow {
    DefaultRow {
        pattern,
        class,
        description,
    }
}

use NumberClass::{Emergency, International, Mobile, National, Premium};

pub(super) const SPAIN: &[DefaultRow] = &[
    // Always allowed. 112 (EU single emergency number), 091 Policía Nacional, 092 Policía
    // Local, 062 Guardia Civil, 080 and 085 fire brigades, 061 medical emergencies; 016 (gender
    // violence) and 024 (suicide prevention) are free crisis lines that must never be blocked by
    // a PBX restriction either.
    row(
        "112|091|092|062|080|085|061|016|024",
        Emergency,
        "emergency and crisis lines",
    ),
    // 800: freephone (cobro revertido automático). Not premium.
    row("800[0-9]{6}", National, "800 freephone"),
    // 803 adult, 806 leisure, 807 professional services: tarificación adicional. The other 80x
    // blocks are unassigned; treating them as premium is the cautious choice.
    row(
        "80[1-9][0-9]{6}",
        Premium,
        "803/806/807 premium rate and unassigned 80x",
    ),
    // 900 freephone, 901 shared cost, 902 caller pays (no revenue share): ordinary business
    // numbers, billed at most like a national call.
    row(
        "90[0-2][0-9]{6}",
        National,
        "900 freephone, 901 shared cost, 902 single rate",
    ),
    // 905 mass calling (televoting), 907 premium data, the rest unassigned or withdrawn.
    row(
        "90[3-9][0-9]{6}",
        Premium,
        "905 mass calling, 907 premium data, unassigned 90x",
    ),
    // 118AB directory enquiries: charged per second at the provider's rate, often several
    // euros a call.
    row("118[0-9]{2}", Premium, "118AB directory enquiries"),
    // 116xxx: the EU-harmonised helplines of social value (116000, 116111, 116117), free.
    row("116[0-9]{3}", National, "116xxx EU social helplines"),
    row("6[0-9]{8}", Mobile, "mobile 6xx"),
    row("7[1-9][0-9]{7}", Mobile, "mobile 71-79"),
    // 70: personal numbering, billed like a national call.
    row("70[0-9]{7}", National, "70 personal numbers"),
    // Geographic fixed numbers: 8 and 9 followed by a province digit 1-8 (80x/90x are the
    // special ranges above).
    row("[89][1-8][0-9]{7}", National, "geographic fixed"),
    // International: the 00 prefix, a country code that cannot start with 0, and at least a
    // few digits; E.164 caps the whole number at 15 digits.
    row("00[1-9][0-9]{3,14}", International, "international"),
];
