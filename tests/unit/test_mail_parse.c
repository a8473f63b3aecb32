/* test_mail_parse.c — mail_parse on messages built here: every buyer text in every charset
 * its mail uses, as quoted-printable and base64, declared, undeclared and mislabelled;
 * encoded-word subjects and names; multipart/alternative, mixed with attachments, nested
 * parts, message/rfc822; Amazon relay mail; and malformed messages of every kind the
 * brief names (no headers, truncated multipart, garbage, NUL bytes, huge headers, invalid
 * UTF-8 declared as UTF-8, unknown charsets, broken base64 and QP). */
#include "testutil.h"

#include <iconv.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/mail/parse_internal.h"
#include "test_mail_texts.h"

static char *encode(const char *utf8, const char *charset, size_t *len)
{
    static const struct {
        const char *name, *iconv;
    } map[] = {{"shift_jis", "SHIFT_JIS"}, {"euc-jp", "EUC-JP"},  {"iso-2022-jp", "ISO-2022-JP"},
               {"euc-kr", "EUC-KR"},       {"gb18030", "GB2312"}, {"big5", "BIG5"},
               {"us-ascii", "US-ASCII"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i].name, charset) == 0) charset = map[i].iconv;
    iconv_t cd = iconv_open(charset, "UTF-8");
    assert_true(cd != (iconv_t)-1);
    size_t in_left = strlen(utf8), cap = in_left * 4 + 16, out_left = cap;
    char *out = malloc(cap), *o = out, *in = (char *)utf8;
    assert_true(iconv(cd, &in, &in_left, &o, &out_left) != (size_t)-1);
    assert_true(iconv(cd, NULL, NULL, &o, &out_left) != (size_t)-1);
    iconv_close(cd);
    *len = (size_t)(o - out);
    return out;
}

static void put_base64(bd_buf *b, const unsigned char *s, size_t n, int line_len)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    int col = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) |
                     (i + 2 < n ? s[i + 2] : 0);
        bd_buf_putc(b, tab[(v >> 18) & 63]);
        bd_buf_putc(b, tab[(v >> 12) & 63]);
        bd_buf_putc(b, i + 1 < n ? tab[(v >> 6) & 63] : '=');
        bd_buf_putc(b, i + 2 < n ? tab[v & 63] : '=');
        if (line_len && (col += 4) >= line_len) bd_buf_puts(b, "\r\n"), col = 0;
    }
}

static void put_qp(bd_buf *b, const unsigned char *s, size_t n)
{
    int col = 0;
    for (size_t i = 0; i < n; i++) {
        if (col > 70) bd_buf_puts(b, "=\r\n"), col = 0;
        if (s[i] == '\n') {
            bd_buf_puts(b, "\r\n");
            col = 0;
        } else if (s[i] >= 0x80 || s[i] == '=' || s[i] < 0x20) {
            bd_buf_printf(b, "=%02X", s[i]);
            col += 3;
        } else {
            bd_buf_putc(b, (char)s[i]);
            col++;
        }
    }
}

static void parse(const char *raw, size_t len, mail_message *m)
{
    bd_err err;
    assert_int_equal(mail_parse(raw, len, m, &err), 0);
}

/* A one-part message with the body in `charset`, encoded as `cte` ("base64" or
 * "quoted-printable"), declared as `declared` (NULL: no charset parameter). The subject is
 * an encoded-word in the same charset. */
static char *build(const char *utf8, const char *charset, const char *declared, const char *cte,
                   size_t *len)
{
    size_t n;
    unsigned char *bytes = (unsigned char *)encode(utf8, charset, &n);
    bd_buf b = BD_BUF_INIT;
    bd_buf_puts(&b, "From: Buyer <buyer@example.com>\r\nTo: shop@example.com\r\n"
                    "Date: Tue, 03 Nov 2026 10:20:30 +0900\r\nMessage-ID: <m1@example.com>\r\n"
                    "Subject: =?");
    bd_buf_puts(&b, declared ? declared : charset);
    bd_buf_puts(&b, "?B?");
    put_base64(&b, bytes, n, 0);
    bd_buf_puts(&b, "?=\r\nMIME-Version: 1.0\r\nContent-Type: text/plain");
    if (declared) bd_buf_printf(&b, "; charset=\"%s\"", declared);
    bd_buf_printf(&b, "\r\nContent-Transfer-Encoding: %s\r\n\r\n", cte);
    if (strcmp(cte, "base64") == 0)
        put_base64(&b, bytes, n, 76);
    else
        put_qp(&b, bytes, n);
    bd_buf_puts(&b, "\r\n");
    free(bytes);
    *len = b.len;
    return bd_buf_detach(&b);
}

