/*
 * entities.c — order ids, tracking numbers and money amounts in a buyer message.
 *
 * Works on the raw text (case matters for nothing here, but normalisation would lose the
 * currency signs' neighbourhood), folded on the fly to an ASCII stream: full-width forms
 * (０-９, Ａ-Ｚ, ，．) and Arabic-Indic digits become ASCII, currency signs become marker
 * bytes, every other non-ASCII character a separator. Each folded byte remembers where it
 * came from in the raw text, so currency words after a number (円, 원, руб, zł, درهم)
 * are looked up in the raw text.
 *
 *   order ids     Amazon 3-7-7 digits, eBay 2-5-5, AliExpress 16 digits, Shopee 6 digits
 *                 (a YYMMDD date) + 8 letters/digits with both kinds
 *   tracking      UPU S10 (AA123456789CN, check digit verified), UPS 1Z + 16 (check digit
 *                 verified), YunExpress YT + 16 digits, Cainiao LP + 14 digits, SF + 12
 *                 digits, USPS 22 digits starting 92-95
 *   amounts       a number with a currency sign or code before it, or a sign, code or word
 *                 after it; decimal comma or point decided by the digits after the last
 *                 separator; 万 / 만 multiply by 10,000
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <limits.h>

enum { M_EUR = 1, M_GBP = 2, M_YEN = 3, M_KRW = 4, M_RUB = 5, M_INR = 6, M_SEP = 0x1F };

#define FOLD_STACK 1024 /* characters folded without an allocation */

typedef struct fold {
    char *c;       /* folded bytes */
    uint32_t *off; /* raw offset of each folded byte */
    size_t n;
    char c_buf[FOLD_STACK + 1];
    uint32_t off_buf[FOLD_STACK + 1];
} fold;

static size_t decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) return *cp = c, 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, v = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, v = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, v = c & 0x07, min = 0x10000;
    else
        return *cp = 0xFFFD, 1;
    if (n < len) return *cp = 0xFFFD, 1;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return *cp = 0xFFFD, 1;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return *cp = 0xFFFD, 1;
    *cp = v;
    return len;
}

static char fold_cp(uint32_t cp)
{
    if (cp < 0x80) return (char)cp;
    if (cp >= 0xFF01 && cp <= 0xFF5E) return (char)(cp - 0xFEE0); /* full-width ASCII */
    if (cp >= 0x660 && cp <= 0x669) return (char)('0' + cp - 0x660);
    if (cp >= 0x6F0 && cp <= 0x6F9) return (char)('0' + cp - 0x6F0);
    switch (cp) {
    case 0x66B:
        return '.'; /* Arabic decimal separator */
    case 0x66C:
        return ','; /* Arabic thousands separator */
    case 0xA0:
    case 0x202F:
    case 0x2009:
    case 0x3000:
        return ' ';
    case 0x20AC:
        return M_EUR;
    case 0xA3:
    case 0xFFE1:
        return M_GBP;
    case 0xA5:
    case 0xFFE5:
        return M_YEN;
    case 0x20A9:
    case 0xFFE6:
        return M_KRW;
    case 0x20BD:
        return M_RUB;
    case 0x20B9:
        return M_INR;
    default:
        return M_SEP;
    }
}

static void fold_text(fold *f, const char *s, size_t n)
{
    if (n <= FOLD_STACK) {
        f->c = f->c_buf;
        f->off = f->off_buf;
    } else {
        f->c = bd_malloc(n + 1);
        f->off = bd_malloc((n + 1) * sizeof *f->off);
    }
    f->n = 0;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        if (p[i] < 0x80) { /* a run of ASCII: as it is, copied at once */
            size_t e = i + 1;
            while (e < n && p[e] < 0x80)
                e++;
            memcpy(f->c + f->n, p + i, e - i);
            for (size_t k = i; k < e; k++)
                f->off[f->n++] = (uint32_t)k;
            i = e;
            continue;
        }
        uint32_t cp;
        size_t k = decode(p + i, n - i, &cp);
        f->c[f->n] = fold_cp(cp);
        f->off[f->n] = (uint32_t)i;
        f->n++;
        i += k;
    }
    f->c[f->n] = '\0';
}

static void fold_free(fold *f)
{
    if (f->c != f->c_buf) {
        free(f->c);
        free(f->off);
    }
}

/* Entities all have digits: ASCII, full-width (EF BC 90..99) or Arabic-Indic (D9 A0..A9,
 * DB B0..B9). Full-width punctuation (EF BC 8C，) and Arabic letters (D9 xx) alone do not
 * wake the scan: Chinese, Japanese and Arabic messages are full of them. */
