/* test_mail_text.c — the text of a mail: HTML to text (mail_html_to_text) and the new part
 * of a reply (mail_strip_quotes): attribution lines in the twelve buyer languages, Outlook
 * blocks, signatures, device lines, text written below the quote, Amazon's relay frame. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "borderdesk/mail.h"

static void html_is(const char *html, const char *want)
{
    char *t = mail_html_to_text(html);
    if (strcmp(t, want) != 0) fail_msg("html %s\n got  \"%s\"\n want \"%s\"", html, t, want);
    free(t);
}

static void test_html(void **state)
{
    (void)state;
    html_is("<p>Hello</p><p>World</p>", "Hello\n\nWorld");
    html_is("a<br>b<BR/>c", "a\nb\nc");
    html_is("<html><head><title>T</title><style>p{color:red}</style></head>"
            "<body><script>alert('<p>x</p>')</script>Text</body></html>",
            "Text");
    html_is("  lots   of\n\n  space\t here ", "lots of space here");
    html_is("<ul><li>one</li><li>two</li></ul><ol><li>first<li>second</ol>",
            "- one\n- two\n1. first\n2. second");
    html_is("&lt;b&gt; &amp;amp; &quot;q&quot; &euro;5 &eacute;t&eacute; &#233;&#xE9; &#x1F600; "
            "&hellip;",
            "<b> &amp; \"q\" €5 été éé 😀 …");
    html_is("bad &#0; &#xD800; &#99999999; &#x110000; &#150; ok",
            "bad \xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD ok");
    html_is("AT&T &unknown; & alone &amp", "AT&T &unknown; & alone &");
    html_is("<table><tr><td>Item</td><td>Qty</td></tr><tr><td>Mug</td><td>2</td></tr></table>",
            "Item\tQty\nMug\t2");
    html_is("<div>new</div><blockquote type=\"cite\">old<br>older</blockquote>",
            "new\n> old\n> older");
    html_is("<pre>a  b\n  c</pre>", "a  b\n  c");
    html_is("<!-- hidden <p>x</p> -->shown<!-- unclosed", "shown");
    html_is("1 < 2 and 3 > 2 <3", "1 < 2 and 3 > 2 <3");
    html_is("<a href=\"x>y\" title='a>b'>link</a> <img src=x alt=\"pic\">", "link");
    html_is("<p>unclosed <b>tag", "unclosed tag");
    html_is("<div", "<div");
    html_is("", "");
    html_is("你好&nbsp;&nbsp;世界<br>こんにちは", "你好  世界\nこんにちは");
    char *t = mail_html_to_text(NULL);
    assert_string_equal(t, "");
    free(t);
}

static void strip_is(const char *text, const char *want)
{
    char *t = mail_strip_quotes(text);
    if (strcmp(t, want) != 0) fail_msg("strip \"%s\"\n got  \"%s\"\n want \"%s\"", text, t, want);
    free(t);
}

/* "<new text>\n\n<attribution>\n> quoted" for each language: only the new text stays. */
static void test_attributions(void **state)
{
    (void)state;
    static const char *const attributions[] = {
        "On Mon, Nov 2, 2026 at 10:00 AM Shop <shop@example.com> wrote:",
        "El lun, 2 nov 2026 a las 10:00, Tienda (<shop@example.com>) escribió:",
        "Le lun. 2 nov. 2026 à 10:00, Boutique <shop@example.com> a écrit :",
        "Am Mo., 2. Nov. 2026 um 10:00 Uhr schrieb Shop <shop@example.com>:",
        "Il giorno lun 2 nov 2026 alle ore 10:00 Negozio <shop@example.com> ha scritto:",
        "Em seg., 2 de nov. de 2026 às 10:00, Loja <shop@example.com> escreveu:",
        "2 нояб. 2026 г., в 10:00, Магазин <shop@example.com> пишет:",
        "Понедельник, 2 ноября 2026, 10:00 +03:00 от Магазин <shop@example.com>: написал(а):",
        "W dniu 2.11.2026 o 10:00, Sklep <shop@example.com> napisał:",
        "2026年11月2日(月) 10:00 Shop <shop@example.com>のメッセージ:",
        "2026/11/02 10:00、Shop <shop@example.com> が書きました：",
        "2026년 11월 2일 (월) 오전 10:00, Shop <shop@example.com>님이 작성:",
        "في الاثنين، 2 نوفمبر 2026 10:00 ص كتب Shop <shop@example.com>:",
        "Shop <shop@example.com> 于2026年11月2日周一 10:00写道：",
        "Shop wrote:",
        "On Mon, Nov 2, 2026 at 10:00 AM Shop <\nshop@example.com> wrote:", /* wrapped */
    };
    for (size_t i = 0; i < sizeof attributions / sizeof attributions[0]; i++) {
        char *text =
            bd_asprintf("Thanks, it arrived.\nBest\n\n%s\n> Your parcel was shipped.\n> Shop\n",
                        attributions[i]);
        strip_is(text, "Thanks, it arrived.\nBest");
        free(text);
    }
}

