/* fuzz_mail.c — libFuzzer target for mail parsing (src/mail/parse*.c, charset*.c, html.c,
 * quote.c): the input is a raw message. It checks what must always hold: no crash, leak or
 * hang; mail_parse succeeds on any non-empty input; every string it fills is valid UTF-8
 * (it all ends up in JSON and in the database); the source is one of the three names; a
 * second parse gives the same result. The same bytes also go through the HTML converter,
 * the quote stripper, the format=flowed decoder and the charset converter under a few
 * declared labels.
 *
 * Built by tests/fuzz/README.md with clang -fsanitize=fuzzer,address; the unit test
 * tests/unit/test_fuzz_mail.c includes this file and feeds it the seed corpus and the
 * regressions, so ctest runs the same code without clang. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "borderdesk/mail.h"
#include "../../src/mail/parse_internal.h"

static void fuzz_check_str(const char *s)
{
    if (s && !bd_utf8_valid(s, strlen(s))) abort();
}

static void fuzz_check_address(const mail_address *a)
{
    fuzz_check_str(a->name);
    fuzz_check_str(a->address);
}

static void fuzz_check_message(const mail_message *m)
{
    fuzz_check_str(m->message_id);
    fuzz_check_str(m->in_reply_to);
    for (size_t i = 0; i < m->n_references; i++)
        fuzz_check_str(m->references[i]);
    fuzz_check_address(&m->from);
    fuzz_check_address(&m->reply_to);
    for (size_t i = 0; i < m->n_to; i++)
        fuzz_check_address(&m->to[i]);
    fuzz_check_str(m->subject);
    fuzz_check_str(m->text);
    fuzz_check_str(m->full_text);
    fuzz_check_str(m->charset_declared);
    fuzz_check_str(m->charset);
    fuzz_check_str(m->order_id);
    fuzz_check_str(m->error);
    for (size_t i = 0; i < m->n_attachments; i++) {
        fuzz_check_str(m->attachments[i].filename);
        fuzz_check_str(m->attachments[i].content_type);
    }
    if (!m->text || !m->full_text) abort();
    if (strcmp(m->source, "text/plain") && strcmp(m->source, "text/html") &&
        strcmp(m->source, "none"))
        abort();
    if (m->order_id && strlen(m->order_id) != 19) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *raw = (const char *)data;
    mail_message a, b;
    bd_err err;
    int rc = mail_parse(raw, size, &a, &err);
    if (size == 0) {
        if (rc != -1 || !err.msg[0]) abort();
        mail_message_clear(&a);
        return 0;
    }
    if (rc != 0) abort();
    fuzz_check_message(&a);
    if (mail_parse(raw, size, &b, &err) != 0) abort();
    if (strcmp(a.text, b.text) != 0 || strcmp(a.full_text, b.full_text) != 0 ||
        a.n_attachments != b.n_attachments || a.date != b.date)
        abort();
    mail_message_clear(&a);
    mail_message_clear(&b);
    mail_message_clear(&a); /* clearing twice is safe */

    /* the parts on their own: the input as HTML, as text to strip, as bytes to convert */
    size_t len;
    char *utf8 = bd_utf8_repair(raw, size, &len);
    char *html = mail_html_to_text(utf8);
    fuzz_check_str(html);
    char *stripped = mail_strip_quotes(utf8);
    fuzz_check_str(stripped);
    char *unflowed = mail_flowed_decode(utf8, (int)(size & 1));
    fuzz_check_str(unflowed);
    free(unflowed);
    static const char *const labels[] = {NULL, "utf-8", "shift_jis", "iso-2022-jp", "x-unknown"};
    const char *used;
    int guessed;
    char *conv = mail_to_utf8(raw, size, labels[size % 5], &used, &guessed);
    fuzz_check_str(conv);
    if (!used) abort();
    free(conv);
    free(stripped);
    free(html);
    free(utf8);
    return 0;
}
