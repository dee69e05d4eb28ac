-- Step 6: a counter bumped by every configuration import, so the daemon can notice a change
-- made by another process (CLI import, later the web page and the cloud sync) with one cheap
-- read instead of reloading its directory blindly.

CREATE TABLE config_generation (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL CHECK (generation >= 0)
) STRICT;

INSERT INTO config_generation (id, generation) VALUES (1, 0);