/* Every text, every charset, both transfer encodings, declared correctly. */
static void test_charsets_declared(void **state)
{
    (void)state;
    static const char *const ctes[] = {"base64", "quoted-printable"};
    for (size_t i = 0; i < N_MAIL_TEXTS; i++)
        for (size_t k = 0; mail_texts[i].charsets[k]; k++)
            for (size_t e = 0; e < 2; e++) {
                const char *cs = mail_texts[i].charsets[k];
                size_t len;
                char *raw = build(mail_texts[i].text, cs, cs, ctes[e], &len);
                mail_message m;
                parse(raw, len, &m);
                if (!m.text || strcmp(m.text, mail_texts[i].text) != 0 || m.charset_guessed)
                    fail_msg("%s %s %s: \"%s\" (%s)", mail_texts[i].lang, cs, ctes[e], m.text,
                             m.error);
                assert_string_equal(m.source, "text/plain");
                assert_string_equal(m.charset_declared, cs);
                assert_string_equal(m.from.address, "buyer@example.com");
                assert_string_equal(m.message_id, "m1@example.com");
                assert_int_equal(m.date, 1793668830); /* 2026-11-03T01:20:30Z */
                assert_string_equal(m.subject, mail_texts[i].text);
                mail_message_clear(&m);
                free(raw);
            }
}

/* No declaration, and wrong ones: detected and flagged (charset_guessed). A declaration
 * that detection recovers is no malformation: error stays NULL. */
