/*
 * lang.c — language detection for short buyer messages.
 *
 * Script first: Hangul → ko; kana → ja; Han without kana → zh; Arabic → ar; Cyrillic → ru
 * (ideographs and syllables count three times a Latin letter: a word is one or two of
 * them). Latin text is one of en es fr de it pt pl, decided by:
 *   - common words: the function words of each language and the words buyers use (order,
 *     parcel, refund ...), written normalised (lower case, no accents); a word known in k
 *     languages gives each of them 1/k;
 *   - letters only some of them use (ñ ¿ → es, ã õ → pt, ß ä ö ü → de, ą ę ł ś ż → pl,
 *     ì ò → it, î û œ → fr ...), counted by the normaliser before it strips accents;
 *   - a few word endings (-cion es, -cao pt, -zione it, -ung de) and letter pairs (sz cz pl).
 * The tune corpus measures it (tests/unit/test_classify_lang.c prints the accuracy next to
 * libexttextcat's on the same texts).
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { L_EN = 0, L_ES = 1, L_FR = 2, L_DE = 3, L_IT = 4, L_PT = 5, L_RU = 6, L_PL = 7,
       L_JA = 8, L_KO = 9, L_AR = 10, L_ZH = 11 };

static const struct {
    int lang;
    const char *words;
} word_lists[] = {
    {L_EN, "the and is are was were i you my your it its this that these to of for with have "
           "has had not no please pls plz thanks thank thx ty hello hi hey dear order ordered "
           "orders package parcel item items received receive got get still when where what why "
           "how can could would will did does do don dont doesn didn didnt isn wasn haven won "
           "cant wont im ive just today yesterday week weeks days day money back refund return "
           "send sent shipping shipped delivery delivered tracking number seller buy bought want "
           "need know size color colour box broken wrong missing arrived arrive yet already but "
           "or if so all any some there here they them we our me be been an at on from about "
           "after before again also very good great nice bad same other one only now then than "
           "because which who should must let right like look check ask asked answer reply "
           "message messages email account invoice price cost pay paid card customs fee fees "
           "duty stuck lost never nothing anything something waiting wait long ever month "
           "months friend sir madam regards kind best hope well love perfect works work doesnt "
           "into out up by as may might much many more most thing things does gonna wanna "
           "kindly fast quick slow cheap discount available stock sample quality product "
           "shop store help issue problem replacement new old someone anyone everything said "
           "says say told tell ship package already write wrote sorry happy sad angry still"},
    {L_ES, "el la los las de del que y en un una unos unas es no por para con mi mis me se lo "
           "le les su sus al como pero mas muy ya hola gracias buenas buenos dias tardes noches "
           "pedido pedidos paquete producto productos envio compra compre recibi recibido "
           "llegado llego llega todavia aun cuando donde porque esta estoy estan tengo tiene "
           "quiero puedo puede pueden hace hay nada semana semanas dinero reembolso devolucion "
           "devolver talla color roto rota tambien favor ayuda cuanto cuanta precio pagar "
           "tarjeta cuenta saludos senor senora esto este eso esa usted ustedes han he ha son "
           "fue hasta desde sin sobre entre otro otra mismo bien mal vez seguimiento numero "
           "aduana vendedor articulo llegar enviar envian mandar ahora hoy ayer entonces solo "
           "tiempo estado necesito quisiera podrian podria tienen hacer nunca algo alguien "
           "mucho poco dos tres mes meses che vos sos compras queria gustaria perdon pague "
           "caja cambio cambiar direccion correo factura cobro cobraron estafa"},
    {L_FR, "le la les de des du et est un une je j ai vous nous il elle ce cette ces pas ne n "
           "que qui pour avec sur dans par mon ma mes votre vos bonjour merci bonsoir commande "
           "commandes colis produit article livraison recu toujours encore quand ou pourquoi "
           "comment combien mais tres deja aucun aucune rien semaine semaines jours "
           "remboursement rembourser retour taille couleur casse abime suivi numero vendeur "
           "avez avoir etre suis sont fait faire peux pouvez voudrais veux c d l qu s au aux "
           "cela ca oui non si bien plus moins tout tous depuis apres avant aussi donc alors "
           "madame monsieur cordialement svp stp payer prix frais douane carte m t on y "
           "mois jamais quelqu quelque chose ete etait votre notre nos leur leurs vais va "
           "reponse repondre message envoye envoyer attends attendre adresse facture lui "
           "chez comme meme tres bonne bon arrive arrivee livre"},
    {L_DE, "der die das den dem des und ist ich sie wir ein eine einen einem einer nicht kein "
           "keine mit fur auf von zu bei aus nach noch schon aber oder wenn wann wo warum wie "
           "was mein meine meinen meiner ihr ihre ihnen bitte danke hallo guten tag sehr "
           "geehrte geehrter bestellung bestellt paket sendung artikel ware lieferung geliefert "
           "erhalten bekommen angekommen immer nichts woche wochen tage tagen geld zuruck "
           "erstattung ruckerstattung ruckgabe umtausch grosse farbe kaputt defekt falsch "
           "falsche sendungsnummer verfolgung zoll haben habe hat sind bin war wurde wird kann "
           "konnen konnten mochte muss mussen soll gibt es auch nur jetzt heute gestern dass "
           "weil um uber grusse mfg lg vg freundlichen grussen leider vielen dank rechnung "
           "kunde verkaufer preis zahlen bezahlt versand versandkosten nie mehr man mir mich "
           "dir sich ob doch mal ja nein gut schlecht hier dort seit bis zum zur im am ins vom "
           "bekomme geht ging gemacht bestellnummer nachricht antwort adresse liebe lieber"},
    {L_IT, "il lo la gli le i di del della dei delle e che non un una uno per con su da in mi "
           "ti si ci ho ha hanno sono sei mio mia miei vostro vostra ciao salve buongiorno "
           "buonasera grazie ordine ordini pacco spedizione prodotto articolo ricevuto arrivato "
           "arrivata ancora quando dove perche come quanto ma molto gia niente nulla settimana "
           "settimane giorni soldi rimborso reso restituire taglia colore rotto rotta "
           "tracciamento numero venditore essere avere posso potete puoi vorrei voglio devo "
           "questo questa quello sto stato fatto anche solo oggi ieri adesso ora cortesemente "
           "cordiali saluti dogana pagare prezzo costo spese carta nel nella sul sulla al alla "
           "dal dalla allo agli alle mai qualcosa qualcuno mese mesi piu meno tutto tutti "
           "sempre ancora gentile risposta messaggio indirizzo fattura arrivo consegna "
           "consegnato spedito mandato preso comprato"},
    {L_PT, "o a os as de do da dos das que e em no na nos nas um uma nao por para pra com meu "
           "minha voce voces eu ele ela se me ja ainda quando onde porque como mas muito "
           "obrigado obrigada ola oi bom boa dia tarde pedido encomenda pacote produto compra "
           "comprei recebi recebido chegou chegar nada semana semanas dias dinheiro reembolso "
           "estorno devolucao devolver tamanho cor quebrado quebrada rastreio rastreamento "
           "codigo vendedor estou esta tenho tem quero posso pode foi sao sou isso isto esse "
           "essa aqui ate hoje ontem agora so tambem entao favor cartao pagar preco frete taxa "
           "alfandega correios gostaria preciso vcs vc td blz ta nunca alguem algo mes meses "
           "mais menos tudo todos sempre resposta mensagem endereco fatura entrega entregue "
           "enviado mandaram comprar fiz faz vai vou"},
    {L_PL, "i w z na do nie jest sa to ze sie ale czy jak co po od za dla o a ja mnie mi moje "
           "moja moj moim pan pani panstwo dzien dobry witam dziekuje pozdrawiam zamowienie "
           "zamowienia zamowilem zamowilam paczka paczki paczke przesylka przesyłka przesylki "
           "produkt towar otrzymalem otrzymałem dostalem dostałem doszla doszła juz jeszcze "
           "kiedy gdzie dlaczego ile bardzo nic tydzien tygodnie tygodni dni pieniadze zwrot "
           "zwrotu rozmiar kolor zepsuty uszkodzony uszkodzona numer sledzenia sprzedawca mam "
           "ma mamy moge mozna prosze chce chcialbym chcialabym bylo byl byla jestem tego ten "
           "ta te tym przez oraz bo teraz dzisiaj wczoraj cena zaplacic platnosc karta clo "
           "celna allegro kurier odpowiedz wiadomosc nigdy ktos cos miesiac wiecej mniej "
           "wszystko zawsze adres faktura dostawa dostarczona wyslana wyslac kupilem kupilam "
           "towaru paczkomat kurierem reklamacja"},
};

/* Endings and letter groups that lean to one language. */
static const struct {
    const char *s;
    int suffix; /* 1: at the end of a word; 0: anywhere in it */
    int lang;
    float w;
} pieces[] = {
    {"cion", 1, L_ES, 0.6f},  {"ciones", 1, L_ES, 0.6f}, {"cao", 1, L_PT, 0.6f},
    {"coes", 1, L_PT, 0.6f},  {"zione", 1, L_IT, 0.6f},  {"zioni", 1, L_IT, 0.6f},
    {"ung", 1, L_DE, 0.5f},   {"ungen", 1, L_DE, 0.5f},  {"keit", 1, L_DE, 0.5f},
    {"lich", 1, L_DE, 0.4f},  {"sch", 0, L_DE, 0.4f},    {"sz", 0, L_PL, 0.4f},
    {"cz", 0, L_PL, 0.4f},    {"rz", 0, L_PL, 0.3f},     {"ł", 0, L_PL, 1.0f},
    {"ow", 1, L_PL, 0.2f},    {"ing", 1, L_EN, 0.4f},    {"th", 0, L_EN, 0.2f},
    {"ment", 1, L_FR, 0.2f},  {"eux", 1, L_FR, 0.4f},    {"mente", 1, L_ES, 0.15f},
    {"mente", 1, L_IT, 0.15f}, {"mente", 1, L_PT, 0.15f}, {"ssimo", 1, L_IT, 0.5f},
    {"gli", 0, L_IT, 0.3f},   {"nh", 0, L_PT, 0.4f},     {"lh", 0, L_PT, 0.4f},
};

