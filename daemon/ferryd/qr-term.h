/*
 * qr-term.h — a QR code drawn in the terminal (libqrencode), so a phone's
 * camera can open ferryd's URL.
 */
#ifndef FERRYD_QR_TERM_H
#define FERRYD_QR_TERM_H

#include <stdio.h>

/*
 * Draws `text` as a QR code on `out` with Unicode half blocks, two modules
 * per character cell, dark on an explicit light background (ANSI colours) so
 * that it scans on dark and light terminals alike. Returns 0, or -1 when the
 * text cannot be encoded (nothing is printed).
 */
int qr_term_print(FILE *out, const char *text);

#endif
