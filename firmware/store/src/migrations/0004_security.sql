-- Step 4: API keys, modules, ban list and allow list.

CREATE TABLE api_keys (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id        TEXT    NOT NULL CHECK (length(id) > 0),
    pos       INTEGER NOT NULL,
    name      TEXT    NOT NULL,
    -- Only a hash is ever stored: a key is shown once, when it is created.
    key_hash  TEXT    NOT NULL UNIQUE CHECK (length(key_hash) > 0),
    created   TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE TABLE modules (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name      TEXT    NOT NULL CHECK (length(name) > 0),
    pos       INTEGER NOT NULL,
    enabled   INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    config    TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(config)),
    PRIMARY KEY (tenant_id, name)
) STRICT;

-- Bans are runtime state of the whole box (an attacking address is not a tenant's), so they
-- are not part of a tenant document.
CREATE TABLE ban_list (
    address       TEXT    PRIMARY KEY,
    reason        TEXT    NOT NULL,
    banned_utc    INTEGER NOT NULL,
    until_utc     INTEGER,
    CHECK (until_utc IS NULL OR until_utc >= banned_utc)
) STRICT;

CREATE TABLE allow_list (
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          TEXT    NOT NULL CHECK (length(id) > 0),
    pos         INTEGER NOT NULL,
    address     TEXT    NOT NULL,
    netmask     INTEGER NOT NULL CHECK (netmask BETWEEN 0 AND 128),
    description TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (tenant_id, id)
) STRICT;