static void test_blocks_signatures_devices(void **state)
{
    (void)state;
    strip_is("Please refund.\n\n-----Original Message-----\nFrom: Shop\nSent: Monday\nold text",
             "Please refund.");
    strip_is("Bitte erstatten.\n\n-----Ursprüngliche Nachricht-----\nVon: Shop\nold",
             "Bitte erstatten.");
    strip_is("Proszę o zwrot.\n\nFrom: Shop <s@example.com>\nSent: Monday, November 2, 2026\n"
             "To: Jan\nSubject: Re: order\n\nold",
             "Proszę o zwrot.");
    strip_is("Merci\n________________________________\nDe : Boutique\nEnvoyé : lundi\nold",
             "Merci");
    strip_is("请尽快发货\n\n------------------ 原始邮件 ------------------\n发件人: 店铺\nold",
             "请尽快发货");
    strip_is("Where is it?\n-- \nJohn Smith\n+1 555 0100", "Where is it?");
    strip_is("Where is it?\n\nSent from my iPhone", "Where is it?");
    strip_is("¿Dónde está?\n\nEnviado desde mi Samsung", "¿Dónde está?");
    strip_is("Wo ist es?\n\nVon meinem iPhone gesendet", "Wo ist es?");
    strip_is("届いていません\n\niPhoneから送信", "届いていません");
    strip_is("还没收到\n\n发自我的iPhone", "还没收到");
    /* "--" inside the text is not a signature, nor is a sentence starting "On " */
    strip_is("Size 40 -- too small.\nOn Monday I sent it back.",
             "Size 40 -- too small.\nOn Monday I sent it back.");
    /* interleaved quotes lose the quoted lines only */
    strip_is("> Did it arrive?\nNo.\n> Which colour?\nRed.", "No.\nRed.");
    /* written below the quote */
    strip_is("On Mon, Nov 2, 2026 at 10:00 Shop <s@example.com> wrote:\n> shipped\n\nNot received "
             "yet.\n-- \nAna",
             "Not received yet.");
    strip_is("", "");
    char *t = mail_strip_quotes(NULL);
    assert_string_equal(t, "");
    free(t);
    strip_is("> only\n> quotes", "");
}

static void test_amazon_frame(void **state)
{
    (void)state;
    /* the relay's shape: a header block, the buyer's text between marker lines, a footer;
     * labels in the marketplace's language */
    strip_is("Order ID: 028-1234567-1234567\nItem: Mug\n\n------------- Message: -------------\n\n"
             "Hello, the handle is broken.\n\nThanks\n\n------------- End message -------------\n\n"
             "For Your Information: footer text\nwith two lines",
             "Hello, the handle is broken.\n\nThanks");
    strip_is("------------- Nachricht: -------------\nDer Griff ist kaputt.\n"
             "------------- Ende der Nachricht -------------\nFußzeile",
             "Der Griff ist kaputt.");
    strip_is("------------- メッセージ： -------------\n取っ手が壊れています。\n"
             "------------- メッセージの終わり -------------\n",
             "取っ手が壊れています。");
    /* no closing marker: everything after the opening one */
    strip_is("----- Mensaje: -----\n¿Dónde está?\n\nEnviado desde mi iPhone", "¿Dónde está?");
    /* dashes without a label are no frame */
    strip_is("---------- ---------- \ntext", "---------- ----------\ntext");
    /* the frame by its shape, whatever its words: "Begin message" style markers, an end
     * marker and a footer in the marketplace's language */
    strip_is("Bestellnummer: 302-4418873-9902415\n\n------------- Beginn der Nachricht "
             "-------------\n\nGuten Tag,\nwo ist mein Paket?\n\n------------- Ende der Nachricht "
             "-------------\n\nZu Ihrer Information: Amazon bewahrt die Nachrichten auf.\nHaben "
             "Sie diese E-Mail irrtümlich erhalten?",
             "Guten Tag,\nwo ist mein Paket?");
    strip_is("注文番号：250-1234567-1234567\n\n----- メッセージ開始 -----\n届いていません。\n"
             "----- メッセージ終了 -----\nご参考：Amazonはメッセージを保管します。",
             "届いていません。");
    strip_is("رقم الطلب: 402-1234567-1234567\n\n------------- بداية الرسالة -------------\n"
             "وصل الطلب مكسوراً.\n\nأُرسلت من الـ iPhone الخاص بي\n------------- نهاية الرسالة "
             "-------------\nللعلم: تحتفظ أمازون بالرسائل.",
             "وصل الطلب مكسوراً.");
    /* an Outlook or Foxmail quote marker is no frame, and a lone marker without a colon
     * frames nothing */
    strip_is("请尽快发货\n------------------ 原始邮件 ------------------\n发件人: 店铺\n"
             "---------- 其他 ----------\nold",
             "请尽快发货");
    strip_is("----- Notes -----\nThe mug is broken.", "----- Notes -----\nThe mug is broken.");
    /* a buyer's own dashed lines below several lines of text are not a relay head */
    strip_is("Hello,\nline 2\nline 3\nline 4\nline 5\nline 6\nline 7\n----- a -----\nlist\n"
             "----- b -----\nmore",
             "Hello,\nline 2\nline 3\nline 4\nline 5\nline 6\nline 7\n----- a -----\nlist\n"
             "----- b -----\nmore");
}

