/* parse_amazon.c — the facts of Amazon's buyer-seller relay mail: the order id, the relay
 * address and the buyer's name inside the relay's display name. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse_internal.h"

/* n digits at s? */
static int digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return 0;
    return 1;
}

char *mail_find_order_id(const char *text)
{
    if (!text) return NULL;
    size_t n = strlen(text);
    for (size_t i = 0; i + 19 <= n; i++) {
        const char *s = text + i;
        if (!digits(s, 3) || s[3] != '-' || !digits(s + 4, 7) || s[11] != '-' || !digits(s + 12, 7))
            continue;
        /* not a piece of a longer number ("9171-1234567-12345678" is something else) */
        if (i > 0 && (isdigit((unsigned char)s[-1]) || s[-1] == '-')) continue;
        if (i + 19 < n &&
            (isdigit((unsigned char)s[19]) || (s[19] == '-' && isdigit((unsigned char)s[20]))))
            continue;
        return bd_strndup(s, 19);
    }
    return NULL;
}

int mail_is_amazon_relay(const char *address)
{
    if (!address) return 0;
    const char *at = strrchr(address, '@');
    if (!at) return 0;
    static const char prefix[] = "marketplace.amazon.";
    if (strncmp(at + 1, prefix, sizeof prefix - 1) != 0) return 0;
    /* the rest is a country's domain: "com", "de", "co.uk", "com.mx" — letters and dots */
    const char *tld = at + sizeof prefix;
    if (!isalpha((unsigned char)*tld)) return 0;
    for (const char *p = tld; *p; p++)
        if (!isalpha((unsigned char)*p) && *p != '.') return 0;
    return tld[strlen(tld) - 1] != '.';
}

/* Case-insensitive search for an ASCII needle. */
static const char *find_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = hay; *p; p++)
        if (strncasecmp(p, needle, n) == 0) return p;
    return NULL;
}

/* Drops separators before s[cut]: spaces, ASCII punctuation, en and em dashes. */
static size_t strip_separators(const char *s, size_t cut)
{
    for (;;) {
        if (cut > 0 && strchr(" -|(/:,", s[cut - 1])) {
            cut--;
        } else if (cut >= 3 && (unsigned char)s[cut - 3] == 0xE2 &&
                   (unsigned char)s[cut - 2] == 0x80 &&
                   ((unsigned char)s[cut - 1] == 0x93 || (unsigned char)s[cut - 1] == 0x94)) {
            cut -= 3;
        } else {
            return cut;
        }
    }
}

char *mail_amazon_buyer_name(const char *display_name)
{
    if (!display_name) return NULL;
    char *s = bd_strdup(display_name);
    /* "Maria Garcia - Amazon Marketplace", "- Amazon.de Marketplace", "(via Amazon)",
     * "Amazon Marketplace" alone: cut at the separator before "Amazon" */
    const char *amz = find_ci(s, "amazon");
    if (amz) {
        size_t cut = strip_separators(s, (size_t)(amz - s));
        /* "via" before Amazon belongs to the suffix too */
        if (cut >= 4 && strncasecmp(s + cut - 3, "via", 3) == 0 &&
            (s[cut - 4] == ' ' || s[cut - 4] == '('))
            cut = strip_separators(s, cut - 3);
        s[cut] = '\0';
    }
    size_t start = strspn(s, " \"'");
    size_t end = strlen(s);
    while (end > start && strchr(" \"'", s[end - 1]))
        end--;
    if (end == start) {
        free(s);
        return NULL;
    }
    char *name = bd_strndup(s + start, end - start);
    free(s);
    return name;
}