static void test_charsets_missing_or_wrong(void **state)
{
    (void)state;
    static const struct {
        size_t text;
        const char *really, *declared;
    } cases[] = {
        {1, "windows-1252", NULL},    {7, "iso-8859-1", NULL},
        {16, "iso-8859-2", NULL},     {19, "windows-1251", NULL},
        {19, "koi8-r", NULL},         {22, "shift_jis", NULL},
        {22, "euc-jp", NULL},         {25, "euc-kr", NULL},
        {28, "gb18030", NULL},        {31, "big5", NULL},
        {34, "windows-1256", NULL},   {4, "utf-8", "iso-8859-1"},
        {7, "windows-1252", "utf-8"}, {22, "shift_jis", "iso-2022-jp"},
        {25, "euc-kr", "x-unknown"},  {19, "koi8-r", "windows-1251"},
        {28, "gb18030", "us-ascii"},  {16, "windows-1250", "utf-8"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const char *want = mail_texts[cases[c].text].text;
        for (int e = 0; e < 2; e++) {
            size_t len;
            char *raw = build(want, cases[c].really, cases[c].declared,
                              e ? "base64" : "quoted-printable", &len);
            mail_message m;
            parse(raw, len, &m);
            if (strcmp(m.text, want) != 0 || !m.charset_guessed || m.error)
                fail_msg("case %zu (%s as %s): \"%s\" charset %s guessed %d error %s", c,
                         cases[c].really, cases[c].declared ? cases[c].declared : "nothing", m.text,
                         m.charset, m.charset_guessed, m.error);
            mail_message_clear(&m);
            free(raw);
        }
    }
}

static void test_headers(void **state)
{
    (void)state;
    const char raw[] =
        "Return-Path: <x@y>\r\n"
        "From: =?UTF-8?B?QW5uYS1MZW5hIE3DvGxsZXI=?= <Anna@Example.DE>\r\n"
        "Reply-To: \"Support, Team\" <support@shop.example>\r\n"
        "To: \"Doe, John\" <j@example.com>, plain@example.com (Plain Name),\r\n"
        " =?ISO-8859-2?Q?=A3ukasz?= <l@example.pl>, undisclosed-recipients:;\r\n"
        "Subject: =?ISO-2022-JP?B?GyRCSlZJShsoQg==?= =?ISO-2022-JP?B?GyRCJEskRCQkJEYbKEI=?=\r\n"
        " and =?utf-8?q?caf=C3=A9?= =?utf-8?q?_cr=C3=A8me?=\r\n"
        "Date: Sun, 1 Nov 2026 23:59:59 -0800\r\n"
        "Message-ID: <abc.123@mx.example>\r\n"
        "In-Reply-To: <prev@mx.example>\r\n"
        "References: <first@mx.example>\r\n <prev@mx.example>\r\n"
        "\r\n"
        "Body\r\n";
    mail_message m;
    parse(raw, sizeof raw - 1, &m);
    assert_string_equal(m.from.name, "Anna-Lena Müller");
    assert_string_equal(m.from.address, "Anna@example.de");
    assert_string_equal(m.reply_to.name, "Support, Team");
    assert_int_equal(m.n_to, 3);
    assert_string_equal(m.to[0].name, "Doe, John");
    assert_string_equal(m.to[1].name, "Plain Name");
    assert_string_equal(m.to[1].address, "plain@example.com");
    assert_string_equal(m.to[2].name, "Łukasz");
    assert_string_equal(m.subject, "返品について and café crème");
    assert_int_equal(m.date, 1793606399); /* 2026-11-02T07:59:59Z */
    assert_string_equal(m.message_id, "abc.123@mx.example");
    assert_string_equal(m.in_reply_to, "prev@mx.example");
    assert_int_equal(m.n_references, 2);
    assert_string_equal(m.references[1], "prev@mx.example");
    assert_string_equal(m.text, "Body");
    assert_null(m.error);
    mail_message_clear(&m);
    mail_message_clear(&m); /* twice is safe */
}

/* A multibyte character split across two encoded-words, and a wrong encoded-word
 * charset, and raw 8-bit header bytes. */
static void test_header_charsets(void **state)
{
    (void)state;
    int bad;
    /* "ü" (C3 BC) split between two words */
    char *s = mail_header_decode("=?utf-8?Q?Gr=C3?= =?utf-8?Q?=BC=C3=9Fe?=", &bad);
    assert_string_equal(s, "Grüße");
    assert_int_equal(bad, 0);
    free(s);
    /* declared ISO-8859-1, really UTF-8 */
    s = mail_header_decode(
        "=?iso-8859-1?Q?=D0=97=D0=B4=D1=80=D0=B0=D0=B2=D1=81=D1=82=D0=B2=D1=83=D0=B9?=", &bad);
    assert_string_equal(s, "Здравствуй");
    free(s);
    /* raw KOI8-R bytes, no encoded-word at all */
    size_t n;
    char *k = encode("Возврат денег за товар", "KOI8-R", &n);
    k = realloc(k, n + 1);
    k[n] = '\0';
    s = mail_header_decode(k, &bad);
    assert_string_equal(s, "Возврат денег за товар");
    free(s);
    free(k);
    /* malformed words stay readable and are flagged */
    s = mail_header_decode("=?utf-8?B?SGVsbG8*?= x =?utf-8?Q?a=ZZ?=", &bad);
    assert_int_equal(bad, 1);
    assert_non_null(strstr(s, "Hello"));
    free(s);
    s = mail_header_decode("=?broken no end", &bad);
    assert_string_equal(s, "=?broken no end");
    free(s);
}

static void test_alternative_and_attachments(void **state)
{
    (void)state;
    const char raw[] =
        "From: a@example.fr\r\nSubject: photos\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
        "--outer\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n"
        "--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nLe colis est abîmé.\r\n"
        "--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Le colis est "
        "<b>abîmé</b>.</p>\r\n"
        "--alt--\r\n"
        "--outer\r\nContent-Type: image/jpeg\r\n"
        "Content-Disposition: attachment; filename*=UTF-8''photo%20ab%C3%AEm%C3%A9e.jpg\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n/9j/4AAQSkZJRg==\r\n"
        "--outer\r\nContent-Type: application/pdf; "
        "name=\"=?ISO-8859-1?Q?facture_=E9t=E9.pdf?=\"\r\n"
        "Content-Disposition: attachment\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n"
        "--outer\r\nContent-Type: text/plain; name=\"notes.txt\"\r\nContent-Disposition: "
        "attachment; filename=notes.txt\r\n\r\n"
        "12345\r\n"
        "--outer--\r\n";
    mail_message m;
    parse(raw, sizeof raw - 1, &m);
    assert_string_equal(m.text, "Le colis est abîmé.");
    assert_string_equal(m.source, "text/plain");
    assert_int_equal(m.n_attachments, 3);
    assert_string_equal(m.attachments[0].filename, "photo abîmée.jpg");
    assert_string_equal(m.attachments[0].content_type, "image/jpeg");
    assert_int_equal(m.attachments[0].size, 10);
    assert_string_equal(m.attachments[1].filename, "facture été.pdf");
    assert_int_equal(m.attachments[1].size, 5);
    assert_string_equal(m.attachments[2].filename, "notes.txt");
    assert_int_equal(m.attachments[2].size, 5);
    assert_null(m.error);
    mail_message_clear(&m);
}

static void test_html_only_and_rfc822(void **state)
{
    (void)state;
    const char html[] =
        "From: a@example.it\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n \r\n"
        "--b\r\nContent-Type: text/html; charset=iso-8859-1\r\nContent-Transfer-Encoding: "
        "quoted-printable\r\n\r\n"
        "<html><head><title>x</title></head><body><div>Il pacco non =E8 arrivato&nbsp;!</div>"
        "<div>Grazie</div><blockquote>Il 2 nov ha "
        "scritto:<br>vecchio</blockquote></body></html>\r\n"
        "--b--\r\n";
    mail_message m;
    parse(html, sizeof html - 1, &m);
    assert_string_equal(m.source, "text/html");
    assert_string_equal(m.text, "Il pacco non è arrivato !\nGrazie");
    assert_string_equal(m.charset, "iso-8859-1");
    mail_message_clear(&m);

    const char fwd[] = "From: x@example.de\r\nSubject: Fwd: Bestellung\r\nContent-Type: "
                       "multipart/mixed; boundary=o\r\n\r\n"
                       "--o\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; "
                       "filename=\"orig.eml\"\r\n\r\n"
                       "From: inner@example.de\r\nSubject: inner\r\nContent-Type: text/plain; "
                       "charset=iso-8859-1\r\n\r\n"
                       "Gr\xfc\xdf"
                       "e aus M\xfcnchen\r\n"
                       "--o--\r\n";
    parse(fwd, sizeof fwd - 1, &m);
    assert_string_equal(m.text, "Grüße aus München");
    assert_int_equal(m.n_attachments, 1);
    assert_string_equal(m.attachments[0].content_type, "message/rfc822");
    assert_string_equal(m.attachments[0].filename, "orig.eml");
    assert_true(m.attachments[0].size > 50);
    mail_message_clear(&m);
}

static void test_amazon_relay(void **state)
{
    (void)state;
    const char raw[] =
        "From: \"Jean Dupont - Amazon Marketplace\" <9xk2abc4def@marketplace.amazon.fr>\r\n"
        "To: seller@example.com\r\n"
        "Subject: =?UTF-8?Q?Demande_de_renseignements_d'un_client_Amazon_(Commande_:_40?=\r\n"
        " =?UTF-8?Q?2-7654321-1234567)?=\r\n"
        "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "Numéro de commande : 402-7654321-1234567\r\n"
        "Article : Tasse en céramique\r\n\r\n"
        "------------- Message : -------------\r\n\r\n"
        "Bonjour,\r\nLa tasse est arrivée cassée.\r\n\r\nCordialement\r\n\r\n"
        "Envoyé de mon iPhone\r\n\r\n"
        "------------- Fin du message -------------\r\n\r\n"
        "Pour information : pour aider à résoudre les litiges, Amazon conserve les messages.\r\n";
    mail_message m;
    parse(raw, sizeof raw - 1, &m);
    assert_int_equal(m.amazon_relay, 1);
    assert_string_equal(m.from.name, "Jean Dupont");
    assert_string_equal(m.order_id, "402-7654321-1234567");
    assert_string_equal(m.text, "Bonjour,\nLa tasse est arrivée cassée.\n\nCordialement");
    mail_message_clear(&m);

    /* markers in other words ("Begin message" ... "End message") frame the buyer's text of
     * relay mail; the same dashed lines in mail a buyer wrote directly are theirs */
    static const char *const from[] = {
        "\"Ann Lee - Amazon Marketplace\" <q7@marketplace.amazon.com>",
        "Ann Lee <ann@example.com>"};
    for (int i = 0; i < 2; i++) {
        char *mail = bd_asprintf(
            "From: %s\r\nSubject: Order 112-1234567-1234567\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
            "Order ID: 112-1234567-1234567\r\n\r\n----------- Begin message -----------\r\n\r\n"
            "The lamp arrived broken.\r\n\r\n----------- End message -----------\r\n\r\n"
            "For your information: Amazon keeps these messages.\r\n",
            from[i]);
        parse(mail, strlen(mail), &m);
        assert_int_equal(m.amazon_relay, i == 0);
        if (i == 0)
            assert_string_equal(m.text, "The lamp arrived broken.");
        else
            assert_non_null(strstr(m.text, "Order ID: 112-1234567-1234567"));
        assert_non_null(strstr(m.text, "The lamp arrived broken."));
        assert_null(m.error);
        mail_message_clear(&m);
        free(mail);
    }

    assert_true(mail_is_amazon_relay("x@marketplace.amazon.co.uk"));
    assert_true(mail_is_amazon_relay("x@marketplace.amazon.com.mx"));
    assert_true(mail_is_amazon_relay("x@marketplace.amazon.co.jp"));
    assert_true(mail_is_amazon_relay("x@marketplace.amazon.sa"));
    assert_false(mail_is_amazon_relay("x@amazon.de"));
    assert_false(mail_is_amazon_relay("x@marketplace.amazon.de.evil.example1"));
    assert_false(mail_is_amazon_relay("x@marketplace.amazon."));
    assert_false(mail_is_amazon_relay(NULL));
    char *n = mail_amazon_buyer_name("Hans Meier - Amazon.de Marketplace");
    assert_string_equal(n, "Hans Meier");
    free(n);
    n = mail_amazon_buyer_name("山田 太郎 – Amazon Marketplace");
    assert_string_equal(n, "山田 太郎");
    free(n);
    n = mail_amazon_buyer_name("Amazon Marketplace");
    assert_null(n);
    n = mail_amazon_buyer_name("Ana (via Amazon)");
    assert_string_equal(n, "Ana");
    free(n);
}

static void test_order_id(void **state)
{
    (void)state;
    char *id = mail_find_order_id("Pedido 171-1234567-1234567.");
    assert_string_equal(id, "171-1234567-1234567");
    free(id);
    assert_null(mail_find_order_id("9171-1234567-1234567"));
    assert_null(mail_find_order_id("171-1234567-12345678"));
    assert_null(mail_find_order_id("171-123456-1234567"));
    assert_null(mail_find_order_id(NULL));
    id = mail_find_order_id("tel 1-800 / order #D01-1234567-1234567 or 305-0000001-0000002");
    assert_string_equal(id, "305-0000001-0000002");
    free(id);
}

/* ---- malformed ---- */

static void test_malformed(void **state)
{
    (void)state;
    mail_message m;
    bd_err err;
    assert_int_equal(mail_parse("", 0, &m, &err), -1);
    assert_non_null(strstr(err.msg, "empty"));
    mail_message_clear(&m);

    const char noheaders[] = "Hello, my order did not arrive.\nThanks";
    parse(noheaders, sizeof noheaders - 1, &m);
    assert_string_equal(m.text, "Hello, my order did not arrive.\nThanks");
    assert_string_equal(m.error, "no message headers");
    mail_message_clear(&m);

    const char truncated[] =
        "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n"
        "--zz\r\nContent-Type: text/plain\r\n\r\nhello there\r\n"
        "--zz\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: "
        "base64\r\n\r\nJVBERi0xLj";
    parse(truncated, sizeof truncated - 1, &m);
    assert_string_equal(m.text, "hello there");
    assert_non_null(strstr(m.error, "no closing boundary"));
    assert_int_equal(m.n_attachments, 1);
    mail_message_clear(&m);

    const char nul[] = "From: a@example.com\r\nSubject: a\0b\r\n\r\nline\0one\r\n";
    parse(nul, sizeof nul - 1, &m);
    assert_true(bd_utf8_valid(m.text, strlen(m.text)));
    assert_string_equal(m.text, "line\xEF\xBF\xBDone");
    assert_non_null(strstr(m.error, "NUL bytes in the headers"));
    assert_non_null(strstr(m.error, "NUL bytes in the text"));
    mail_message_clear(&m);

    const char bad_utf8[] = "From: a@example.com\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                            "Gr\xfc\xdf"
                            "e, die Gr\xf6\xdf"
                            "e passt nicht\r\n";
    parse(bad_utf8, sizeof bad_utf8 - 1, &m);
    assert_string_equal(m.text, "Grüße, die Größe passt nicht");
    assert_int_equal(m.charset_guessed, 1);
    assert_string_equal(m.charset, "iso-8859-1");
    assert_null(m.error); /* a wrong declaration that detection recovers */
    mail_message_clear(&m);

    /* UTF-8 with a broken sequence: nothing reads it exactly, that is an error */
    const char broken_utf8[] = "From: a@example.com\r\nContent-Type: text/plain; charset=utf-8\r\n"
                               "\r\nстатус заказа \xd0 неизвестен, где посылка?\r\n";
    parse(broken_utf8, sizeof broken_utf8 - 1, &m);
    assert_string_equal(m.text, "статус заказа \xEF\xBF\xBD неизвестен, где посылка?");
    assert_string_equal(m.charset, "utf-8");
    assert_int_equal(m.charset_guessed, 0);
    assert_non_null(strstr(m.error, "invalid bytes for utf-8 replaced by U+FFFD"));
    mail_message_clear(&m);

    /* "x-unknown" promises nothing, like no declaration: detected, no error */
    const char unknown[] = "From: a@example.com\r\nContent-Type: text/plain; charset=x-unknown\r\n"
                           "\r\nGr\xfc\xdf"
                           "e aus Bremen\r\n";
    parse(unknown, sizeof unknown - 1, &m);
    assert_string_equal(m.text, "Grüße aus Bremen");
    assert_int_equal(m.charset_guessed, 1);
    assert_null(m.error);
    mail_message_clear(&m);

    /* a label that names no charset is a malformed declaration */
    const char bogus[] = "From: a@example.com\r\nContent-Type: text/plain; charset=x-foo\r\n\r\n"
                         "Gr\xfc\xdf"
                         "e aus K\xf6ln\r\n";
    parse(bogus, sizeof bogus - 1, &m);
    assert_string_equal(m.text, "Grüße aus Köln");
    assert_int_equal(m.charset_guessed, 1);
    assert_non_null(strstr(m.error, "unknown charset name \"x-foo\""));
    mail_message_clear(&m);

    const char b64[] = "From: a@example.com\r\nContent-Type: text/plain; charset=utf-8\r\n"
                       "Content-Transfer-Encoding: base64\r\n\r\nSGVsbG8g!!d29y*bGQ=\r\n";
    parse(b64, sizeof b64 - 1, &m);
    assert_string_equal(m.text, "Hello world");
    assert_non_null(strstr(m.error, "broken base64"));
    mail_message_clear(&m);

    const char qp[] = "From: a@example.com\r\nContent-Type: text/plain; charset=utf-8\r\n"
                      "Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 =ZZ ok\r\n";
    parse(qp, sizeof qp - 1, &m);
    assert_non_null(strstr(m.text, "café"));
    assert_non_null(strstr(m.error, "broken quoted-printable"));
    mail_message_clear(&m);
}

static void test_hostile_sizes(void **state)
{
    (void)state;
    /* a 1 MB subject: cut, noted, no time blow-up */
    bd_buf b = BD_BUF_INIT;
    bd_buf_puts(&b, "From: a@example.com\r\nSubject: ");
    for (int i = 0; i < 100000; i++)
        bd_buf_puts(&b, "=?x?q?ab ");
    bd_buf_puts(&b, "\r\n\r\nbody\r\n");
    mail_message m;
    parse(b.data, b.len, &m);
    assert_non_null(strstr(m.error, "header longer than 32 KiB, cut"));
    assert_string_equal(m.text, "body");
    mail_message_clear(&m);
    bd_buf_free(&b);

    /* a 1 MB filename in a part's header: GMime decodes parameters eagerly, so it is cut
     * before GMime sees it (it took minutes) */
    bd_buf_puts(&b,
                "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n"
                "--p\r\nContent-Type: text/plain\r\n\r\nthe text\r\n"
                "--p\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=\"");
    for (int i = 0; i < 100000; i++)
        bd_buf_puts(&b, "=?x?q?ab ");
    bd_buf_puts(&b, "\"\r\n\r\npng\r\n--p--\r\n");
    parse(b.data, b.len, &m);
    assert_non_null(strstr(m.error, "header longer than 32 KiB, cut"));
    assert_string_equal(m.text, "the text");
    assert_int_equal(m.n_attachments, 1);
    assert_true(strlen(m.attachments[0].filename) <= 32 << 10);
    mail_message_clear(&m);
    bd_buf_free(&b);

    /* 300 parts: the first 256 are read */
    bd_buf_puts(&b, "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n");
    for (int i = 0; i < 300; i++)
        bd_buf_puts(&b, "--p\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n");
    bd_buf_puts(&b, "--p--\r\n");
    parse(b.data, b.len, &m);
    assert_non_null(strstr(m.error, "more than 256 MIME parts"));
    assert_int_equal(m.n_attachments, 255);
    mail_message_clear(&m);
    bd_buf_free(&b);

    /* 40 levels of nesting */
    bd_buf_puts(&b, "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=a0\r\n\r\n");
    for (int i = 0; i < 40; i++)
        bd_buf_printf(&b, "--a%d\r\nContent-Type: multipart/mixed; boundary=a%d\r\n\r\n", i, i + 1);
    bd_buf_puts(&b, "--a40\r\nContent-Type: text/plain\r\n\r\ndeep\r\n--a40--\r\n");
    parse(b.data, b.len, &m);
    assert_non_null(strstr(m.error, "nesting"));
    mail_message_clear(&m);
    bd_buf_free(&b);

    /* binary garbage */
    unsigned char junk[4096];
    unsigned x = 12345;
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)((x = x * 1103515245u + 12345u) >> 16);
    parse((const char *)junk, sizeof junk, &m);
    assert_true(bd_utf8_valid(m.text, strlen(m.text)));
    assert_non_null(m.error);
    mail_message_clear(&m);
}