static int has_digits(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c >= '0' && c <= '9') return 1;
        if (c < 0xD9 || i + 1 >= n) continue;
        unsigned char d = p[i + 1];
        if ((c == 0xD9 && d >= 0xA0 && d <= 0xA9) || (c == 0xDB && d >= 0xB0 && d <= 0xB9) ||
            (c == 0xEF && d == 0xBC && i + 2 < n && p[i + 2] >= 0x90 && p[i + 2] <= 0x99))
            return 1;
    }
    return 0;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}
static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static int is_alnum(char c)
{
    return is_digit(c) || is_alpha(c);
}
static char upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
}

static size_t run_digits(const fold *f, size_t i)
{
    size_t j = i;
    while (j < f->n && is_digit(f->c[j]))
        j++;
    return j - i;
}

int classify_s10_valid(const char *code)
{
    if (strlen(code) != 13) return 0;
    static const int w[8] = {8, 6, 4, 2, 3, 5, 9, 7};
    for (int i = 0; i < 13; i++) {
        int want_alpha = i < 2 || i > 10;
        if (want_alpha ? !is_alpha(code[i]) : !is_digit(code[i])) return 0;
    }
    int sum = 0;
    for (int i = 0; i < 8; i++)
        sum += w[i] * (code[2 + i] - '0');
    int check = 11 - sum % 11;
    if (check == 10)
        check = 0;
    else if (check == 11)
        check = 5;
    return check == code[10] - '0';
}

int classify_ups_valid(const char *code)
{
    if (strlen(code) != 18 || code[0] != '1' || upper(code[1]) != 'Z') return 0;
    int sum = 0;
    for (int i = 2; i < 17; i++) {
        char c = upper(code[i]);
        int v;
        if (is_digit(c))
            v = c - '0';
        else if (c >= 'A' && c <= 'Z')
            v = (c - 'A' + 2) % 10;
        else
            return 0;
        sum += (i - 2) % 2 ? 2 * v : v; /* even positions (1-based) count double */
    }
    if (!is_digit(code[17])) return 0;
    return (10 - sum % 10) % 10 == code[17] - '0';
}

static void copy_upper(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap) n = cap - 1;
    for (size_t i = 0; i < n; i++)
        dst[i] = upper(src[i]);
    dst[n] = '\0';
}

/* Order ids and tracking numbers starting at the token [i, j) of alphanumerics. */
static void ids_at(const fold *f, size_t i, size_t j, classify_result *out)
{
    const char *t = f->c + i;
    size_t len = j - i;
    size_t digits = run_digits(f, i);
    int all_digits = digits == len;
    int hyphen_before = i > 0 && f->c[i - 1] == '-';
    if (!out->order_id[0] && all_digits && !hyphen_before && j < f->n && f->c[j] == '-' &&
        (len == 3 || len == 2)) {
        size_t a = len == 3 ? 7 : 5, b = len == 3 ? 7 : 5;
        size_t k = j + 1;
        if (run_digits(f, k) == a && k + a < f->n && f->c[k + a] == '-' &&
            run_digits(f, k + a + 1) == b) {
            size_t e = k + a + 1 + b;
            if (e >= f->n || (!is_alnum(f->c[e]) && f->c[e] != '-')) {
                copy_upper(out->order_id, sizeof out->order_id, t, e - i);
                return;
            }
        }
    }
    if (hyphen_before || (j < f->n && f->c[j] == '-')) return;
    if (all_digits) {
        if (len == 16 && !out->order_id[0])
            copy_upper(out->order_id, sizeof out->order_id, t, len);
        else if (len == 22 && t[0] == '9' && t[1] >= '2' && t[1] <= '5' && !out->tracking_number[0])
            copy_upper(out->tracking_number, sizeof out->tracking_number, t, len);
        return;
    }
    if (!out->order_id[0] && len == 14 && digits == 6) {
        int mm = (t[2] - '0') * 10 + (t[3] - '0'), dd = (t[4] - '0') * 10 + (t[5] - '0');
        int letters = 0, nums = 0;
        for (size_t k = 6; k < 14; k++)
            is_digit(t[k]) ? nums++ : letters++;
        if (mm >= 1 && mm <= 12 && dd >= 1 && dd <= 31 && letters && nums) {
            copy_upper(out->order_id, sizeof out->order_id, t, len);
            return;
        }
    }
    if (out->tracking_number[0]) return;
    char code[24];
    if (len >= sizeof code) return;
    copy_upper(code, sizeof code, t, len);
    int ok = 0;
    if (len == 13)
        ok = classify_s10_valid(code);
    else if (len == 18 && code[0] == '1' && code[1] == 'Z')
        ok = classify_ups_valid(code);
    else if (len == 18 && code[0] == 'Y' && code[1] == 'T')
        ok = run_digits(f, i + 2) == 16;
    else if (len == 16 && code[0] == 'L' && code[1] == 'P')
        ok = run_digits(f, i + 2) == 14;
    else if (len == 14 && code[0] == 'S' && code[1] == 'F')
        ok = run_digits(f, i + 2) == 12;
    if (ok) memcpy(out->tracking_number, code, len + 1);
}

