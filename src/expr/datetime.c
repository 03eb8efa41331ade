/*-------------------------------------------------------------------------
 *
 * datetime.c
 *		  Parsing, formatting and calendar arithmetic of dates for the
 *		  expression language (see datetime.h).
 *
 * The calendar is computed here (Howard Hinnant's days-from-civil
 * algorithms) rather than with timegm/mktime, so that nothing depends on
 * the process's TZ and years 1..9999 all work; strftime and strptime do
 * the field conversions, with %f, %s and %:z handled here because glibc
 * either lacks them or reads them in local time.
 *
 *-------------------------------------------------------------------------
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE			/* memmem, strptime, tm_gmtoff outside PGXS */
#endif
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "expr/datetime.h"

#define NSEC_PER_SEC 1000000000
#define SECS_PER_DAY 86400
/* Local seconds of 0001-01-01T00:00:00 and of 9999-12-31T23:59:59. */
#define MIN_LOCAL_SEC (-62135596800LL)
#define MAX_LOCAL_SEC (253402300799LL)
#define FORMAT_MAX (64 * 1024)

/* C division truncates; calendars need the floor for dates before 1970. */
static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t		q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Hinnant's algorithm: exact for any Gregorian year, no tables, no TZ. */
int64_t
bf_days_from_civil(int64_t y, int m, int d)
{
	int64_t		era;
	int64_t		yoe;
	int64_t		doy;
	int64_t		doe;

	y -= (m <= 2);
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The inverse of bf_days_from_civil. */
void
bf_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t		era;
	int64_t		doe;
	int64_t		yoe;
	int64_t		doy;
	int64_t		mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Gregorian rule: 2000 is a leap year, 1900 and 2100 are not. */
bool
bf_is_leap_year(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Month ends for clamping and validation. */
int
bf_days_in_month(int64_t y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && bf_is_leap_year(y))
		return 29;
	return days[m - 1];
}

/* Fields in the time's own offset, as Go's t.Date() gives them. */
void
bf_time_to_civil(const BfTime *t, BfCivil *c)
{
	int64_t		local = t->sec + t->offset;
	int64_t		days = floor_div(local, SECS_PER_DAY);
	int64_t		rem = local - days * SECS_PER_DAY;

	bf_civil_from_days(days, &c->year, &c->month, &c->day);
	c->hour = (int) (rem / 3600);
	c->minute = (int) (rem % 3600 / 60);
	c->second = (int) (rem % 60);
	c->nsec = t->nsec;
}

/*
 * Carries out-of-range fields instead of rejecting them, so callers can step
 * days or months by adding to a field.
 */
bool
bf_time_from_civil(const BfCivil *c, int32_t offset, BfTime *t)
{
	int64_t		m0;
	int64_t		y;
	int64_t		local;

	/* keep the arithmetic below far from int64 overflow */
	if (c->year < -1000000 || c->year > 1000000)
		return false;
	m0 = (int64_t) c->month - 1;
	y = c->year + floor_div(m0, 12);
	m0 -= floor_div(m0, 12) * 12;
	local = (bf_days_from_civil(y, (int) m0 + 1, 1) + c->day - 1) * SECS_PER_DAY +
		(int64_t) c->hour * 3600 + (int64_t) c->minute * 60 + c->second;
	if (local < MIN_LOCAL_SEC || local > MAX_LOCAL_SEC)
		return false;
	t->sec = local - offset;
	t->nsec = c->nsec;
	t->offset = offset;
	return true;
}

/* From the day number: no struct tm, no TZ. */
int
bf_time_weekday(const BfTime *t)
{
	int64_t		days = floor_div(t->sec + t->offset, SECS_PER_DAY);

	/* 1970-01-01 was a Thursday */
	return (int) ((days % 7 + 11) % 7);
}

/* Instants compare regardless of the offsets they are shown in. */
int
bf_time_cmp(const BfTime *a, const BfTime *b)
{
	if (a->sec != b->sec)
		return a->sec < b->sec ? -1 : 1;
	return (a->nsec > b->nsec) - (a->nsec < b->nsec);
}

/*
 * UTC on purpose: Sling's now() is the process's local time, which depends on
 * the server.
 */
void
bf_time_now(BfTime *t)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	t->sec = ts.tv_sec;
	t->nsec = (int32_t) ts.tv_nsec;
	t->offset = 0;
}

