/* quote.c — the new part of a reply: what the buyer wrote this time, without the earlier
 * messages their mailer quoted, their signature, "Sent from my iPhone", or the frame
 * Amazon's relay puts around it.
 *
 * Everything that is recognised is data in the tables below (attribution lines in the
 * twelve buyer languages, Outlook header blocks, signature and device lines, the relay's
 * marker lines), so a new mailer's habit is one more row, not more code. The text is cut
 * at the first attribution / forwarded-header / signature line; when that leaves nothing
 * (the buyer wrote below the quote) only the quoted lines are dropped instead. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse_internal.h"

/* "On Mon, 3 Nov 2026 at 10:00, Maria <m@x> wrote:" and its kin: a line that starts with
 * `start` (may be "") and ends with `end` after trimming. A line starting with `start` whose
 * end is on the next one or two lines (mailers wrap long attributions) matches too. */
/* clang-format off */
static const struct {
    const char *start, *end;
} attributions[] = {
    {"On ", "wrote:"},          {"", " wrote:"},           /* en */
    {"El ", "escribió:"},       {"", " escribió:"},        /* es */
    {"Le ", "a écrit :"},       {"Le ", "a écrit:"},       {"", " a écrit :"}, /* fr */
    {"Am ", "schrieb:"},        {"Am ", ":"},              {"", " schrieb:"},  /* de */
    {"Il ", "ha scritto:"},     {"", " ha scritto:"},      /* it */
    {"Em ", "escreveu:"},       {"", " escreveu:"},        /* pt */
    {"", "пишет:"},             {"", "написал:"},          {"", "написала:"},
    {"", "написал(а):"},        /* ru */
    {"", "napisał:"},           {"", "napisała:"},         {"", "napisał(a):"},
    {"", " pisze:"},            /* pl */
    {"", "のメッセージ:"},      {"", "のメッセージ："},    {"", "書きました:"},
    {"", "書きました："},       /* ja */
    {"", "작성:"},              {"", "작성："},            /* ko */
    {"", "写道："},             {"", "写道:"},             {"", "寫道："}, {"", "寫道:"}, /* zh */
};

/* Arabic mailers put the verb كتب ("wrote") before the name: any line holding it and
 * ending with a colon. */
static const char arabic_wrote[] = "كتب";

/* Lines that open a forwarded or quoted message in Outlook-style clients. */
static const char *const original_markers[] = {
    "original message", "ursprüngliche nachricht", "message d'origine", "mensaje original",
    "messaggio originale", "mensagem original", "исходное сообщение", "wiadomość oryginalna",
    "元のメッセージ", "原始邮件", "原始郵件", "원본 메시지", "الرسالة الأصلية",
    "forwarded message", "weitergeleitete nachricht", "message transféré", "mensaje reenviado",
    NULL};

/* The header names of an Outlook reply block ("From: ... Sent: ... To: ... Subject:"). */
static const char *const from_names[] = {"From:", "Von:", "De :", "De:", "Da:", "Od:",
                                         "От:", "发件人:", "发件人：", "寄件者:", "寄件者：",
                                         "差出人:", "差出人：", "보낸 사람:", "من:", NULL};
static const char *const sent_names[] = {"Sent:", "Date:", "Gesendet:", "Datum:", "Envoyé :",
                                         "Envoyé:", "Enviado:", "Enviado el:", "Inviato:",
                                         "Data:", "Wysłano:", "Отправлено:", "Дата:",
                                         "发送时间:", "发送时间：", "日期:", "送信日時:",
                                         "送信日時：", "보낸 날짜:", "التاريخ:", "أرسلت:",
                                         "Subject:", "To:", NULL};

