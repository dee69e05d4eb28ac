-- Step 5: one dialling namespace per tenant.
-- Every number a phone can dial inside a tenant (extension, queue, IVR, voicemail box, alias,
-- conference room) is claimed in dial_numbers, whose primary key makes a collision impossible
-- whatever interface writes the rows. Feature codes start with '*' and every claimed number is
-- digits only (CHECKs on the owning tables), so they cannot collide with these.

CREATE TABLE dial_numbers (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    number    TEXT    NOT NULL,
    kind      TEXT    NOT NULL CHECK (kind IN ('extension', 'queue', 'ivr', 'voicemail', 'alias', 'conference')),
    owner_id  TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, number)
) STRICT, WITHOUT ROWID;

INSERT INTO dial_numbers (tenant_id, number, kind, owner_id)
    SELECT tenant_id, extension, 'extension', id FROM users;
CREATE TRIGGER users_claim_number AFTER INSERT ON users
BEGIN
    INSERT INTO dial_numbers (tenant_id, number, kind, owner_id)
        VALUES (NEW.tenant_id, NEW.extension, 'extension', NEW.id);
END;
CREATE TRIGGER users_release_number AFTER DELETE ON users
BEGIN
    DELETE FROM dial_numbers
        WHERE tenant_id = OLD.tenant_id AND number = OLD.extension AND kind = 'extension';
END;
CREATE TRIGGER users_move_number AFTER UPDATE OF extension, id ON users
BEGIN
    DELETE FROM dial_numbers
        WHERE tenant_id = OLD.tenant_id AND number = OLD.extension AND kind = 'extension';
    INSERT INTO dial_numbers (tenant_id, number, kind, owner_id)
        SELECT NEW.tenant_id, NEW.extension, 'extension', NEW.id WHERE NEW.extension IS NOT NULL;
END;
INSERT INTO dial_numbers (tenant_id, number, kind, owner_id)
    SELECT tenant_id, number, 'queue', id FROM queues;
CREATE TRIGGER queues_claim_number AFTER INSERT ON queues
BEGIN
    INSERT INTO dial_numbers (tenant_id, number, kind, owner_id)
        VALUES (NEW.tenant_id, NEW.number, 'queue', NEW.id);
END;
CREATE TRIGGER queues_release_number AFTER DELETE ON queues
BEGIN
    DELETE FROM dial_numbers
        WHERE tenant_id = OLD.tenant_id AND number = OLD.number AND kind = 'queue';
END;
CREATE TRIGGER queues_move_number AFTER UPDATE OF number, id ON queues
BEGIN
    DELETE FROM dial_numbers
        WHERE tenant_id = OLD.tenant_id AND number = OLD.number AND kind = 'queue';
    INSERT INTO dial_numbers (tenant_id, number, kind, owner_id)
        SELECT NEW.tenant_id, NEW.number, 'queue', NEW.id WHERE NEW.number IS NOT NULL;
END;
INSERT INTO dial_numbers (tenant_id, number, kind, owner_id)
    SELECT tenant_id, number, 'ivr', id FROM ivrs;
CREATE TRIGGER ivrs_claim_number AFTER INSERT ON ivrs
BEGIN
    INSERT INTO dial_numbers (tenant_id, number, kind, owner_id)
        VALUES (NEW.tenant_id, NEW.number, 'ivr', NEW.id);
END;
CREATE TRIGGER ivrs_release_number AFTER DELETE ON ivrs
BEGIN
    DELETE FROM dial_numbers
        WHERE tenant_id = OLD.tenant_id AND number = OLD.number AND kind = 'ivr';
END;
CREATE TRIGGER ivrs_move_number AFTER UPDATE OF number, id ON ivrs
BEGIN
    DELETE FROM dial_numbers
        WHERE tenant_id = OLD.tenant_id AND number = OLD.number AND kind = 'ivr';
    INSERT INTO dial_numbers (tenant_id, number, kind, owner_id)
        SELECT NEW.tenant_id, NEW.number, 'ivr', NEW.id WHERE NEW.number IS NOT NULL;
END;
INSERT INTO dial_numbers (tenant_id, number, kind, owner_id)
    SELECT tenant_id, number, 'voicemail', id FROM voicemail_boxes;