/* Structure a sender got wrong, recovered and noted. */
static void test_recovered_structure(void **state)
{
    (void)state;
    mail_message m;
    /* no blank line after the headers: the first line that is no field starts the body */
    const char noblank[] = "From: \"Kevin\" <k@example.com>\r\nSubject: Order not arrived\r\n"
                           "Content-Type: text/plain; charset=UTF-8\r\n"
                           "Hello, order 111-8820413-5562290 has not arrived.\r\nPlease check.\r\n";
    parse(noblank, sizeof noblank - 1, &m);
    assert_string_equal(m.text, "Hello, order 111-8820413-5562290 has not arrived.\nPlease check.");
    assert_string_equal(m.order_id, "111-8820413-5562290");
    assert_string_equal(m.subject, "Order not arrived");
    assert_non_null(strstr(m.error, "no blank line after the headers; the body starts at line 4"));
    mail_message_clear(&m);

    /* the same with LF line ends and an mbox "From " line */
    const char mbox[] = "From k@example.com Mon Nov  2 10:00:00 2026\nFrom: k@example.com\n"
                        "Subject: hi\nWhere is my parcel?\n";
    parse(mbox, sizeof mbox - 1, &m);
    assert_string_equal(m.text, "Where is my parcel?");
    assert_non_null(strstr(m.error, "body starts at line 4"));
    mail_message_clear(&m);

    /* a stray line inside the headers is not the body: GMime skips it */
    const char stray[] =
        "From: a@example.com\r\nX-Garbage line here\r\nSubject: hi\r\n\r\nbody\r\n";
    parse(stray, sizeof stray - 1, &m);
    assert_string_equal(m.text, "body");
    assert_string_equal(m.subject, "hi");
    assert_null(strstr(m.error, "blank line"));
    mail_message_clear(&m);

    /* a header line over RFC 5322's 998 bytes: noted, and still read whole */
    bd_buf b = BD_BUF_INIT;
    bd_buf_puts(&b, "From: a@example.com\r\nReferences:");
    for (int i = 0; i < 300; i++)
        bd_buf_printf(&b, " <id%03d@mail.example.com>", i);
    bd_buf_puts(&b, "\r\nSubject: Re: refund\r\n\r\nStill no refund.\r\n");
    parse(b.data, b.len, &m);
    assert_int_equal(m.n_references, 300);
    assert_string_equal(m.references[299], "id299@mail.example.com");
    assert_string_equal(m.text, "Still no refund.");
    assert_non_null(strstr(m.error, "References header line of 7511 bytes (RFC 5322 allows 998)"));
    mail_message_clear(&m);
    bd_buf_free(&b);

    /* long lines in a body are not header lines, even after a line that starts with "--" */
    bd_buf_puts(&b, "From: a@example.com\r\nContent-Type: multipart/alternative; boundary=b\r\n"
                    "\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\n"
                    "Content-Type: text/html\r\n\r\n<style>\r\n--accent: red;\r\nfont-family:");
    for (int i = 0; i < 200; i++)
        bd_buf_puts(&b, " Calibri,");
    bd_buf_puts(&b, "\r\n</style><p>hello</p>\r\n--b--\r\n");
    parse(b.data, b.len, &m);
    assert_string_equal(m.text, "hello");
    assert_null(m.error);
    mail_message_clear(&m);
    bd_buf_free(&b);

    /* a folded header of many short lines is fine */
    bd_buf_puts(&b, "From: a@example.com\r\nReferences:");
    for (int i = 0; i < 300; i++)
        bd_buf_printf(&b, "\r\n <id%03d@mail.example.com>", i);
    bd_buf_puts(&b, "\r\n\r\nok\r\n");
    parse(b.data, b.len, &m);
    assert_int_equal(m.n_references, 300);
    assert_null(m.error);
    mail_message_clear(&m);
    bd_buf_free(&b);
}

