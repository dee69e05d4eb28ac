-- Step 3: records. Unlike configuration, these survive a tenant document import, so they do
-- not reference configuration rows by foreign key (a box removed from the configuration keeps
-- its messages until they expire; a CDR keeps naming an extension that no longer exists).

CREATE TABLE cdrs (
    id                  INTEGER PRIMARY KEY,
    tenant_id           INTEGER NOT NULL REFERENCES tenants (id),
    call_id             TEXT    NOT NULL,
    start_utc           INTEGER NOT NULL,
    answer_utc          INTEGER,
    end_utc             INTEGER NOT NULL,
    billable_secs       INTEGER NOT NULL CHECK (billable_secs >= 0),
    direction           TEXT    NOT NULL CHECK (direction IN ('internal', 'incoming', 'outgoing')),
    source              TEXT    NOT NULL,
    destination         TEXT    NOT NULL,
    did                 TEXT,
    disposition         TEXT    NOT NULL CHECK (disposition IN ('answered', 'no_answer', 'busy', 'failed')),
    hangup_cause        TEXT    NOT NULL,
    caller_id_presented TEXT,
    queue               TEXT,
    agent               TEXT,
    recording_id        INTEGER,
    CHECK (end_utc >= start_utc),
    CHECK (answer_utc IS NULL OR answer_utc BETWEEN start_utc AND end_utc)
) STRICT;
CREATE INDEX cdrs_tenant_start ON cdrs (tenant_id, start_utc);
CREATE INDEX cdrs_start ON cdrs (start_utc);

CREATE TABLE recordings (
    id          INTEGER PRIMARY KEY,
    tenant_id   INTEGER NOT NULL REFERENCES tenants (id),
    call_id     TEXT    NOT NULL,
    created_utc INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL CHECK (duration_ms >= 0),
    file        TEXT    NOT NULL
) STRICT;
CREATE INDEX recordings_call ON recordings (tenant_id, call_id);

CREATE TABLE voicemail_messages (
    id           INTEGER PRIMARY KEY,
    tenant_id    INTEGER NOT NULL REFERENCES tenants (id),
    box_id       TEXT    NOT NULL,
    caller       TEXT    NOT NULL,
    received_utc INTEGER NOT NULL,
    duration_ms  INTEGER NOT NULL CHECK (duration_ms >= 0),
    file         TEXT    NOT NULL,
    heard        INTEGER NOT NULL DEFAULT 0 CHECK (heard IN (0, 1))
) STRICT;
CREATE INDEX voicemail_messages_box ON voicemail_messages (tenant_id, box_id, received_utc);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    tenant_id  INTEGER REFERENCES tenants (id),
    at_utc     INTEGER NOT NULL,
    user_name  TEXT    NOT NULL,
    email      TEXT    NOT NULL DEFAULT '',
    action     TEXT    NOT NULL,
    entity_id  TEXT,
    address    TEXT,
    user_agent TEXT
) STRICT;
CREATE INDEX audit_log_tenant_at ON audit_log (tenant_id, at_utc);
