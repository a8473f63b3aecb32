/* testutil.h — helpers for the cmocka tests: temporary databases and JSON fixtures. */
#ifndef BD_TESTUTIL_H
#define BD_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "borderdesk/model.h"
#include "borderdesk/store.h"

/* Feeds every file of tests/fuzz/<sub> to a libFuzzer target (fails the test when the
 * folder or a file cannot be read); prints and returns how many. */
int tu_feed_fuzz_dir(const char *target_name, const char *sub,
                     int (*target)(const uint8_t *data, size_t size));

/* A fresh path under $TMPDIR (the file does not exist yet); caller frees. */
char *tu_temp_path(const char *suffix);
/* Removes a database and its -wal/-shm files. */
void tu_remove_db(const char *path);
/* Opens a new empty database; fails the test on error. */
bd_store *tu_open_new(char **path_out);
/* Parses a JSON literal into a message / order; fails the test on error. Caller clears. */
void tu_message(bd_message *m, const char *json);
void tu_order(bd_order *o, const char *json);

#endif