/* Attributions and phone lines the tables do not name, recognised by their shape. */
static void test_shapes(void **state)
{
    (void)state;
    /* a date-ish line with a name and address ending in a colon, above the quote; also
     * wrapped over two lines */
    strip_is("届いていません。\n\n2026年11月3日(月) 9:14 Brightleaf JP <shop@example.jp>:\n> "
             "発送済みです",
             "届いていません。");
    strip_is(
        "Ok.\n\nDnia 3.11.2026 o 09:14 Sklep <shop@example.pl>\nnapisał(a) tak:\n> stary tekst",
        "Ok.");
    strip_is(
        "Still waiting.\nI paid on 3.11.2026 via card\nOn Mon Shop <s@example.com>\nwrote:\n> old",
        "Still waiting.\nI paid on 3.11.2026 via card");
    /* a colon line that no quote follows is the buyer's */
    strip_is("Details:\n- size 40\n- red", "Details:\n- size 40\n- red");
    /* phone lines in any words, when they end the text */
    strip_is("택배가 아직 안 왔어요.\n\nGalaxy에서 보냄", "택배가 아직 안 왔어요.");
    strip_is("وصل الطلب.\n\nأُرسلت من الـ iPhone الخاص بي\n-- \nفاطمة", "وصل الطلب.");
    strip_is("Paket fehlt.\n\nVon meinem Samsung Galaxy Smartphone gesendet", "Paket fehlt.");
    strip_is("Where is it?\n\nSent from my Huawei phone\n\nOn Mon, 2 Nov 2026 Shop <s@x.com> "
             "wrote:\n> old",
             "Where is it?");
    /* ... and not when the buyer goes on: a sentence about a phone stays */
    strip_is("The iPhone case was sent broken.\nPlease replace it.",
             "The iPhone case was sent broken.\nPlease replace it.");
    strip_is("My iPhone charger, present\nfrom my wife",
             "My iPhone charger, present\nfrom my wife");
    strip_is("Hello,\n\nThe iPhone case was sent broken",
             "Hello,\n\nThe iPhone case was sent broken");
    /* a buyer's paragraph that starts with the phone's name is text, not a device line */
    strip_is("Where is my order?\n\nSamsung Galaxy S23 case, ordered 3 weeks ago\nThanks",
             "Where is my order?\n\nSamsung Galaxy S23 case, ordered 3 weeks ago\nThanks");
    strip_is("배송 언제 와요?\n\nSamsung Galaxy 스마트폰에서 보냈습니다", "배송 언제 와요?");
    strip_is("Hello,\n\nmy Galaxy was sent without a charger.",
             "Hello,\n\nmy Galaxy was sent without a charger.");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_html),
        cmocka_unit_test(test_attributions),
        cmocka_unit_test(test_blocks_signatures_devices),
        cmocka_unit_test(test_amazon_frame),
        cmocka_unit_test(test_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
