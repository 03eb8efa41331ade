--
-- The tools for spec authors: jmespath(), evaluate(), render().
--

-- jmespath(): a sample of the compliance suite's cases (test/jmespath)
SELECT backfill_fdw.jmespath('{"foo": {"bar": {"baz": "correct"}}}', 'foo.bar.baz');
SELECT backfill_fdw.jmespath('{"data": {"events": [{"id": 1}, {"id": 2}]}}', 'data.events[]');
SELECT backfill_fdw.jmespath('{"foo": [{"bar": 1}, {"bar": 2}, {"baz": 3}]}', 'foo[*].bar');
SELECT backfill_fdw.jmespath('{"items": [{"a": true, "n": 1}, {"a": false, "n": 2}]}', 'items[?a].n');
SELECT backfill_fdw.jmespath('{"foo": [[1, 2], [3, [4]]]}', 'foo[]');
SELECT backfill_fdw.jmespath('[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]', '[::-3]');
SELECT backfill_fdw.jmespath('{"a": "x", "b": "y"}', '{first: a, both: [a, b]}');
SELECT backfill_fdw.jmespath('{"people": [{"age": 30, "n": "a"}, {"age": 20, "n": "b"}]}',
                             'sort_by(people, &age)[].n | join(`, `, @)');
SELECT backfill_fdw.jmespath('{"z": 1, "a": 2, "m": 3}', 'keys(@)');
SELECT backfill_fdw.jmespath('{"foo": "bar"}', '`{"lit": [1, 2]}`');
SELECT backfill_fdw.jmespath('{"a": {"b": null}}', 'a.b.c');
-- the error classes of the specification
SELECT backfill_fdw.jmespath('{}', 'foo.[');
SELECT backfill_fdw.jmespath('{"a": "x"}', 'abs(a)');
SELECT backfill_fdw.jmespath('{}', 'length(`1`, `2`)');
SELECT backfill_fdw.jmespath('{}', 'no_such_function(@)');
SELECT backfill_fdw.jmespath('[1, 2]', '[::0]');

-- evaluate(): the seed specs' expressions, with the context a backfill gives
SELECT backfill_fdw.evaluate(
  'range(coalesce(context.range_start, sync.last_date, date_format(date_add(now(), -7, "day"), "%Y-%m-%d")),
         coalesce(context.range_end, date_format(date_add(now(), -1, "day"), "%Y-%m-%d")), "1d")',
  '{"context": {"range_start": "2024-01-30", "range_end": "2024-02-02"}}');
SELECT backfill_fdw.evaluate(
  'range(coalesce(context.range_start, sync.last_month, "2023-01-01"), coalesce(context.range_end, "2023-12-01"), "1M")',
  '{"context": {"range_start": "2023-07-01", "range_end": "2023-12-31"}}');
SELECT backfill_fdw.evaluate(
  'range(coalesce(context.range_start, sync.last_order_id, "1"), coalesce(context.range_end, "999999"), "1000")',
  '{"context": {"range_start": "10000", "range_end": "13000"}}');
-- without a range the sync value wins, and the now()-based default is a date
SELECT backfill_fdw.evaluate(
  'range(coalesce(context.range_start, sync.last_date, "x"), "2024-01-03", "1d")',
  '{"sync": {"last_date": "2024-01-02"}}');
SELECT jsonb_array_length(backfill_fdw.evaluate(
  'range(coalesce(context.range_start, date_format(date_add(now(), -7, "day"), "%Y-%m-%d")),
         date_format(date_add(now(), -1, "day"), "%Y-%m-%d"), "1d")')) AS last_seven_days;
SELECT backfill_fdw.evaluate('date_format(state.current_month, "%Y-%m")',
                             '{"state": {"current_month": "2023-07-01T00:00:00Z"}}');
SELECT backfill_fdw.evaluate('to_int(state.start_id) + 999', '{"state": {"start_id": "10000"}}');
SELECT backfill_fdw.evaluate('response.status == 429 && request.attempts < 3',
                             '{"response": {"status": 429}, "request": {"attempts": 1}}');
SELECT backfill_fdw.evaluate('24 / 10'), backfill_fdw.evaluate('24 / 10.0'),
       backfill_fdw.evaluate('"a" + 1'), backfill_fdw.evaluate('[1] + [2]');
SELECT backfill_fdw.evaluate('state.missing.deeper');
-- errors: found when compiled (unknown function, arity, syntax), or named at run time
SELECT backfill_fdw.evaluate('no_such_function(1)');
SELECT backfill_fdw.evaluate('date_add("2024-01-01")');
SELECT backfill_fdw.evaluate('1 + * 2');
SELECT backfill_fdw.evaluate('''single quotes''');
SELECT backfill_fdw.evaluate('range(null, "2024-01-05", "1d")');
SELECT backfill_fdw.evaluate('date_add("not a date", 1, "day")');
-- a caller can catch each kind by its SQLSTATE
DO $$
BEGIN
  PERFORM backfill_fdw.evaluate('no_such_function(1)');
EXCEPTION WHEN undefined_function THEN
  RAISE NOTICE 'caught undefined_function (%)', SQLSTATE;
END $$;

-- render(): the typed value of a whole {...}, else text
SELECT backfill_fdw.render('{state.base_url}/events/daily/{state.date}',
                           '{"state": {"base_url": "https://api.analytics.com/v1", "date": "2024-01-05"}}');
SELECT backfill_fdw.render('{date_format(state.current_date, "%Y-%m-%d")}',
                           '{"state": {"current_date": "2024-01-05T00:00:00Z"}}');
SELECT backfill_fdw.render('{state.limit}', '{"state": {"limit": 100}}');
SELECT backfill_fdw.render('{state.obj}', '{"state": {"obj": {"a": [1]}}}');
SELECT backfill_fdw.render('n={state.limit}, o={state.obj}, missing=[{state.nope}]',
                           '{"state": {"limit": 100, "obj": {"a": [1]}}}');
SELECT backfill_fdw.render('Bearer {secrets.api_key}', '{"secrets": {"api_key": "sk_test_x"}}');
SELECT backfill_fdw.render('{{not a template}} and {"json": "object"}');
SELECT backfill_fdw.render('unbalanced {state.x');
-- an error shows no secret that vars holds
SELECT backfill_fdw.render('{date_add(secrets.api_key, 1, "day")}',
                           '{"secrets": {"api_key": "sk_test_SECRET_VALUE"}}');