/*
 * Overflow-checked, so a huge date_add amount is an error rather than
 * undefined behaviour.
 */
bool
bf_time_add(BfTime *t, int64_t sec, int64_t nsec)
{
	int64_t		ns = (int64_t) t->nsec + nsec % NSEC_PER_SEC;
	int64_t		s;

	if (__builtin_add_overflow(t->sec, sec, &s) ||
		__builtin_add_overflow(s, nsec / NSEC_PER_SEC + floor_div(ns, NSEC_PER_SEC), &s))
		return false;
	ns -= floor_div(ns, NSEC_PER_SEC) * NSEC_PER_SEC;
	if (s + t->offset < MIN_LOCAL_SEC || s + t->offset > MAX_LOCAL_SEC)
		return false;
	t->sec = s;
	t->nsec = (int32_t) ns;
	return true;
}

/*
 * Clamps the day, as PostgreSQL's interval arithmetic does, rather than Go's
 * AddDate overflow into the next month.
 */
bool
bf_time_add_months(BfTime *t, int64_t months)
{
	BfCivil		c;
	int64_t		m0;
	int			dim;

	if (months < -200000 || months > 200000)
		return false;
	bf_time_to_civil(t, &c);
	m0 = (int64_t) c.month - 1 + months;
	c.year += floor_div(m0, 12);
	c.month = (int) (m0 - floor_div(m0, 12) * 12) + 1;
	if (c.year < 1 || c.year > 9999)
		return false;
	dim = bf_days_in_month(c.year, c.month);
	if (c.day > dim)
		c.day = dim;
	return bf_time_from_civil(&c, t->offset, t);
}

/*
 * Sling guesses the unit of an epoch number from its digit count; so do we.
 */
bool
bf_time_from_epoch_digits(int64_t v, int ndigits, BfTime *t)
{
	int64_t		per_sec;
	int64_t		rem;

	if (ndigits >= 8 && ndigits <= 10)
		per_sec = 1;
	else if (ndigits >= 11 && ndigits <= 13)
		per_sec = 1000;
	else if (ndigits >= 14 && ndigits <= 16)
		per_sec = 1000000;
	else if (ndigits >= 17 && ndigits <= 19)
		per_sec = NSEC_PER_SEC;
	else
		return false;
	/* no multiplication: near INT64_MIN it would overflow */
	rem = v % per_sec;
	t->sec = v / per_sec - (rem < 0 ? 1 : 0);
	if (rem < 0)
		rem += per_sec;
	t->nsec = (int32_t) (rem * (NSEC_PER_SEC / per_sec));
	t->offset = 0;
	return t->sec >= MIN_LOCAL_SEC && t->sec <= MAX_LOCAL_SEC;
}

/* A cursor over the text being parsed by the auto layouts. */
typedef struct ParseCursor
{
	const char *s;
	size_t		len;
	size_t		i;
} ParseCursor;

/* Read between min and max digits; false (cursor unchanged) otherwise. */
static bool
cur_digits(ParseCursor *c, size_t min, size_t max, int *out)
{
	size_t		n = 0;
	int			v = 0;

	while (c->i + n < c->len && n < max && isdigit((unsigned char) c->s[c->i + n]))
	{
		v = v * 10 + (c->s[c->i + n] - '0');
		n++;
	}
	if (n < min)
		return false;
	c->i += n;
	*out = v;
	return true;
}

