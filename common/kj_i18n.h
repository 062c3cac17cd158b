/*  =========================================================================
    kj_i18n - messages for people in their language (gettext, domain "kejin")

    Centre staff work in Chinese, integrators and operators often in
    English. Every message a person reads is written in English in the
    code, marked with _() (or N_() where it only names a string for later),
    and translated through the catalogue common/po/<lang>.po, which the
    build compiles into build/locale/<lang>/LC_MESSAGES/kejin.mo. Binaries
    find it without installation: $KEJIN_LOCALEDIR if set, else the first
    locale/ folder (or build/locale, share/locale) found going up from the
    executable's own folder.

    A process speaks the language of its locale (LC_ALL, LC_MESSAGES,
    LANG); a daemon answers each request in the language the request header
    carries (RequestHeader.lang, filled by kj_client from the caller's
    locale): kj_worker switches the thread's locale around the handler with
    kj_i18n_use, and kj_call_fail and kj_status_set translate their format
    through the catalogue. Catalogues are UTF-8 and so is what _() returns,
    whatever the locale's character set. gettext prefers $LANGUAGE to the
    locale, so a daemon's environment must not set it.
    =========================================================================
*/

#ifndef KJ_I18N_H_INCLUDED
#define KJ_I18N_H_INCLUDED

#include <libintl.h>
#include <locale.h>

#define KJ_TEXTDOMAIN "kejin"

//  _("text") translates now; N_("text") marks a string that is translated
//  later, where it is used (tables of messages, help texts).
#define _(text)  kj_gettext (text)
#define N_(text) text

//  Bind the text domain to its catalogue folder, once; thread-safe. Every
//  function below calls it, so a program need not. A program that speaks
//  its user's language calls setlocale (LC_MESSAGES, "") itself, early in
//  main (the CLI does; daemons answer in each request's language).
void
    kj_i18n_init (void);

//  text in the thread's language, or text itself when the catalogue has
//  no translation. "" stays "" (gettext would return the catalogue header).
const char *
    kj_gettext (const char *text) __attribute__ ((format_arg (1)));

//  The folder the catalogues were found in, or NULL if none was.
const char *
    kj_i18n_dir (void);

//  The language this thread speaks, as a request header carries it:
//  "zh_CN" for zh_CN.UTF-8, "" for the C locale (English).
const char *
    kj_i18n_lang (void);

//  Make this thread speak lang ("zh_CN", "zh_CN.UTF-8", "en", or "" for
//  English) until kj_i18n_restore. Unknown or malformed languages, which a
//  request from anyone may carry, mean English. Locales are made once per
//  language and kept; at most 16 languages are kept, any more are English.
//  Returns the thread's previous locale for kj_i18n_restore.
locale_t
    kj_i18n_use (const char *lang);

void
    kj_i18n_restore (locale_t previous);

#endif
