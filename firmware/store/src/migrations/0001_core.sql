-- Step 1: tenants, trunk providers, numbering resources and users.
-- Configuration rows are keyed by (tenant_id, id) where `id` is the stable id chosen by the
-- tenant document: the cloud and the box then name every entity the same way, and composite
-- foreign keys make it impossible for one tenant's row to point at another tenant's row.
-- `pos` keeps the document's order so that export(import(doc)) gives the document back.

CREATE TABLE tenants (
    id             INTEGER PRIMARY KEY CHECK (id >= 10000),
    name           TEXT    NOT NULL CHECK (length(name) > 0),
    max_extensions INTEGER NOT NULL CHECK (max_extensions >= 0),
    created        TEXT    NOT NULL CHECK (created GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
    timezone       TEXT    NOT NULL CHECK (length(timezone) > 0),
    recording      INTEGER NOT NULL DEFAULT 0 CHECK (recording IN (0, 1))
) STRICT;

CREATE TABLE trunks (
    tenant_id      INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    slot           TEXT    NOT NULL CHECK (slot IN ('primary', 'secondary')),
    username       TEXT    NOT NULL,
    password       TEXT    NOT NULL,
    domain         TEXT    NOT NULL CHECK (length(domain) > 0),
    outbound_proxy TEXT,
    PRIMARY KEY (tenant_id, slot)
) STRICT;

CREATE TABLE prompts (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id        TEXT    NOT NULL CHECK (length(id) > 0),
    pos       INTEGER NOT NULL,
    name      TEXT    NOT NULL,
    file      TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE TABLE music_on_hold (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id        TEXT    NOT NULL CHECK (length(id) > 0),
    pos       INTEGER NOT NULL,
    name      TEXT    NOT NULL,
    file      TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;

-- A destination is stored as kind + reference (the stable id of the target, NULL for hangup).
-- It cannot be a foreign key because the target table depends on the kind; the import
-- validation checks every reference instead.
CREATE TABLE dids (
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          TEXT    NOT NULL CHECK (length(id) > 0),
    pos         INTEGER NOT NULL,
    number      TEXT    NOT NULL UNIQUE CHECK (number GLOB '[+0-9]*' AND substr(number, 2) NOT GLOB '*[^0-9]*'),
    description TEXT    NOT NULL DEFAULT '',
    fwd_kind    TEXT CHECK (fwd_kind IN ('hangup', 'extension', 'queue', 'voicemail', 'ivr', 'external',
                                         'conference', 'did', 'prompt-then-hangup')),
    fwd_ref     TEXT,
    CHECK (fwd_kind IS NOT NULL OR fwd_ref IS NULL),
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE TABLE route_rules (
    tenant_id   INTEGER NOT NULL,
    did_id      TEXT    NOT NULL,
    pos         INTEGER NOT NULL,
    ord         INTEGER NOT NULL,
    year        TEXT    NOT NULL DEFAULT '.',
    month       TEXT    NOT NULL DEFAULT '.',
    day         TEXT    NOT NULL DEFAULT '.',
    weekday     TEXT    NOT NULL DEFAULT '.',
    start_time  TEXT    NOT NULL CHECK (start_time GLOB '[0-2][0-9]:[0-5][0-9]'),
    end_time    TEXT    NOT NULL CHECK (end_time GLOB '[0-2][0-9]:[0-5][0-9]'),
    caller_id   TEXT    NOT NULL DEFAULT '.',
    dest_kind   TEXT    NOT NULL CHECK (dest_kind IN ('hangup', 'extension', 'queue', 'voicemail', 'ivr',
                                         'external', 'conference', 'did', 'prompt-then-hangup')),
    dest_ref    TEXT,
    prompt_id   TEXT,
    prefix      TEXT,
    description TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, did_id, ord),
    FOREIGN KEY (tenant_id, did_id) REFERENCES dids (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, prompt_id) REFERENCES prompts (tenant_id, id)
) STRICT;

-- Extension numbers are digits only: feature codes start with '*', so they can never collide.
CREATE TABLE users (
    tenant_id         INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                TEXT    NOT NULL CHECK (length(id) > 0),
    pos               INTEGER NOT NULL,
    extension         TEXT    NOT NULL CHECK (length(extension) > 0 AND extension NOT GLOB '*[^0-9]*'),
    role              TEXT    NOT NULL CHECK (role IN ('user', 'admin')),
    email             TEXT    NOT NULL,
    full_name         TEXT    NOT NULL,
    web_password_hash TEXT,
    internal_only     INTEGER NOT NULL DEFAULT 0 CHECK (internal_only IN (0, 1)),
    mobile            TEXT,
    sip_password      TEXT    NOT NULL CHECK (length(sip_password) > 0),
    caller_id_did     TEXT,
    ring_seconds      INTEGER NOT NULL DEFAULT 30 CHECK (ring_seconds BETWEEN 1 AND 600),
    fwd_always_kind   TEXT,
    fwd_always_ref    TEXT,
    fwd_busy_kind     TEXT,
    fwd_busy_ref      TEXT,
    fwd_noans_kind    TEXT,
    fwd_noans_ref     TEXT,
    dnd               INTEGER NOT NULL DEFAULT 0 CHECK (dnd IN (0, 1)),
    call_waiting      INTEGER NOT NULL DEFAULT 1 CHECK (call_waiting IN (0, 1)),
    -- The SIP username phones register with; unique on the whole box (index below) because
    -- tenant 201911 extension 0 and tenant 20191 extension 10 both spell ext2019110.
    sip_username      TEXT GENERATED ALWAYS AS ('ext' || tenant_id || extension) STORED,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, extension),
    FOREIGN KEY (tenant_id, caller_id_did) REFERENCES dids (tenant_id, id)
) STRICT;
CREATE UNIQUE INDEX users_sip_username ON users (sip_username);

CREATE TABLE aliases (
    tenant_id    INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           TEXT    NOT NULL CHECK (length(id) > 0),
    pos          INTEGER NOT NULL,
    alias        TEXT    NOT NULL CHECK (length(alias) > 0 AND alias NOT GLOB '*[^0-9]*'),
    number       TEXT    NOT NULL CHECK (length(number) > 0),
    display_name TEXT    NOT NULL DEFAULT '',
    description  TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, alias)
) STRICT;

CREATE TABLE external_numbers (
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          TEXT    NOT NULL CHECK (length(id) > 0),
    pos         INTEGER NOT NULL,
    number      TEXT    NOT NULL CHECK (length(number) > 0),
    description TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, id)
) STRICT;
