UNIT_TESTS += keyset
unit_objs_keyset = keyset
