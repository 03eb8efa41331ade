/*
 * Unit tests of datetime.c: the calendar (leap years, month lengths, the
 * full 1..9999 range), Sling's "auto" parse (epoch digit counts, layouts,
 * offsets, invalid dates), strptime formats, strftime plus %f/%s/%:z,
 * RFC 3339 text, month arithmetic that clamps, and Go durations.
 */
#include <stdlib.h>
#include <string.h>

#include "expr/datetime.h"
#include "unit.h"

static char rfc[BF_TIME_RFC3339_MAX];

/* Parse with the auto rules and print RFC 3339, or "fail". */
static const char *
parse(const char *s)
{
	BfTime		t;

	if (!bf_time_parse(s, strlen(s), &t))
		return "fail";
	bf_time_rfc3339(&t, rfc);
	return rfc;
}

static const char *
parse_fmt(const char *s, const char *fmt)
{
	BfTime		t;

	if (!bf_time_parse_format(s, fmt, &t))
		return "fail";
	bf_time_rfc3339(&t, rfc);
	return rfc;
}

static char formatted[256];

static const char *
format(const char *date, const char *fmt)
{
	BfTime		t;
	char	   *s;

	if (!bf_time_parse(date, strlen(date), &t))
		return "bad date";
	s = bf_time_format(&t, fmt);
	if (s == NULL)
		return "fail";
	snprintf(formatted, sizeof(formatted), "%s", s);
	free(s);
	return formatted;
}

static const char *
add_months(const char *date, int64_t n)
{
	BfTime		t;

	if (!bf_time_parse(date, strlen(date), &t))
		return "bad date";
	if (!bf_time_add_months(&t, n))
		return "fail";
	bf_time_rfc3339(&t, rfc);
	return rfc;
}

static void
test_calendar(void)
{
	int64_t		y;
	int			m;
	int			d;
	int64_t		day;
	bool		round_trip = true;

	CHECK(bf_days_from_civil(1970, 1, 1) == 0);
	CHECK(bf_days_from_civil(2000, 3, 1) == 11017);
	CHECK(bf_days_from_civil(1969, 12, 31) == -1);
	CHECK(bf_is_leap_year(2024));
	CHECK(bf_is_leap_year(2000));
	CHECK(!bf_is_leap_year(1900));
	CHECK(!bf_is_leap_year(2100));
	CHECK(!bf_is_leap_year(2023));
	CHECK(bf_days_in_month(2024, 2) == 29);
	CHECK(bf_days_in_month(2023, 2) == 28);
	CHECK(bf_days_in_month(1900, 2) == 28);
	CHECK(bf_days_in_month(2000, 2) == 29);
	CHECK(bf_days_in_month(2023, 4) == 30);
	CHECK(bf_days_in_month(2023, 12) == 31);
	/* every day of years 1..9999 converts back to itself */
	for (day = bf_days_from_civil(1, 1, 1); day <= bf_days_from_civil(9999, 12, 31); day += 7)
	{
		bf_civil_from_days(day, &y, &m, &d);
		if (bf_days_from_civil(y, m, d) != day)
			round_trip = false;
	}
	CHECK(round_trip);
	bf_civil_from_days(bf_days_from_civil(2024, 2, 29), &y, &m, &d);
	CHECK(y == 2024 && m == 2 && d == 29);
}

