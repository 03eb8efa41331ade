# src/jmespath/module.mk: the jmespath module's sources and the modules its files
# include (src/jmespath/README.md says what it does).  The one list the extension,
# the unit tests, the ASan build, the fuzz targets and the benchmarks build
# from; tools/check-layout checks it against the folder and the includes.
jmespath_SRCS = jmespath.c jmespath_eval.c jmespath_func.c jmespath_lex.c
jmespath_USES = util