/* Device and app lines that end the text ("Sent from my iPhone"). */
static const char *const device_lines[] = {
    "Sent from my ", "Sent from Mail for ", "Sent from Yahoo", "Sent from Outlook",
    "Get Outlook for ", "Enviado desde mi ", "Enviado desde ", "Envoyé de mon ",
    "Envoyé depuis ", "Von meinem ", "Gesendet von ", "Inviato da ", "Enviado do meu ",
    "Enviado de meu ", "Отправлено с ", "Отправлено из ", "Wysłane z ", "Wysłano z ",
    "iPhoneから送信", "iPadから送信", "Androidから送信", "从我的iPhone发送", "发自我的iPhone",
    "发自我的 iPhone", "從我的 iPhone 傳送", "나의 iPhone에서 보냄",
    "أرسلت من ", NULL};

/* Any other "sent from my phone" line, in whatever words: a short line naming a device or
 * mail app and a verb of sending ("Galaxy에서 보냄", "أُرسلت من الـ iPhone الخاص بي"), that
 * ends the text (see device_line()). */
static const char *const device_names[] = {
    "iPhone", "iPad", "Android", "Galaxy", "Samsung", "Huawei", "Xiaomi", "Redmi", "Pixel",
    "BlackBerry", "Outlook", "Yahoo", NULL};
static const char *const sent_words[] = {
    "sent", "gesendet", "envoy", "enviad", "inviat", "отправлен", "wysłan", "送信", "发送",
    "发自", "傳送", "寄自", "보냄", "보낸", "보냈", "أرسل", "أُرسل", "ارسل", "اُرسل", NULL};
/* clang-format on */

typedef struct line {
    const char *s;
    size_t n;
} line;

static int starts(const line *l, const char *p)
{
    size_t k = strlen(p);
    return l->n >= k && memcmp(l->s, p, k) == 0;
}

/* The line without surrounding spaces, tabs and CR. */
static line trim(line l)
{
    while (l.n && (*l.s == ' ' || *l.s == '\t'))
        l.s++, l.n--;
    while (l.n && (l.s[l.n - 1] == ' ' || l.s[l.n - 1] == '\t' || l.s[l.n - 1] == '\r'))
        l.n--;
    return l;
}

static int ends(const line *l, const char *p)
{
    size_t k = strlen(p);
    return l->n >= k && memcmp(l->s + l->n - k, p, k) == 0;
}

static int contains(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; k <= n && i <= n - k; i++)
        if (strncasecmp(s + i, needle, k) == 0) return 1;
    return 0;
}

static size_t split_lines(const char *text, line **out)
{
    size_t count = 0, cap = 16;
    *out = bd_malloc(cap * sizeof **out);
    const char *p = text;
    for (;;) {
        const char *nl = strchr(p, '\n');
        if (count == cap) *out = bd_realloc(*out, (cap *= 2) * sizeof **out);
        (*out)[count].s = p;
        (*out)[count].n = nl ? (size_t)(nl - p) : strlen(p);
        count++;
        if (!nl) break;
        p = nl + 1;
    }
    return count;
}

static int quoted(const line *l)
{
    line t = trim(*l);
    return t.n && t.s[0] == '>';
}

/* 1 when the line names a date, a time or an address: a digit or an '@'. */
static int dated(const line *t)
{
    for (size_t c = 0; c < t->n; c++)
        if ((t->s[c] >= '0' && t->s[c] <= '9') || t->s[c] == '@') return 1;
    return 0;
}

static int colon_end(const line *t)
{
    return ends(t, ":") || ends(t, "：");
}

/* The attribution in any language, by its shape: a line ending with a colon right above
 * the quoted lines ("2026年11月3日(月) 9:14 Shop <s@x>:", "Shop wrote:"). A mailer may wrap
 * it over up to three lines ("W dniu 3.11.2026 o 09:14, Shop <s@x>\npisze:"): then its
 * first line must name a date or an address and stand alone after a blank line, so that a
 * sentence of the buyer's just above it is not taken for its start. Sets *span. */
