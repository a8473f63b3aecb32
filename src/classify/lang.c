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

enum {
    L_EN = 0,
    L_ES = 1,
    L_FR = 2,
    L_DE = 3,
    L_IT = 4,
    L_PT = 5,
    L_RU = 6,
    L_PL = 7,
    L_JA = 8,
    L_KO = 9,
    L_AR = 10,
    L_ZH = 11
};

static const struct {
    int lang;
    const char *words;
} word_lists[] = {
    {L_EN, "the and is are was were i you my your it its this that these to of for with have "
           "has had not no please pls plz thanks thank thx ty hello hi hey dear order ordered "
           "orders package parcel item items received receive got get still when where what "
           "why how can could would will did does do don dont doesn didn didnt isn wasn haven "
           "won cant wont im ive just today yesterday week weeks days day money back refund "
           "return send sent shipping shipped delivery delivered tracking number seller buy "
           "bought want need know size color colour box broken wrong missing arrived arrive "
           "yet already but or if so all any some there here they them we our me be been an "
           "at on from about after before again also very good great nice bad same other one "
           "only now then than because which who should must let right like look check ask "
           "asked answer reply message messages email account invoice price cost pay paid "
           "card customs fee fees duty stuck lost never nothing anything something waiting "
           "wait long ever month months friend sir madam regards kind best hope well love "
           "perfect works work doesnt into out up by as may might much many more most thing "
           "things gonna wanna kindly fast quick slow cheap discount available stock sample "
           "quality product shop store help issue problem replacement new old someone anyone "
           "everything said says say told tell ship write wrote sorry happy sad angry"},
    {L_ES, "cada uno dejas dejar compro comprar tambien pues bueno vale oye ahi alli aqui eso "
           "esos esas estos estas nuestro nuestra vuestro tu tus te nos os le les fueron sera "
           "seria tenia tenemos tienes hacen hizo dijo dicen decir vez veces cosa cosas todo "
           "todos toda todas ningun ninguna nadie siempre casi ademas luego despues antes "
           "mientras aunque sino hola buen dia necesitaria mande mandaron enviaron llego "
           "paquete envio recibido roto pedi compre pague cobraron devuelvan reembolsen "
           "quiero quisiera podes tenes llegue todavia tampoco caja talla tallas medidas ropa "
           "zapatos donde cuando cuanto porque que tal gracias saludos atentamente el la los "
           "las de del y en un una unos unas es no por para con mi mis me se lo su sus al "
           "como pero mas muy ya buenas buenos dias tardes noches pedido pedidos producto "
           "productos compra recibi llegado llega aun esta estoy estan tengo tiene puedo "
           "puede pueden hace hay nada semana semanas dinero reembolso devolucion devolver "
           "color rota favor ayuda cuanta precio pagar tarjeta cuenta senor senora esto este "
           "esa usted ustedes han he ha son fue hasta desde sin sobre entre otro otra mismo "
           "bien mal seguimiento numero aduana vendedor articulo llegar enviar envian mandar "
           "ahora hoy ayer entonces solo tiempo estado necesito podrian podria tienen hacer "
           "nunca algo alguien mucho poco dos tres mes meses che vos sos compras queria "
           "gustaria perdon cambio cambiar direccion correo factura cobro estafa"},
    {L_FR, "je tu il nous vous ils elles me te se leur lui ceci cela ca voila voici alors "
           "encore toujours jamais rien personne chaque autre autres meme memes tout toute "
           "toutes beaucoup peu trop assez ici la-bas oui non merci bonjour bonsoir salut "
           "cordialement madame monsieur votre vos mon ma mes ton ta tes son sa ses notre nos "
           "est sont etait etaient sera serait ai as avons avez ont avait fait faites faire "
           "dit dire voir vu pu peut peuvent veut voulez voudrais dois doit devez faut recu "
           "recus recue commande commandee colis livre livree livraison remboursement "
           "rembourse retourner renvoyer echange taille couleur casse cassee abime endommage "
           "manque manquant suivi numero aujourd hui hier demain semaine mois depuis pendant "
           "avant apres chez avec sans sous sur entre vers pour par parce puisque lorsque "
           "quand comment pourquoi combien quel quelle quels quelles est-ce le la les de des "
           "du et un une elle ce cette ces pas ne que qui dans commandes produit article ou "
           "mais tres deja aucun aucune semaines jours rembourser retour vendeur avoir etre "
           "suis peux pouvez veux au aux si bien plus moins tous aussi donc svp stp payer "
           "prix frais douane carte on quelqu quelque chose ete leurs vais va reponse "
           "repondre message envoye envoyer attends attendre adresse facture comme bonne bon "
           "arrive arrivee"},
    {L_DE, "ich du er sie es wir ihr mich dich ihn uns euch mir dir ihm mein dein sein unser "
           "euer kein keine keinen nicht nichts etwas alles alle viel viele wenig sehr zu zum "
           "zur vom beim ins im am an auf aus bei mit nach seit von vor durch fur gegen ohne "
           "um bis uber unter zwischen neben hinter und oder aber denn sondern dass ob weil "
           "wenn als wie wo was wer wann warum wieso weshalb welche welcher welches dies "
           "diese dieser dieses das der die den dem des ein eine einen einem einer ist sind "
           "war waren bin bist habe hast hat haben hatte hatten wird werden wurde wurden kann "
           "kannst konnen konnte mochte mochten will wollen muss mussen soll sollen darf "
           "durfen gibt gab geben bekommen erhalten geschickt gesendet versendet "
           "zuruckschicken zurucksenden erstatten storniert stornieren storno kaufen gekauft "
           "bestellen paket lieferung sendung ware artikel grosse farbe kaputt beschadigt "
           "fehlt fehlen falsch richtig danke bitte hallo guten morgen abend tag grusse gruss "
           "freundliche mfg leider schon noch immer wieder bereits heute gestern woche wochen "
           "monat monate tage jetzt sofort bald meine meinen meiner ihre ihnen geehrte "
           "geehrter bestellung bestellt geliefert angekommen tagen geld zuruck erstattung "
           "ruckerstattung ruckgabe umtausch defekt falsche sendungsnummer verfolgung zoll "
           "konnten auch nur lg vg freundlichen grussen vielen dank rechnung kunde verkaufer "
           "preis zahlen bezahlt versand versandkosten nie mehr man sich doch mal ja nein gut "
           "schlecht hier dort bekomme geht ging gemacht bestellnummer nachricht antwort "
           "adresse liebe lieber"},
    {L_IT, "io tu lui lei noi voi loro mi ti ci vi si gli lo la le li ne il un una uno dei "
           "degli delle del della dello nel nella nei negli sul sulla al alla ai agli dal "
           "dalla da di a in con su per tra fra che chi cui non piu molto poco tanto troppo "
           "tutto tutti tutte ogni qualche altro altra altri questo questa questi quello "
           "quella quelli ecco qui qua sono sei e siamo siete era erano sara ho hai ha "
           "abbiamo avete hanno aveva fatto fare fa fai faccio dice dire detto va vado andare "
           "viene venire posso puoi puo possiamo potete possono voglio vuoi vuole vorrei devo "
           "deve dobbiamo prendo prendere prenderei preso mando mandato spedito spedire "
           "ricevuto arrivato consegnato ordinato comprato pagato pagamento rimborso reso "
           "cambio taglia misura misure colore rotto danneggiato mancante sbagliato annuncio "
           "scritto ancora gia sempre mai oggi ieri domani settimana settimane mese mesi "
           "giorni grazie ciao salve buongiorno buonasera cordiali saluti gentile prego "
           "allora quindi pero anche come dove quando perche quanto quale cosa negativo "
           "positivo disponibile modello nero bianco rosso bonifico accettate bene buon fine "
           "parlavo chiudo lascio i mio mia miei vostro vostra ordine ordini pacco spedizione "
           "prodotto articolo arrivata ma niente nulla soldi restituire rotta tracciamento "
           "numero venditore essere avere sto stato solo adesso ora cortesemente dogana "
           "pagare prezzo costo spese carta allo alle qualcosa qualcuno meno risposta "
           "messaggio indirizzo fattura arrivo consegna"},
    {L_PT, "eu tu ele ela nos vos eles elas me te se lhe o a os as um uma uns umas do da dos "
           "das no na nas ao aos pelo pela pelos pelas de em por para pra com sem sobre entre "
           "ate que quem qual quais cujo nao sim mais menos muito muita muitos muitas pouco "
           "todo toda todos todas cada outro outra outros esse essa esses essas este esta "
           "estes estas isso isto aquilo aqui ali la sou es e somos sao era eram foi foram "
           "sera seria tenho tens tem temos tinha teve fiz fez faz fazer digo diz dizer vou "
           "vai vamos ir vem vir posso pode podemos podem quero quer queria gostaria preciso "
           "precisa devo deve chegou chegar recebi receber enviado enviar mandar mandei "
           "comprei comprar paguei pagar pedido encomenda pacote produto reembolso estorno "
           "devolucao troca tamanho cor quebrado danificado faltando errado anuncio ainda ja "
           "sempre nunca hoje ontem amanha semana semanas mes meses dias obrigado obrigada "
           "ola oi bom boa dia tarde noite atenciosamente abraco entao mas porem tambem como "
           "onde quando porque quanto ninguem responde atendimento mensagens horrivel meu "
           "minha voce voces compra recebido nada dinheiro devolver quebrada rastreio "
           "rastreamento codigo vendedor estou agora so favor cartao preco frete taxa "
           "alfandega correios vcs vc td blz ta alguem algo tudo resposta mensagem endereco "
           "fatura entrega entregue mandaram"},
    {L_PL, "ja ty on ona ono my wy oni one mnie mi mna cie ci go jej mu nas wam ich im sie "
           "siebie moj moja moje moi twoj twoja nasz nasza wasz jego ten ta to te tego tej "
           "temu tym tych tutaj tam tu gdzie kiedy jak dlaczego czemu ile co kto ktory ktora "
           "ktore czy nie tak albo lub ale i a oraz bo ze zeby jesli jezeli gdy juz jeszcze "
           "tylko bardzo troche duzo malo wszystko nic nikt zawsze nigdy dzis dzisiaj wczoraj "
           "jutro teraz tydzien tygodnie tygodni miesiac miesiace dni dzien jest sa byl byla "
           "bylo byli bede bedzie mam masz ma mamy macie maja mialem mialam moge mozesz moze "
           "mozemy mozna chce chcesz chcialbym chcialabym prosze dziekuje dzieki witam czesc "
           "pozdrawiam pozdrowienia zamowienie zamowilem zamowilam paczka paczke przesylka "
           "kurier dostawa dostalem dostalam otrzymalem zwrot zwrocic wymiana rozmiar kolor "
           "uszkodzony zepsuty brakuje brak zly zla sprzedawca sprzedajacy allegro opinia "
           "opinie negatywna pozytywna taniej rabat sztuk sztuke sztuki biore clo odprawe "
           "celna placic zaplacic w z na do po od za dla o moim pan pani panstwo dobry "
           "zamowienia paczki przesyłka przesylki produkt towar otrzymałem dostałem doszla "
           "doszła pieniadze zwrotu uszkodzona numer sledzenia jestem przez cena platnosc "
           "karta odpowiedz wiadomosc ktos cos wiecej mniej adres faktura dostarczona wyslana "
           "wyslac kupilem kupilam towaru paczkomat kurierem reklamacja"},
    {L_RU, "privet zdravstvuyte zdravstvujte dobryi dobryj spasibo pozhaluysta pozhalujsta "
           "zakaz zakazal zakazala posylka posylku tovar prodavec prodavets ne net kak chto "
           "gde kogda pochemu skolko uzhe esche eshe eshche ochen mozhno nuzhno hochu khochu "
           "budet byl byla bylo vy vam vas vash vasha ya mne menya moy moi moya my nas eto "
           "etot eta tak tolko vse vsyo vsem razmer cvet tsvet vozvrat vernite dengi poluchil "
           "poluchila prishla prishel prishlo otpravili otpravka otpravit trek nomer nedel "
           "nedeli nedelya mesyac dnya dney segodnya vchera zhdat zhdu skidku skidka kupil "
           "kupila pokupatel otzyv otlichnyi khoroshiy plokhoy brak slomano slomalsya ili "
           "chtoby esli posle pri dlya bez pro ot iz mozhno vozmozhno vozmozhna oplata oplatit "
           "dostavka dostavku kogda seichas seychas tozhe kakoi kakoy kakaya pochta pochtoi"},
};

