-- Step 7: outbox for the cloud sync. Records the cloud must receive (CDRs, audit entries) are
-- queued by triggers in the same transaction that writes them, so nothing recorded while the
-- internet is down can be forgotten; the sync deletes entries once the cloud acknowledges.

-- AUTOINCREMENT: sequence numbers are never reused after acknowledged rows are deleted, so
-- the sync's "acknowledged through N" cursor keeps its meaning.
CREATE TABLE outbox (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    kind      TEXT    NOT NULL CHECK (kind IN ('cdr', 'audit')),
    record_id INTEGER NOT NULL
) STRICT;

CREATE TRIGGER cdrs_to_outbox AFTER INSERT ON cdrs
BEGIN
    INSERT INTO outbox (kind, record_id) VALUES ('cdr', NEW.id);
END;

CREATE TRIGGER audit_log_to_outbox AFTER INSERT ON audit_log
BEGIN
    INSERT INTO outbox (kind, record_id) VALUES ('audit', NEW.id);
END;

-- Records written before this step have never been sent either.
INSERT INTO outbox (kind, record_id) SELECT 'cdr', id FROM cdrs ORDER BY id;
INSERT INTO outbox (kind, record_id) SELECT 'audit', id FROM audit_log ORDER BY id;
