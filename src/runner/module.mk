# src/runner/module.mk: the runner module's sources and the modules its files
# include (src/runner/README.md says what it does).  The one list the extension,
# the unit tests, the ASan build, the fuzz targets and the benchmarks build
# from; tools/check-layout checks it against the folder and the includes.
runner_SRCS = queue_mem.c runner.c runner_phase.c runner_prefetch.c runner_raw.c runner_request.c runner_response.c runner_sign.c
runner_USES = http spec expr jmespath json util
# bottom-up; a file includes only headers of the layers below its own
# (runner_phase.h says what the request and response phases may see)
runner_LAYERS = queue queue_mem runner_phase runner_sign runner_request runner_raw runner_response runner_prefetch runner
