/* fuzz-png.c — PNG decoder of the PNG-folder loader (pl_dataset_decode_png_data).
 *
 * Input: one PNG file. Decoded as it comes (grey or RGB); on success decoded again
 * converted to the other channel count, which must give the same size. Inputs whose
 * last byte is odd are decoded as they are; for the others the CRC of every complete
 * chunk is recomputed first, so that mutations reach libpng's chunk and image decoding
 * instead of stopping at "CRC error" (libpng checks CRCs before anything else). */
#include "pl-fuzz.h"
#include "data/pl-dataset.h"
#include "pl-error.h"

#include <string.h>
#include <zlib.h>

static void
fix_crcs (guint8 *p, gsize size)
{
  gsize pos = 8;
  while (pos + 12 <= size) {
    guint32 len = ((guint32) p[pos] << 24) | ((guint32) p[pos + 1] << 16) |
                  ((guint32) p[pos + 2] << 8) | p[pos + 3];
    if (len > size - pos - 12)
      return;
    uLong crc = crc32 (0L, p + pos + 4, (uInt) len + 4);
    guint8 *c = p + pos + 8 + len;
    c[0] = (guint8) (crc >> 24);
    c[1] = (guint8) (crc >> 16);
    c[2] = (guint8) (crc >> 8);
    c[3] = (guint8) crc;
    pos += 12 + (gsize) len;
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree guint8 *copy = NULL;
  if (size > 0 && (data[size - 1] & 1) == 0) {
    copy = g_memdup2 (data, size);
    fix_crcs (copy, size);
    data = copy;
  }
  gint c = 0, h = 0, w = 0;
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *px = pl_dataset_decode_png_data (data, size, "fuzz.png", 0, &c, &h, &w,
                                                      &error);
  if (px == NULL) {
    g_assert (error != NULL && error->domain == PL_ERROR);
    return 0;
  }
  g_assert ((c == 1 || c == 3) && h >= 1 && w >= 1 && (gint64) h * w <= (1 << 24));
  volatile guint sum = 0;
  for (gsize i = 0; i < (gsize) c * h * w; i++)
    sum += px[i];
  gint c2 = 0, h2 = 0, w2 = 0;
  g_autofree guint8 *px2 = pl_dataset_decode_png_data (data, size, "fuzz.png", c == 1 ? 3 : 1,
                                                       &c2, &h2, &w2, &error);
  g_assert (px2 != NULL && c2 == (c == 1 ? 3 : 1) && h2 == h && w2 == w);
  if (c == 1) /* grey replicated to RGB */
    for (gsize i = 0; i < (gsize) h * w; i++)
      g_assert (px2[i] == px[i] && px2[(gsize) h * w + i] == px[i]);
  return 0;
}
