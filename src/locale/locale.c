/* locale.c — locale ids, the data fallback chain, and ICU date and money formatting
 * (locale.h). ICU is used through its C API (udat, unum, uloc); UTF-16 results are turned
 * into UTF-8 here. */
#include "borderdesk/locale.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <unicode/ucal.h>
#include <unicode/udat.h>
#include <unicode/uloc.h>
#include <unicode/unum.h>
#include <unicode/ustring.h>

int loc_canonical(const char *s, char out[LOC_ID_MAX], bd_err *err)
{
    if (!s || !*s) return bd_err_set(err, "empty locale");
    char raw[LOC_ID_MAX];
    size_t n = strcspn(s, ".@"); /* POSIX charset and modifier: "de_DE.UTF-8@euro" */
    if (n >= sizeof raw) return bd_err_set(err, "locale \"%s\" is too long", s);
    memcpy(raw, s, n);
    raw[n] = '\0';
    for (size_t i = 0; i < n; i++) {
        char c = raw[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-';
        if (!ok) return bd_err_set(err, "locale \"%s\" has a bad character", s);
        if (c == '-') raw[i] = '_';
    }
    UErrorCode st = U_ZERO_ERROR;
    int32_t len = uloc_canonicalize(raw, out, LOC_ID_MAX, &st);
    if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING || len >= LOC_ID_MAX)
        return bd_err_set(err, "locale \"%s\": %s", s, u_errorName(st));
    char lang[ULOC_LANG_CAPACITY];
    st = U_ZERO_ERROR;
    int32_t ll = uloc_getLanguage(out, lang, sizeof lang, &st);
    if (U_FAILURE(st) || ll < 2 || ll > 3)
        return bd_err_set(err, "locale \"%s\" does not start with a language code", s);
    for (int32_t i = 0; i < ll; i++)
        if (lang[i] < 'a' || lang[i] > 'z')
            return bd_err_set(err, "locale \"%s\" does not start with a language code", s);
    return 0;
}

size_t loc_fallback_chain(const char *locale, char chain[LOC_CHAIN_MAX][LOC_ID_MAX])
{
    size_t n = 0;
    char id[LOC_ID_MAX];
    if (loc_canonical(locale, id, NULL) == 0) {
        /* pt_BR -> pt: ICU's parent drops the last subtag; the chain keeps room for "en" */
        while (id[0] && n < LOC_CHAIN_MAX - 1) {
            memcpy(chain[n++], id, LOC_ID_MAX);
            char parent[LOC_ID_MAX];
            UErrorCode st = U_ZERO_ERROR;
            uloc_getParent(id, parent, sizeof parent, &st);
            if (U_FAILURE(st) || strcmp(parent, "root") == 0) break;
            memcpy(id, parent, LOC_ID_MAX);
        }
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(chain[i], "en") == 0) return n;
    memcpy(chain[n++], "en", 3);
    return n;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

char *loc_data_path(const char *dir, const char *locale, const char *file)
{
    char chain[LOC_CHAIN_MAX][LOC_ID_MAX];
    size_t n = loc_fallback_chain(locale, chain);
    for (size_t i = 0; i < n; i++) {
        char *path = bd_asprintf("%s/%s/%s", dir, chain[i], file);
        if (file_exists(path)) return path;
        free(path);
        if (!strchr(chain[i], '_')) continue;
        char tag[LOC_ID_MAX]; /* the same id spelt as a BCP 47 tag: pt-BR */
        memcpy(tag, chain[i], LOC_ID_MAX);
        for (char *p = tag; *p; p++)
            if (*p == '_') *p = '-';
        path = bd_asprintf("%s/%s/%s", dir, tag, file);
        if (file_exists(path)) return path;
        free(path);
    }
    return NULL;
}

/* Appends UTF-16 s[0..n) to out as UTF-8. */
static int put_utf16(const UChar *s, int32_t n, bd_buf *out, bd_err *err)
{
    UErrorCode st = U_ZERO_ERROR;
    int32_t need = 0;
    u_strToUTF8(NULL, 0, &need, s, n, &st);
    if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st))
        return bd_err_set(err, "ICU: %s", u_errorName(st));
    bd_buf_grow(out, (size_t)need);
    st = U_ZERO_ERROR;
    u_strToUTF8(out->data + out->len, need + 1, NULL, s, n, &st);
    if (U_FAILURE(st)) return bd_err_set(err, "ICU: %s", u_errorName(st));
    out->len += (size_t)need;
    out->data[out->len] = '\0';
    return 0;
}

