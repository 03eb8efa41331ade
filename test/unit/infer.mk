UNIT_TESTS += infer
unit_objs_infer = infer datetime
