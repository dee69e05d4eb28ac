-- Step 2: call applications: queues, voicemail boxes, IVRs and conference rooms.

CREATE TABLE queues (
    tenant_id          INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                 TEXT    NOT NULL CHECK (length(id) > 0),
    pos                INTEGER NOT NULL,
    name               TEXT    NOT NULL CHECK (length(name) > 0),
    number             TEXT    NOT NULL CHECK (length(number) > 0 AND number NOT GLOB '*[^0-9]*'),
    strategy           TEXT    NOT NULL CHECK (strategy IN ('ring-all', 'linear', 'group-order', 'round-robin')),
    max_waiting        INTEGER NOT NULL DEFAULT 0 CHECK (max_waiting >= 0),
    step_seconds       INTEGER NOT NULL CHECK (step_seconds > 0),
    max_wait_seconds   INTEGER CHECK (max_wait_seconds > 0),
    wrapup_seconds     INTEGER NOT NULL DEFAULT 0 CHECK (wrapup_seconds >= 0),
    auto_answer        INTEGER NOT NULL DEFAULT 0 CHECK (auto_answer IN (0, 1)),
    ring_in_use        INTEGER NOT NULL DEFAULT 0 CHECK (ring_in_use IN (0, 1)),
    play_moh           INTEGER NOT NULL DEFAULT 1 CHECK (play_moh IN (0, 1)),
    moh_id             TEXT,
    sticky_agent       INTEGER NOT NULL DEFAULT 0 CHECK (sticky_agent IN (0, 1)),
    show_name          INTEGER NOT NULL DEFAULT 0 CHECK (show_name IN (0, 1)),
    unanswered_kind    TEXT    NOT NULL,
    unanswered_ref     TEXT,
    after_agent_kind   TEXT,
    after_agent_ref    TEXT,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, number),
    FOREIGN KEY (tenant_id, moh_id) REFERENCES music_on_hold (tenant_id, id)
) STRICT;

CREATE TABLE queue_members (
    tenant_id INTEGER NOT NULL,
    queue_id  TEXT    NOT NULL,
    user_id   TEXT    NOT NULL,
    pos       INTEGER NOT NULL,
    priority  INTEGER NOT NULL DEFAULT 1 CHECK (priority >= 0),
    PRIMARY KEY (tenant_id, queue_id, user_id),
    FOREIGN KEY (tenant_id, queue_id) REFERENCES queues (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT;

CREATE TABLE voicemail_boxes (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id        TEXT    NOT NULL CHECK (length(id) > 0),
    pos       INTEGER NOT NULL,
    name      TEXT    NOT NULL CHECK (length(name) > 0),
    number    TEXT    NOT NULL CHECK (length(number) > 0 AND number NOT GLOB '*[^0-9]*'),
    email     TEXT    NOT NULL,
    greeting  TEXT,
    keep_days INTEGER NOT NULL DEFAULT 730 CHECK (keep_days > 0),
    pin       TEXT    NOT NULL CHECK (length(pin) > 0 AND pin NOT GLOB '*[^0-9]*'),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, number),
    FOREIGN KEY (tenant_id, greeting) REFERENCES prompts (tenant_id, id)
) STRICT;

-- Users whose phones get message-waiting indication for a box.
CREATE TABLE voicemail_box_users (
    tenant_id INTEGER NOT NULL,
    box_id    TEXT    NOT NULL,
    user_id   TEXT    NOT NULL,
    pos       INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, box_id, user_id),
    FOREIGN KEY (tenant_id, box_id) REFERENCES voicemail_boxes (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT;

CREATE TABLE ivrs (
    tenant_id          INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                 TEXT    NOT NULL CHECK (length(id) > 0),
    pos                INTEGER NOT NULL,
    name               TEXT    NOT NULL CHECK (length(name) > 0),
    number             TEXT    NOT NULL CHECK (length(number) > 0 AND number NOT GLOB '*[^0-9]*'),
    prompt_id          TEXT    NOT NULL,
    allow_extensions   INTEGER NOT NULL DEFAULT 0 CHECK (allow_extensions IN (0, 1)),
    no_input_kind      TEXT    NOT NULL,
    no_input_ref       TEXT,
    no_input_seconds   INTEGER NOT NULL DEFAULT 10 CHECK (no_input_seconds BETWEEN 1 AND 300),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, number),
    FOREIGN KEY (tenant_id, prompt_id) REFERENCES prompts (tenant_id, id)
) STRICT;

CREATE TABLE ivr_options (
    tenant_id INTEGER NOT NULL,
    ivr_id    TEXT    NOT NULL,
    digit     TEXT    NOT NULL CHECK (length(digit) = 1 AND digit GLOB '[0-9]'),
    dest_kind TEXT    NOT NULL,
    dest_ref  TEXT,
    PRIMARY KEY (tenant_id, ivr_id, digit),
    FOREIGN KEY (tenant_id, ivr_id) REFERENCES ivrs (tenant_id, id) ON DELETE CASCADE
) STRICT;

CREATE TABLE conference_rooms (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id        TEXT    NOT NULL CHECK (length(id) > 0),
    pos       INTEGER NOT NULL,
    name      TEXT    NOT NULL CHECK (length(name) > 0),
    number    TEXT CHECK (length(number) > 0 AND number NOT GLOB '*[^0-9]*'),
    link      TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, number)
) STRICT;
