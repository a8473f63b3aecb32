"""texts.py - buyer and seller phrases, names and countries in the 12 languages.

The simulator draws conversation text from here. When the classifier corpus
(tests/data/classify/tune/<lang>.jsonl) is present its bodies are added to the buyer
phrases, so simulated inboxes look like the ones the classifier is tuned on.
"""
import json
import os

LANGS = ["en", "es", "fr", "de", "it", "pt", "ru", "pl", "ja", "ko", "ar", "zh"]

BUYER = {
    "en": ["Hi, where is my order? It has been two weeks.",
           "Does this come in size M?",
           "The item arrived damaged, the box was crushed. What can you do?",
           "Can you ship to Canada and how much would it cost?",
           "I received the wrong colour, I ordered blue."],
    "es": ["Hola, ¿dónde está mi pedido? Ya pasaron dos semanas.",
           "¿Tienen esta talla en M?",
           "El producto llegó roto, la caja estaba aplastada.",
           "¿Hacen envíos a México y cuánto cuesta?",
           "Recibí el color equivocado, pedí azul."],
    "fr": ["Bonjour, où en est ma commande ? Cela fait deux semaines.",
           "Est-ce que vous l'avez en taille M ?",
           "Le colis est arrivé abîmé, l'article est cassé.",
           "Livrez-vous en Belgique et à quel prix ?",
           "J'ai reçu la mauvaise couleur, j'avais commandé du bleu."],
    "de": ["Hallo, wo bleibt meine Bestellung? Es sind schon zwei Wochen.",
           "Gibt es den Artikel auch in Größe M?",
           "Die Ware kam beschädigt an, der Karton war eingedrückt.",
           "Versenden Sie nach Österreich und was kostet das?",
           "Ich habe die falsche Farbe bekommen, bestellt war blau."],
    "it": ["Ciao, dov'è il mio ordine? Sono passate due settimane.",
           "Avete questo articolo nella taglia M?",
           "Il pacco è arrivato danneggiato, l'oggetto è rotto.",
           "Spedite in Svizzera? Quanto costa la spedizione?",
           "Ho ricevuto il colore sbagliato, avevo ordinato il blu."],
    "pt": ["Olá, onde está o meu pedido? Já se passaram duas semanas.",
           "Tem este produto no tamanho M?",
           "O produto chegou danificado, a caixa veio amassada.",
           "Vocês enviam para Portugal? Qual o valor do frete?",
           "Recebi a cor errada, eu pedi azul."],
    "ru": ["Здравствуйте, где мой заказ? Прошло уже две недели.",
           "Есть ли этот товар в размере M?",
           "Товар пришёл повреждённым, коробка была смята.",
           "Вы отправляете в Казахстан? Сколько стоит доставка?",
           "Мне прислали не тот цвет, я заказывал синий."],
    "pl": ["Dzień dobry, gdzie jest moje zamówienie? Minęły już dwa tygodnie.",
           "Czy jest ten produkt w rozmiarze M?",
           "Paczka przyszła uszkodzona, towar jest zniszczony.",
           "Czy wysyłacie do Czech i ile kosztuje wysyłka?",
           "Dostałem zły kolor, zamawiałem niebieski."],
    "ja": ["こんにちは。注文した商品がまだ届きません。いつ届きますか？",
           "この商品のMサイズはありますか？",
           "商品が壊れた状態で届きました。箱も潰れていました。",
           "日本への送料はいくらですか？",
           "注文した色と違う商品が届きました。青を注文しました。"],
    "ko": ["안녕하세요, 주문한 상품이 아직 도착하지 않았어요. 언제 오나요?",
           "이 상품 M 사이즈 있나요?",
           "상품이 파손되어 도착했습니다. 상자가 찌그러져 있었어요.",
           "한국으로 배송되나요? 배송비는 얼마인가요?",
           "다른 색상이 왔어요. 저는 파란색을 주문했어요."],
    "ar": ["مرحبا، أين طلبي؟ مر أسبوعان ولم يصل.",
           "هل يتوفر هذا المنتج بمقاس M؟",
           "وصل المنتج مكسورا والعلبة كانت مهشمة.",
           "هل تشحنون إلى السعودية؟ كم تكلفة الشحن؟",
           "استلمت لونا خاطئا، لقد طلبت اللون الأزرق."],
    "zh": ["你好，我的订单怎么还没到？已经两个星期了。",
           "这个有M码吗？",
           "收到的商品是坏的，箱子都压扁了。",
           "可以寄到台湾吗？运费多少？",
           "颜色发错了，我买的是蓝色。"],
}

SELLER = {
    "en": "Thank you for your message. We are checking this for you and will reply shortly.",
    "es": "Gracias por su mensaje. Lo estamos revisando y le responderemos pronto.",
    "fr": "Merci pour votre message. Nous vérifions et revenons vers vous rapidement.",
    "de": "Vielen Dank für Ihre Nachricht. Wir prüfen das und melden uns in Kürze.",
    "it": "Grazie per il messaggio. Stiamo verificando e le risponderemo a breve.",
    "pt": "Obrigado pela mensagem. Estamos verificando e responderemos em breve.",
    "ru": "Спасибо за сообщение. Мы проверяем и скоро ответим.",
    "pl": "Dziękujemy za wiadomość. Sprawdzamy to i wkrótce odpowiemy.",
    "ja": "お問い合わせありがとうございます。確認して折り返しご連絡いたします。",
    "ko": "문의 감사합니다. 확인 후 곧 답변 드리겠습니다.",
    "ar": "شكرا لرسالتك. نحن نتحقق من الأمر وسنرد عليك قريبا.",
    "zh": "感谢您的留言，我们正在核实，会尽快回复您。",
}

