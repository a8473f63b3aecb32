/* charset.c — every inbound text becomes UTF-8: declared charset labels mapped to what
 * glibc's iconv decodes, strict and lossy decoding, and detection when the declaration is
 * missing, unknown or wrong.
 *
 * Detection, in order of how sure each signal is: pure ASCII; ISO-2022-JP escapes; valid
 * UTF-8 with multibyte sequences (random legacy text almost never is); then uchardet's
 * answer and every candidate charset that decodes the bytes strictly, each decoding scored
 * by how plausible it reads (charset_score.c). uchardet wins unless a candidate reads
 * clearly better: uchardet is good on long texts and weak on the short ones buyers write. */
#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uchardet/uchardet.h>

#include "parse_internal.h"

typedef struct charset_entry {
    const char *name;  /* canonical, what mail_message.charset says */
    const char *iconv; /* what iconv_open() is given: a superset where one is common */
} charset_entry;

/* Decoders for the canonical names. Supersets: the Windows code pages that mailers really
 * write when they declare the ISO/EUC name (GBK for GB2312, CP949 for EUC-KR, CP932 for
 * Shift_JIS, CP950 for Big5). */
static const charset_entry charsets[] = {
    {"utf-8", "UTF-8"},
    {"us-ascii", "UTF-8"}, /* only reached when the bytes are ASCII */
    {"iso-8859-1", "ISO-8859-1"},
    {"iso-8859-2", "ISO-8859-2"},
    {"iso-8859-5", "ISO-8859-5"},
    {"iso-8859-6", "ISO-8859-6"},
    {"iso-8859-7", "ISO-8859-7"},
    {"iso-8859-9", "ISO-8859-9"},
    {"iso-8859-15", "ISO-8859-15"},
    {"windows-1250", "WINDOWS-1250"},
    {"windows-1251", "WINDOWS-1251"},
    {"windows-1252", "WINDOWS-1252"},
    {"windows-1253", "WINDOWS-1253"},
    {"windows-1254", "WINDOWS-1254"},
    {"windows-1256", "WINDOWS-1256"},
    {"windows-1257", "WINDOWS-1257"},
    {"koi8-r", "KOI8-R"},
    {"koi8-u", "KOI8-U"},
    {"ibm866", "IBM866"},
    {"mac-cyrillic", "MAC-CYRILLIC"},
    {"shift_jis", "CP932"},
    {"euc-jp", "EUC-JP-MS"},
    {"iso-2022-jp", "ISO-2022-JP-3"},
    {"euc-kr", "CP949"},
    {"iso-2022-kr", "ISO-2022-KR"},
    {"gb18030", "GB18030"},
    {"big5", "CP950"},
    {"big5-hkscs", "BIG5-HKSCS"},
    {"euc-tw", "EUC-TW"},
    {"hz-gb-2312", "HZ"}, /* not in glibc: mail_charset_canonical refuses it then */
    {"tis-620", "TIS-620"},
    {"windows-874", "CP874"},
    {"windows-1255", "WINDOWS-1255"},
    {"iso-8859-8", "ISO-8859-8"},
    {"iso-8859-4", "ISO-8859-4"},
    {"iso-8859-13", "ISO-8859-13"},
    {"utf-16", "UTF-16"},
    {"utf-16le", "UTF-16LE"},
    {"utf-16be", "UTF-16BE"},
    {"utf-7", "UTF-7"},
};

