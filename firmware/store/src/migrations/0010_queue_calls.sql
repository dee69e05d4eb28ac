-- Step 10 (issue 5): one row per caller who entered a queue, for the queue statistics.
--
-- Like CDRs these are records, not configuration: they outlive the queue (no foreign key to
-- queues, the name at the time is kept) and are removed only by retention, by age.
-- Times are wall-clock UTC in ms taken by the daemon. `wait_ms` is measured by the daemon on
-- its monotonic clock, so a wall-clock step (NTP fixing the clock of a box without a battery)
-- does not distort waits; the UTC columns only place the call in time.
CREATE TABLE queue_calls (
    id             INTEGER PRIMARY KEY,
    tenant_id      INTEGER NOT NULL REFERENCES tenants (id),
    queue_id       TEXT    NOT NULL CHECK (length(queue_id) > 0),
    queue_name     TEXT    NOT NULL,
    caller         TEXT    NOT NULL,
    call_id        TEXT    NOT NULL,
    entered_utc    INTEGER NOT NULL,
    -- When the queue's part of the call ended: the caller hung up, was sent on, or (answered)
    -- the conversation with the agent ended, so that talk time is left_utc - talk_start_utc.
    left_utc       INTEGER NOT NULL,
    outcome        TEXT    NOT NULL CHECK (outcome IN ('answered', 'abandoned', 'timed_out',
                                                       'full', 'no_members', 'unanswered')),
    -- The member who answered (user id); other outcomes may name the last member rung.
    agent          TEXT,
    wait_ms        INTEGER NOT NULL CHECK (wait_ms >= 0),
    talk_start_utc INTEGER,
    CHECK (left_utc >= entered_utc),
    CHECK ((outcome = 'answered') = (talk_start_utc IS NOT NULL)),
    CHECK (outcome <> 'answered' OR agent IS NOT NULL),
    CHECK (talk_start_utc IS NULL OR talk_start_utc BETWEEN entered_utc AND left_utc)
) STRICT;
-- Statistics read one tenant's queue over a time range; retention deletes by age.
CREATE INDEX queue_calls_queue_entered ON queue_calls (tenant_id, queue_id, entered_utc);
CREATE INDEX queue_calls_entered ON queue_calls (entered_utc);
