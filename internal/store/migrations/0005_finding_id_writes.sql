-- Version 5: finding ids are written without a foreign-key check each, as
-- component rows since version 4. On PostgreSQL the check looked the
-- finding up once per id row, the largest part of writing a re-match's
-- new findings. Ids are only ever written in the statement after their
-- findings (insertFindings) and deleted before them, in one transaction.
{{POSTGRES}} ALTER TABLE finding_ids DROP CONSTRAINT IF EXISTS finding_ids_release_id_package_vuln_id_fkey;
