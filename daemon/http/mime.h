/*
 * mime.h — the Content-Type of a file, from a built-in extension table.
 */
#ifndef FERRY_MIME_H
#define FERRY_MIME_H

/*
 * Returns the media type for the file name `name` (only its final extension
 * is looked at, case-insensitively), with "; charset=utf-8" for text types.
 * Unknown or missing extensions give "application/octet-stream". Never NULL;
 * the string is static.
 */
const char *mime_type_for(const char *name);

#endif
