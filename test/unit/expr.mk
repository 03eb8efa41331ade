UNIT_TESTS += expr
unit_objs_expr = bf_error expr_lex expr_parse expr_eval expr_value template functions datetime crypto jmespath jmespath_lex jmespath_eval jmespath_func utf8