#define DET_SLOTS 4096

struct cl_langdet {
    struct {
        char *w;
        uint16_t mask;
    } slot[DET_SLOTS];
};

static uint32_t fnv(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static void det_add(cl_langdet *d, const char *w, size_t n, int lang)
{
    uint32_t h = fnv(w, n) & (DET_SLOTS - 1);
    while (d->slot[h].w) {
        if (strlen(d->slot[h].w) == n && memcmp(d->slot[h].w, w, n) == 0) {
            d->slot[h].mask |= (uint16_t)(1u << lang);
            return;
        }
        h = (h + 1) & (DET_SLOTS - 1);
    }
    d->slot[h].w = bd_strndup(w, n);
    d->slot[h].mask = (uint16_t)(1u << lang);
}

static uint16_t det_get(const cl_langdet *d, const char *w, size_t n)
{
    uint32_t h = fnv(w, n) & (DET_SLOTS - 1);
    while (d->slot[h].w) {
        const char *s = d->slot[h].w;
        if (strncmp(s, w, n) == 0 && s[n] == '\0') return d->slot[h].mask;
        h = (h + 1) & (DET_SLOTS - 1);
    }
    return 0;
}

cl_langdet *cl_langdet_new(void)
{
    cl_langdet *d = bd_calloc(1, sizeof *d);
    for (size_t i = 0; i < sizeof word_lists / sizeof word_lists[0]; i++) {
        const char *p = word_lists[i].words;
        while (*p) {
            while (*p == ' ') p++;
            const char *q = p;
            while (*q && *q != ' ') q++;
            if (q > p) det_add(d, p, (size_t)(q - p), word_lists[i].lang);
            p = q;
        }
    }
    return d;
}

void cl_langdet_free(cl_langdet *d)
{
    if (!d) return;
    for (size_t i = 0; i < DET_SLOTS; i++) free(d->slot[i].w);
    free(d);
}

static int is_word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || c >= 0x80;
}

