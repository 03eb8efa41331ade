UNIT_TESTS += jmespath
unit_objs_jmespath = bf_error jmespath jmespath_lex jmespath_eval jmespath_func utf8
