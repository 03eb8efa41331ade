UNIT_TESTS += error
unit_objs_error = bf_error utf8