static void flowed_is(const char *in, int delsp, const char *want)
{
    char *t = mail_flowed_decode(in, delsp);
    if (strcmp(t, want) != 0) fail_msg("flowed \"%s\"\n got  \"%s\"\n want \"%s\"", in, t, want);
    free(t);
}

/* format=flowed (RFC 3676): soft breaks joined, DelSp, space-stuffing, quote depth, the
 * signature separator; and a wrapped attribution in a flowed message is recognised. */
static void test_flowed(void **state)
{
    (void)state;
    flowed_is("one \ntwo \nthree\nfour", 0, "one two three\nfour");
    flowed_is("one \ntwo\n\nnext", 1, "onetwo\n\nnext");
    flowed_is("日本語の \n文章です", 1, "日本語の文章です");
    flowed_is(" From here\n >not a quote", 0, "From here\n>not a quote");
    flowed_is("> quoted \n> more\n>> deeper \n>>end", 0, "> quoted more\n>> deeper end");
    /* a flowed line before a change of depth ends its paragraph */
    flowed_is("new \n> old", 0, "new \n> old");
    flowed_is("text\n-- \nAna", 0, "text\n-- \nAna");
    flowed_is(">\n> x", 0, ">\n> x");
    flowed_is("", 0, "");
    flowed_is("last ", 1, "last");
    char *t = mail_flowed_decode(NULL, 0);
    assert_string_equal(t, "");
    free(t);

    const char raw[] =
        "From: a@example.pl\r\nContent-Type: text/plain; charset=utf-8; format=flowed\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
        "Kurtka przyszła w złym rozmiarze, proszę o \r\netykietę zwrotną.\r\n\r\n"
        "W dniu 3.11.2026 o 09:14, Brightleaf PL <shop-pl@brightleaf.example> \r\n"
        "pisze:\r\n> Dzień dobry, \r\n> jaki rozmiar?\r\n";
    mail_message m;
    parse(raw, sizeof raw - 1, &m);
    assert_string_equal(m.text, "Kurtka przyszła w złym rozmiarze, proszę o etykietę zwrotną.");
    assert_non_null(strstr(m.full_text, "\n> Dzień dobry, jaki rozmiar?"));
    assert_null(m.error);
    mail_message_clear(&m);
}