/* Endings and letter groups that lean to one language. */
static const struct {
    const char *s;
    int suffix; /* 1: at the end of a word; 0: anywhere in it */
    int lang;
    float w;
} pieces[] = {
    {"cion", 1, L_ES, 0.6f},   {"ciones", 1, L_ES, 0.6f}, {"cao", 1, L_PT, 0.6f},
    {"coes", 1, L_PT, 0.6f},   {"zione", 1, L_IT, 0.6f},  {"zioni", 1, L_IT, 0.6f},
    {"ung", 1, L_DE, 0.5f},    {"ungen", 1, L_DE, 0.5f},  {"keit", 1, L_DE, 0.5f},
    {"lich", 1, L_DE, 0.4f},   {"sch", 0, L_DE, 0.4f},    {"sz", 0, L_PL, 0.4f},
    {"cz", 0, L_PL, 0.4f},     {"rz", 0, L_PL, 0.3f},     {"ł", 0, L_PL, 1.0f},
    {"ow", 1, L_PL, 0.2f},     {"ing", 1, L_EN, 0.4f},    {"th", 0, L_EN, 0.2f},
    {"ment", 1, L_FR, 0.2f},   {"eux", 1, L_FR, 0.4f},    {"mente", 1, L_ES, 0.15f},
    {"mente", 1, L_IT, 0.15f}, {"mente", 1, L_PT, 0.15f}, {"ssimo", 1, L_IT, 0.5f},
    {"gli", 0, L_IT, 0.3f},    {"nh", 0, L_PT, 0.4f},     {"lh", 0, L_PT, 0.4f},
    /* Russian typed in Latin letters (transliterated): its digraphs and endings */
    {"zh", 0, L_RU, 0.5f},     {"kh", 0, L_RU, 0.3f},     {"shch", 0, L_RU, 0.6f},
    {"aya", 1, L_RU, 0.5f},    {"yy", 1, L_RU, 0.5f},     {"ogo", 1, L_RU, 0.4f},
    {"tsya", 1, L_RU, 0.6f},   {"sya", 1, L_RU, 0.4f},
};

