/*
 * mail.h — the mail channel: Amazon buyer-seller messages (relayed from anonymised
 * @marketplace.amazon.* addresses) and shops that talk to buyers by plain e-mail.
 *
 * Parsing (src/mail/parse*.c) turns one raw RFC 5322 message into a mail_message: every
 * header decoded to UTF-8, the best text part converted to UTF-8 from its declared
 * charset (detected when the declaration is missing or wrong), HTML converted to text
 * when there is no text/plain, quoted earlier messages and signatures stripped, and the
 * facts a helpdesk needs (Amazon order id, the buyer's relay address and name,
 * attachments' metadata). Parsing never fails on a malformed message: what could be read
 * is filled in and `error` says what was wrong, so the sync stores it with its raw source
 * instead of dropping it.
 *
 * Transport (src/mail/imap.c, smtp.c) fetches by UID over IMAP and sends over SMTP with
 * libcurl; the Amazon connector and the "mail" marketplace use it for their "messages"
 * resource and for outbox replies.
 */
#ifndef BORDERDESK_MAIL_H
#define BORDERDESK_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "borderdesk/util.h"

typedef struct mail_address {
    char *name;    /* display name in UTF-8, or NULL */
    char *address; /* addr-spec, lowercased domain, or NULL when unreadable */
} mail_address;

typedef struct mail_attachment {
    char *filename;     /* UTF-8, or NULL */
    char *content_type; /* "image/jpeg" */
    size_t size;        /* decoded bytes */
} mail_attachment;

typedef struct mail_message {
    char *message_id;   /* without angle brackets, or NULL */
    char *in_reply_to;  /* without angle brackets, or NULL */
    char **references;  /* without angle brackets; n_references entries */
    size_t n_references;
    mail_address from;
    mail_address reply_to;
    mail_address *to;
    size_t n_to;
    char *subject;      /* decoded (RFC 2047), UTF-8, or NULL */
    int64_t date;       /* Unix seconds from the Date header; 0 when absent/unreadable */
    char *text;         /* the new text of this message: UTF-8, quotes/signature stripped */
    char *full_text;    /* the whole chosen part converted to UTF-8, before stripping */
    const char *source; /* "text/plain", "text/html" or "none" (static string) */
    char *charset_declared; /* the part's declared charset, or NULL */
    char *charset;          /* the charset the text was actually decoded from */
    int charset_guessed;    /* 1 when the declaration was missing or wrong */
    mail_attachment *attachments;
    size_t n_attachments;
    char *order_id;     /* Amazon order id (3-7-7 digits) found in subject or text */
    int amazon_relay;   /* 1 when From is an @marketplace.amazon.* relay address */
    char *error;        /* NULL, or why the message is malformed (it is still filled in) */
} mail_message;

/* Parses raw[0..len). Returns 0 (check m->error for a malformed message) or -1 with err
 * only when nothing at all could be done (out of memory, empty input). */
int mail_parse(const char *raw, size_t len, mail_message *m, bd_err *err);
void mail_message_clear(mail_message *m);

/* Converts bytes[0..n) to UTF-8. declared may be NULL or wrong: when the bytes are not
 * valid in the declared charset (or none is declared) the charset is detected. Returns a
 * NUL-terminated bd_ string (invalid sequences replaced by U+FFFD) and sets *used to the
 * charset name actually used (static or owned by nothing; do not free) and *guessed. */
char *mail_to_utf8(const char *bytes, size_t n, const char *declared, const char **used,
                   int *guessed);

/* Plain text from HTML (UTF-8 in and out): block elements become line breaks, script and
 * style dropped, entities decoded, whitespace collapsed. */
char *mail_html_to_text(const char *html);

/* The new part of a reply: drops quoted lines ("> "), "On ... wrote:" / localized
 * attribution lines and everything after them, the "-- " signature, and the text Amazon's
 * relay appends. Returns a bd_ string. */
char *mail_strip_quotes(const char *text);

#endif