/* ---- amounts ---- */

static const struct {
    const char *tok; /* after the number (raw text, ASCII case-insensitive) */
    const char *cur;
    int word; /* ASCII word: must end at a non-letter */
    long mult;
} after_toks[] = {
    /* multipliers: the currency follows them (2万円, 3천 원, 5 тыс. руб) */
    {"万", "", 0, 10000},         {"만", "", 0, 10000},         {"千", "", 0, 1000},
    {"천", "", 0, 1000},          {"тыс", "", 0, 1000},         {"日元", "JPY", 0, 1},
    {"美金", "USD", 0, 1},        {"港币", "HKD", 0, 1},        {"台币", "TWD", 0, 1},
    {"엔", "JPY", 0, 1},          {"위안", "CNY", 0, 1},        {"тенге", "KZT", 0, 1},
    {"грн", "UAH", 0, 1},         {"р.", "RUB", 0, 1},          {"جنيه", "EGP", 0, 1},
    {"دولار", "USD", 0, 1},       {"يورو", "EUR", 0, 1},        {"درهم مغربي", "MAD", 0, 1},
    {"ريال قطري", "QAR", 0, 1},   {"ريال عماني", "OMR", 0, 1},  {"دينار بحريني", "BHD", 0, 1},
    {"دينار أردني", "JOD", 0, 1}, {"دينار اردني", "JOD", 0, 1}, {"ر.ق", "QAR", 0, 1},
    {"円", "JPY", 0, 1},          {"元", "CNY", 0, 1},          {"块", "CNY", 0, 1},
    {"人民币", "CNY", 0, 1},      {"원", "KRW", 0, 1},          {"달러", "USD", 0, 1},
    {"유로", "EUR", 0, 1},        {"ドル", "USD", 0, 1},        {"ユーロ", "EUR", 0, 1},
    {"美元", "USD", 0, 1},        {"欧元", "EUR", 0, 1},        {"руб", "RUB", 0, 1},
    {"евро", "EUR", 0, 1},        {"долл", "USD", 0, 1},        {"zł", "PLN", 0, 1},
    {"złotych", "PLN", 0, 1},     {"دينار كويتي", "KWD", 0, 1}, {"درهم", "AED", 0, 1},
    {"ريال", "SAR", 0, 1},        {"د.إ", "AED", 0, 1},         {"ر.س", "SAR", 0, 1},
    {"د.ك", "KWD", 0, 1},         {"€", "EUR", 0, 1},           {"£", "GBP", 0, 1},
    {"₩", "KRW", 0, 1},           {"₽", "RUB", 0, 1},         {"$", "USD", 0, 1},
    {"euros", "EUR", 1, 1},       {"euro", "EUR", 1, 1},        {"dollars", "USD", 1, 1},
    {"dollar", "USD", 1, 1},      {"dolares", "USD", 1, 1},     {"dólares", "USD", 1, 1},
    {"pounds", "GBP", 1, 1},      {"quid", "GBP", 1, 1},        {"zloty", "PLN", 1, 1},
    {"zlotych", "PLN", 1, 1},     {"zl", "PLN", 1, 1},          {"reais", "BRL", 1, 1},
    {"yen", "JPY", 1, 1},         {"yuan", "CNY", 1, 1},        {"rmb", "CNY", 1, 1},
};

static const char *const iso_codes[] = {"USD", "EUR", "GBP", "JPY", "CNY", "KRW", "RUB", "PLN",
                                        "BRL", "CHF", "CAD", "AUD", "MXN", "INR", "AED", "SAR",
                                        "KWD", "HKD", "SGD", "SEK", "NOK", "DKK", "CZK", "HUF",
                                        "TRY", "ZAR", "NZD", "RMB", NULL};

