/*-------------------------------------------------------------------------
 *
 * suggest.h
 *		  "Did you mean": the known word closest to a misspelled one.
 *
 * The spec loader suggests keys and enum values with it, the scan the
 * record key a foreign-table column probably meant, and the secret check
 * the user-mapping option a {secrets.x} probably meant: one measure of
 * "close", so every message suggests the same way.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SUGGEST_H
#define SUGGEST_H

/*
 * Edit distance: Levenshtein plus the swap of two neighbours as one edit
 * (optimal string alignment), case-blind; 99 for words of 63 bytes or more.
 */
extern int	bf_edit_distance(const char *a, const char *b);

/*
 * The word of known (NULL-terminated) closest to word, when close enough
 * to be a likely typo (1 edit for words up to 5 bytes, 2 up to 9, else 3),
 * else NULL.  Empty words and modifiers ("+setup", "setup+") are never
 * suggested.
 */
extern const char *bf_suggest(const char *word, const char *const *known);

#endif							/* SUGGEST_H */
