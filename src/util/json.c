/* json.c — cJSON parsing with the input checks borderdesk needs (UTF-8, nesting). */
#include "borderdesk/model.h"

#include <string.h>

#define BD_JSON_MAX_DEPTH 64

/* Nesting depth of the JSON text, counted outside strings; cJSON's own limit is a compile
 * time constant of the system library, so borderdesk checks before parsing. */
static int json_depth_ok(const char *s, size_t n)
{
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\') i++;
            else if (c == '"') in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > BD_JSON_MAX_DEPTH) return 0;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return 1;
}

cJSON *bd_json_parse(const char *text, size_t len, bd_err *err)
{
    if (!bd_utf8_valid(text, len)) {
        bd_err_set(err, "invalid UTF-8");
        return NULL;
    }
    if (memchr(text, '\0', len)) {
        bd_err_set(err, "NUL byte in JSON text");
        return NULL;
    }
    if (!json_depth_ok(text, len)) {
        bd_err_set(err, "JSON nested deeper than %d levels", BD_JSON_MAX_DEPTH);
        return NULL;
    }
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!j) {
        size_t off = end ? (size_t)(end - text) : 0;
        bd_err_set(err, "malformed JSON near byte %zu", off);
        return NULL;
    }
    /* only whitespace may follow the value */
    for (const char *p = end; p && p < text + len; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            cJSON_Delete(j);
            bd_err_set(err, "unexpected data after the JSON value at byte %zu",
                       (size_t)(p - text));
            return NULL;
        }
    }
    return j;
}

const char *bd_json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}