/* An ISO code as a word at [i, i+3) of the folded text. */
static const char *iso_at(const fold *f, size_t i)
{
    if (i + 3 > f->n) return NULL;
    if ((i > 0 && is_alpha(f->c[i - 1])) || (i + 3 < f->n && is_alpha(f->c[i + 3]))) return NULL;
    char code[4] = {upper(f->c[i]), upper(f->c[i + 1]), upper(f->c[i + 2]), 0};
    for (size_t k = 0; iso_codes[k]; k++)
        if (strcmp(code, iso_codes[k]) == 0) return strcmp(code, "RMB") == 0 ? "CNY" : iso_codes[k];
    return NULL;
}

static const char *marker_currency(char m, const char *lang)
{
    switch (m) {
    case M_EUR:
        return "EUR";
    case M_GBP:
        return "GBP";
    case M_YEN:
        return lang && strcmp(lang, "ja") == 0 ? "JPY" : "CNY";
    case M_KRW:
        return "KRW";
    case M_RUB:
        return "RUB";
    case M_INR:
        return "INR";
    default:
        return NULL;
    }
}

/* The currency written just before the number starting at folded index i. */
static const char *currency_before(const fold *f, size_t i, const char *lang)
{
    if (i == 0) return NULL;
    size_t k = i;
    if (f->c[k - 1] == ' ' && k >= 2) k--;
    char m = f->c[k - 1];
    const char *c = marker_currency(m, lang);
    if (c) return c;
    if (m == '$') {
        static const struct {
            const char *p;
            const char *cur;
        } dollars[] = {{"US", "USD"}, {"R", "BRL"},  {"CA", "CAD"}, {"C", "CAD"},  {"AU", "AUD"},
                       {"A", "AUD"},  {"HK", "HKD"}, {"S", "SGD"},  {"NZ", "NZD"}, {"MX", "MXN"}};
        size_t s = k - 1; /* index of '$' */
        size_t a = s;
        while (a > 0 && is_alpha(f->c[a - 1]) && s - a < 3)
            a--;
        if (a < s && (a == 0 || !is_alpha(f->c[a - 1]))) {
            for (size_t d = 0; d < sizeof dollars / sizeof dollars[0]; d++)
                if (strlen(dollars[d].p) == s - a &&
                    strncasecmp(f->c + a, dollars[d].p, s - a) == 0)
                    return dollars[d].cur;
            return NULL; /* letters glued to '$' that we do not know */
        }
        return "USD";
    }
    if (k >= 3 && is_alpha(m)) return iso_at(f, k - 3);
    return NULL;
}

/* The currency written just after the number ending at folded index j; *mult for 万. */
static const char *currency_after(const fold *f, const char *raw, size_t raw_n, size_t j,
                                  const char *lang, long *mult)
{
    *mult = 1;
    size_t k = j;
    if (k < f->n && f->c[k] == ' ') k++;
    if (k >= f->n) return NULL;
    const char *c = marker_currency(f->c[k], lang);
    if (c) return c;
    if (is_alpha(f->c[k])) {
        const char *iso = iso_at(f, k);
        if (iso) return iso;
    }
    size_t r = f->off[k];
    unsigned char first = (unsigned char)raw[r];
    if (first >= 'A' && first <= 'Z') first = (unsigned char)(first + 32);
    for (size_t t = 0; t < sizeof after_toks / sizeof after_toks[0]; t++) {
        if ((unsigned char)after_toks[t].tok[0] != first) continue;
        size_t len = strlen(after_toks[t].tok);
        if (r + len > raw_n || strncasecmp(raw + r, after_toks[t].tok, len) != 0) continue;
        if (after_toks[t].word && r + len < raw_n && is_alpha(raw[r + len])) continue;
        if (!after_toks[t].cur[0]) { /* a multiplier: the currency comes after it */
            size_t fk = k;
            while (fk < f->n && f->off[fk] < r + len)
                fk++;
            if (fk < f->n && f->c[fk] == '.') fk++; /* тыс. */
            long m2;
            const char *cur = currency_after(f, raw, raw_n, fk, lang, &m2);
            if (!cur || m2 > 1) return NULL;
            *mult = after_toks[t].mult;
            return cur;
        }
        *mult = after_toks[t].mult;
        return after_toks[t].cur;
    }
    return NULL;
}

static int zero_decimal(const char *cur)
{
    return strcmp(cur, "JPY") == 0 || strcmp(cur, "KRW") == 0;
}

