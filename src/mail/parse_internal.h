/* parse_internal.h — what the files of mail parsing (parse*.c, charset*.c, html.c, quote.c)
 * share and nothing outside src/mail needs. The public contract is borderdesk/mail.h. */
#ifndef BORDERDESK_MAIL_PARSE_INTERNAL_H
#define BORDERDESK_MAIL_PARSE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "borderdesk/mail.h"

/* ---- charset.c ---- */

/* The canonical (lowercase, IANA-style) name of a declared charset label, "utf-8" for
 * "UTF8", "euc-kr" for "ks_c_5601-1987"...; NULL when the label means "unknown"
 * ("x-unknown", "unknown-8bit", empty) or iconv cannot decode it. The result is static or
 * owned by an internal table; do not free. */
const char *mail_charset_canonical(const char *label);

/* 1 when a declared label promises nothing ("x-unknown", "unknown-8bit", empty, NULL):
 * the same as no declaration. A label that names no charset ("x-foo") is not one. */
int mail_charset_means_unknown(const char *label);

/* Decodes bytes strictly from charset (a canonical name): returns a bd_ UTF-8 string, or
 * NULL when a byte sequence is invalid in it. */
char *mail_charset_decode_strict(const char *bytes, size_t n, const char *charset);

/* Decodes bytes from charset, replacing each invalid sequence with U+FFFD. */
char *mail_charset_decode_lossy(const char *bytes, size_t n, const char *charset);

/* Detects the charset of bytes (no declaration): returns a canonical static name. Exposed
 * separately so the tests can measure detection accuracy. */
const char *mail_charset_detect(const char *bytes, size_t n);

/* uchardet's own answer, mapped to a canonical name (NULL when it has none), for the
 * accuracy comparison in the tests. */
const char *mail_charset_uchardet(const char *bytes, size_t n);

/* ---- charset_score.c ---- */

/* How plausible a UTF-8 text is as human writing: positive for common letters of the
 * languages buyers write in, negative for mojibake signs (C1 controls, case flips inside
 * words, script mixing, U+FFFD). Comparable between decodings of the same bytes. */
double mail_text_plausibility(const char *utf8);

/* ---- parse_header.c ---- */

/* Decodes an unfolded header value: RFC 2047 encoded-words (B and Q, adjacent words of one
 * charset joined before conversion so split multibyte characters survive), raw 8-bit text
 * detected. Wrong encoded-word charsets are detected like body text. Returns a bd_ string
 * (valid UTF-8, never NULL). *bad is set to 1 when an encoded-word was malformed. */
char *mail_header_decode(const char *raw, int *bad);

/* Unfolds a raw header value (CRLF + whitespace → one space) and trims it. bd_ string. */
char *mail_header_unfold(const char *raw);

/* Parses an address list ("A <a@x>, \"B, C\" <b@y>, c@z (Comment)"). Tolerant: a part
 * without '@' still gives a name. Returns the count; *out is a bd_ array (or NULL). */
size_t mail_address_list(const char *raw, mail_address **out);

/* Message ids from In-Reply-To / References ("<a@b> <c@d>"), without angle brackets. */
size_t mail_msgid_list(const char *raw, char ***out);

/* ---- parse_amazon.c ---- */

/* The first Amazon order id (ddd-ddddddd-ddddddd, not inside a longer digit run) in text,
 * as a bd_ string, or NULL. */
char *mail_find_order_id(const char *text);

/* 1 when address is an Amazon buyer-seller relay (…@marketplace.amazon.<tld>). */
int mail_is_amazon_relay(const char *address);

/* The buyer's name from an Amazon relay display name: drops " - Amazon Marketplace" and
 * its localized forms ("- Amazon.de Marketplace", "(Amazon Marketplace)"...). Returns a
 * bd_ string or NULL when nothing is left. */
char *mail_amazon_buyer_name(const char *display_name);

/* ---- flowed.c ---- */

/* Undoes format=flowed (RFC 3676) in UTF-8 text with "\n" line ends: soft-broken lines
 * joined (their trailing space deleted when delsp), space-stuffing removed, quoted lines
 * written as ">" × depth + " " + text. Returns a bd_ string. */
char *mail_flowed_decode(const char *text, int delsp);

/* ---- quote.c ---- */

/* The buyer's text between the relay's marker lines, or NULL when text has no such
 * structure. relay: the message came from an Amazon relay address, so any dashed marker
 * pair is its frame; else only a frame whose opening label ends with a colon. bd_ string. */
char *mail_amazon_extract(const char *text, int relay);

/* mail_strip_quotes for a parsed message: amazon_relay as for mail_amazon_extract.
 * mail_strip_quotes(text) is mail_new_text(text, 1). bd_ string. */
char *mail_new_text(const char *text, int amazon_relay);

#endif
