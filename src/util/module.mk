# src/util/module.mk: the util module's sources and the modules its files
# include (src/util/README.md says what it does).  The one list the extension,
# the unit tests, the ASan build, the fuzz targets and the benchmarks build
# from; tools/check-layout checks it against the folder and the includes.
util_SRCS = bf_error.c crypto.c keyset.c suggest.c token_cache.c utf8.c
util_USES = 
