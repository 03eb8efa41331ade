UNIT_TESTS += crypto
unit_objs_crypto = crypto
