/* fuzz_classify_line.c — libFuzzer target for the JSON Lines readers: the input is one
 * line. It checks what must always hold:
 *   - the fast reader of `borderdesk classify` (src/classify/line.c) only takes lines that
 *     cJSON reads the same way: an object whose first "body" is that string, whose first
 *     "subject" and "lang" are those strings (or absent / null when the reader has none),
 *     and whose first "id" prints as the text the reader kept (absent or null when none);
 *   - cJSON (bd_json_parse, with its nesting limit) and the import contract's readers
 *     (bd_message_from_json, bd_order_from_json) never crash, always say why they refuse,
 *     and fill only valid UTF-8 strings (they end up in the database and in JSON).
 *
 * Built by tests/fuzz/README.md with clang -fsanitize=fuzzer,address; the unit test
 * tests/unit/test_fuzz_classify_line.c includes this file and feeds it the seed corpus and
 * the regressions, so ctest runs the same code without clang. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "borderdesk/classify.h"
#include "borderdesk/model.h"

static void fuzz_check_str(const char *s)
{
    if (s && !bd_utf8_valid(s, strlen(s))) abort();
}

/* The reader's raw string s[0..n) (escaped or not) decodes to exactly item's string. */
static void fuzz_same_string(const char *s, size_t n, int esc, const cJSON *item)
{
    if (!cJSON_IsString(item)) abort();
    size_t len = n;
    char *decoded = esc ? classify_line_decode(s, n, &len) : NULL;
    const char *got = decoded ? decoded : s;
    if (strlen(item->valuestring) != len || memcmp(item->valuestring, got, len) != 0) abort();
    free(decoded);
}

static void fuzz_absent_or_null(const cJSON *item)
{
    if (item && !cJSON_IsNull(item)) abort();
}

static void fuzz_fast_reader(const char *line, size_t len, const cJSON *j)
{
    classify_line f;
    if (!classify_line_parse(line, len, &f)) return; /* cJSON's business */
    if (!j || !cJSON_IsObject(j)) abort();
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(j, "body");
    const cJSON *subject = cJSON_GetObjectItemCaseSensitive(j, "subject");
    const cJSON *lang = cJSON_GetObjectItemCaseSensitive(j, "lang");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
    if (!f.body) abort();
    fuzz_same_string(f.body, f.body_len, f.body_esc, body);
    if (f.subject) fuzz_same_string(f.subject, f.subject_len, f.subject_esc, subject);
    else fuzz_absent_or_null(subject);
    if (f.lang) fuzz_same_string(f.lang, f.lang_len, f.lang_esc, lang);
    else fuzz_absent_or_null(lang);
    if (!f.id) {
        fuzz_absent_or_null(id);
        return;
    }
    /* the slow path prints a plain string id between quotes, anything else with cJSON */
    char *printed;
    if (cJSON_IsString(id)) {
        size_t n = strlen(id->valuestring);
        printed = malloc(n + 3);
        if (!printed) abort();
        printed[0] = '"';
        memcpy(printed + 1, id->valuestring, n);
        memcpy(printed + 1 + n, "\"", 2);
    } else if (cJSON_IsNumber(id)) {
        char *p = cJSON_PrintUnformatted(id);
        printed = strdup(p);
        cJSON_free(p);
    } else {
        abort();
    }
    if (strlen(printed) != f.id_len || memcmp(printed, f.id, f.id_len) != 0) abort();
    free(printed);
}

static void fuzz_import_readers(const cJSON *j)
{
    bd_err err;
    bd_message m;
    memset(&m, 0, sizeof m);
    if (bd_message_from_json(j, &m, &err) == 0) {
        fuzz_check_str(m.shop);
        fuzz_check_str(m.marketplace);
        fuzz_check_str(m.external_id);
        fuzz_check_str(m.buyer.external_id);
        fuzz_check_str(m.buyer.name);
        fuzz_check_str(m.buyer.email);
        fuzz_check_str(m.order_id);
        fuzz_check_str(m.conversation_id);
        fuzz_check_str(m.subject);
        fuzz_check_str(m.body);
        fuzz_check_str(m.author);
        fuzz_check_str(m.extra);
        if (!m.shop || !m.external_id) abort(); /* required: a message is found by them */
        bd_message_clear(&m);
    } else if (!err.msg[0]) {
        abort(); /* a refusal says why */
    }
    bd_order o;
    memset(&o, 0, sizeof o);
    if (bd_order_from_json(j, &o, &err) == 0) {
        fuzz_check_str(o.shop);
        fuzz_check_str(o.external_id);
        fuzz_check_str(o.status);
        fuzz_check_str(o.currency);
        fuzz_check_str(o.total);
        fuzz_check_str(o.extra);
        fuzz_check_str(o.carrier);
        fuzz_check_str(o.tracking_number);
        for (size_t i = 0; i < o.n_items; i++) {
            fuzz_check_str(o.items[i].sku);
            fuzz_check_str(o.items[i].title);
        }
        bd_order_clear(&o);
    } else if (!err.msg[0]) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *line = (const char *)data;
    bd_err err;
    err.msg[0] = '\0';
    cJSON *j = bd_json_parse(line, size, &err);
    if (!j && !err.msg[0]) abort();
    fuzz_fast_reader(line, size, j);
    if (j && cJSON_IsObject(j)) fuzz_import_readers(j);
    cJSON_Delete(j);
    return 0;
}