/* Consume one expected character. */
static bool
cur_char(ParseCursor *c, char ch)
{
	if (c->i < c->len && c->s[c->i] == ch)
	{
		c->i++;
		return true;
	}
	return false;
}

/* Consume a case-insensitive word (month names). */
static bool
cur_word(ParseCursor *c, const char *w)
{
	size_t		n = strlen(w);

	if (c->len - c->i >= n && strncasecmp(c->s + c->i, w, n) == 0)
	{
		c->i += n;
		return true;
	}
	return false;
}

/* Fixed offsets only: zone names would need the tz database. */
bool
bf_parse_zone(const char *s, size_t len, int32_t *offset)
{
	ParseCursor c = {s, len, 0};
	int			sign;
	int			hh;
	int			mm = 0;

	if ((len == 1 && (s[0] == 'Z' || s[0] == 'z')) ||
		(len == 3 && (strncasecmp(s, "UTC", 3) == 0 || strncasecmp(s, "GMT", 3) == 0)))
	{
		*offset = 0;
		return true;
	}
	if (cur_char(&c, '+'))
		sign = 1;
	else if (cur_char(&c, '-'))
		sign = -1;
	else
		return false;
	if (!cur_digits(&c, 2, 2, &hh))
		return false;
	if (c.i < len)
	{
		cur_char(&c, ':');
		if (!cur_digits(&c, 2, 2, &mm))
			return false;
	}
	if (c.i != len || hh > 23 || mm > 59)
		return false;
	*offset = sign * (hh * 3600 + mm * 60);
	return true;
}

/* An optional zone at the cursor: Z, UTC, GMT, +hh[:mm], then an abbreviation. */
static bool
cur_zone(ParseCursor *c, int32_t *offset)
{
	size_t		start;
	size_t		n;

	*offset = 0;
	if (c->i < c->len && c->s[c->i] == ' ')
		c->i++;
	if (c->i == c->len)
		return true;
	start = c->i;
	if (c->s[start] == '+' || c->s[start] == '-')
	{
		n = 1;
		while (start + n < c->len && (isdigit((unsigned char) c->s[start + n]) ||
									  c->s[start + n] == ':'))
			n++;
	}
	else
	{
		n = 0;
		while (start + n < c->len && isalpha((unsigned char) c->s[start + n]))
			n++;
	}
	if (!bf_parse_zone(c->s + start, n, offset))
		return false;
	c->i += n;
	/* Go's default format: "-0700 MST" after a numeric offset */
	if (c->s[start] != 'Z' && c->s[start] != 'z' && c->i + 1 < c->len && c->s[c->i] == ' ')
	{
		c->i++;
		while (c->i < c->len && isalpha((unsigned char) c->s[c->i]))
			c->i++;
	}
	return true;
}

/* HH:MM[:SS[.fraction]] at the cursor. */
static bool
cur_clock(ParseCursor *c, BfCivil *civ)
{
	if (!cur_digits(c, 1, 2, &civ->hour) || !cur_char(c, ':') ||
		!cur_digits(c, 2, 2, &civ->minute))
		return false;
	if (cur_char(c, ':'))
	{
		if (!cur_digits(c, 2, 2, &civ->second))
			return false;
		if (c->i + 1 < c->len && (c->s[c->i] == '.' || c->s[c->i] == ',') &&
			isdigit((unsigned char) c->s[c->i + 1]))
		{
			int32_t		scale = NSEC_PER_SEC / 10;

			c->i++;
			while (c->i < c->len && isdigit((unsigned char) c->s[c->i]))
			{
				civ->nsec += (c->s[c->i] - '0') * scale;
				scale /= 10;
				c->i++;
			}
		}
	}
	return civ->hour <= 23 && civ->minute <= 59 && civ->second <= 59;
}

