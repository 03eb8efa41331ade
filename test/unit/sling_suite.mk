UNIT_TESTS += sling_suite
unit_objs_sling_suite = $(unit_objs_runner)
