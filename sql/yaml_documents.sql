--
-- A spec file holds one YAML document: a second one is an error with the
-- file and line where it starts (F0000), never silently dropped (issue 15,
-- item 10c).
--
DO $$
BEGIN
  CREATE SERVER two_docs FOREIGN DATA WRAPPER backfill_fdw
    OPTIONS (spec '/tmp/backfill_fdw_test/specs/two_documents.yaml');
EXCEPTION WHEN config_file_error THEN
  RAISE NOTICE 'caught config_file_error (%): %', SQLSTATE, SQLERRM;
END $$;
SELECT count(*) FROM pg_foreign_server WHERE srvname = 'two_docs';