/* Check the fields and the end of input, then build the time. */
static bool
finish_civil(ParseCursor *c, BfCivil *civ, int32_t offset, BfTime *t)
{
	if (c->i != c->len || civ->month < 1 || civ->month > 12 || civ->day < 1 ||
		civ->day > bf_days_in_month(civ->year, civ->month) || civ->year < 1)
		return false;
	return bf_time_from_civil(civ, offset, t);
}

/* YYYY-MM, YYYY-MM-DD, YYYY/MM/DD, each with an optional time and zone. */
static bool
parse_iso(ParseCursor *c, BfTime *t)
{
	BfCivil		civ;
	int			year;
	char		sep;
	int32_t		offset = 0;

	memset(&civ, 0, sizeof(civ));
	civ.day = 1;
	if (!cur_digits(c, 4, 4, &year) || c->i >= c->len)
		return false;
	civ.year = year;
	sep = c->s[c->i];
	if (sep != '-' && sep != '/')
		return false;
	c->i++;
	if (!cur_digits(c, 2, 2, &civ.month))
		return false;
	if (c->i == c->len && sep == '-')
		return finish_civil(c, &civ, 0, t);
	if (!cur_char(c, sep) || !cur_digits(c, 2, 2, &civ.day))
		return false;
	if (c->i < c->len && (c->s[c->i] == 'T' || c->s[c->i] == 't' || c->s[c->i] == ' '))
	{
		c->i++;
		if (!cur_clock(c, &civ) || !cur_zone(c, &offset))
			return false;
	}
	return finish_civil(c, &civ, offset, t);
}

/* MM/DD/YYYY with an optional time and zone. */
static bool
parse_us(ParseCursor *c, BfTime *t)
{
	BfCivil		civ;
	int			year;
	int32_t		offset = 0;

	memset(&civ, 0, sizeof(civ));
	if (!cur_digits(c, 1, 2, &civ.month) || !cur_char(c, '/') ||
		!cur_digits(c, 1, 2, &civ.day) || !cur_char(c, '/') ||
		!cur_digits(c, 4, 4, &year))
		return false;
	civ.year = year;
	if (cur_char(c, ' '))
	{
		if (!cur_clock(c, &civ) || !cur_zone(c, &offset))
			return false;
	}
	return finish_civil(c, &civ, offset, t);
}

/* RFC 1123 / RFC 2822, as in HTTP headers: "Mon, 02 Jan 2006 15:04:05 GMT". */
static bool
parse_rfc1123(ParseCursor *c, BfTime *t)
{
	static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec"};
	BfCivil		civ;
	int			year;
	int			i;
	int32_t		offset = 0;

	memset(&civ, 0, sizeof(civ));
	if (c->i + 4 < c->len && isalpha((unsigned char) c->s[c->i]))
	{
		while (c->i < c->len && isalpha((unsigned char) c->s[c->i]))
			c->i++;
		if (!cur_char(c, ',') || !cur_char(c, ' '))
			return false;
	}
	if (!cur_digits(c, 1, 2, &civ.day) || !cur_char(c, ' '))
		return false;
	for (i = 0; i < 12; i++)
		if (cur_word(c, months[i]))
			break;
	if (i == 12)
		return false;
	civ.month = i + 1;
	if (!cur_char(c, ' ') || !cur_digits(c, 4, 4, &year) || !cur_char(c, ' ') ||
		!cur_clock(c, &civ) || !cur_zone(c, &offset))
		return false;
	civ.year = year;
	return finish_civil(c, &civ, offset, t);
}

/*
 * Epoch digits first (as Sling), then the layouts from most to least common.
 */
