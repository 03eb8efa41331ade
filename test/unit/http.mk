UNIT_TESTS += http
unit_objs_http = bf_error http http_url utf8 crypto
