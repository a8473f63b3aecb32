/*
 * locale.h — the buyer's locale: canonical locale ids, the fallback chain used to find
 * locale data (locales/<id>/...), and ICU formatting of dates and money for reply templates.
 *
 * Locale ids are ICU's ("pt_BR", "de_DE", "ja"); every function also accepts BCP 47 tags
 * ("pt-BR") and POSIX names ("de_DE.UTF-8"). Formatting falls back along the same chain as
 * the data: a locale ICU has no data for is formatted as the next one that it has, ending in
 * "en", never in ICU's language-neutral root.
 *
 * Errors are values: functions returning int give 0 or -1 with err set. Output is UTF-8,
 * appended to the caller's bd_buf.
 */
#ifndef BORDERDESK_LOCALE_H
#define BORDERDESK_LOCALE_H

#include <stddef.h>
#include <stdint.h>

#include "borderdesk/util.h"

#define LOC_ID_MAX 64   /* bytes of a locale id, with the NUL */
#define LOC_CHAIN_MAX 4 /* ids in a fallback chain: "zh_Hant_TW", "zh_Hant", "zh", "en" */

/* Writes the canonical id of s into out: "pt-BR", "pt_br" -> "pt_BR"; "de_DE.UTF-8" ->
 * "de_DE"; "JA" -> "ja". Errors on an empty or malformed id (no 2-3 letter language). */
int loc_canonical(const char *s, char out[LOC_ID_MAX], bd_err *err);

/* The lookup chain for locale data, most specific first, always ending in "en":
 * "pt-BR" -> pt_BR, pt, en; "en_US" -> en_US, en; a malformed id -> en. Returns the count. */
size_t loc_fallback_chain(const char *locale, char chain[LOC_CHAIN_MAX][LOC_ID_MAX]);

/* The first DIR/<id>/FILE that exists along the chain of locale, where <id> is tried as
 * "pt_BR" and as "pt-BR". Returns a malloc'd path (caller frees), or NULL when none exists. */
char *loc_data_path(const char *dir, const char *locale, const char *file);

/* Appends the date of t (Unix seconds) in ICU's medium style for locale ("5 Mar 2026",
 * "05.03.2026", "2026/03/05"), in time zone tz (an Olson id such as "Europe/Berlin"; NULL
 * or "" means UTC; a zone ICU does not know is an error). */
int loc_format_date(const char *locale, int64_t t, const char *tz, bd_buf *out, bd_err *err);

/* Appends amount (a decimal string as stored: "1234.5", "-3") in currency (ISO 4217, three
 * letters: "EUR") as locale writes money ("1.234,50 €", "￥1,235"), rounded half away from
 * zero to the currency's usual digits. */
int loc_format_money(const char *locale, const char *amount, const char *currency, bd_buf *out,
                     bd_err *err);

#endif