bool
bf_time_parse(const char *s, size_t len, BfTime *t)
{
	ParseCursor c;
	size_t		i;
	size_t		start;
	bool		all_digits = true;

	while (len > 0 && isspace((unsigned char) s[0]))
	{
		s++;
		len--;
	}
	while (len > 0 && isspace((unsigned char) s[len - 1]))
		len--;
	if (len == 0)
		return false;
	start = (s[0] == '-' || s[0] == '+') ? 1 : 0;
	for (i = start; i < len; i++)
		if (!isdigit((unsigned char) s[i]))
			all_digits = false;
	if (all_digits && len > start)
	{
		int64_t		v = 0;
		int			n = (int) (len - start);

		if (n > 19)
			return false;
		for (i = start; i < len; i++)
		{
			if (v > (INT64_MAX - (s[i] - '0')) / 10)
				return false;
			v = v * 10 + (s[i] - '0');
		}
		return bf_time_from_epoch_digits(s[0] == '-' ? -v : v, n, t);
	}
	c.s = s;
	c.len = len;
	c.i = 0;
	if (parse_iso(&c, t))
		return true;
	c.i = 0;
	if (parse_us(&c, t))
		return true;
	c.i = 0;
	return parse_rfc1123(&c, t);
}

/*
 * strptime does the fields; %f and %s are read here because glibc lacks %f
 * and reads %s in local time.
 */
bool
bf_time_parse_format(const char *s, const char *fmt, BfTime *t)
{
	struct tm	tm;
	char	   *seg;
	const char *p = s;
	const char *f = fmt;
	int32_t		nsec = 0;
	bool		have_epoch = false;
	int64_t		epoch = 0;
	bool		ok = false;
	BfCivil		civ;

	memset(&tm, 0, sizeof(tm));
	tm.tm_mday = 1;
	seg = malloc(strlen(fmt) + 1);
	if (seg == NULL)
		return false;
	while (*f != '\0')
	{
		size_t		n = 0;

		/* strptime takes the run up to the next %f or %s */
		while (f[n] != '\0')
		{
			if (f[n] == '%' && (f[n + 1] == 'f' || f[n + 1] == 's'))
				break;
			n += (f[n] == '%' && f[n + 1] != '\0') ? 2 : 1;
		}
		if (n > 0)
		{
			memcpy(seg, f, n);
			seg[n] = '\0';
			p = strptime(p, seg, &tm);
			if (p == NULL)
				goto done;
			f += n;
		}
		if (*f == '%' && f[1] == 'f')
		{
			int32_t		scale = NSEC_PER_SEC / 10;

			if (!isdigit((unsigned char) *p))
				goto done;
			for (; isdigit((unsigned char) *p); p++)
			{
				nsec += (*p - '0') * scale;
				scale /= 10;
			}
			f += 2;
		}
		else if (*f == '%' && f[1] == 's')
		{
			bool		neg = (*p == '-');

			if (neg)
				p++;
			if (!isdigit((unsigned char) *p))
				goto done;
			for (; isdigit((unsigned char) *p); p++)
			{
				if (epoch > (MAX_LOCAL_SEC - (*p - '0')) / 10)
					goto done;
				epoch = epoch * 10 + (*p - '0');
			}
			if (neg)
				epoch = -epoch;
			have_epoch = true;
			f += 2;
		}
	}
	if (*p != '\0')
		goto done;
	if (have_epoch)
	{
		t->sec = epoch;
		t->nsec = nsec;
		t->offset = 0;
		ok = epoch >= MIN_LOCAL_SEC;
		goto done;
	}
	civ.year = (int64_t) tm.tm_year + 1900;
	civ.month = tm.tm_mon + 1;
	civ.day = tm.tm_mday;
	civ.hour = tm.tm_hour;
	civ.minute = tm.tm_min;
	civ.second = tm.tm_sec;
	civ.nsec = nsec;
	if (civ.year < 1 || civ.month < 1 || civ.month > 12 ||
		civ.day > bf_days_in_month(civ.year, civ.month) || civ.second > 59 ||
		tm.tm_gmtoff <= -86400 || tm.tm_gmtoff >= 86400)
		goto done;
	ok = bf_time_from_civil(&civ, (int32_t) tm.tm_gmtoff, t);
done:
	free(seg);
	return ok;
}

