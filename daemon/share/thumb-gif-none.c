/*
 * thumb-gif-none.c — a build without the GIF decoder (configure
 * --without-gif, or its library not found): such pictures are answered as
 * themselves. See thumb-decode.h.
 */
#include "config.h"

#include "thumb-decode.h"

const struct thumb_decoder *const thumb_decoder_gif = NULL;