/* The sync parses in worker threads: GMime starts once, each thread has its converters
 * (closed when it ends, which the sanitizer build checks as leaks). */
static void *parse_loop(void *arg)
{
    const char *raw = arg;
    for (int i = 0; i < 20; i++) {
        mail_message m;
        bd_err err;
        if (mail_parse(raw, strlen(raw), &m, &err) != 0 ||
            strcmp(m.text, "Привет, где заказ?") != 0)
            return (void *)1;
        mail_message_clear(&m);
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    size_t n;
    char *body = encode("Привет, где заказ?", "KOI8-R", &n);
    bd_buf b = BD_BUF_INIT;
    bd_buf_puts(&b, "From: a@example.ru\r\nContent-Type: text/plain\r\n\r\n");
    bd_buf_append(&b, body, n);
    free(body);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, parse_loop, b.data), 0);
    for (int i = 0; i < 4; i++) {
        void *rc;
        pthread_join(t[i], &rc);
        assert_null(rc);
    }
    bd_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_charsets_declared),
        cmocka_unit_test(test_charsets_missing_or_wrong),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_header_charsets),
        cmocka_unit_test(test_alternative_and_attachments),
        cmocka_unit_test(test_html_only_and_rfc822),
        cmocka_unit_test(test_amazon_relay),
        cmocka_unit_test(test_order_id),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_hostile_sizes),
        cmocka_unit_test(test_recovered_structure),
        cmocka_unit_test(test_flowed),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
