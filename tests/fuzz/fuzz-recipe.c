/* fuzz-recipe.c — recipe / session reader (pl_recipe_load_data).
 *
 * The input is the recipe text. On success the recipe is written back
 * (pl_recipe_to_data), read again and written again: both texts must be equal (the
 * writer's output is always readable and the round trip is stable), and the figures'
 * steps and current_step must be in range. */
#include "pl-fuzz.h"
#include "pl-error.h"
#include "session/pl-recipe.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PlRecipe) r = pl_recipe_load_data ((const char *) data, (gssize) size, "fuzz",
                                                "/base", &error);
  if (r == NULL)
    {
      g_assert (error != NULL && error->domain == PL_ERROR);
      g_assert (g_str_has_prefix (error->message, "fuzz: "));
      return 0;
    }
  g_assert (r->current_step >= -1 && r->current_step < (gint) r->steps->len);
  for (guint i = 0; i < r->figures->len; i++)
    g_assert (g_array_index (r->figures, PlRecipeFigure, i).step < (gint) r->steps->len);
  for (guint i = 0; i < r->steps->len; i++)
    {
      const PlRecipeStep *s = g_ptr_array_index (r->steps, i);
      g_assert (s->sparsity >= 0 && s->sparsity <= 1);
      g_assert (s->config->nm_n >= 1 && s->config->nm_n <= s->config->nm_m);
    }
  gsize len = 0;
  g_autofree char *text = pl_recipe_to_data (r, &len);
  g_autoptr (PlRecipe) back = pl_recipe_load_data (text, (gssize) len, "fuzz", NULL, &error);
  if (back == NULL)
    g_error ("the writer's output does not read back: %s\n%s", error->message, text);
  g_autofree char *again = pl_recipe_to_data (back, NULL);
  g_assert_cmpstr (text, ==, again);
  return 0;
}
