UNIT_TESTS += datetime
unit_objs_datetime = datetime
