/* charset_score.c — how plausible a decoding reads, for choosing between charsets.
 *
 * Every non-ASCII character earns or loses points. Common letters of the twelve buyer
 * languages earn (small frequency tables below, written for this purpose: the accented
 * Latin letters, Russian letters by rank, the commonest Chinese characters in simplified
 * and traditional form, Japanese kana and everyday kanji, the commonest Hangul syllables);
 * mojibake signs lose: C1 controls, U+FFFD, private use, box drawing (KOI8-R read as
 * something else), half-width katakana (Shift_JIS misread), a capital letter inside a
 * lowercase word (KOI8-R ↔ Windows-1251 swaps case), two scripts inside one word, runs of
 * accented letters and symbols (multibyte text read as a single-byte charset). The sum is
 * only comparable between decodings of the same bytes. */
#include <pthread.h>
#include <string.h>

#include "parse_internal.h"

static const char common_latin[] = "éèàçñüöäßóáíúãõêâôîûëïœłąęśćńźżčřšžěůýőűășțòìù"
                                   "ÉÀÇÑÜÖÄÓÁÍÚŁŚŻŹĆČŘŠŽ";

/* Russian lowercase letters, most frequent first; the first ten count more. */
static const char cyrillic_rank[] = "оеаинтсрвлкмдпуяыьгзбчйхжшюцщэфъё";

static const char common_hanzi[] =
    /* simplified: everyday words and the ones buyers write about orders */
    "的一是不了在人有我他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于着下自之"
    "年过发后作里用道行所然家种事成方多经么去法学如都同现当没动面起看定天分还进好小部其些主样"
    "理心她本前开但因只从想实日者意无力它与长把机十第公此已工使情明性知全三又关点正业外将两高"
    "间由问很最重并物手应向头文体相见被利什二等产或新己制身果加西月话合回特代内信表化老给世位"
    "次度门任常先海通教儿原东声提立及比员解水名真论处走各入几口认条平系气题活更别打女变四总何"
    "电数安少报才结反受目太量再感建务做接必场件计管期市直资命山金指许统区保至形社便空决治展马"
    "科司五基眼书非则听白却界达光放强即像难且权思王象完设式色路记南品住告类求据程北边死张该交"
    "规万取拉格望觉术领共确传师观清今切院让识候带导争运笑飞风步改收根干造言联持组每济车亲极林"
    "服快办议往元英士证近失转夫令准布始怎呢存未远叫台单影具罗字爱击流备兵连调深商算质团集百需"
    "价花华城石级整府离况请技际约示复病息究线似官火断精满支视消越器容照须九增研写称企八功吗包"
    "片史委乎查轻易早曾除农找装广显吧阿李标谈吃图念六引历首医局突专费号尽另周较注语仅考落青随"
    "选列武红响虽推势参希古众构房半节土投某案黑维革划致律足态护七兴派孩验责营星够章音跟志底站"
    "严巴例防族供效续施留讲型料终答紧黄绝奇察母京段依批群项故按河米围江织害斗双境客纪采举杀攻"
    "父密低朝友诉止细愿千值仍男钱破网热助倒育属坐限船脸职速刻乐否刚状率甚独球般普怕弹校苦创假"
    "久错承印晚试股拿脑预谁益阳若哪微尼继送急血惊伤素药适波夜省初喜卫源食险待述陆习置居劳财环"
    "排福纳欢获模充负云停木游龙树疑层冷洲冲射略范竟句室异激汉村哈策演简卡罪判担州静退既衣您宗"
    "积余痛检差富灵协角占配征修皮挥胜降阶审沉坚善妈刘读啊超免压银买养怀执副乱抗犯追帮宣佛岁航"
    "优怪香著田铁控税左右份穿艺背阵草脚概恶块顿敢守酒岛托央户烈洋哥索胡款靠评版宝座释景顾弟登"
    "货互付伯慢欧换闻危忙核暗姐介坏讨丽良序升监临亮露永呼味野架域沙掉括鱼杂误湾吉减编楚肯测败"
    "屋跑梦散温困剑渐封救贵缺楼县尚毫移娘朋画班智亦耳恩短掌恐遗固席松秘谢遇康虑幸均销钟诗藏赶"
    "剧票损忽巨旧端探湖录叶春乡附吸予礼港雨呀板庭妇归睛饭额含顺输摇招婚脱补谓督毒油疗旅泽材灭"
    "订递裹颜码邮箱尺寸退款物流快递包退货收到发票质量坏掉凭证瑕疵"
    /* traditional forms of the commonest characters */
    "個們來為國說時會對這過發後裡開關點現經還麼樣東問題請謝貨訂單運費寄給買賣錢讓應該沒幾號電話"
    "顏隻線實際與從當頭種長無壞換購網頁間產業機動車學東門見務處議員認識傳給場進體總從區變們嗎"
    "謝謝收該裝寫讀聽覺歡氣報導紙張專業團隊設計務質顏係郵遞幣價錢準備確況戶帳號碼聯絡"
    /* Japanese everyday kanji not above */
    "様届到確認返交送料円申訳願致頂私込済諸御伺拝啓敬具貴社弊誠恐縮存旨添付届荷梱発送予定";

