-- Version 6: a webhook or e-mail receiver may take the events of every
-- product of one team (team_id), besides one product (product_id) or
-- every product (neither).
ALTER TABLE webhooks ADD COLUMN team_id TEXT REFERENCES teams(id) ON DELETE CASCADE;
