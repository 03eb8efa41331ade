# src/json/module.mk: the json module's sources and the modules its files
# include (src/json/README.md says what it does).  The one list the extension,
# the unit tests, the ASan build, the fuzz targets and the benchmarks build
# from; tools/check-layout checks it against the folder and the includes.
json_SRCS = formats.c jsonscan.c
json_USES = util
