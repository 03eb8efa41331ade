# src/pg/module.mk: the pg module's sources and the modules its files
# include (src/pg/README.md says what it does).  The one list the extension,
# the unit tests, the ASan build, the fuzz targets and the benchmarks build
# from; tools/check-layout checks it against the folder and the includes.
pg_SRCS = pg_backfill.c pg_bulk.c pg_convert.c pg_import.c pg_options.c pg_partition.c pg_queue.c pg_range.c pg_tools.c pg_util.c
pg_USES = runner spec infer expr jmespath json util