/* Offsets as +hhmm or +hh:mm for %z, %:z and RFC 3339. */
static void
format_offset(int32_t offset, bool colon, char *out)
{
	int32_t		a = offset < 0 ? -offset : offset;

	snprintf(out, 8, colon ? "%c%02d:%02d" : "%c%02d%02d", offset < 0 ? '-' : '+',
			 (int) (a / 3600), (int) (a % 3600 / 60));
}

/*
 * Rewrite fmt for strftime: %f, %s, %Y and %:z become their literal text here,
 * every other conversion (with its flags and width) is passed on.
 */
static char *
rewrite_format(const BfTime *t, const char *fmt)
{
	size_t		flen = strlen(fmt);
	char	   *out = malloc(flen * 11 + 4);
	char	   *o = out;
	const char *f = fmt;

	if (out == NULL)
		return NULL;
	while (*f != '\0')
	{
		size_t		n;

		if (*f != '%')
		{
			*o++ = *f++;
			continue;
		}
		if (f[1] == 'f')
		{
			o += sprintf(o, "%06d", (int) (t->nsec / 1000));
			f += 2;
		}
		else if (f[1] == 's')
		{
			o += sprintf(o, "%lld", (long long) t->sec);
			f += 2;
		}
		else if (f[1] == 'Y')
		{
			/* glibc prints year 1 as "1"; Go and RFC 3339 as "0001" */
			BfCivil		c;

			bf_time_to_civil(t, &c);
			o += sprintf(o, "%04d", (int) c.year);
			f += 2;
		}
		else if (f[1] == ':' && f[2] == 'z')
		{
			format_offset(t->offset, true, o);
			o += strlen(o);
			f += 3;
		}
		else if (f[1] == '\0')
		{
			/* a lone trailing % is text */
			memcpy(o, "%%", 2);
			o += 2;
			f++;
		}
		else
		{
			/* %, flags, width, E/O modifier, conversion */
			n = 1;
			while (f[n] != '\0' && strchr("_-0^#", f[n]) != NULL)
				n++;
			while (isdigit((unsigned char) f[n]))
				n++;
			if (f[n] == 'E' || f[n] == 'O')
				n++;
			if (f[n] != '\0')
				n++;
			memcpy(o, f, n);
			o += n;
			f += n;
		}
	}
	*o = '\0';
	return out;
}

/*
 * strftime with a struct tm built from our own calendar, so %a, %j or %V need
 * nothing from TZ.
 */
char *
bf_time_format(const BfTime *t, const char *fmt)
{
	BfCivil		c;
	struct tm	tm;
	char		zone[8];
	char	   *f2;
	char	   *out = NULL;
	size_t		cap;
	size_t		n;

	bf_time_to_civil(t, &c);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int) (c.year - 1900);
	tm.tm_mon = c.month - 1;
	tm.tm_mday = c.day;
	tm.tm_hour = c.hour;
	tm.tm_min = c.minute;
	tm.tm_sec = c.second;
	tm.tm_wday = bf_time_weekday(t);
	tm.tm_yday = (int) (bf_days_from_civil(c.year, c.month, c.day) -
						bf_days_from_civil(c.year, 1, 1));
	tm.tm_gmtoff = t->offset;
	if (t->offset == 0)
		strcpy(zone, "UTC");
	else
		format_offset(t->offset, true, zone);
	tm.tm_zone = zone;

	f2 = rewrite_format(t, fmt);
	if (f2 == NULL)
		return NULL;
	/* a trailing sentinel tells an empty result from a buffer too small */
	strcat(f2, "\x01");
	for (cap = 128; cap <= FORMAT_MAX; cap *= 2)
	{
		char	   *p = realloc(out, cap);

		if (p == NULL)
			break;
		out = p;
		n = strftime(out, cap, f2, &tm);
		if (n > 0)
		{
			out[n - 1] = '\0';
			free(f2);
			return out;
		}
	}
	free(out);
	free(f2);
	return NULL;
}