/* Parses the number at folded [i, *j) (digits and separators); fills whole/frac digits. */
static int parse_number(const fold *f, size_t i, size_t *j, char *digits, size_t cap, int *dec_pos)
{
    size_t k = i, nd = 0;
    int last_sep = -1, n_dot = 0, n_comma = 0, after = 0;
    char last = 0;
    while (k < f->n) {
        char c = f->c[k];
        if (is_digit(c)) {
            if (nd + 1 >= cap) {
                *j = k;
                return -1;
            }
            digits[nd++] = c;
            after++;
            k++;
        } else if ((c == '.' || c == ',' || c == ' ' || c == '\'') && k + 1 < f->n &&
                   is_digit(f->c[k + 1]) && nd > 0) {
            if (c == ' ' || c == '\'') {
                /* a space or apostrophe groups thousands only: exactly 3 digits follow */
                if (run_digits(f, k + 1) != 3 || after > 3) break;
            }
            if (c == '.')
                n_dot++;
            else if (c == ',')
                n_comma++;
            last = c;
            last_sep = (int)nd;
            after = 0;
            k++;
        } else {
            break;
        }
    }
    digits[nd] = '\0';
    *j = k;
    *dec_pos = -1;
    if (last_sep < 0 || last == ' ' || last == '\'') return 0;
    int both = n_dot && n_comma;
    int count = last == '.' ? n_dot : n_comma;
    if (both || (count == 1 && after != 3)) *dec_pos = last_sep;
    return 0;
}

/* Writes digits (dec_pos: where the decimals start, -1 for none) × mult as the amount:
 * two decimals, none for JPY and KRW (unless there is a fraction of the unit). */
static void format_amount(const char *digits, int dec_pos, long mult, const char *cur,
                          classify_result *out)
{
    size_t nd = strlen(digits);
    size_t wl = dec_pos >= 0 ? (size_t)dec_pos : nd;
    if (wl > 12) return; /* not a price */
    long long v = 0;     /* in 1/10,000 of the unit */
    for (size_t i = 0; i < wl; i++)
        v = v * 10 + (digits[i] - '0');
    long long f = 0;
    for (size_t i = 0; i < 4; i++)
        f = f * 10 + (wl + i < nd ? digits[wl + i] - '0' : 0);
    v = v * 10000 + f;
    if (mult > 1 && v > LLONG_MAX / mult) return;
    v *= mult;
    long long units = v / 10000, cents = (v % 10000) / 100;
    if (zero_decimal(cur) && cents == 0)
        snprintf(out->amount_value, sizeof out->amount_value, "%lld", units);
    else
        snprintf(out->amount_value, sizeof out->amount_value, "%lld.%02lld", units, cents);
    snprintf(out->amount_currency, sizeof out->amount_currency, "%s", cur);
}

static void amount_at(const fold *f, const char *raw, size_t raw_n, size_t i, size_t *next,
                      const char *lang, classify_result *out)
{
    char digits[40];
    int dec_pos;
    size_t j;
    if (parse_number(f, i, &j, digits, sizeof digits, &dec_pos) < 0) {
        while (j < f->n && is_digit(f->c[j]))
            j++;
        *next = j;
        return;
    }
    *next = j;
    long mult = 1;
    const char *cur = currency_before(f, i, lang);
    if (!cur) cur = currency_after(f, raw, raw_n, j, lang, &mult);
    if (!cur) return;
    format_amount(digits, dec_pos, mult, cur, out);
}

void classify_extract_entities(const char *s, size_t n, const char *lang, classify_result *out)
{
    if (!s || !n || !has_digits(s, n)) return;
    fold f;
    fold_text(&f, s, n);
    /* every entity has digits: jump from digit to digit, then look at the word around */
    for (size_t i = 0; i < f.n;) {
        while (i < f.n && !is_digit(f.c[i]))
            i++;
        if (i >= f.n) break;
        size_t t0 = i, j = i;
        while (t0 > 0 && is_alnum(f.c[t0 - 1]))
            t0--;
        while (j < f.n && is_alnum(f.c[j]))
            j++;
        if (!out->order_id[0] || !out->tracking_number[0]) ids_at(&f, t0, j, out);
        if (t0 == i && !out->amount_value[0] && (t0 == 0 || !is_alpha(f.c[t0 - 1]))) {
            size_t next;
            amount_at(&f, s, n, t0, &next, lang, out);
            if (next > j) j = next;
        }
        i = j;
    }
    if (out->order_id[0]) out->flags |= CLASSIFY_FLAG_MENTIONS_ORDER;
    fold_free(&f);
}
