-- Issue 3: a CDR says which trunk provider carried the call ("primary"/"secondary" account,
-- as username@domain), NULL for calls that never left the box.
ALTER TABLE cdrs ADD COLUMN trunk TEXT;
