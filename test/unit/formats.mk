UNIT_TESTS += formats
unit_objs_formats = bf_error formats utf8