#define DET_SLOTS 4096

struct cl_langdet {
    struct {
        char *w;
        uint16_t mask, len;
    } slot[DET_SLOTS];
};

static uint32_t fnv(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
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
    d->slot[h].len = (uint16_t)n;
}

static uint16_t det_get(const cl_langdet *d, const char *w, size_t n)
{
    if (n > 64) return 0;
    uint32_t h = fnv(w, n) & (DET_SLOTS - 1);
    while (d->slot[h].w) {
        if (d->slot[h].len == n && memcmp(d->slot[h].w, w, n) == 0) return d->slot[h].mask;
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
            while (*p == ' ')
                p++;
            const char *q = p;
            while (*q && *q != ' ')
                q++;
            if (q > p) det_add(d, p, (size_t)(q - p), word_lists[i].lang);
            p = q;
        }
    }
    return d;
}

void cl_langdet_free(cl_langdet *d)
{
    if (!d) return;
    for (size_t i = 0; i < DET_SLOTS; i++)
        free(d->slot[i].w);
    free(d);
}

static int is_word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || c >= 0x80;
}

/* Endings and letter groups of a word the lists do not know. */
/* Endings and letter groups of a word the lists do not know: one pass for the groups
 * (each counted once per word), the endings compared from their last letter. */
static void score_pieces(const char *w, size_t n, float *score)
{
    if (n < 4) return;
    unsigned seen = 0; /* bit i: pieces[i] already counted */
    for (size_t j = 0; j + 1 < n; j++) {
        const char *hit = NULL;
        char a = w[j], b = w[j + 1];
        if (a == 's' && b == 'c' && j + 2 < n && w[j + 2] == 'h')
            hit = "sch";
        else if (b == 'z' && (a == 's' || a == 'c' || a == 'r'))
            hit = a == 's' ? "sz" : a == 'c' ? "cz" : "rz";
        else if (b == 'h' && (a == 't' || a == 'n' || a == 'l'))
            hit = a == 't' ? "th" : a == 'n' ? "nh" : "lh";
        else if (a == 'g' && b == 'l' && j + 2 < n && w[j + 2] == 'i')
            hit = "gli";
        else if ((unsigned char)a == 0xC5 && (unsigned char)b == 0x82)
            hit = "ł";
        if (!hit) continue;
        for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++)
            if (!pieces[i].suffix && !(seen & (1u << i)) && strcmp(pieces[i].s, hit) == 0) {
                seen |= 1u << i;
                score[pieces[i].lang] += pieces[i].w;
            }
    }
    for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
        const char *p = pieces[i].s;
        if (!pieces[i].suffix) continue;
        size_t k = strlen(p);
        if (k <= n && w[n - 1] == p[k - 1] && memcmp(w + n - k, p, k) == 0)
            score[pieces[i].lang] += pieces[i].w;
    }
}

