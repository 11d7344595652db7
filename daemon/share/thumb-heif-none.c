/*
 * thumb-heif-none.c — a build without the HEIF decoder (configure
 * --without-heif, or its library not found): such pictures are answered as
 * themselves. See thumb-decode.h.
 */
#include "config.h"

#include "thumb-decode.h"

const struct thumb_decoder *const thumb_decoder_heif = NULL;
