# src/spec/module.mk: the spec module's sources and the modules its files
# include (src/spec/README.md says what it does).  The one list the extension,
# the unit tests, the ASan build, the fuzz targets and the benchmarks build
# from; tools/check-layout checks it against the folder and the includes.
spec_SRCS = spec.c spec_merge.c spec_refs.c spec_yaml.c
spec_USES = expr jmespath json util