/* Write v as exactly width decimal digits (v >= 0). */
static char *
put_digits(char *p, int64_t v, int width)
{
	int			i;

	for (i = width - 1; i >= 0; i--)
	{
		p[i] = (char) ('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

/*
 * Written digit by digit rather than with snprintf: a date range makes one
 * of these per element, and snprintf was most of its cost.
 */
size_t
bf_time_rfc3339(const BfTime *t, char *buf)
{
	BfCivil		c;
	char	   *p = buf;

	bf_time_to_civil(t, &c);
	p = put_digits(p, c.year, 4);
	*p++ = '-';
	p = put_digits(p, c.month, 2);
	*p++ = '-';
	p = put_digits(p, c.day, 2);
	*p++ = 'T';
	p = put_digits(p, c.hour, 2);
	*p++ = ':';
	p = put_digits(p, c.minute, 2);
	*p++ = ':';
	p = put_digits(p, c.second, 2);
	if (t->nsec != 0)
	{
		int32_t		ns = t->nsec;
		int			width = 9;

		/* trailing zeros of the fraction are dropped, as Go's RFC3339Nano does */
		while (ns % 10 == 0)
		{
			ns /= 10;
			width--;
		}
		*p++ = '.';
		p = put_digits(p, ns, width);
	}
	if (t->offset == 0)
		*p++ = 'Z';
	else
	{
		int32_t		a = t->offset < 0 ? -t->offset : t->offset;

		*p++ = t->offset < 0 ? '-' : '+';
		p = put_digits(p, a / 3600, 2);
		*p++ = ':';
		p = put_digits(p, a % 3600 / 60, 2);
	}
	*p = '\0';
	return (size_t) (p - buf);
}

/* Go's time.ParseDuration grammar, for date_add(t, "1h30m"). */
bool
bf_parse_duration(const char *s, int64_t *nsec)
{
	static const struct
	{
		const char *name;
		int64_t		ns;
	}			units[] = {
		{"ns", 1}, {"us", 1000}, {"\xc2\xb5s", 1000}, {"\xce\xbcs", 1000},
		{"ms", 1000000}, {"s", NSEC_PER_SEC}, {"m", 60LL * NSEC_PER_SEC},
		{"h", 3600LL * NSEC_PER_SEC}
	};
	int64_t		total = 0;
	bool		neg = false;
	const char *p = s;

	if (*p == '-' || *p == '+')
		neg = (*p++ == '-');
	if (strcmp(p, "0") == 0)
	{
		*nsec = 0;
		return true;
	}
	if (*p == '\0')
		return false;
	while (*p != '\0')
	{
		int64_t		whole = 0;
		double		frac = 0;
		double		scale = 0.1;
		size_t		best = 0;
		int64_t		unit = 0;
		size_t		u;
		int64_t		part;

		if (!isdigit((unsigned char) *p) && *p != '.')
			return false;
		for (; isdigit((unsigned char) *p); p++)
		{
			if (whole > (INT64_MAX - 9) / 10)
				return false;
			whole = whole * 10 + (*p - '0');
		}
		if (*p == '.')
		{
			for (p++; isdigit((unsigned char) *p); p++)
			{
				frac += (*p - '0') * scale;
				scale /= 10;
			}
		}
		/* the longest unit name that matches ("ms" before "m") */
		for (u = 0; u < sizeof(units) / sizeof(units[0]); u++)
		{
			size_t		n = strlen(units[u].name);

			if (n > best && strncmp(p, units[u].name, n) == 0)
			{
				best = n;
				unit = units[u].ns;
			}
		}
		if (best == 0)
			return false;
		p += best;
		if (__builtin_mul_overflow(whole, unit, &part) ||
			__builtin_add_overflow(part, (int64_t) (frac * (double) unit), &part) ||
			__builtin_add_overflow(total, part, &total))
			return false;
	}
	*nsec = neg ? -total : total;
	return true;
}