static void
test_parse_auto(void)
{
	/* the layouts */
	CHECK_STR(parse("2024-01-01"), "2024-01-01T00:00:00Z");
	CHECK_STR(parse("  2024-01-01  "), "2024-01-01T00:00:00Z");
	CHECK_STR(parse("2024-01"), "2024-01-01T00:00:00Z");
	CHECK_STR(parse("2024/03/05"), "2024-03-05T00:00:00Z");
	CHECK_STR(parse("2024-01-01T10:20:30Z"), "2024-01-01T10:20:30Z");
	CHECK_STR(parse("2024-01-01t10:20:30z"), "2024-01-01T10:20:30Z");
	CHECK_STR(parse("2024-01-01T10:20:30"), "2024-01-01T10:20:30Z");
	CHECK_STR(parse("2024-01-01T10:20"), "2024-01-01T10:20:00Z");
	CHECK_STR(parse("2024-01-01 10:20:30"), "2024-01-01T10:20:30Z");
	CHECK_STR(parse("2024-01-01T10:20:30.5Z"), "2024-01-01T10:20:30.5Z");
	CHECK_STR(parse("2024-01-01T10:20:30.123456789Z"), "2024-01-01T10:20:30.123456789Z");
	CHECK_STR(parse("2024-01-01T10:20:30,25Z"), "2024-01-01T10:20:30.25Z");
	CHECK_STR(parse("2024-01-01T10:20:30+02:00"), "2024-01-01T10:20:30+02:00");
	CHECK_STR(parse("2024-01-01T10:20:30-0530"), "2024-01-01T10:20:30-05:30");
	CHECK_STR(parse("2024-01-01T10:20:30+05"), "2024-01-01T10:20:30+05:00");
	CHECK_STR(parse("2024-01-01T10:20:30+00:00"), "2024-01-01T10:20:30Z");
	CHECK_STR(parse("2024-01-01 10:20:30 UTC"), "2024-01-01T10:20:30Z");
	/* Go's time.String() form */
	CHECK_STR(parse("2024-01-01 10:20:30.5 +0000 UTC"), "2024-01-01T10:20:30.5Z");
	CHECK_STR(parse("01/31/2024"), "2024-01-31T00:00:00Z");
	CHECK_STR(parse("1/2/2024 03:04:05"), "2024-01-02T03:04:05Z");
	CHECK_STR(parse("Mon, 02 Jan 2006 15:04:05 GMT"), "2006-01-02T15:04:05Z");
	CHECK_STR(parse("02 Jan 2006 15:04:05 -0700"), "2006-01-02T15:04:05-07:00");
	/* leap days and invalid dates */
	CHECK_STR(parse("2024-02-29"), "2024-02-29T00:00:00Z");
	CHECK_STR(parse("2000-02-29"), "2000-02-29T00:00:00Z");
	CHECK_STR(parse("2023-02-29"), "fail");
	CHECK_STR(parse("1900-02-29"), "fail");
	CHECK_STR(parse("2024-04-31"), "fail");
	CHECK_STR(parse("2024-13-01"), "fail");
	CHECK_STR(parse("2024-00-10"), "fail");
	CHECK_STR(parse("2024-01-01T24:00:00Z"), "fail");
	CHECK_STR(parse("2024-01-01T10:60:00Z"), "fail");
	CHECK_STR(parse("2024-01-01T10:20:30+25:00"), "fail");
	CHECK_STR(parse("2024-01-01x"), "fail");
	CHECK_STR(parse("0000-01-01"), "fail");
	CHECK_STR(parse("0001-01-01"), "0001-01-01T00:00:00Z");
	CHECK_STR(parse("9999-12-31T23:59:59Z"), "9999-12-31T23:59:59Z");
	CHECK_STR(parse(""), "fail");
	CHECK_STR(parse("yesterday"), "fail");
	CHECK_STR(parse("2024"), "fail");
	/* epoch numbers by digit count: 8-10 s, 11-13 ms, 14-16 us, 17-19 ns */
	CHECK_STR(parse("1704067200"), "2024-01-01T00:00:00Z");
	CHECK_STR(parse("20240101"), "1970-08-23T06:15:01Z");
	CHECK_STR(parse("1704067200123"), "2024-01-01T00:00:00.123Z");
	CHECK_STR(parse("1704067200123456"), "2024-01-01T00:00:00.123456Z");
	CHECK_STR(parse("1704067200123456789"), "2024-01-01T00:00:00.123456789Z");
	CHECK_STR(parse("-1704067200"), "1916-01-02T00:00:00Z");
	CHECK_STR(parse("-1000000000123"), "1938-04-24T22:13:19.877Z");
	CHECK_STR(parse("1234567"), "fail");
	CHECK_STR(parse("12345678901234567890"), "fail");
	CHECK_STR(parse("99999999999999999999"), "fail");
}

