# src/expr/module.mk: the expr module's sources and the modules its files
# include (src/expr/README.md says what it does).  The one list the extension,
# the unit tests, the ASan build, the fuzz targets and the benchmarks build
# from; tools/check-layout checks it against the folder and the includes.
expr_SRCS = datetime.c expr_eval.c expr_lex.c expr_parse.c expr_value.c functions.c jqrun.c template.c
expr_USES = jmespath util
