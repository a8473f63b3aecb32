/* test_mailnet.c — the mail channel's wire pieces: composed replies (read back with the
 * project's own parser, and checked line by line), IMAP folder names, reply Message-IDs. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "borderdesk/mail.h"
#include "borderdesk/mail_transport.h"
#include "borderdesk/marketplace.h"

/* Every header line at most 78 columns, every body line at most 76, 7-bit throughout, no
 * body line that SMTP could read as the end of the data. */
static void check_lines(const char *raw, size_t len)
{
    const char *body = strstr(raw, "\r\n\r\n");
    assert_non_null(body);
    size_t col = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)raw[i];
        assert_true(c < 0x80);
        if (c == '\n') {
            assert_true(i > 0 && raw[i - 1] == '\r'); /* CRLF only */
            col = 0;
            continue;
        }
        if (c == '\r') continue;
        if (col == 0 && raw + i > body) assert_false(c == '.');
        col++;
        assert_true(col <= (raw + i < body ? 78u : 76u));
    }
}

static char *compose(const mail_draft *d, size_t *len)
{
    bd_err err;
    char *raw = mail_compose(d, len, &err);
    if (!raw) fail_msg("mail_compose: %s", err.msg);
    check_lines(raw, *len);
    return raw;
}

static void test_compose_round_trip(void **state)
{
    (void)state;
    const char *refs[] = {"root@relay.amazon.es", "es-1@relay.amazon.es"};
    const char *text = "Hola Lucía,\n\nsu pedido salió ayer. Número de seguimiento: ES123456789.\n"
                       ".a line that starts with a dot\nA line long enough to need a soft break "
                       "in quoted-printable because it goes on and on well past seventy-six "
                       "columns.   \nSaludos";
    mail_draft d = {.from_name = "Brightleaf 光叶 \"Store\"", .from = "support@example-shop.com",
                    .to = "8k2lq9x3m7@marketplace.amazon.es",
                    .subject = "Consulta del cliente sobre el pedido 171-5550001-1000001 — ¿dónde está?",
                    .in_reply_to = "es-1@relay.amazon.es", .references = refs, .n_references = 2,
                    .message_id = "bd-1-10.1767225600@example-shop.com", .date = 1767225600,
                    .text = text};
    size_t len;
    char *raw = compose(&d, &len);
    assert_non_null(strstr(raw, "Content-Transfer-Encoding: quoted-printable\r\n"));
    assert_non_null(strstr(raw, "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"));
    assert_non_null(strstr(raw, "Subject: =?UTF-8?B?"));
    mail_message m;
    bd_err err;
    assert_int_equal(mail_parse(raw, len, &m, &err), 0);
    assert_null(m.error);
    assert_string_equal(m.subject, "Re: Consulta del cliente sobre el pedido 171-5550001-1000001 — ¿dónde está?");
    assert_string_equal(m.from.name, "Brightleaf 光叶 \"Store\"");
    assert_string_equal(m.from.address, "support@example-shop.com");
    assert_string_equal(m.message_id, "bd-1-10.1767225600@example-shop.com");
    assert_string_equal(m.in_reply_to, "es-1@relay.amazon.es");
    assert_int_equal(m.n_references, 2);
    assert_string_equal(m.references[1], "es-1@relay.amazon.es");
    assert_int_equal(m.date, 1767225600);
    assert_string_equal(m.charset, "utf-8");
    /* the body decodes to the text (CRLF line ends in the wire form) */
    assert_non_null(strstr(m.full_text, "su pedido salió ayer"));
    assert_non_null(strstr(m.full_text, ".a line that starts with a dot"));
    assert_non_null(strstr(m.full_text, "well past seventy-six columns.   \n"));
    mail_message_clear(&m);
    free(raw);
}