static int colon_above_quote(const line *lines, size_t count, size_t i, size_t *span)
{
    line t = trim(lines[i]);
    if (t.n <= 8 || quoted(&lines[i])) return 0;
    int wrap_ok = dated(&t) && (i == 0 || !trim(lines[i - 1]).n);
    for (size_t j = i; j < count && j <= i + 2; j++) {
        line u = trim(lines[j]);
        if (!u.n || quoted(&lines[j]) || (j > i && !wrap_ok)) return 0;
        if (!colon_end(&u)) continue;
        size_t k = j + 1;
        while (k < count && !trim(lines[k]).n)
            k++;
        if (k >= count || !quoted(&lines[k])) return 0;
        *span = j - i + 1;
        return 1;
    }
    return 0;
}

/* 1 when lines[i] (joined with up to two following lines) is an attribution line; sets
 * *span to the number of lines it takes. */
static int attribution(const line *lines, size_t count, size_t i, size_t *span)
{
    line t = trim(lines[i]);
    if (!t.n) return 0;
    *span = 1;
    if (t.n > 2 && ends(&t, ":") && contains(t.s, t.n, arabic_wrote)) return 1;
    if (colon_above_quote(lines, count, i, span)) return 1;
    for (size_t k = 0; k < sizeof attributions / sizeof attributions[0]; k++) {
        if (!starts(&t, attributions[k].start)) continue;
        if (ends(&t, attributions[k].end) && t.n > strlen(attributions[k].end) + 4) {
            /* "Am ... :" alone is too loose: German needs "schrieb" somewhere */
            if (strcmp(attributions[k].end, ":") == 0 && !contains(t.s, t.n, "schrieb")) continue;
            return 1;
        }
        if (!attributions[k].start[0]) continue;
        /* a wrapped attribution: the verb on one of the next two lines; the first line
         * names a date or an address, so ordinary sentences starting "On "/"Il " do not */
        for (size_t j = i + 1; dated(&t) && j < count && j <= i + 2; j++) {
            line u = trim(lines[j]);
            if (!u.n || quoted(&lines[j])) break;
            if (ends(&u, attributions[k].end) &&
                (strcmp(attributions[k].end, ":") != 0 || contains(u.s, u.n, "schrieb"))) {
                *span = j - i + 1;
                return 1;
            }
        }
    }
    return 0;
}

/* "-----Original Message-----", "________________" followed by From:, an Outlook header
 * block "From: ... / Sent: ...". */
static int original_block(const line *lines, size_t count, size_t i)
{
    line t = trim(lines[i]);
    if (t.n >= 6 && (t.s[0] == '-' || t.s[0] == '_')) {
        for (size_t k = 0; original_markers[k]; k++)
            if (contains(t.s, t.n, original_markers[k])) return 1;
        size_t u = strspn(t.s, "_");
        if (u == t.n && u >= 10 && i + 1 < count) { /* Outlook's rule above the headers */
            line next = trim(lines[i + 1]);
            for (size_t k = 0; from_names[k]; k++)
                if (starts(&next, from_names[k])) return 1;
        }
    }
    for (size_t k = 0; from_names[k]; k++) {
        if (!starts(&t, from_names[k])) continue;
        for (size_t j = i + 1; j < count && j <= i + 3; j++) {
            line u = trim(lines[j]);
            for (size_t m = 0; sent_names[m]; m++)
                if (starts(&u, sent_names[m])) return 1;
        }
    }
    return 0;
}

static int signature_or_device(const line *l)
{
    line t = trim(*l);
    /* "-- " is the standard separator; many mailers lose the space */
    if ((l->n == 3 && memcmp(l->s, "-- ", 3) == 0) ||
        (l->n == 4 && memcmp(l->s, "-- \r", 4) == 0) ||
        (t.n == 2 && memcmp(t.s, "--", 2) == 0 && l->n <= 3))
        return 1;
    for (size_t k = 0; device_lines[k]; k++)
        if (starts(&t, device_lines[k])) return 1;
    return 0;
}

/* 1 when word starts in s[0..n) at a position not preceded by an ASCII letter
 * (case-insensitive): "sent" in "Sent from", not in "present". */
