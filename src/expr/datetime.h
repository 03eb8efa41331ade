/*-------------------------------------------------------------------------
 *
 * datetime.h
 *		  Dates for the expression language: parsing (Sling's "auto" rules
 *		  and strptime formats), formatting (strftime plus Sling's %f and
 *		  %s), RFC 3339 text, and calendar arithmetic.
 *
 * A time is an instant (seconds and nanoseconds since the Unix epoch, UTC)
 * plus the fixed zone offset it is shown in, as a Go time.Time parsed from
 * "2024-01-01T10:00:00+02:00" keeps its offset.  Calendar fields, month
 * arithmetic and formatting use the local fields in that offset.  Years are
 * kept within 1..9999 so every time has an RFC 3339 form; anything that
 * would leave that range fails.  Nothing here reads the TZ environment.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DATETIME_H
#define DATETIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct BfTime
{
	int64_t		sec;			/* seconds since 1970-01-01T00:00:00Z */
	int32_t		nsec;			/* 0 .. 999999999 */
	int32_t		offset;			/* zone offset shown, seconds east of UTC */
} BfTime;

/* Local calendar fields of a time in its own offset. */
typedef struct BfCivil
{
	int64_t		year;
	int			month;			/* 1..12 */
	int			day;			/* 1..31 */
	int			hour;
	int			minute;
	int			second;
	int32_t		nsec;
} BfCivil;

/* "2024-01-01T00:00:00.123456789+02:00" plus NUL fits. */
#define BF_TIME_RFC3339_MAX 40

extern int64_t bf_days_from_civil(int64_t y, int m, int d);
extern void bf_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
extern bool bf_is_leap_year(int64_t y);
extern int	bf_days_in_month(int64_t y, int m);

extern void bf_time_to_civil(const BfTime *t, BfCivil *c);

/*
 * Build a time from local fields in offset.  Month, day, hour, minute and
 * second may be out of range and are carried (month 13 is January of the
 * next year, day 0 the last day of the previous month).  False when the
 * result falls outside years 1..9999.
 */
extern bool bf_time_from_civil(const BfCivil *c, int32_t offset, BfTime *t);

/* Day of week of the local date, 0 = Sunday. */
extern int	bf_time_weekday(const BfTime *t);

extern int	bf_time_cmp(const BfTime *a, const BfTime *b);

/* The current time, in UTC. */
extern void bf_time_now(BfTime *t);

/*
 * Sling's "auto" parse: a string of 8-10 digits is epoch seconds, 11-13
 * milliseconds, 14-16 microseconds, 17-19 nanoseconds; otherwise one of
 * the layouts listed in docs/expressions.md.  A date without a zone is UTC.
 */
extern bool bf_time_parse(const char *s, size_t len, BfTime *t);

/* An integer with ndigits digits read by the same epoch rule. */
extern bool bf_time_from_epoch_digits(int64_t v, int ndigits, BfTime *t);

/*
 * Parse s with a strptime format (plus %f fraction and %s epoch seconds);
 * the whole string must match.  Fields the format lacks default to
 * 1900-01-01 00:00:00 UTC.
 */
extern bool bf_time_parse_format(const char *s, const char *fmt, BfTime *t);

/*
 * Format with strftime conversions plus %f (microseconds, 6 digits), %s
 * (epoch seconds) and %:z (+hh:mm).  Returns a malloc'd string, or NULL when
 * the result would be longer than 64 kB or memory ran out.
 */
extern char *bf_time_format(const BfTime *t, const char *fmt);

/* RFC 3339 with a trimmed fraction, "Z" for UTC; returns the length. */
extern size_t bf_time_rfc3339(const BfTime *t, char *buf);

/* Add seconds and nanoseconds; false if the result leaves years 1..9999. */
extern bool bf_time_add(BfTime *t, int64_t sec, int64_t nsec);

/*
 * Add months in local time, clamping the day to the new month's length
 * (Jan 31 + 1 month = Feb 29 in a leap year).
 */
extern bool bf_time_add_months(BfTime *t, int64_t months);

/* Parse a Go duration ("1h30m", "-1.5s", "300ms") into nanoseconds. */
extern bool bf_parse_duration(const char *s, int64_t *nsec);

/* Parse a zone: "UTC", "Z", "+02:00", "-0530", "+05". */
extern bool bf_parse_zone(const char *s, size_t len, int32_t *offset);

#endif							/* DATETIME_H */