static int word_is(const char *w, size_t n, const char *const *list)
{
    for (; *list; list++)
        if (strlen(*list) == n && memcmp(w, *list, n) == 0) return 1;
    return 0;
}

/* Scores the apostrophe between word w and the following one; 1 when it was one. */
static int apostrophe(const char *w, size_t n, const char *after, size_t alen, float *score)
{
    static const char *const en_tail[] = {"m", "s", "t", "re", "ve", "ll", "d", NULL};
    static const char *const fr_head[] = {"j", "l",  "d",     "n",      "c",      "m", "t",
                                          "s", "qu", "jusqu", "lorsqu", "puisqu", NULL};
    static const char *const it_head[] = {"l",  "dell", "all", "nell",  "sull",  "dall",
                                          "un", "c",    "po",  "quest", "quell", NULL};
    int any = 0;
    if (word_is(after, alen, en_tail) && n > 1) score[L_EN] += 1.0f, any = 1;
    if (word_is(w, n, fr_head)) score[L_FR] += 0.7f, any = 1;
    if (word_is(w, n, it_head)) score[L_IT] += 0.5f, any = 1;
    return any;
}

/* Latin languages: words, letters and endings. Returns -1 when nothing tells. */
static int latin(const cl_langdet *d, const char *s, size_t n, const cl_stats *st,
                 double *certainty)
{
    float score[CLASSIFY_N_LANGS];
    for (int i = 0; i < CLASSIFY_N_LANGS; i++)
        score[i] = st->cue[i];
    size_t i = 0, words = 0;
    if (n > 320) n = 320; /* the first words tell */
    while (i < n) {
        while (i < n && !is_word_byte((unsigned char)s[i]))
            i++;
        size_t start = i;
        while (i < n && is_word_byte((unsigned char)s[i]))
            i++;
        if (i == start) break;
        size_t len = i - start;
        words++;
        /* elision and contraction: j'ai l'article qu'il (fr), l'ordine dell'articolo (it),
         * i'm don't it's we've (en) */
        if (i + 1 < n && s[i] == '\'' && is_word_byte((unsigned char)s[i + 1])) {
            size_t k = i + 1;
            while (k < n && is_word_byte((unsigned char)s[k]))
                k++;
            const char *after = s + i + 1;
            size_t alen = k - i - 1;
            if (apostrophe(s + start, len, after, alen, score)) i++; /* read the next word */
        }
        uint16_t mask = det_get(d, s + start, len);
        if (mask) {
            int k = __builtin_popcount(mask);
            for (int l = 0; l < CLASSIFY_N_LANGS; l++)
                if (mask & (1u << l)) score[l] += 1.0f / (float)k;
        } else {
            score_pieces(s + start, len, score);
        }
    }
    int best = -1, second = -1;
    for (int l = 0; l < CLASSIFY_N_LANGS; l++) {
        if (best < 0 || score[l] > score[best])
            second = best, best = l;
        else if (second < 0 || score[l] > score[second])
            second = l;
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
    if (st->fullwidth > st->latin) {
        lang = L_JA; /* full-width Latin: a Japanese input method, most of the time */
        c = 0.3;
    } else if (best == 0) {
        lang = st->arabic_marks ? L_AR : -1; /* "؟؟" */
        c = 0.3;
    } else if (script == 0) {
        lang = latin(d, norm, n, st, &c);
    } else {
        uint32_t total = st->latin + cjk + ko + st->arabic + st->cyrillic;
        c = (double)best / (double)total;
        if (script == 1)
            lang = (st->kana >= 2 || (st->kana >= 1 && st->han < 10)) ? L_JA : L_ZH;
        else if (script == 2)
            lang = L_KO;
        else if (script == 3)
            lang = L_AR;
        else
            lang = L_RU;
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
    if (s) cl_normalize_append(&norm, s, n, &st, r ? r->norm : NULL);
    double c = 0;
    int lang = cl_langdet_run(d, norm.data ? norm.data : "", norm.len, &st, &c);
    bd_buf_free(&norm);
    cl_langdet_free(own);
    if (certainty) *certainty = lang >= 0 ? c : 0;
    if (lang >= 0) return classify_langs[lang];
    int h = classify_lang_index(hint);
    return h >= 0 ? classify_langs[h] : "en";
}
