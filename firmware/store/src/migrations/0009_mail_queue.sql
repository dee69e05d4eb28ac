-- Step 9 (issue 4): the mail outbox, and CDRs linked to their call recording.

-- Emails waiting to be sent (voicemail messages today). A row is written in the same
-- transaction as the record it announces, so neither a crash nor an SMTP outage can lose it;
-- the sender retries with back-off and marks it sent or, past its retry window or on a
-- permanent refusal, failed. Rows stay a while after that as a trace of what was sent.
-- No foreign keys: like the records of step 3, mail outlives configuration changes.
CREATE TABLE mail_queue (
    id               INTEGER PRIMARY KEY,
    tenant_id        INTEGER,
    to_addr          TEXT    NOT NULL CHECK (length(to_addr) > 0),
    subject          TEXT    NOT NULL,
    body             TEXT    NOT NULL,
    -- Attachment file relative to the data folder, the name the recipient sees, its MIME type.
    attachment_path  TEXT,
    attachment_name  TEXT,
    attachment_mime  TEXT,
    created_utc      INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_utc INTEGER NOT NULL,
    last_error       TEXT,
    sent_utc         INTEGER,
    failed_utc       INTEGER,
    CHECK ((attachment_path IS NULL) = (attachment_name IS NULL)
           AND (attachment_path IS NULL) = (attachment_mime IS NULL)),
    CHECK (sent_utc IS NULL OR failed_utc IS NULL)
) STRICT;
-- The sender's only hot query: the pending rows by due time.
CREATE INDEX mail_queue_due ON mail_queue (next_attempt_utc)
    WHERE sent_utc IS NULL AND failed_utc IS NULL;

CREATE INDEX cdrs_recording ON cdrs (recording_id) WHERE recording_id IS NOT NULL;

-- A recording and the CDRs of its call are written by different parts of the daemon in either
-- order: `add_recording` links CDRs already written, this trigger links CDRs written after.
CREATE TRIGGER cdrs_link_recording AFTER INSERT ON cdrs
WHEN NEW.recording_id IS NULL
 AND EXISTS (SELECT 1 FROM recordings WHERE tenant_id = NEW.tenant_id AND call_id = NEW.call_id)
BEGIN
    UPDATE cdrs SET recording_id = (
        SELECT max(id) FROM recordings WHERE tenant_id = NEW.tenant_id AND call_id = NEW.call_id)
    WHERE id = NEW.id;
END;
