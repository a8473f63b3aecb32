/* corpus.h — the labeled classifier corpus (tests/data/classify/<set>/<lang>.jsonl) for the
 * classifier tests. Only the accuracy test reads the held-out sets for their labels; the
 * prefilter test runs every message through the classifier without looking at labels. */
#ifndef BD_TEST_CORPUS_H
#define BD_TEST_CORPUS_H

#include <stddef.h>

#include <cjson/cJSON.h>

typedef struct tu_corpus {
    cJSON **rows; /* one parsed object per line */
    size_t n;
} tu_corpus;

/* Loads $BD_SOURCE_DIR/tests/data/classify/<set>/<lang>.jsonl. Returns 0, or -1 when the file
 * does not exist (a malformed line fails the test). */
int tu_corpus_load(const char *set, const char *lang, tu_corpus *c);
void tu_corpus_free(tu_corpus *c);
/* $BD_SOURCE_DIR, or the source directory the tests were built from. */
const char *tu_source_dir(void);

#endif