static void score_pieces(const char *w, size_t n, float *score)
{
    for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
        size_t k = strlen(pieces[i].s);
        if (k > n || n < 4) continue;
        if (pieces[i].suffix) {
            if (memcmp(w + n - k, pieces[i].s, k) == 0) score[pieces[i].lang] += pieces[i].w;
        } else {
            for (size_t j = 0; j + k <= n; j++)
                if (memcmp(w + j, pieces[i].s, k) == 0) {
                    score[pieces[i].lang] += pieces[i].w;
                    break;
                }
        }
    }
}

/* Latin languages: words, letters and endings. Returns -1 when nothing tells. */
static int latin(const cl_langdet *d, const char *s, size_t n, const cl_stats *st,
                 double *certainty)
{
    float score[CLASSIFY_N_LANGS];
    for (int i = 0; i < CLASSIFY_N_LANGS; i++) score[i] = st->cue[i];
    size_t i = 0, words = 0;
    if (n > 4096) n = 4096; /* the first few hundred words tell */
    while (i < n) {
        while (i < n && !is_word_byte((unsigned char)s[i])) i++;
        size_t start = i;
        while (i < n && is_word_byte((unsigned char)s[i])) i++;
        if (i == start) break;
        size_t len = i - start;
        words++;
        uint16_t mask = det_get(d, s + start, len);
        if (mask) {
            int k = __builtin_popcount(mask);
            for (int l = 0; l < CLASSIFY_N_LANGS; l++)
                if (mask & (1u << l)) score[l] += 1.0f / (float)k;
        }
        score_pieces(s + start, len, score);
    }
    int best = -1, second = -1;
    for (int l = 0; l < CLASSIFY_N_LANGS; l++) {
        if (best < 0 || score[l] > score[best]) second = best, best = l;
        else if (second < 0 || score[l] > score[second]) second = l;
    }
    if (best < 0 || score[best] <= 0) {
        *certainty = 0;
        return -1;
    }
    double margin = (score[best] - (second >= 0 ? score[second] : 0)) / score[best];
    *certainty = margin * (1.0 - exp(-score[best] / 2.0));
    return best;
}