FEEDBACK = {
    "POSITIVE": {"en": "Great seller, fast shipping!", "es": "¡Excelente vendedor, envío rápido!",
                 "fr": "Très bon vendeur, livraison rapide !", "de": "Top Verkäufer, schneller Versand!",
                 "it": "Ottimo venditore, spedizione veloce!", "pt": "Ótimo vendedor, entrega rápida!",
                 "ru": "Отличный продавец, быстрая доставка!", "pl": "Świetny sprzedawca, szybka wysyłka!",
                 "ja": "迅速な対応ありがとうございました。", "ko": "빠른 배송 감사합니다!",
                 "ar": "بائع ممتاز وشحن سريع!", "zh": "卖家很好，发货很快！"},
    "NEUTRAL": {"en": "Item OK but shipping took long.", "es": "Producto bien, pero el envío tardó.",
                "fr": "Article correct mais livraison lente.", "de": "Artikel ok, Versand dauerte lange.",
                "it": "Articolo ok ma spedizione lenta.", "pt": "Produto ok, mas a entrega demorou.",
                "ru": "Товар нормальный, но доставка долгая.", "pl": "Produkt ok, ale wysyłka długo trwała.",
                "ja": "商品は普通ですが配送が遅かったです。", "ko": "상품은 괜찮은데 배송이 느렸어요.",
                "ar": "المنتج جيد لكن الشحن تأخر.", "zh": "东西还行，就是物流太慢。"},
    "NEGATIVE": {"en": "Item broken and seller did not answer.", "es": "Llegó roto y el vendedor no respondió.",
                 "fr": "Article cassé, le vendeur ne répond pas.", "de": "Artikel defekt, Verkäufer antwortet nicht.",
                 "it": "Articolo rotto, il venditore non risponde.", "pt": "Chegou quebrado e o vendedor não respondeu.",
                 "ru": "Товар сломан, продавец не отвечает.", "pl": "Towar uszkodzony, sprzedawca nie odpowiada.",
                 "ja": "商品が壊れていて、返信もありません。", "ko": "상품이 고장났고 판매자가 답이 없어요.",
                 "ar": "المنتج مكسور والبائع لا يرد.", "zh": "东西坏了，卖家也不回复。"},
}

NAMES = {
    "en": ["John Smith", "Emily Clark", "Michael Brown", "Sarah Wilson"],
    "es": ["Lucía García", "Javier Martínez", "Carmen López", "Diego Sánchez"],
    "fr": ["Camille Dubois", "Louis Martin", "Chloé Bernard", "Hugo Petit"],
    "de": ["Lukas Müller", "Anna Schmidt", "Jonas Weber", "Lena Fischer"],
    "it": ["Giulia Rossi", "Marco Bianchi", "Sofia Romano", "Luca Ricci"],
    "pt": ["Ana Souza", "João Silva", "Mariana Costa", "Pedro Santos"],
    "ru": ["Иван Петров", "Анна Смирнова", "Дмитрий Иванов", "Ольга Кузнецова"],
    "pl": ["Jan Kowalski", "Anna Nowak", "Piotr Wiśniewski", "Katarzyna Wójcik"],
    "ja": ["佐藤 健", "鈴木 花子", "高橋 翔", "田中 美咲"],
    "ko": ["김민준", "이서연", "박지훈", "최수아"],
    "ar": ["محمد العتيبي", "فاطمة الزهراني", "أحمد القحطاني", "نورة الشمري"],
    "zh": ["王伟", "李娜", "张敏", "刘洋"],
}

COUNTRY = {"en": ["US", "GB", "AU"], "es": ["ES", "MX"], "fr": ["FR", "BE"], "de": ["DE", "AT"],
           "it": ["IT"], "pt": ["BR", "PT"], "ru": ["RU"], "pl": ["PL"], "ja": ["JP"],
           "ko": ["KR"], "ar": ["SA", "AE"], "zh": ["CN", "TW"]}

PRODUCTS = ["Wireless earbuds", "Phone case", "USB-C charger 65W", "Silk scarf", "Running shoes",
            "LED desk lamp", "Ceramic mug set", "Bluetooth speaker", "Yoga mat", "Leather wallet",
            "Smart watch band", "Power bank 20000mAh", "Linen dress", "Kids backpack"]


def load_corpus(directory):
    """Adds the corpus bodies (one JSON object a line, "body" field) to BUYER."""
    if not directory or not os.path.isdir(directory):
        return 0
    added = 0
    for lang in LANGS:
        path = os.path.join(directory, lang + ".jsonl")
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    body = json.loads(line).get("body")
                except ValueError:
                    continue
                if isinstance(body, str) and body:
                    BUYER[lang].append(body)
                    added += 1
    return added
