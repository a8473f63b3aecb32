/*
 * mail_transport.h — the mail channel's wire: IMAP in, SMTP out, and the replies we
 * compose (src/mail/imap.c, smtp.c, compose.c). Parsing is mail.h.
 *
 * Both protocols run on libcurl, so TLS (imaps://, smtps://, STARTTLS), server
 * authentication and timeouts are libcurl's. IMAP: libcurl logs in (CONNECT_ONLY) and
 * this module speaks the few commands the sync needs on that session — EXAMINE/SELECT,
 * UID SEARCH, UID FETCH with BODY.PEEK[] (a fetch never sets \Seen unless asked), APPEND
 * — reading literals by their announced length, so every message arrives byte for byte.
 * A plain imap:// or smtp:// URL to a host other than the loopback requires STARTTLS:
 * passwords never cross a network in clear.
 *
 * Every function returns 0 or -1 with err naming the server (label) and the reason,
 * unless said otherwise. Returned memory is the caller's (bd_ allocations).
 */
#ifndef BORDERDESK_MAIL_TRANSPORT_H
#define BORDERDESK_MAIL_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "borderdesk/util.h"

typedef struct mail_server {
    const char *url;                 /* imap[s]://host[:port]/FOLDER, smtp[s]://host[:port] */
    const char *username, *password; /* NULL: no login */
    long connect_timeout_ms;         /* default 10000 */
    long timeout_ms;                 /* per command (IMAP) or whole send (SMTP), default 30000 */
    size_t max_message;              /* IMAP: longer messages are cut here; default 32 MiB */
    int verbose;                     /* protocol lines on stderr (never a password) */
    const char *label;               /* who is asking (the shop), for errors */
} mail_server;

/* ---- IMAP (src/mail/imap.c) ---- */
typedef struct imap_client imap_client;

/* Connects and logs in. */
int imap_connect(const mail_server *s, imap_client **out, bd_err *err);
/* LOGOUT and close; NULL-safe. */
void imap_disconnect(imap_client *c);
/* The folder named by a URL's path, percent-decoded ("INBOX" when there is none).
 * Caller frees. */
char *imap_url_folder(const char *url);

typedef struct imap_folder {
    uint32_t uidvalidity, uidnext, exists;
} imap_folder;
/* EXAMINE (readonly) or SELECT the folder. */
int imap_select(imap_client *c, const char *folder, int readonly, imap_folder *info, bd_err *err);

/* UID SEARCH with the given criteria (e.g. "UID 5:*"): the UIDs in ascending order.
 * *uids is the caller's (NULL when none). */
int imap_uid_search(imap_client *c, const char *criteria, uint32_t **uids, size_t *n,
                    bd_err *err);

typedef struct imap_message {
    uint32_t uid;
    int64_t internal_date; /* Unix seconds, 0 when the server gave none */
    char *data;            /* the raw message (NUL-terminated for convenience) */
    size_t len;
    size_t full_len;       /* the size the server announced */
    int truncated;         /* len < full_len: longer than max_message */
} imap_message;
void imap_messages_free(imap_message *m, size_t n); /* NULL-safe */
/* UID FETCH of the selected folder: BODY.PEEK[] (peek) or BODY[] (sets \Seen), with
 * UID and INTERNALDATE. The messages come in ascending UID order; a UID the server no
 * longer has (expunged meanwhile) is simply missing. */
int imap_uid_fetch(imap_client *c, const uint32_t *uids, size_t n, int peek, imap_message **out,
                   size_t *n_out, bd_err *err);

/* APPEND data[0..len) to folder with the flags (e.g. "\\Seen"), creating the folder
 * when the server says it does not exist. */
int imap_append(imap_client *c, const char *folder, const char *flags, const char *data,
                size_t len, bd_err *err);

/* Quoted IMAP string of a folder name: modified UTF-7 (RFC 3501 5.1.3) for non-ASCII
 * names. Caller frees. NULL for a name with control characters. */
char *imap_folder_quote(const char *utf8);

/* ---- SMTP (src/mail/smtp.c) ---- */
enum {
    SMTP_SENT = 0,      /* the server accepted the message (250 after the data) */
    SMTP_RETRY = 1,     /* certainly not accepted; try later (4xx, refused, dropped before data) */
    SMTP_REJECTED = 2,  /* refused for good (5xx): err holds the server's answer */
    SMTP_UNCERTAIN = 3, /* the data went out but no answer came: may have been accepted */
};
/* Sends one message (CRLF line ends) from `from` to the recipients. Returns one of the
 * SMTP_* codes; err says why for anything but SMTP_SENT. */
int smtp_send(const mail_server *s, const char *from, const char *const *rcpt, size_t n_rcpt,
              const char *data, size_t len, bd_err *err);

/* ---- composing replies (src/mail/compose.c) ---- */
typedef struct mail_draft {
    const char *from_name;  /* UTF-8 display name, or NULL */
    const char *from;       /* addr-spec */
    const char *to;         /* addr-spec */
    const char *subject;    /* UTF-8; "Re: " is added unless it starts with a reply prefix */
    const char *in_reply_to;           /* Message-ID without brackets, or NULL */
    const char *const *references;     /* without brackets */
    size_t n_references;
    const char *message_id; /* without brackets */
    int64_t date;           /* Unix seconds */
    const char *text;       /* UTF-8 body */
} mail_draft;
/* The whole message: RFC 5322 headers (Subject and display names RFC 2047-encoded when
 * not plain ASCII, lines folded under 78 characters), MIME-Version, Content-Type
 * text/plain; charset=UTF-8 with quoted-printable (mostly Latin text) or base64 (mostly
 * other scripts), CRLF line ends. NULL with err for a draft that cannot be sent (missing
 * address, invalid UTF-8, CR/LF in a header value). *len is set. Caller frees. */
char *mail_compose(const mail_draft *d, size_t *len, bd_err *err);
/* Appends s as RFC 2047 encoded-words (UTF-8, base64) folded for a header whose name
 * takes `used` columns of the first line; plain s when it is printable ASCII. */
void mail_header_words(bd_buf *b, const char *s, size_t used);
/* "Thu, 01 Jan 2026 08:00:00 +0000" (RFC 5322, UTC). */
void mail_date(int64_t t, char out[40]);

#endif
