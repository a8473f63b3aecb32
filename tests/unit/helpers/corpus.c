/* corpus.c — reads the labeled classifier corpus for the classifier tests. */
#include "corpus.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "borderdesk/model.h"
#include "borderdesk/util.h"

const char *tu_source_dir(void)
{
    const char *s = getenv("BD_SOURCE_DIR");
    return s && *s ? s : BD_SOURCE_DIR;
}

int tu_corpus_load(const char *set, const char *lang, tu_corpus *c)
{
    memset(c, 0, sizeof *c);
    char *path = bd_asprintf("%s/tests/data/classify/%s/%s.jsonl", tu_source_dir(), set, lang);
    FILE *f = fopen(path, "rb");
    if (!f) {
        free(path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    while ((n = getline(&line, &cap, f)) != -1) {
        lineno++;
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        if (!n) continue;
        bd_err err;
        cJSON *j = bd_json_parse(line, (size_t)n, &err);
        if (!j) fail_msg("%s:%ld: %s", path, lineno, err.msg);
        c->rows = bd_realloc(c->rows, (c->n + 1) * sizeof *c->rows);
        c->rows[c->n++] = j;
    }
    free(line);
    fclose(f);
    free(path);
    return 0;
}

void tu_corpus_free(tu_corpus *c)
{
    for (size_t i = 0; i < c->n; i++)
        cJSON_Delete(c->rows[i]);
    free(c->rows);
    memset(c, 0, sizeof *c);
}
