#!/usr/bin/python3
"""A handful of buyer mails for the mail channel tests, written to DIR as NN-name.eml,
with DIR/expected.json describing what each must become (order id, language, a piece of
its text, the buyer, whether it is malformed). The bytes are built by hand where the
charset or the damage matters, so they are exactly what a buyer's mail program sends.

usage: mail_fixtures.py DIR            the handful of hand-made mails
       mail_fixtures.py DIR --bulk N   N mails for the crash test: Amazon relay mails with
                                       orders, plain-mail threads whose replies name their
                                       parent by In-Reply-To only (often a page earlier),
                                       mails without Message-ID, and malformed ones
"""
import base64
import json
import os
import quopri
import sys

SHOP = "support@example-shop.com"
DATE = "Mon, 05 Jan 2026 %02d:%02d:00 +0100"


def headers(frm, subject, msgid, n, extra=()):
    h = ["From: " + frm, "To: " + SHOP, "Subject: " + subject, "Date: " + DATE % (8 + n // 60, n % 60)]
    if msgid:
        h.append("Message-ID: <%s>" % msgid)
    h += list(extra)
    h.append("MIME-Version: 1.0")
    return h


def b_word(text, charset="UTF-8"):
    return "=?%s?B?%s?=" % (charset, base64.b64encode(text.encode(charset)).decode())


def text_mail(hdrs, body, charset, cte):
    data = body.encode(charset)
    if cte == "base64":
        payload = base64.encodebytes(data)
    elif cte == "quoted-printable":
        payload = quopri.encodestring(data)
    else:
        payload = data
    head = hdrs + ["Content-Type: text/plain; charset=%s" % charset, "Content-Transfer-Encoding: " + cte]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + payload.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def amazon_body(text, lang):
    start = {"es": "------------- Mensaje: -------------", "de": "------------- Nachricht: -------------",
             "ja": "------------- メッセージ: -------------", "fr": "------------- Message : -------------",
             "en": "------------- Message: -------------"}[lang]
    end = {"es": "------------- Fin del mensaje -------------", "de": "------------- Ende der Nachricht -------------",
           "ja": "------------- メッセージの終わり -------------", "fr": "------------- Fin du message -------------",
           "en": "------------- End message -------------"}[lang]
    return "%s\n\n%s\n\n%s\n\nPara responder, responda a este correo.\n" % (start, text, end)


BULK_TEXTS = [
    ("es", "Hola, mi pedido todavía no ha llegado y el seguimiento no se mueve desde hace días. ¿Pueden ayudarme?"),
    ("de", "Guten Tag, der Artikel ist beschädigt angekommen. Bitte senden Sie mir einen Ersatz oder erstatten Sie den Betrag."),
    ("fr", "Bonjour, je n'ai toujours pas reçu ma commande. Pouvez-vous me donner le numéro de suivi, s'il vous plaît ?"),
    ("it", "Buongiorno, il pacco è arrivato danneggiato e la scatola era aperta. Vorrei un rimborso, grazie."),
    ("ru", "Здравствуйте! Посылка до сих пор не пришла, трек-номер не обновляется уже неделю. Что случилось?"),
    ("ja", "こんにちは。注文した商品がまだ届いていません。配送状況を確認していただけますか。よろしくお願いします。"),
    ("pl", "Dzień dobry, zamówienie nadal nie dotarło, a numer śledzenia nie działa. Proszę o pomoc."),
    ("en", "Hello, the parcel arrived today but the item inside is the wrong size. How can I exchange it?"),
]
MARKETS = {"es": "es", "de": "de", "fr": "fr", "it": "it", "ru": "com", "ja": "co.jp", "pl": "pl", "en": "co.uk"}


def bulk(out, n):
    """Deterministic: the same N always gives the same bytes."""
    os.makedirs(out, exist_ok=True)
    plain_ids = []
    for k in range(n):
        lang, text = BULK_TEXTS[k % len(BULK_TEXTS)]
        charset = "ISO-2022-JP" if lang == "ja" else "KOI8-R" if lang == "ru" and k % 3 == 0 else "UTF-8"
        cte = "base64" if k % 4 == 1 else "quoted-printable" if charset != "ISO-2022-JP" else "7bit"
        kind = k % 10
        extra = []
        if kind in (0, 1, 2, 3):      # Amazon relay mail with an order
            order = "%03d-%07d-%07d" % (100 + k % 800, 5550000 + k, 2000000 + k)
            frm = "Buyer %d - Amazon Marketplace <relay%04d@marketplace.amazon.%s>" % (k % 37, k % 37, MARKETS[lang])
            subject = b_word("Order %s: %s" % (order, text[:30]))
            msgid = "bulk-%d@relay.amazon.%s" % (k, MARKETS[lang])
        elif kind == 9 and k % 20 == 19:  # malformed: a multipart that never closes
            data = ("\r\n".join(headers("Plain Buyer <plain%d@example.org>" % k, "Broken %d" % k, "bulk-%d@example.org" % k, k % 600)
                                 + ['Content-Type: multipart/mixed; boundary="B%d"' % k, "", "--B%d" % k,
                                    "Content-Type: text/plain; charset=UTF-8", "", text + " (%d)" % k])).encode()
            with open(os.path.join(out, "%05d.eml" % k), "wb") as f:
                f.write(data)
            continue
        else:                          # plain e-mail, often answering an earlier mail
            frm = "Plain Buyer <plain%d@example.org>" % (k % 23)
            subject = b_word("%s (%d)" % (text[:24], k))
            msgid = None if kind == 8 else "bulk-%d@example.org" % k
            if plain_ids and kind in (5, 6, 7):
                extra.append("In-Reply-To: <%s>" % plain_ids[(k * 7) % len(plain_ids)])
            if msgid:
                plain_ids.append(msgid)
        body = "%s\n\n(%d)\n" % (text, k)
        data = text_mail(headers(frm, subject, msgid, k % 600, extra), body, charset, cte)
        with open(os.path.join(out, "%05d.eml" % k), "wb") as f:
            f.write(data)


def main():
    out = sys.argv[1]
    if len(sys.argv) == 4 and sys.argv[2] == "--bulk":
        bulk(out, int(sys.argv[3]))
        return
    os.makedirs(out, exist_ok=True)
    mails, expected = [], []

    def add(name, data, **exp):
        fn = "%02d-%s.eml" % (len(mails) + 1, name)
        mails.append((fn, data))
        exp["file"] = fn
        expected.append(exp)

    es = ("Hola, hice el pedido hace tres semanas y todavía no ha llegado. ¿Dónde está mi pedido? "
          "El número de seguimiento no muestra ningún movimiento desde hace diez días. Gracias.")
    add("amazon-es-latin1-qp",
        text_mail(headers('"Lucía Fernández - Amazon Marketplace" <8k2lq9x3m7@marketplace.amazon.es>',
                          b_word("Consulta del cliente sobre el pedido 171-5550001-1000001", "ISO-8859-1"),
                          "es-1@relay.amazon.es", 1),
                  amazon_body(es, "es"), "ISO-8859-1", "quoted-printable"),
        order_id="171-5550001-1000001", lang="es", buyer="8k2lq9x3m7@marketplace.amazon.es",
        buyer_name="Lucía Fernández", contains="todavía no ha llegado", malformed=False)

    de = ("Guten Tag, die Kaffeemaschine ist heute beschädigt angekommen, das Gehäuse ist gebrochen "
          "und der Wassertank läuft aus. Ich möchte bitte einen Ersatz oder eine Rückerstattung. "
          "Mit freundlichen Grüßen")
    add("amazon-de-utf8-b64",
        text_mail(headers('=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller_-_Amazon_Marketplace?= <q7w3e9r1t5@marketplace.amazon.de>',
                          b_word("Artikel beschädigt – Bestellung 302-5550002-1000002"), "de-1@relay.amazon.de", 2),
                  amazon_body(de, "de"), "UTF-8", "base64"),
        order_id="302-5550002-1000002", lang="de", buyer="q7w3e9r1t5@marketplace.amazon.de",
        buyer_name="Jürgen Müller", contains="beschädigt angekommen", malformed=False)

    ja = ("こんにちは。先週注文した商品がまだ届いていません。追跡番号を確認しましたが、配送状況が更新されていません。"
          "いつ届くか教えていただけますか。よろしくお願いいたします。")
    add("amazon-ja-iso2022jp",
        text_mail(headers('=?ISO-2022-JP?B?%s?= <z1x2c3v4b5@marketplace.amazon.co.jp>'
                          % base64.b64encode("佐藤 花子 - Amazon Marketplace".encode("iso-2022-jp")).decode(),
                          b_word("注文番号 503-5550003-1000003 について", "ISO-2022-JP"), "ja-1@relay.amazon.co.jp", 3),
                  amazon_body(ja, "ja"), "ISO-2022-JP", "7bit"),
        order_id="503-5550003-1000003", lang="ja", buyer="z1x2c3v4b5@marketplace.amazon.co.jp",
        buyer_name="佐藤 花子", contains="まだ届いていません", malformed=False)

    ru = ("Здравствуйте! Я получил посылку, но размер куртки не подходит, она слишком маленькая. "
          "Можно ли обменять её на размер побольше или вернуть деньги? Спасибо.")
    add("plain-ru-koi8r",
        text_mail(headers("=?KOI8-R?B?%s?= <ivan.petrov@example.ru>" % base64.b64encode("Иван Петров".encode("koi8-r")).decode(),
                          b_word("Обмен размера", "KOI8-R"), "ru-1@example.ru", 4),
                  ru, "KOI8-R", "8bit"),
        order_id=None, lang="ru", buyer="ivan.petrov@example.ru", buyer_name="Иван Петров",
        contains="размер куртки не подходит", malformed=False)

    fr1 = ("Bonjour, je voudrais savoir si cette lampe est compatible avec les ampoules de 220 volts "
           "utilisées en France, et combien coûte la livraison vers Lyon. Merci beaucoup.")
    add("plain-fr-first",
        text_mail(headers('"Élodie Martin" <elodie.martin@example.fr>', "Question sur la lampe", "fr-1@example.fr", 5),
                  fr1, "UTF-8", "quoted-printable"),
        order_id=None, lang="fr", buyer="elodie.martin@example.fr", buyer_name="Élodie Martin",
        contains="compatible avec les ampoules", malformed=False, thread="fr")

    fr2 = ("Bonjour, je n'ai pas encore reçu de réponse à ma question sur la lampe. Pouvez-vous "
           "me dire aussi si la garantie est valable en France ? Merci d'avance.\n\n"
           "Le lundi 5 janvier 2026, Élodie Martin <elodie.martin@example.fr> a écrit :\n"
           "> Bonjour, je voudrais savoir si cette lampe est compatible\n")
    add("plain-fr-followup",
        text_mail(headers('"Élodie Martin" <elodie.martin@example.fr>', "Re: Question sur la lampe", "fr-2@example.fr", 6,
                          ["In-Reply-To: <fr-1@example.fr>", "References: <fr-1@example.fr>"]),
                  fr2, "UTF-8", "8bit"),
        order_id=None, lang="fr", buyer="elodie.martin@example.fr", buyer_name="Élodie Martin",
        contains="la garantie est valable", not_contains="je voudrais savoir", malformed=False, thread="fr")

    en = ("Hello, I ordered two phone cases last week but only one arrived in the parcel. "
          "Could you please send the missing one or refund it? Thank you.")
    add("no-message-id",
        text_mail(headers('"Tom Baker" <tom.baker@example.co.uk>', "Missing item", None, 7), en, "us-ascii", "7bit"),
        order_id=None, lang="en", buyer="tom.baker@example.co.uk", buyer_name="Tom Baker",
        contains="only one arrived", malformed=False)

    # malformed: a multipart whose closing boundary never comes and whose base64 is broken
    broken = ("\r\n".join(headers('"Anna Kowalska" <anna.k@example.pl>', "Zamówienie 404-5550004-1000004",
                                  "pl-1@example.pl", 8)
                          + ['Content-Type: multipart/mixed; boundary="XYZ"', "", "--XYZ",
                             "Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: 8bit", "",
                             "Dzień dobry, paczka z zamówieniem 404-5550004-1000004 dotarła uszkodzona, "
                             "proszę o zwrot pieniędzy.", "--XYZ",
                             'Content-Type: image/jpeg; name="zdjecie.jpg"', "Content-Transfer-Encoding: base64", "",
                             "/9j/4AAQSkZJRgABAQ!!!not base64@@@"])).encode()
    add("malformed-multipart", broken, order_id="404-5550004-1000004", lang="pl", buyer="anna.k@example.pl",
        buyer_name="Anna Kowalska", contains="dotarła uszkodzona", malformed=True)

    # no NUL, CR or LF: an IMAP server may normalise them (Dovecot serves NUL as 0x80, bare
    # line ends as CRLF), and the test compares the stored source byte for byte
    garbage = bytes(b for b in ((i * 37 + 11) % 256 for i in range(640)) if b not in (0, 10, 13))
    add("binary-garbage", garbage, order_id=None, lang=None, buyer=None, buyer_name=None, contains=None,
        malformed=True)

    for fn, data in mails:
        with open(os.path.join(out, fn), "wb") as f:
            f.write(data)
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
