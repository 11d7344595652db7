/*
 * errors.c — ferry_strerror() and ferry_version(), from the one table in
 * ferry.h (FERRY_ERRNO_MAP).
 */
#include "config.h"

#include <string.h>

#include "ferry.h"

const char *ferry_strerror(int code)
{
    switch (code) {
#define FERRY_ERRNO_TEXT_(name, value, text) \
    case FERRY_##name:                       \
        return text;
        FERRY_ERRNO_MAP(FERRY_ERRNO_TEXT_)
#undef FERRY_ERRNO_TEXT_
    case 0:
        return "success";
    default:
        break;
    }
    if (code < 0 && code > -4096)
        return strerror(-code);
    return "unknown error";
}

const char *ferry_version(void)
{
    return PACKAGE_VERSION;
}
