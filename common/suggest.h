/*
 * suggest.h - "did you mean": the edit distance the config and manifest
 * loaders use to suggest the key closest to a misspelt one.
 */
#ifndef SLUICE_COMMON_SUGGEST_H
#define SLUICE_COMMON_SUGGEST_H

#include <stddef.h>

/*
 * Levenshtein distance between a and b, ignoring ASCII case; 99 if either
 * is longer than 64 bytes (nobody misspells a key that long).
 */
size_t sluice_edit_distance(const char *a, const char *b);

#endif