static void
test_parse_format(void)
{
	CHECK_STR(parse_fmt("2024-03-05", "%Y-%m-%d"), "2024-03-05T00:00:00Z");
	CHECK_STR(parse_fmt("05/03/2024 10:11", "%d/%m/%Y %H:%M"), "2024-03-05T10:11:00Z");
	CHECK_STR(parse_fmt("2024-03-05T10:11:12+0200", "%Y-%m-%dT%H:%M:%S%z"),
			  "2024-03-05T10:11:12+02:00");
	CHECK_STR(parse_fmt("2024-03-05 10:11:12.250", "%Y-%m-%d %H:%M:%S.%f"),
			  "2024-03-05T10:11:12.25Z");
	CHECK_STR(parse_fmt("1704067200", "%s"), "2024-01-01T00:00:00Z");
	CHECK_STR(parse_fmt("2024", "%Y"), "2024-01-01T00:00:00Z");
	CHECK_STR(parse_fmt("10:30", "%H:%M"), "1900-01-01T10:30:00Z");
	CHECK_STR(parse_fmt("Jan 5 2024", "%b %d %Y"), "2024-01-05T00:00:00Z");
	CHECK_STR(parse_fmt("2024-03-05 trailing", "%Y-%m-%d"), "fail");
	CHECK_STR(parse_fmt("2023-02-30", "%Y-%m-%d"), "fail");
	CHECK_STR(parse_fmt("x", "%Y"), "fail");
	CHECK_STR(parse_fmt("12.", "%S.%f"), "fail");
}

static void
test_format(void)
{
	CHECK_STR(format("2024-01-05T03:04:05.123456789Z", "%Y-%m-%d %H:%M:%S"), "2024-01-05 03:04:05");
	CHECK_STR(format("2024-01-05T03:04:05.123456789Z", "%f"), "123456");
	CHECK_STR(format("2024-01-05T03:04:05Z", "%f"), "000000");
	CHECK_STR(format("2024-01-01T00:00:00Z", "%s"), "1704067200");
	CHECK_STR(format("2024-01-01T02:00:00+02:00", "%s"), "1704067200");
	CHECK_STR(format("2024-01-01T02:00:00+02:00", "%H %z %:z %Z"), "02 +0200 +02:00 +02:00");
	CHECK_STR(format("2024-01-01T00:00:00Z", "%z %:z %Z"), "+0000 +00:00 UTC");
	CHECK_STR(format("2024-03-01", "%j %a %A %b %B %u %w"), "061 Fri Friday Mar March 5 5");
	CHECK_STR(format("2024-01-05", "%-d/%-m/%y"), "5/1/24");
	CHECK_STR(format("2024-01-05", "%e|%_m"), " 5| 1");
	CHECK_STR(format("2024-01-05", "%^a"), "FRI");
	CHECK_STR(format("2024-12-30", "%G-W%V"), "2025-W01");
	CHECK_STR(format("2024-01-05T13:00:00Z", "%I %p %P"), "01 PM pm");
	CHECK_STR(format("2024-01-05", "%F %T %D"), "2024-01-05 00:00:00 01/05/24");
	CHECK_STR(format("2024-01-05", "100%% %n%t"), "100% \n\t");
	CHECK_STR(format("2024-01-05", ""), "");
	CHECK_STR(format("2024-01-05", "plain"), "plain");
	CHECK_STR(format("2024-01-05", "%"), "%");
	CHECK_STR(format("0001-01-01", "%Y-%m-%d"), "0001-01-01");
	CHECK_STR(format("2024-01-05", "%99999Y"), "fail");
}

static void
test_rfc3339(void)
{
	BfTime		t = {0, 0, 0};

	bf_time_rfc3339(&t, rfc);
	CHECK_STR(rfc, "1970-01-01T00:00:00Z");
	t.nsec = 100000000;
	t.offset = -3600 * 5 - 1800;
	bf_time_rfc3339(&t, rfc);
	CHECK_STR(rfc, "1969-12-31T18:30:00.1-05:30");
	CHECK(bf_time_weekday(&t) == 3);	/* Wednesday, local */
}