static const char common_hangul[] =
    "이다는의에을하고가한지로서기도리자사어대나아수요니해시보습있정인것으주라와게그들부제상일구내"
    "만면문전동장우거데여까저감합드릴배송확청환불반품언착받았왜직안되혹번호결취소변경세객님물건빨"
    "탁립네께걸주문을를었겠음했없어요데요나요죠좋겠계신분께서연락처품질색상크기사이즈가격돈";

/* Lookup tables for ideographs and Hangul, built once from the strings above. */
static unsigned char hanzi_bits[(0x9FFF - 0x4E00 + 8) / 8];
static unsigned char hangul_bits[(0xD7A3 - 0xAC00 + 8) / 8];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

/* Decodes one UTF-8 code point (input is valid UTF-8); returns its length. */
static size_t next_cp(const unsigned char *s, uint32_t *cp)
{
    if (s[0] < 0x80) return *cp = s[0], 1;
    if (s[0] < 0xE0) return *cp = ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu), 2;
    if (s[0] < 0xF0)
        return *cp = ((s[0] & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu), 3;
    *cp = ((s[0] & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
    return 4;
}

static void mark(const char *list, unsigned char *bits, uint32_t lo, uint32_t hi)
{
    const unsigned char *p = (const unsigned char *)list;
    uint32_t cp;
    while (*p) {
        p += next_cp(p, &cp);
        if (cp >= lo && cp <= hi) bits[(cp - lo) / 8] |= (unsigned char)(1u << ((cp - lo) % 8));
    }
}

static void build_tables(void)
{
    mark(common_hanzi, hanzi_bits, 0x4E00, 0x9FFF);
    mark(common_hangul, hangul_bits, 0xAC00, 0xD7A3);
}

static int in_bits(const unsigned char *bits, uint32_t lo, uint32_t cp)
{
    return (bits[(cp - lo) / 8] >> ((cp - lo) % 8)) & 1;
}

/* 1 when cp occurs in the UTF-8 list. Only for the short lists. */
static int in_list(const char *list, uint32_t cp)
{
    const unsigned char *p = (const unsigned char *)list;
    uint32_t c;
    while (*p) {
        p += next_cp(p, &c);
        if (c == cp) return 1;
    }
    return 0;
}

enum script { S_NONE, S_LATIN, S_CYRILLIC, S_GREEK, S_ARABIC, S_HANGUL, S_CJK, S_OTHER };

typedef struct scorer {
    double score;
    enum script prev_script; /* script of the previous character when it was a letter */
    int prev_lower;          /* the previous character was a lowercase letter */
    int odd_run;             /* consecutive accented letters/symbols from Latin-1 */
    uint32_t prev_cp;        /* the previous character */
} scorer;

static int is_upper_latin(uint32_t cp)
{
    return (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) ||
           (cp >= 0x100 && cp <= 0x17F && (cp % 2) == 0 && cp != 0x138);
}

/* Points for a Latin-1 supplement or Latin Extended-A character. */
static double latin_points(scorer *sc, uint32_t cp, int *letter, int *lower)
{
    *letter = (cp >= 0xC0 && cp != 0xD7 && cp != 0xF7);
    if (!*letter) {
        /* the punctuation of Spanish and French, and the degree sign, are real text */
        static const uint32_t fine[] = {0xA0, 0xA1, 0xAB, 0xBB, 0xBF, 0xB0, 0xA3, 0xA9, 0xAE, 0xB7};
        for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++)
            if (fine[i] == cp) return 0.3;
        return -1.5;
    }
    *lower = !is_upper_latin(cp);
    double p = in_list(common_latin, cp) ? 2.0 : 0.2;
    if (!*lower && sc->prev_lower) p -= 2.0;
    return p;
}

static double cyrillic_points(scorer *sc, uint32_t cp, int *lower)
{
    if (cp >= 0x430 && cp <= 0x44F) {
        *lower = 1;
        const char *pos = NULL;
        const unsigned char *p = (const unsigned char *)cyrillic_rank;
        uint32_t c;
        int rank = 0;
        while (*p) {
            size_t k = next_cp(p, &c);
            if (c == cp) {
                pos = (const char *)p;
                break;
            }
            p += k, rank++;
        }
        return !pos ? 0.5 : rank < 10 ? 2.0 : rank < 25 ? 1.2 : 0.6;
    }
    /* a capital opens a word; capitals inside a lowercase word are KOI8-R/Windows-1251
     * read as each other, and long all-capital runs are what that swap mostly gives */
    if (cp >= 0x410 && cp <= 0x42F)
        return sc->prev_lower ? -2.0 : sc->prev_script == S_CYRILLIC ? 0.2 : 0.6;
    if (cp == 0x451) return *lower = 1, 1.0;
    if (cp == 0x401) return 0.5;
    return -0.5; /* letters of other Cyrillic languages: possible, not likely here */
}

/* Points for one non-ASCII code point, and whether it is a letter of which script. */
static double points(scorer *sc, uint32_t cp, enum script *script, int *lower)
{
    int letter = 0;
    *script = S_NONE;
    *lower = 0;
    if (cp < 0xA0) return -6.0; /* C1 controls: bytes no charset meant as text */
    if (cp <= 0x17F) {
        double p = latin_points(sc, cp, &letter, lower);
        if (letter) *script = S_LATIN;
        return p;
    }
    if (cp <= 0x24F) return *script = S_LATIN, -0.5;
    if (cp >= 0x370 && cp <= 0x3FF) return *script = S_GREEK, 0.2;
    if (cp >= 0x400 && cp <= 0x4FF) return *script = S_CYRILLIC, cyrillic_points(sc, cp, lower);
    if (cp >= 0x621 && cp <= 0x64A) return *script = S_ARABIC, 1.5;
    if (cp >= 0x64B && cp <= 0x652) return 0.5;
    if (cp == 0x60C || cp == 0x61B || cp == 0x61F) /* Arabic comma, semicolon, question mark */
        return sc->prev_script == S_ARABIC ? 1.0 : -1.0;
    if (cp >= 0x600 && cp <= 0x6FF) return *script = S_ARABIC, 0.0;
    if (cp >= 0x2010 && cp <= 0x2027) return 0.5;  /* dashes, quotes, bullet, ellipsis */
    if (cp == 0x20AC) return 0.5;                  /* € */
    if (cp >= 0x2500 && cp <= 0x259F) return -2.0; /* box drawing: KOI8-R's upper half */
    if (cp >= 0x3040 && cp <= 0x309F) return *script = S_CJK, 2.0; /* hiragana */
    if (cp >= 0x30A0 && cp <= 0x30FF) return *script = S_CJK, 1.5; /* katakana */
    if (cp >= 0x3000 && cp <= 0x303F) return 1.0;                  /* 、。「」 */
    if (cp >= 0xFF01 && cp <= 0xFF5E) return 0.8;                  /* full-width ！？（） */
    if (cp >= 0xFF61 && cp <= 0xFF9F) return -1.0; /* half-width kana: Shift_JIS misread */
    if (cp >= 0x4E00 && cp <= 0x9FFF)
        return *script = S_CJK, in_bits(hanzi_bits, 0x4E00, cp) ? 2.5 : -0.3;
    if (cp >= 0xAC00 && cp <= 0xD7A3)
        return *script = S_HANGUL, in_bits(hangul_bits, 0xAC00, cp) ? 2.5 : -0.3;
    if (cp >= 0x3400 && cp <= 0x4DBF) return -1.5; /* rare ideographs */
    if (cp >= 0xF900 && cp <= 0xFAFF) return -1.5; /* compatibility ideographs */
    if (cp >= 0x3130 && cp <= 0x318F) return -1.0; /* bare jamo */
    if (cp >= 0xE000 && cp <= 0xF8FF) return -4.0; /* private use */
    if (cp == 0xFFFD) return -6.0;
    if (cp >= 0x2100 && cp <= 0x2BFF) return -1.0; /* symbols, arrows, math */
    return 0.0;
}

double mail_text_plausibility(const char *utf8)
{
    pthread_once(&tables_once, build_tables);
    scorer sc = {0};
    const unsigned char *p = (const unsigned char *)utf8;
    size_t counted = 0;
    while (*p && counted < 20000) {
        uint32_t cp;
        p += next_cp(p, &cp);
        if (cp < 0x80) {
            int alpha = (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
            if (alpha && sc.prev_script != S_LATIN && sc.prev_script != S_NONE &&
                sc.prev_script != S_CJK)
                sc.score -= 1.5; /* "Privет": two scripts in one word */
            if (cp < 0x20 && cp != '\n' && cp != '\r' && cp != '\t' && cp != '\f') sc.score -= 3;
            /* "¡Gracias", "¿Dónde": Spanish marks open a word; a full-width sign glued to
             * a Latin word is a double-byte charset that ate the word's first letter */
            if (alpha && (sc.prev_cp == 0xA1 || sc.prev_cp == 0xBF)) sc.score += 0.7;
            if (alpha && sc.prev_cp >= 0xFF01 && sc.prev_cp <= 0xFF5E) sc.score -= 1.5;
            sc.prev_cp = cp;
            sc.prev_script = alpha ? S_LATIN : S_NONE;
            sc.prev_lower = alpha && cp >= 'a';
            sc.odd_run = 0;
            continue;
        }
        counted++;
        enum script script;
        int lower;
        double pt = points(&sc, cp, &script, &lower);
        if (script != S_NONE && sc.prev_script != S_NONE && script != sc.prev_script &&
            script != S_CJK && sc.prev_script != S_CJK)
            pt -= 1.5;
        /* three Latin-1 letters or symbols in a row: multibyte text read byte by byte */
        if (cp >= 0xA0 && cp <= 0x17F) {
            if (++sc.odd_run >= 3) pt -= 1.5;
        } else {
            sc.odd_run = 0;
        }
        sc.score += pt;
        sc.prev_cp = cp;
        sc.prev_script = script;
        sc.prev_lower = lower;
    }
    return sc.score;
}
