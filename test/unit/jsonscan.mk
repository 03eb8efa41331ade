UNIT_TESTS += jsonscan
unit_objs_jsonscan = jsonscan utf8