CREATE TRIGGER voicemail_boxes_claim_number AFTER INSERT ON voicemail_boxes
BEGIN
    INSERT INTO dial_numbers (tenant_id, number, kind, owner_id)
        VALUES (NEW.tenant_id, NEW.number, 'voicemail', NEW.id);
END;
CREATE TRIGGER voicemail_boxes_release_number AFTER DELETE ON voicemail_boxes
BEGIN
    DELETE FROM dial_numbers
        WHERE tenant_id = OLD.tenant_id AND number = OLD.number AND kind = 'voicemail';
END;
CREATE TRIGGER voicemail_boxes_move_number AFTER UPDATE OF number, id ON voicemail_boxes
BEGIN
    DELETE FROM dial_numbers
        WHERE tenant_id = OLD.tenant_id AND number = OLD.number AND kind = 'voicemail';
    INSERT INTO dial_numbers (tenant_id, number, kind, owner_id)
        SELECT NEW.tenant_id, NEW.number, 'voicemail', NEW.id WHERE NEW.number IS NOT NULL;
END;
INSERT INTO dial_numbers (tenant_id, number, kind, owner_id)
    SELECT tenant_id, alias, 'alias', id FROM aliases;
CREATE TRIGGER aliases_claim_number AFTER INSERT ON aliases
BEGIN
    INSERT INTO dial_numbers (tenant_id, number, kind, owner_id)
        VALUES (NEW.tenant_id, NEW.alias, 'alias', NEW.id);
END;
CREATE TRIGGER aliases_release_number AFTER DELETE ON aliases
BEGIN
    DELETE FROM dial_numbers
        WHERE tenant_id = OLD.tenant_id AND number = OLD.alias AND kind = 'alias';
END;
CREATE TRIGGER aliases_move_number AFTER UPDATE OF alias, id ON aliases
BEGIN
    DELETE FROM dial_numbers
        WHERE tenant_id = OLD.tenant_id AND number = OLD.alias AND kind = 'alias';
    INSERT INTO dial_numbers (tenant_id, number, kind, owner_id)
        SELECT NEW.tenant_id, NEW.alias, 'alias', NEW.id WHERE NEW.alias IS NOT NULL;
END;
INSERT INTO dial_numbers (tenant_id, number, kind, owner_id)
    SELECT tenant_id, number, 'conference', id FROM conference_rooms WHERE number IS NOT NULL;
CREATE TRIGGER conference_rooms_claim_number AFTER INSERT ON conference_rooms WHEN NEW.number IS NOT NULL
BEGIN
    INSERT INTO dial_numbers (tenant_id, number, kind, owner_id)
        VALUES (NEW.tenant_id, NEW.number, 'conference', NEW.id);
END;
CREATE TRIGGER conference_rooms_release_number AFTER DELETE ON conference_rooms WHEN OLD.number IS NOT NULL
BEGIN
    DELETE FROM dial_numbers
        WHERE tenant_id = OLD.tenant_id AND number = OLD.number AND kind = 'conference';
END;
CREATE TRIGGER conference_rooms_move_number AFTER UPDATE OF number, id ON conference_rooms
BEGIN
    DELETE FROM dial_numbers
        WHERE tenant_id = OLD.tenant_id AND number = OLD.number AND kind = 'conference';
    INSERT INTO dial_numbers (tenant_id, number, kind, owner_id)
        SELECT NEW.tenant_id, NEW.number, 'conference', NEW.id WHERE NEW.number IS NOT NULL;
END;
-- The tenant's licence limit: extension N+1 is refused, and the limit cannot be lowered
-- below the extensions that already exist.
CREATE TRIGGER users_extension_limit BEFORE INSERT ON users
WHEN (SELECT count(*) FROM users WHERE tenant_id = NEW.tenant_id)
     >= (SELECT max_extensions FROM tenants WHERE id = NEW.tenant_id)
BEGIN
    SELECT RAISE(ABORT, 'tenant extension limit reached');
END;
CREATE TRIGGER tenants_limit_not_below_users BEFORE UPDATE OF max_extensions ON tenants
WHEN NEW.max_extensions < (SELECT count(*) FROM users WHERE tenant_id = NEW.id)
BEGIN
    SELECT RAISE(ABORT, 'max_extensions below the number of existing extensions');
END;
