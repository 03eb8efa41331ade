UNIT_TESTS += runner
unit_objs_runner = bf_error runner runner_request runner_response runner_raw runner_sign jsonscan http http_url crypto keyset formats spec spec_yaml spec_merge expr_lex expr_parse expr_eval expr_value template functions datetime jmespath jmespath_lex jmespath_eval jmespath_func utf8
