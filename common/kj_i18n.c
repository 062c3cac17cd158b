/*  =========================================================================
    kj_i18n - messages for people in their language (gettext, domain "kejin")

    glibc's gettext reads the thread's locale (uselocale), so each worker
    thread can answer in its request's language without touching the
    process's. A request's language comes from anyone who can reach the
    broker: it is checked for shape before it names a locale, and the
    locales made for it are bounded.
    =========================================================================
*/

#include "kejin.h"
#include <ctype.h>
#include <glob.h>
#include <limits.h>
#include <pthread.h>
#include <unistd.h>

#define LANG_MAX 16  //  languages kept, English aside

typedef struct {
    char name [16];   //  "zh_CN"
    locale_t locale;  //  (locale_t) 0: not on this machine
} lang_t;

static pthread_once_t s_once = PTHREAD_ONCE_INIT;
static char s_dir [PATH_MAX];
static locale_t s_english;  //  the C locale, for English
static pthread_mutex_t s_mutex = PTHREAD_MUTEX_INITIALIZER;
static lang_t s_langs [LANG_MAX];
static int s_nlangs;
static __thread char s_thread_lang [16];
static __thread bool s_thread_set;

//  --------------------------------------------------------------------------
//  True if dir holds a compiled catalogue of our domain for any language.

static bool
s_has_catalogue (const char *dir)
{
    char pattern [PATH_MAX + 64];
    snprintf (pattern, sizeof pattern, "%s/*/LC_MESSAGES/" KJ_TEXTDOMAIN ".mo",
              dir);
    glob_t found;
    bool has = glob (pattern, 0, NULL, &found) == 0 && found.gl_pathc > 0;
    globfree (&found);
    return has;
}

//  --------------------------------------------------------------------------
//  $KEJIN_LOCALEDIR, else locale/, build/locale/ or share/locale/ in the
//  executable's folder or one of its parents (bin/ -> build/locale,
//  build-san/bin -> build-san/locale, build/tests/unit/x -> build/locale).

static void
s_find_dir (void)
{
    const char *env = getenv ("KEJIN_LOCALEDIR");
    if (env && *env) {
        kj_strlcpy (s_dir, env, sizeof s_dir);
        return;
    }
    char exe [PATH_MAX];
    ssize_t size = readlink ("/proc/self/exe", exe, sizeof exe - 1);
    if (size <= 0)
        return;
    exe [size] = 0;
    static const char *under [] = { "locale", "build/locale", "share/locale" };
    for (int level = 0; level < 6; level++) {
        char *slash = strrchr (exe, '/');
        if (!slash || slash == exe)
            return;
        *slash = 0;
        for (size_t i = 0; i < sizeof under / sizeof under [0]; i++) {
            char candidate [PATH_MAX];
            if (snprintf (candidate, sizeof candidate, "%s/%s", exe, under [i])
                >= (int) sizeof candidate)
                continue;
            if (s_has_catalogue (candidate)) {
                kj_strlcpy (s_dir, candidate, sizeof s_dir);
                return;
            }
        }
    }
}

static void
s_init (void)
{
    s_find_dir ();
    if (*s_dir)
        bindtextdomain (KJ_TEXTDOMAIN, s_dir);
    bind_textdomain_codeset (KJ_TEXTDOMAIN, "UTF-8");
    s_english = newlocale (LC_ALL_MASK, "C", (locale_t) 0);
    assert (s_english);
}

void
kj_i18n_init (void)
{
    pthread_once (&s_once, s_init);
}

const char *
kj_i18n_dir (void)
{
    kj_i18n_init ();
    return *s_dir ? s_dir : NULL;
}

const char *
kj_gettext (const char *text)
{
    if (!text || !*text)
        return text;
    kj_i18n_init ();
    return dgettext (KJ_TEXTDOMAIN, text);
}

//  --------------------------------------------------------------------------
//  "zh_CN.UTF-8@x" -> "zh_CN" in out; "" for C, POSIX, English or anything
//  not shaped like ll or ll_CC (ll: 2-3 lower-case letters).

static void
s_normalise (const char *lang, char out [16])
{
    out [0] = 0;
    if (!lang)
        return;
    size_t length = strcspn (lang, ".@");
    if (length < 2 || length > 6)
        return;
    size_t ll = 0;
    while (ll < length && islower ((unsigned char) lang [ll]))
        ll++;
    if (ll < 2 || ll > 3)
        return;
    if (ll < length
        && !(length == ll + 3 && lang [ll] == '_'
             && isupper ((unsigned char) lang [ll + 1])
             && isupper ((unsigned char) lang [ll + 2])))
        return;
    if (ll == 2 && strncmp (lang, "en", 2) == 0)
        return;  //  the messages are written in English
    memcpy (out, lang, length);
    out [length] = 0;
}

const char *
kj_i18n_lang (void)
{
    if (!s_thread_set) {
        s_normalise (setlocale (LC_MESSAGES, NULL), s_thread_lang);
        s_thread_set = true;
    }
    return s_thread_lang;
}

//  The locale of a normalised language, made on first use; NULL for
//  English, for a language this machine has no locale for, and once
//  LANG_MAX languages are kept.

static locale_t
s_locale (const char *name)
{
    if (!*name)
        return (locale_t) 0;
    locale_t locale = (locale_t) 0;
    pthread_mutex_lock (&s_mutex);
    int i = 0;
    for (; i < s_nlangs; i++)
        if (streq (s_langs [i].name, name))
            break;
    if (i < s_nlangs)
        locale = s_langs [i].locale;
    else if (s_nlangs < LANG_MAX) {
        char full [32];
        snprintf (full, sizeof full, "%s.UTF-8", name);
        locale = newlocale (LC_MESSAGES_MASK | LC_CTYPE_MASK, full,
                            (locale_t) 0);
        if (!locale)
            kj_warn ("i18n.no_locale", "locale=%s (run deploy/deps.sh)", full);
        kj_strlcpy (s_langs [s_nlangs].name, name, sizeof s_langs [0].name);
        s_langs [s_nlangs++].locale = locale;
    }
    pthread_mutex_unlock (&s_mutex);
    return locale;
}

locale_t
kj_i18n_use (const char *lang)
{
    kj_i18n_init ();
    char name [16];
    s_normalise (lang, name);
    locale_t locale = s_locale (name);
    if (!locale)
        name [0] = 0;
    memcpy (s_thread_lang, name, sizeof name);
    s_thread_set = true;
    return uselocale (locale ? locale : s_english);
}

void
kj_i18n_restore (locale_t previous)
{
    uselocale (previous);
    s_thread_set = false;  //  back to the process's language
}
