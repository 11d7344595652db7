/*
 * mime.c — the built-in table from file extension to Content-Type, and the
 * lookup of a file name's final extension in it (ASCII case-insensitive, no
 * locale). The text/... types carry "; charset=utf-8"; types that define
 * their own encoding (JSON, XML, SVG) carry none.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "mime.h"

#define TEXT(type) type "; charset=utf-8"
#define OOXML "application/vnd.openxmlformats-officedocument."
#define ODF "application/vnd.oasis.opendocument."

struct mime_entry {
    const char *ext; /* lower case, without the dot */
    const char *type;
};

/* Sorted by ext in byte order: bsearch depends on it. */
static const struct mime_entry mime_table[] = {
    {"3gp", "video/3gpp"},
    {"7z", "application/x-7z-compressed"},
    {"aac", "audio/aac"},
    {"apk", "application/vnd.android.package-archive"},
    {"apng", "image/apng"},
    {"atom", "application/atom+xml"},
    {"avi", "video/x-msvideo"},
    {"avif", "image/avif"},
    {"bmp", "image/bmp"},
    {"bz2", "application/x-bzip2"},
    {"css", TEXT("text/css")},
    {"csv", TEXT("text/csv")},
    {"doc", "application/msword"},
    {"docx", OOXML "wordprocessingml.document"},
    {"eot", "application/vnd.ms-fontobject"},
    {"epub", "application/epub+zip"},
    {"flac", "audio/flac"},
    {"gif", "image/gif"},
    {"gz", "application/gzip"},
    {"heic", "image/heic"},
    {"heif", "image/heif"},
    {"htm", TEXT("text/html")},
    {"html", TEXT("text/html")},
    {"ico", "image/vnd.microsoft.icon"},
    {"ics", TEXT("text/calendar")},
    {"jpeg", "image/jpeg"},
    {"jpg", "image/jpeg"},
    {"js", TEXT("text/javascript")},
    {"json", "application/json"},
    {"jxl", "image/jxl"},
    {"log", TEXT("text/plain")},
    {"m4a", "audio/mp4"},
    {"m4v", "video/mp4"},
    {"map", "application/json"},
    {"markdown", TEXT("text/markdown")},
    {"md", TEXT("text/markdown")},
    {"mid", "audio/midi"},
    {"midi", "audio/midi"},
    {"mjs", TEXT("text/javascript")},
    {"mkv", "video/x-matroska"},
    {"mov", "video/quicktime"},
    {"mp3", "audio/mpeg"},
    {"mp4", "video/mp4"},
    {"mpeg", "video/mpeg"},
    {"mpg", "video/mpeg"},
    {"odp", ODF "presentation"},
    {"ods", ODF "spreadsheet"},
    {"odt", ODF "text"},
    {"oga", "audio/ogg"},
    {"ogg", "audio/ogg"},
    {"ogv", "video/ogg"},
    {"opus", "audio/ogg"},
    {"otf", "font/otf"},
    {"pdf", "application/pdf"},
    {"png", "image/png"},
    {"ppt", "application/vnd.ms-powerpoint"},
    {"pptx", OOXML "presentationml.presentation"},
    {"rar", "application/vnd.rar"},
    {"rss", "application/rss+xml"},
    {"rtf", "application/rtf"},
    {"svg", "image/svg+xml"},
    {"tar", "application/x-tar"},
    {"text", TEXT("text/plain")},
    {"tgz", "application/gzip"},
    {"tif", "image/tiff"},
    {"tiff", "image/tiff"},
    {"tsv", TEXT("text/tab-separated-values")},
    {"ttf", "font/ttf"},
    {"txt", TEXT("text/plain")},
    {"vtt", TEXT("text/vtt")},
    {"wasm", "application/wasm"},
    {"wav", "audio/wav"},
    {"weba", "audio/webm"},
    {"webm", "video/webm"},
    {"webmanifest", "application/manifest+json"},
    {"webp", "image/webp"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"xhtml", "application/xhtml+xml"},
    {"xls", "application/vnd.ms-excel"},
    {"xlsx", OOXML "spreadsheetml.sheet"},
    {"xml", "application/xml"},
    {"xz", "application/x-xz"},
    {"yaml", "application/yaml"},
    {"yml", "application/yaml"},
    {"zip", "application/zip"},
    {"zst", "application/zstd"},
};

static const char mime_default[] = "application/octet-stream";

/* bsearch comparator: the extension `key` (any case) against an entry. */
static int ext_cmp(const void *key, const void *elem)
{
    const struct mime_entry *e = elem;
    const unsigned char *a = key;
    const unsigned char *b = (const unsigned char *)e->ext;

    for (;; a++, b++) {
        int ca = *a >= 'A' && *a <= 'Z' ? *a - 'A' + 'a' : *a;

        if (ca != *b || ca == '\0')
            return ca - *b;
    }
}

/* See mime.h. The extension is what follows the last '.' of the last
 * '/'-separated component, unless that '.' starts the component (".bashrc"
 * has none). A NULL name is unknown. */
const char *mime_type_for(const char *name)
{
    const char *base, *dot;
    const struct mime_entry *e;

    if (!name)
        return mime_default;
    base = strrchr(name, '/');
    base = base ? base + 1 : name;
    dot = strrchr(base, '.');
    if (!dot || dot == base || dot[1] == '\0')
        return mime_default;
    e = bsearch(dot + 1, mime_table, sizeof mime_table / sizeof mime_table[0],
                sizeof mime_table[0], ext_cmp);
    return e ? e->type : mime_default;
}
