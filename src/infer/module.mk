# src/infer/module.mk: the infer module's sources and the modules its files
# include (src/infer/README.md says what it does).  The one list the
# extension, the unit tests, the ASan build, the fuzz targets and the
# benchmarks build from; tools/check-layout checks it against the folder and
# the includes.
infer_SRCS = infer.c
infer_USES = expr
