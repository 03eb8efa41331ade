UNIT_TESTS += spec
unit_objs_spec = bf_error spec spec_yaml spec_merge expr_lex expr_parse expr_eval expr_value template functions datetime crypto jmespath jmespath_lex jmespath_eval jmespath_func utf8