int cl_langdet_run(const cl_langdet *d, const char *norm, size_t n, const cl_stats *st,
                   double *certainty)
{
    double c = 0;
    uint32_t cjk = 3 * (st->kana + st->han), ko = 3 * st->hangul;
    uint32_t best = st->latin;
    int script = 0; /* 0 latin, 1 cjk, 2 hangul, 3 arabic, 4 cyrillic */
    if (cjk > best) best = cjk, script = 1;
    if (ko > best) best = ko, script = 2;
    if (st->arabic > best) best = st->arabic, script = 3;
    if (st->cyrillic > best) best = st->cyrillic, script = 4;
    int lang = -1;
    if (best == 0) {
        lang = -1;
    } else if (script == 0) {
        lang = latin(d, norm, n, st, &c);
    } else {
        uint32_t total = st->latin + cjk + ko + st->arabic + st->cyrillic;
        c = (double)best / (double)total;
        if (script == 1) lang = (st->kana >= 2 || (st->kana >= 1 && st->han < 10)) ? L_JA : L_ZH;
        else if (script == 2) lang = L_KO;
        else if (script == 3) lang = L_AR;
        else lang = L_RU;
    }
    if (certainty) *certainty = c;
    return lang;
}

const char *classify_detect_language(const classify_rules *r, const char *s, size_t n,
                                     const char *hint, double *certainty)
{
    cl_langdet *own = NULL;
    const cl_langdet *d = r ? r->det : NULL;
    if (!d) d = own = cl_langdet_new();
    bd_buf norm = BD_BUF_INIT;
    cl_stats st;
    memset(&st, 0, sizeof st);
    if (s) cl_normalize_append(&norm, s, n, &st);
    double c = 0;
    int lang = cl_langdet_run(d, norm.data ? norm.data : "", norm.len, &st, &c);
    bd_buf_free(&norm);
    cl_langdet_free(own);
    if (certainty) *certainty = lang >= 0 ? c : 0;
    if (lang >= 0) return classify_langs[lang];
    int h = classify_lang_index(hint);
    return h >= 0 ? classify_langs[h] : "en";
}