static int has_word(const char *s, size_t n, const char *word)
{
    size_t k = strlen(word);
    for (size_t i = 0; k <= n && i <= n - k; i++) {
        if (i > 0 && ((s[i - 1] | 0x20) >= 'a' && (s[i - 1] | 0x20) <= 'z')) continue;
        if (strncasecmp(s + i, word, k) == 0) return 1;
    }
    return 0;
}

static int any_word(const line *t, const char *const *words)
{
    for (size_t k = 0; words[k]; k++)
        if (has_word(t->s, t->n, words[k])) return 1;
    return 0;
}

/* 1 when the first or the last word of t names a device or a verb of sending. */
static int phrase_edge(const line *t)
{
    const char *sp = memchr(t->s, ' ', t->n);
    line first = {t->s, sp ? (size_t)(sp - t->s) : t->n};
    size_t k = t->n;
    while (k && t->s[k - 1] != ' ')
        k--;
    line last = {t->s + k, t->n - k};
    return any_word(&first, device_names) || any_word(&first, sent_words) ||
           any_word(&last, device_names) || any_word(&last, sent_words);
}

/* A "sent from my phone" line the table does not know. Phones write it as a paragraph of
 * its own below the text: a few words naming a device and a verb of sending, one of them
 * at an edge of the line ("Galaxy에서 보냄", "أُرسلت من الـ iPhone الخاص بي"), no sentence
 * punctuation, and nothing after it but blank lines, a signature or the quote. All of that
 * together keeps a buyer's "The iPhone case was sent broken" in the text. */
static int device_line(const line *lines, size_t count, size_t i)
{
    line t = trim(lines[i]);
    if (!t.n || t.n > 80 || (i > 0 && trim(lines[i - 1]).n)) return 0;
    if (!any_word(&t, device_names) || !any_word(&t, sent_words) || !phrase_edge(&t)) return 0;
    static const char *const stops[] = {".", "!", "?", "。", "！", "？", NULL};
    for (size_t k = 0; stops[k]; k++)
        if (ends(&t, stops[k])) return 0;
    size_t words = 1;
    for (size_t c = 0; c < t.n; c++)
        words += t.s[c] == ' ';
    if (words > 8) return 0;
    size_t j = i + 1, span;
    while (j < count && !trim(lines[j]).n)
        j++;
    return j == count || quoted(&lines[j]) || signature_or_device(&lines[j]) ||
           attribution(lines, count, j, &span) || original_block(lines, count, j);
}

/* Joins lines[from..to) minus quoted lines (and attribution lines when drop_attr), trims
 * blank lines at both ends, keeps at most one blank line in a row. */
static char *join(const line *lines, size_t from, size_t to, int drop_attr, size_t count)
{
    bd_buf b = BD_BUF_INIT;
    bd_buf_puts(&b, "");
    int blank = 0;
    for (size_t i = from; i < to; i++) {
        size_t span;
        if (quoted(&lines[i])) continue;
        if (drop_attr && attribution(lines, count, i, &span)) {
            i += span - 1;
            continue;
        }
        line l = lines[i];
        while (l.n && (l.s[l.n - 1] == '\r' || l.s[l.n - 1] == ' ' || l.s[l.n - 1] == '\t'))
            l.n--;
        if (!l.n) {
            blank = 1;
            continue;
        }
        if (b.len) bd_buf_puts(&b, blank ? "\n\n" : "\n");
        blank = 0;
        bd_buf_append(&b, l.s, l.n);
    }
    return bd_buf_detach(&b);
}

/* ---- Amazon's relay frame ---- */

/* A marker line: dashes, a label, dashes ("------------- Message: -------------"). Sets
 * the label (trimmed). */
static int marker(const line *l, line *label)
{
    line t = trim(*l);
    size_t lead = strspn(t.s, "-");
    if (lead < 5 || lead >= t.n) return 0;
    size_t tail = 0;
    while (tail < t.n - lead && t.s[t.n - 1 - tail] == '-')
        tail++;
    if (tail < 5) return 0;
    line in = {t.s + lead, t.n - lead - tail};
    *label = trim(in);
    return label->n > 0;
}