/* Labels seen in real mail → canonical names. Lowercase, compared after trimming. */
/* clang-format off */
static const struct {
    const char *label, *name;
} aliases[] = {
    {"utf8", "utf-8"}, {"unicode-1-1-utf-8", "utf-8"}, {"x-unicode20utf8", "utf-8"},
    {"ascii", "us-ascii"}, {"ansi_x3.4-1968", "us-ascii"}, {"iso646-us", "us-ascii"},
    {"us", "us-ascii"}, {"latin1", "iso-8859-1"}, {"l1", "iso-8859-1"},
    {"iso8859-1", "iso-8859-1"}, {"iso_8859-1", "iso-8859-1"}, {"iso-ir-100", "iso-8859-1"},
    {"cp819", "iso-8859-1"}, {"iso8859-2", "iso-8859-2"}, {"latin2", "iso-8859-2"},
    {"iso_8859-2", "iso-8859-2"}, {"iso8859-15", "iso-8859-15"}, {"latin9", "iso-8859-15"},
    {"latin-9", "iso-8859-15"}, {"iso_8859-15", "iso-8859-15"}, {"cp1250", "windows-1250"},
    {"x-cp1250", "windows-1250"}, {"cp1251", "windows-1251"}, {"x-cp1251", "windows-1251"},
    {"cp1252", "windows-1252"}, {"x-cp1252", "windows-1252"}, {"cp1256", "windows-1256"},
    {"koi8r", "koi8-r"}, {"cp866", "ibm866"}, {"x-mac-cyrillic", "mac-cyrillic"},
    {"shift-jis", "shift_jis"}, {"sjis", "shift_jis"}, {"x-sjis", "shift_jis"},
    {"ms_kanji", "shift_jis"}, {"csshiftjis", "shift_jis"}, {"windows-31j", "shift_jis"},
    {"cp932", "shift_jis"}, {"x-euc-jp", "euc-jp"}, {"eucjp", "euc-jp"},
    {"csiso2022jp", "iso-2022-jp"}, {"iso-2022-jp-2", "iso-2022-jp"}, {"ks_c_5601-1987", "euc-kr"},
    {"ks_c_5601", "euc-kr"}, {"ksc5601", "euc-kr"}, {"ksc_5601", "euc-kr"}, {"cp949", "euc-kr"},
    {"uhc", "euc-kr"}, {"x-windows-949", "euc-kr"}, {"windows-949", "euc-kr"},
    {"euckr", "euc-kr"}, {"gb2312", "gb18030"}, {"gbk", "gb18030"}, {"cp936", "gb18030"},
    {"x-gbk", "gb18030"}, {"euc-cn", "gb18030"}, {"x-euc-cn", "gb18030"},
    {"csgb2312", "gb18030"}, {"chinese", "gb18030"}, {"gb_2312-80", "gb18030"},
    {"cn-big5", "big5"}, {"x-x-big5", "big5"}, {"cp950", "big5"}, {"csbig5", "big5"},
    {"big5hkscs", "big5-hkscs"}, {"cp874", "windows-874"}, {"tis620", "tis-620"},
};
/* clang-format on */

/* Labels that promise nothing: decode as if undeclared. */
static const char *const unknown_labels[] = {
    "",     "x-unknown", "unknown", "unknown-8bit", "x-user-defined", "default", "8bit", "binary",
    "none", "charset",   NULL};

static const charset_entry *entry_of(const char *name)
{
    for (size_t i = 0; i < sizeof charsets / sizeof charsets[0]; i++)
        if (strcmp(charsets[i].name, name) == 0) return &charsets[i];
    return NULL;
}

#define N_CHARSETS (sizeof charsets / sizeof charsets[0])

/* Open converters, one per charset and thread. iconv_open is what decoding costs most
 * (glibc loads and initialises a module every time: detection tries a dozen charsets per
 * text), so each thread keeps its converters, reset before every use, and closes them when
 * it ends. This is the module's only mutable state, and it is per thread. */
typedef struct converters {
    iconv_t cd[N_CHARSETS];
    unsigned char state[N_CHARSETS]; /* 0 untried, 1 open, 2 this iconv cannot */
} converters;

static pthread_key_t converters_key;
static pthread_once_t converters_once = PTHREAD_ONCE_INIT;

static void converters_free(void *p)
{
    converters *c = p;
    for (size_t i = 0; i < N_CHARSETS; i++)
        if (c->state[i] == 1) iconv_close(c->cd[i]);
    free(c);
}

static void converters_init(void)
{
    if (pthread_key_create(&converters_key, converters_free) != 0) abort();
}

/* The converter from e to UTF-8, reset to its initial state; (iconv_t)-1 when this
 * system's iconv cannot decode e. */
static iconv_t converter(const charset_entry *e)
{
    pthread_once(&converters_once, converters_init);
    converters *c = pthread_getspecific(converters_key);
    if (!c) {
        c = bd_calloc(1, sizeof *c);
        pthread_setspecific(converters_key, c);
    }
    size_t i = (size_t)(e - charsets);
    if (c->state[i] == 0) {
        c->cd[i] = iconv_open("UTF-8", e->iconv);
        c->state[i] = c->cd[i] == (iconv_t)-1 ? 2 : 1;
    }
    if (c->state[i] == 2) return (iconv_t)-1;
    iconv(c->cd[i], NULL, NULL, NULL, NULL);
    return c->cd[i];
}

/* 1 when iconv can decode this charset on this system. */
static int decodable(const charset_entry *e)
{
    return converter(e) != (iconv_t)-1;
}