static void test_compose_base64_and_prefix(void **state)
{
    (void)state;
    const char *text = "佐藤様\n\nお問い合わせありがとうございます。商品は本日発送いたしました。"
                       "追跡番号は JP123456789 です。今後ともよろしくお願いいたします。";
    mail_draft d = {.from = "shop@example.jp", .to = "z1x2@marketplace.amazon.co.jp",
                    .subject = "Re: 注文番号 503-5550003-1000003 について、配送の状況を教えてください",
                    .message_id = "bd-3-4.5@example.jp", .date = 5, .text = text};
    size_t len;
    char *raw = compose(&d, &len);
    assert_non_null(strstr(raw, "Content-Transfer-Encoding: base64\r\n"));
    assert_null(strstr(raw, "In-Reply-To")); /* nothing to answer */
    assert_null(strstr(raw, "References"));
    mail_message m;
    bd_err err;
    assert_int_equal(mail_parse(raw, len, &m, &err), 0);
    /* an existing reply prefix is not doubled; a long subject folds into several words */
    assert_string_equal(m.subject, d.subject);
    assert_non_null(strstr(m.full_text, "追跡番号は JP123456789 です。"));
    mail_message_clear(&m);
    free(raw);
    /* ASCII subjects stay readable, folded at spaces */
    d.subject = "Question about the lamp and whether it works with 220 volt bulbs used in France";
    d.text = "Yes, it does.";
    raw = compose(&d, &len);
    assert_non_null(strstr(raw, "Subject: Re: Question about the lamp"));
    free(raw);
}

static void test_compose_refuses(void **state)
{
    (void)state;
    mail_draft ok = {.from = "a@b.example", .to = "c@d.example", .subject = "Hi",
                     .message_id = "x@b.example", .date = 1, .text = "Hello"};
    size_t len;
    bd_err err;
    mail_draft d = ok;
    d.subject = "Hi\r\nBcc: victim@example.com"; /* header injection */
    assert_null(mail_compose(&d, &len, &err));
    d = ok;
    d.to = "c@d.example>, <e@f.example";
    assert_null(mail_compose(&d, &len, &err));
    d = ok;
    d.to = "no-at-sign";
    assert_null(mail_compose(&d, &len, &err));
    d = ok;
    d.text = "bad \xff utf-8";
    assert_null(mail_compose(&d, &len, &err));
    d = ok;
    d.in_reply_to = "has space@x"; /* an unusable id is left out, not sent broken */
    char *raw = mail_compose(&d, &len, &err);
    assert_non_null(raw);
    assert_null(strstr(raw, "In-Reply-To"));
    free(raw);
}

static void test_imap_names(void **state)
{
    (void)state;
    char *q = imap_folder_quote("~peter/mail/台北/日本語"); /* RFC 3501's own example */
    assert_string_equal(q, "\"~peter/mail/&U,BTFw-/&ZeVnLIqe-\"");
    free(q);
    q = imap_folder_quote("Sent & \"Old\"");
    assert_string_equal(q, "\"Sent &- \\\"Old\\\"\"");
    free(q);
    assert_null(imap_folder_quote("bad\r\nname"));
    char *f = imap_url_folder("imaps://imap.example.com:993/%5BGmail%5D/Sent%20Mail");
    assert_string_equal(f, "[Gmail]/Sent Mail");
    free(f);
    f = imap_url_folder("imap://127.0.0.1:10143/");
    assert_string_equal(f, "INBOX");
    free(f);
    f = imap_url_folder("imap://host/Amazon;UIDVALIDITY=5");
    assert_string_equal(f, "Amazon");
    free(f);
    char *id = mkt_mail_message_id("bd-12-34", 1767225600, "Support@Example-Shop.COM");
    assert_string_equal(id, "bd-12-34.1767225600@example-shop.com");
    free(id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compose_round_trip),
        cmocka_unit_test(test_compose_base64_and_prefix),
        cmocka_unit_test(test_compose_refuses),
        cmocka_unit_test(test_imap_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