/* 1 when a marker's label says a quoted or forwarded message follows ("-----Original
 * Message-----", "------------------ 原始邮件 ------------------"): that is a quote, not a
 * relay frame. */
static int quote_label(const line *label)
{
    for (size_t k = 0; original_markers[k]; k++)
        if (contains(label->s, label->n, original_markers[k])) return 1;
    return 0;
}

/* How many non-blank lines may stand above the opening marker: the relay's head (order id,
 * item, quantity). More text above it is the writer's own, so the marker is not a frame. */
#define RELAY_HEAD_LINES 6

/* The relay's frame is recognised by its shape, not by its words (every marketplace words
 * it in its own language, and Amazon rewords it now and then): a head of a few lines, a
 * dashed marker line, the buyer's text, a second dashed marker line, a footer. The opening
 * marker is the first marker line that does not announce a quote; the buyer's text ends at
 * the next marker line, whatever it says. An opening marker whose label ends with a colon
 * ("Message:", "Nachricht:", "メッセージ：") needs no closing one: then everything after it
 * is the buyer's. Other labels ("Begin message") open a frame only in relay mail: a buyer
 * writing to the shop directly may draw dashed lines of their own, and the text around
 * them must not be lost. Sets [*from, *to) to the buyer's lines; 0 when there is no frame. */
static int relay_frame(const line *lines, size_t count, int relay, size_t *from, size_t *to)
{
    size_t head = 0, open = count;
    line label;
    for (size_t i = 0; i < count && open == count; i++) {
        if (marker(&lines[i], &label) && !quote_label(&label))
            open = i;
        else if (trim(lines[i]).n && ++head > RELAY_HEAD_LINES)
            return 0;
    }
    if (open == count) return 0;
    int colon = ends(&label, ":") || ends(&label, "：");
    if (!colon && !relay) return 0;
    for (size_t i = open + 1; i < count; i++) {
        line closing;
        if (marker(&lines[i], &closing)) {
            *from = open + 1, *to = i;
            return 1;
        }
    }
    if (!colon) return 0;
    *from = open + 1, *to = count;
    return 1;
}

char *mail_amazon_extract(const char *text, int relay)
{
    if (!text) return NULL;
    line *lines;
    size_t count = split_lines(text, &lines), from, to;
    char *out = NULL;
    if (relay_frame(lines, count, relay, &from, &to)) {
        bd_buf b = BD_BUF_INIT;
        bd_buf_puts(&b, "");
        for (size_t i = from; i < to; i++) {
            bd_buf_append(&b, lines[i].s, lines[i].n);
            if (i + 1 < to) bd_buf_putc(&b, '\n');
        }
        out = bd_buf_detach(&b);
    }
    free(lines);
    return out;
}

char *mail_strip_quotes(const char *text)
{
    return mail_new_text(text, 1);
}

char *mail_new_text(const char *text, int amazon_relay)
{
    char *relay = mail_amazon_extract(text, amazon_relay);
    const char *src = relay ? relay : (text ? text : "");
    line *lines;
    size_t count = split_lines(src, &lines), cut = count;
    for (size_t i = 0; i < count && cut == count; i++) {
        size_t span;
        if (attribution(lines, count, i, &span) || original_block(lines, count, i) ||
            signature_or_device(&lines[i]) || device_line(lines, count, i))
            cut = i;
    }
    char *out = join(lines, 0, cut, 0, count);
    if (!*out && cut < count) { /* written below the quote: keep that, drop the quote */
        free(out);
        size_t from = cut;
        while (from < count && !quoted(&lines[from])) {
            size_t span;
            if (!attribution(lines, count, from, &span)) break;
            from += span;
        }
        out = join(lines, from, count, 1, count);
        /* the bottom part may end with a signature of its own */
        char *again = *out && strcmp(out, src) != 0 ? mail_new_text(out, amazon_relay) : NULL;
        if (again && *again) {
            free(out);
            out = again;
        } else {
            free(again);
        }
    }
    free(lines);
    free(relay);
    return out;
}