/* A declared label as compared: quotes and spaces around it dropped, lowercase, into
 * buf[64]. Returns 0 when it is too long to be a charset name. */
static int label_key(const char *label, char *buf)
{
    while (*label == ' ' || *label == '\t' || *label == '"' || *label == '\'')
        label++;
    size_t n = strcspn(label, " \t\"';");
    if (n >= 64) return 0;
    memcpy(buf, label, n);
    buf[n] = '\0';
    bd_str_lower_ascii(buf);
    return 1;
}

const char *mail_charset_canonical(const char *label)
{
    char buf[64];
    if (!label || !label_key(label, buf)) return NULL;
    if (bd_str_in(buf, unknown_labels)) return NULL;
    const char *name = buf;
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (strcmp(aliases[i].label, buf) == 0) name = aliases[i].name;
    const charset_entry *e = entry_of(name);
    return e && decodable(e) ? e->name : NULL;
}

int mail_charset_means_unknown(const char *label)
{
    char buf[64];
    if (!label) return 1;
    return label_key(label, buf) && bd_str_in(buf, unknown_labels);
}

/* Appends U+FFFD. */
static void put_replacement(bd_buf *out)
{
    bd_buf_append(out, "\xEF\xBF\xBD", 3);
}

/* iconv over the whole input; strict returns -1 at the first invalid sequence, lossy
 * replaces it (one byte skipped) and goes on. NULs become U+FFFD: the text is a C string. */
static int decode(const char *bytes, size_t n, const charset_entry *e, int strict, bd_buf *out)
{
    iconv_t cd = converter(e);
    if (cd == (iconv_t)-1) return -1;
    char chunk[4096];
    char *in = (char *)bytes;
    size_t left = n;
    int rc = 0;
    while (left > 0) {
        char *o = chunk;
        size_t room = sizeof chunk;
        size_t r = iconv(cd, &in, &left, &o, &room);
        bd_buf_append(out, chunk, (size_t)(o - chunk));
        if (r != (size_t)-1) continue;
        if (errno == E2BIG) continue;
        if (strict) {
            rc = -1;
            break;
        }
        put_replacement(out);
        if (errno == EINVAL) break; /* truncated sequence at the end */
        in++, left--;
        iconv(cd, NULL, NULL, NULL, NULL); /* stateful decoders restart clean */
    }
    if (rc == 0) { /* flush a stateful decoder (ISO-2022-*) */
        char *o = chunk;
        size_t room = sizeof chunk;
        if (iconv(cd, NULL, NULL, &o, &room) != (size_t)-1)
            bd_buf_append(out, chunk, (size_t)(o - chunk));
    }
    return rc;
}

/* NULs and a leading BOM out: the result is a C string meant for people. */
static char *finish(bd_buf *b)
{
    bd_buf out = BD_BUF_INIT;
    size_t i = 0;
    if (b->len >= 3 && memcmp(b->data, "\xEF\xBB\xBF", 3) == 0) i = 3;
    for (; i < b->len; i++) {
        if (b->data[i] == '\0')
            put_replacement(&out);
        else
            bd_buf_putc(&out, b->data[i]);
    }
    bd_buf_free(b);
    return bd_buf_detach(&out);
}

char *mail_charset_decode_strict(const char *bytes, size_t n, const char *charset)
{
    const charset_entry *e = entry_of(charset);
    if (!e) return NULL;
    bd_buf b = BD_BUF_INIT;
    if (decode(bytes, n, e, 1, &b) != 0) {
        bd_buf_free(&b);
        return NULL;
    }
    return finish(&b);
}

char *mail_charset_decode_lossy(const char *bytes, size_t n, const char *charset)
{
    const charset_entry *e = entry_of(charset);
    bd_buf b = BD_BUF_INIT;
    if (!e || decode(bytes, n, e, 0, &b) != 0) {
        bd_buf_free(&b);
        size_t len;
        return bd_utf8_repair(bytes, n, &len);
    }
    return finish(&b);
}

/* ---- detection ---- */

static int is_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80) return 0;
    return 1;
}

static int has_iso2022_escape(const char *s, size_t n)
{
    for (size_t i = 0; i + 2 < n; i++)
        if (s[i] == 0x1B && ((s[i + 1] == '$' && (s[i + 2] == 'B' || s[i + 2] == '@')) ||
                             (s[i + 1] == '(' && (s[i + 2] == 'J' || s[i + 2] == 'I'))))
            return 1;
    return 0;
}

