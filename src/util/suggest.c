/*-------------------------------------------------------------------------
 *
 * suggest.c
 *		  "Did you mean" (suggest.h).
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "util/suggest.h"

int
bf_edit_distance(const char *a, const char *b)
{
	int			d[64][64];
	int			la = (int) strlen(a),
				lb = (int) strlen(b),
				i,
				j;

	if (la >= 63 || lb >= 63)
		return 99;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++)
		{
			int			ca = tolower((unsigned char) a[i - 1]);
			int			cb = tolower((unsigned char) b[j - 1]);
			int			best = d[i - 1][j - 1] + (ca != cb);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && ca == tolower((unsigned char) b[j - 2]) &&
				tolower((unsigned char) a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

const char *
bf_suggest(const char *word, const char *const *known)
{
	const char *best = NULL;
	int			best_d = INT_MAX;
	size_t		len = strlen(word);
	int			limit = len <= 5 ? 1 : len <= 9 ? 2 : 3;

	for (; *known != NULL; known++)
	{
		size_t		klen = strlen(*known);
		int			d;

		if (klen == 0 || (*known)[0] == '+' || (*known)[klen - 1] == '+')
			continue;			/* never suggest "" or a modifier */
		d = bf_edit_distance(word, *known);
		if (d < best_d)
		{
			best_d = d;
			best = *known;
		}
	}
	return best_d <= limit ? best : NULL;
}