static void
test_arithmetic(void)
{
	BfTime		t;
	BfTime		u;

	/* clamped month steps */
	CHECK_STR(add_months("2024-01-31", 1), "2024-02-29T00:00:00Z");
	CHECK_STR(add_months("2023-01-31", 1), "2023-02-28T00:00:00Z");
	CHECK_STR(add_months("2024-03-31", -1), "2024-02-29T00:00:00Z");
	CHECK_STR(add_months("2024-03-15T10:00:00+02:00", -1), "2024-02-15T10:00:00+02:00");
	CHECK_STR(add_months("2024-12-15", 1), "2025-01-15T00:00:00Z");
	CHECK_STR(add_months("2024-01-15", -13), "2022-12-15T00:00:00Z");
	CHECK_STR(add_months("2024-02-29", 12), "2025-02-28T00:00:00Z");
	CHECK_STR(add_months("9999-12-01", 1), "fail");
	CHECK_STR(add_months("0001-01-01", -1), "fail");
	CHECK_STR(add_months("2024-01-01", 1000000), "fail");

	CHECK(bf_time_parse("2024-01-01T23:59:59.5Z", 22, &t));
	CHECK(bf_time_add(&t, 0, 700000000));
	bf_time_rfc3339(&t, rfc);
	CHECK_STR(rfc, "2024-01-02T00:00:00.2Z");
	CHECK(bf_time_add(&t, -86400, -200000000));
	bf_time_rfc3339(&t, rfc);
	CHECK_STR(rfc, "2024-01-01T00:00:00Z");
	CHECK(!bf_time_add(&t, INT64_MAX, 0));
	CHECK(!bf_time_add(&t, 300000000000LL, 0));
	u = t;
	CHECK(bf_time_cmp(&t, &u) == 0);
	u.nsec = 1;
	CHECK(bf_time_cmp(&t, &u) < 0);
	CHECK(bf_time_cmp(&u, &t) > 0);
}

static void
test_civil(void)
{
	BfCivil		c;
	BfTime		t;

	memset(&c, 0, sizeof(c));
	c.year = 2024;
	c.month = 3;
	c.day = 0;					/* the last day of February */
	CHECK(bf_time_from_civil(&c, 0, &t));
	bf_time_rfc3339(&t, rfc);
	CHECK_STR(rfc, "2024-02-29T00:00:00Z");
	c.month = 14;
	c.day = 1;
	c.hour = 25;
	CHECK(bf_time_from_civil(&c, 3600, &t));
	bf_time_rfc3339(&t, rfc);
	CHECK_STR(rfc, "2025-02-02T01:00:00+01:00");
	bf_time_to_civil(&t, &c);
	CHECK(c.year == 2025 && c.month == 2 && c.day == 2 && c.hour == 1);
	c.year = 10000;
	CHECK(!bf_time_from_civil(&c, 0, &t));
	c.year = 5000000;
	CHECK(!bf_time_from_civil(&c, 0, &t));
}

static void
test_durations_zones(void)
{
	int64_t		ns;
	int32_t		off;

	CHECK(bf_parse_duration("1h30m", &ns) && ns == 5400000000000LL);
	CHECK(bf_parse_duration("-1.5s", &ns) && ns == -1500000000LL);
	CHECK(bf_parse_duration("300ms", &ns) && ns == 300000000LL);
	CHECK(bf_parse_duration("2us", &ns) && ns == 2000);
	CHECK(bf_parse_duration("2\xc2\xb5s", &ns) && ns == 2000);
	CHECK(bf_parse_duration("7ns", &ns) && ns == 7);
	CHECK(bf_parse_duration("0", &ns) && ns == 0);
	CHECK(bf_parse_duration("1h1m1s", &ns) && ns == 3661000000000LL);
	CHECK(!bf_parse_duration("", &ns));
	CHECK(!bf_parse_duration("1", &ns));
	CHECK(!bf_parse_duration("1d", &ns));
	CHECK(!bf_parse_duration("h", &ns));
	CHECK(!bf_parse_duration("99999999999h", &ns));
	CHECK(bf_parse_zone("UTC", 3, &off) && off == 0);
	CHECK(bf_parse_zone("Z", 1, &off) && off == 0);
	CHECK(bf_parse_zone("+02:00", 6, &off) && off == 7200);
	CHECK(bf_parse_zone("-0530", 5, &off) && off == -19800);
	CHECK(bf_parse_zone("+05", 3, &off) && off == 18000);
	CHECK(!bf_parse_zone("America/New_York", 16, &off));
	CHECK(!bf_parse_zone("+24:00", 6, &off));
	CHECK(!bf_parse_zone("+2:00", 5, &off));
}

int
main(void)
{
	test_calendar();
	test_parse_auto();
	test_parse_format();
	test_format();
	test_rfc3339();
	test_arithmetic();
	test_civil();
	test_durations_zones();
	return UNIT_DONE("datetime");
}