static int has_iso2022kr_escape(const char *s, size_t n)
{
    for (size_t i = 0; i + 3 < n; i++)
        if (memcmp(s + i, "\x1B$)C", 4) == 0) return 1;
    return 0;
}

/* The length of the valid UTF-8 multibyte sequence at s[0..n), or 0. Overlongs,
 * surrogates and code points past U+10FFFF are not valid. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
    size_t k = s[0] >= 0xC2 && s[0] <= 0xDF   ? 2
               : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
               : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4
                                              : 0;
    if (!k || k > n) return 0;
    for (size_t i = 1; i < k; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0) ||
        (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))
        return 0;
    return k;
}

/* UTF-8 with a few broken bytes (a byte lost in transit, a cut in the middle of a
 * character): far more valid multibyte sequences than invalid bytes. Legacy text is the
 * other way round — Latin-1 or Cyrillic letters almost never pair up as UTF-8, and in the
 * CJK double-byte charsets most characters are invalid UTF-8. Read as UTF-8, such text
 * keeps every intact character (the broken bytes become U+FFFD) instead of turning the
 * whole text into mojibake. */
static int mostly_utf8(const char *bytes, size_t n)
{
    const unsigned char *s = (const unsigned char *)bytes;
    size_t valid = 0, invalid = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = utf8_sequence(s + i, n - i);
        if (k)
            valid++, i += k;
        else
            invalid++, i++;
    }
    return valid >= 4 && invalid * 4 <= valid;
}

/* Maps uchardet's names (its own spelling) to ours; NULL for ones we do not decode. */
static const char *from_uchardet(const char *name)
{
    if (!name || !*name) return NULL;
    static const struct {
        const char *uc, *ours;
    } map[] = {{"ascii", "us-ascii"},
               {"x-euc-tw", "euc-tw"},
               {"iso-2022-cn", NULL},
               {"hz-gb-2312", NULL},
               {"x-iso-10646-ucs-4-3412", NULL},
               {"x-iso-10646-ucs-4-2143", NULL},
               {"mac-centraleurope", NULL},
               {"windows-1258", NULL},
               {"viscii", NULL}};
    char low[64];
    size_t n = strlen(name);
    if (n >= sizeof low) return NULL;
    for (size_t i = 0; i <= n; i++)
        low[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i]);
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].uc, low) == 0) return map[i].ours;
    return mail_charset_canonical(low);
}

const char *mail_charset_uchardet(const char *bytes, size_t n)
{
    uchardet_t ud = uchardet_new();
    if (!ud) return NULL;
    const char *name = NULL;
    if (uchardet_handle_data(ud, bytes, n) == 0) {
        uchardet_data_end(ud);
        name = from_uchardet(uchardet_get_charset(ud));
    }
    uchardet_delete(ud);
    return name;
}

/* The legacy charsets buyers' mail really uses, in the order that breaks score ties: the
 * more common charset of a family first. */
static const char *const candidates[] = {
    "windows-1252", "iso-8859-15",  "windows-1250", "iso-8859-2", "windows-1251",
    "koi8-r",       "windows-1256", "iso-8859-6",   "shift_jis",  "euc-jp",
    "gb18030",      "big5",         "euc-kr",       NULL};

/* How much better (in plausibility points) a candidate must read to overrule uchardet. */
#define DETECT_MARGIN 3.0

/* Detection reads at most this much, cut at a line break: no multibyte charset we detect
 * uses '\n' inside a character, so the sample ends on a character boundary. */
#define DETECT_SAMPLE (64u << 10)