/* 1 when ICU formats with data for the wanted locale's language. ICU's "valid" locale is
 * the most specific one it has data for; without any it silently takes the process default
 * (from LANG) or root, which must not decide how a buyer's reply reads. */
static int has_data(const char *valid, const char *wanted)
{
    if (!valid || !*valid || strcmp(valid, "root") == 0) return 0;
    char a[ULOC_LANG_CAPACITY], b[ULOC_LANG_CAPACITY];
    UErrorCode st = U_ZERO_ERROR;
    uloc_getLanguage(valid, a, sizeof a, &st);
    uloc_getLanguage(wanted, b, sizeof b, &st);
    return U_SUCCESS(st) && strcmp(a, b) == 0;
}

int loc_format_date(const char *locale, int64_t t, const char *tz, bd_buf *out, bd_err *err)
{
    UChar zone[128], canon[128];
    UErrorCode st = U_ZERO_ERROR;
    u_strFromUTF8(zone, 128, NULL, tz && *tz ? tz : "UTC", -1, &st);
    if (U_FAILURE(st)) return bd_err_set(err, "time zone \"%s\" is too long", tz);
    UBool known = 0; /* ICU would quietly use GMT for a zone it does not know */
    ucal_getCanonicalTimeZoneID(zone, -1, canon, 128, &known, &st);
    if (U_FAILURE(st) || !known) return bd_err_set(err, "unknown time zone \"%s\"", tz);
    char chain[LOC_CHAIN_MAX][LOC_ID_MAX];
    size_t n = loc_fallback_chain(locale, chain);
    for (size_t i = 0; i < n; i++) {
        st = U_ZERO_ERROR;
        UDateFormat *f = udat_open(UDAT_NONE, UDAT_MEDIUM, chain[i], zone, -1, NULL, 0, &st);
        if (U_FAILURE(st))
            return bd_err_set(err, "ICU date format for %s: %s", chain[i], u_errorName(st));
        const char *valid = udat_getLocaleByType(f, ULOC_VALID_LOCALE, &st);
        if (i + 1 < n && !has_data(valid, chain[i])) {
            udat_close(f);
            continue;
        }
        UChar buf[256];
        st = U_ZERO_ERROR;
        int32_t len = udat_format(f, (UDate)t * 1000.0, buf, 256, NULL, &st);
        udat_close(f);
        if (U_FAILURE(st)) return bd_err_set(err, "ICU date format: %s", u_errorName(st));
        return put_utf16(buf, len, out, err);
    }
    return bd_err_set(err, "no locale to format dates for \"%s\"", locale);
}

int loc_format_money(const char *locale, const char *amount, const char *currency, bd_buf *out,
                     bd_err *err)
{
    int64_t micros;
    if (!amount || bd_money_parse(amount, &micros) != 0)
        return bd_err_set(err, "\"%s\" is not a decimal amount", amount ? amount : "(null)");
    if (!currency || strlen(currency) != 3)
        return bd_err_set(err, "currency \"%s\" is not an ISO 4217 code",
                          currency ? currency : "(null)");
    UChar code[4];
    for (int i = 0; i < 3; i++) {
        if (currency[i] < 'A' || currency[i] > 'Z')
            return bd_err_set(err, "currency \"%s\" is not an ISO 4217 code", currency);
        code[i] = (UChar)currency[i];
    }
    code[3] = 0;
    char chain[LOC_CHAIN_MAX][LOC_ID_MAX];
    size_t n = loc_fallback_chain(locale, chain);
    for (size_t i = 0; i < n; i++) {
        UErrorCode st = U_ZERO_ERROR;
        UNumberFormat *f = unum_open(UNUM_CURRENCY, NULL, 0, chain[i], NULL, &st);
        if (U_FAILURE(st))
            return bd_err_set(err, "ICU number format for %s: %s", chain[i], u_errorName(st));
        const char *valid = unum_getLocaleByType(f, ULOC_VALID_LOCALE, &st);
        if (i + 1 < n && !has_data(valid, chain[i])) {
            unum_close(f);
            continue;
        }
        unum_setTextAttribute(f, UNUM_CURRENCY_CODE, code, 3, &st);
        unum_setAttribute(f, UNUM_ROUNDING_MODE, UNUM_ROUND_HALFUP); /* half away from 0 */
        UChar buf[256];
        int32_t len = unum_formatDecimal(f, amount, -1, buf, 256, NULL, &st);
        unum_close(f);
        if (U_FAILURE(st)) return bd_err_set(err, "ICU money format: %s", u_errorName(st));
        return put_utf16(buf, len, out, err);
    }
    return bd_err_set(err, "no locale to format money for \"%s\"", locale);
}
