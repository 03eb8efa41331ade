# src/http/module.mk: the http module's sources and the modules its files
# include (src/http/README.md says what it does).  The one list the extension,
# the unit tests, the ASan build, the fuzz targets and the benchmarks build
# from; tools/check-layout checks it against the folder and the includes.
http_SRCS = http.c http_url.c
http_USES = util