const char *mail_charset_detect(const char *bytes, size_t n)
{
    if (n > DETECT_SAMPLE) {
        size_t cut = DETECT_SAMPLE;
        while (cut > DETECT_SAMPLE / 2 && bytes[cut - 1] != '\n')
            cut--;
        n = bytes[cut - 1] == '\n' ? cut : DETECT_SAMPLE;
    }
    if (is_ascii(bytes, n)) {
        if (has_iso2022_escape(bytes, n)) return "iso-2022-jp";
        if (has_iso2022kr_escape(bytes, n)) return "iso-2022-kr";
        return "us-ascii";
    }
    if (bd_utf8_valid(bytes, n) || mostly_utf8(bytes, n)) return "utf-8";
    const char *uc = mail_charset_uchardet(bytes, n);
    double uc_score = -1e300;
    if (uc && strcmp(uc, "utf-8") != 0 && strcmp(uc, "us-ascii") != 0) {
        char *t = mail_charset_decode_strict(bytes, n, uc);
        if (t)
            uc_score = mail_text_plausibility(t);
        else
            uc = NULL; /* a guess the bytes contradict */
        free(t);
    } else {
        uc = NULL;
    }
    const char *best = NULL;
    double best_score = -1e300;
    for (size_t i = 0; candidates[i]; i++) {
        char *t = mail_charset_decode_strict(bytes, n, candidates[i]);
        if (!t) continue;
        double s = mail_text_plausibility(t);
        free(t);
        if (s > best_score) best_score = s, best = candidates[i];
    }
    /* a charset outside the usual ones (MacCyrillic, IBM866...) gets no benefit of doubt */
    int usual = uc && strcmp(uc, "iso-8859-1") == 0;
    for (size_t i = 0; uc && candidates[i]; i++)
        usual |= strcmp(candidates[i], uc) == 0;
    if (uc && (!best || uc_score + (usual ? DETECT_MARGIN : 0) >= best_score)) return uc;
    if (best) return best;
    return "windows-1252"; /* decodes nearly anything; the lossy pass marks the rest */
}

/* Charsets in which every byte is a character. */
static int single_byte(const char *name)
{
    return strncmp(name, "iso-8859-", 9) == 0 || strncmp(name, "windows-", 8) == 0 ||
           strncmp(name, "koi8-", 5) == 0 || strcmp(name, "ibm866") == 0 ||
           strcmp(name, "mac-cyrillic") == 0 || strcmp(name, "tis-620") == 0;
}

/* The declared charset checked against the bytes: returns the charset to use, or NULL when
 * the declaration must be replaced by detection. */
static const char *check_declared(const char *bytes, size_t n, const char *decl)
{
    if (strcmp(decl, "us-ascii") == 0 || strcmp(decl, "utf-8") == 0)
        return bd_utf8_valid(bytes, n) ? decl : NULL;
    if (is_ascii(bytes, n) && !has_iso2022_escape(bytes, n)) return decl;
    char *t = mail_charset_decode_strict(bytes, n, decl);
    if (!t) {
        /* ISO-8859-1's undefined C1 range is what Windows-1252 fills: mailers label
         * Windows-1252 text as Latin-1 all the time (browsers decode it so too) */
        if (strcmp(decl, "iso-8859-1") == 0) return "windows-1252";
        return NULL;
    }
    /* single-byte charsets accept every byte and the big CJK ones nearly every pair, so
     * "valid" proves little: UTF-8 labelled as a legacy charset is the commonest wrong
     * declaration, and text that reads as mojibake is checked against detection */
    if (single_byte(decl) && bd_utf8_valid(bytes, n)) {
        free(t);
        return NULL;
    }
    if (strcmp(decl, "iso-8859-1") == 0) {
        /* ISO-8859-1's C1 range is what Windows-1252 fills with letters and quotes */
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)bytes[i] >= 0x80 && (unsigned char)bytes[i] < 0xA0) {
                free(t);
                return "windows-1252";
            }
    }
    const char *d = mail_charset_detect(bytes, n);
    if (strcmp(d, decl) == 0) {
        free(t);
        return decl;
    }
    char *u = mail_charset_decode_strict(bytes, n, d);
    int same = u && strcmp(u, t) == 0;
    double s = mail_text_plausibility(t), ds = u ? mail_text_plausibility(u) : -1e300;
    free(t);
    free(u);
    /* overruled only by a decoding that reads far better: a clear margin, and half as
     * good again when the declared one reads as text at all */
    if (same || ds <= s + DETECT_MARGIN * 2 || (s > 0 && ds < s * 1.5)) return decl;
    return NULL;
}

char *mail_to_utf8(const char *bytes, size_t n, const char *declared, const char **used,
                   int *guessed)
{
    const char *decl = mail_charset_canonical(declared);
    const char *cs = decl ? check_declared(bytes, n, decl) : NULL;
    int g = 0;
    if (!cs) {
        cs = mail_charset_detect(bytes, n);
        /* text with no 8-bit byte and no declaration is US-ASCII by RFC 2045: no guess */
        g = !(decl == NULL && strcmp(cs, "us-ascii") == 0 && (!declared || !*declared));
        if (decl && strcmp(cs, decl) == 0) g = 0;
    }
    if (used) *used = cs;
    if (guessed) *guessed = g;
    return mail_charset_decode_lossy(bytes, n, cs);
}
