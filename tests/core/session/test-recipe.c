/* Recipes: reading every field, the writer's round trip, errors naming the file and the
 * JSON path, unknown keys as warnings, paths, SHA-256 and atomic saves. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>

#include "pl-error.h"
#include "session/pl-recipe.h"

static char *
expect_error (const char *text, PlErrorCode code)
{
  GError *error = NULL;
  PlRecipe *r = pl_recipe_load_data (text, -1, "t.json", NULL, &error);
  ck_assert_msg (r == NULL, "accepted: %s", text);
  ck_assert (error != NULL);
  ck_assert_msg (g_error_matches (error, PL_ERROR, code), "code %d: %s", error->code,
                 error->message);
  char *msg = g_strdup (error->message);
  g_error_free (error);
  return msg;
}

#define HEAD "{\"format\": \"prunelens-recipe\", \"version\": 1"

START_TEST (test_example_fields)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PlRecipe) r = pl_recipe_load_data (pl_recipe_example (), -1, NULL, "/base",
                                                &error);
  ck_assert_msg (r != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq (r->warnings->len, 0);
  ck_assert_int_eq (r->version, 2);
  ck_assert_ptr_null (r->model_path);  /* the default model */
  ck_assert_ptr_null (r->model_sha256);
  ck_assert_str_eq (r->dataset_kind, "idx");
  ck_assert_str_eq (r->dataset_split, "test");
  ck_assert_int_eq (r->n_eval, 200);
  ck_assert_uint_eq (r->steps->len, 2);
  PlRecipeStep *s0 = g_ptr_array_index (r->steps, 0), *s1 = g_ptr_array_index (r->steps, 1);
  ck_assert_int_eq (s0->config->criterion, PL_PRUNE_CRITERION_MAGNITUDE);
  ck_assert_int_eq (s0->config->granularity, PL_PRUNE_GRANULARITY_UNSTRUCTURED);
  ck_assert_int_eq (s0->config->scope, PL_PRUNE_SCOPE_GLOBAL);
  ck_assert_double_eq (s0->sparsity, 0.7);
  ck_assert_int_eq (s1->config->criterion, PL_PRUNE_CRITERION_L1_NORM);
  ck_assert_int_eq (s1->config->granularity, PL_PRUNE_GRANULARITY_CHANNELS);
  ck_assert_int_eq (s1->config->scope, PL_PRUNE_SCOPE_LAYERWISE);
  ck_assert_int_eq (r->current_step, 1);
  ck_assert_uint_eq (r->explanations->len, 1);
  PlComparisonOptions *o = &g_array_index (r->explanations, PlComparisonOptions, 0);
  ck_assert_int_eq (o->method, PL_MAP_SALIENCY);
  ck_assert_int_eq (o->shap_budget, 128);
  ck_assert_uint_eq (r->inputs->len, 2);
  ck_assert_int_eq (g_array_index (r->inputs, gint64, 1), 1);
  ck_assert_uint_eq (r->figures->len, 5);
  PlRecipeFigure *f = &g_array_index (r->figures, PlRecipeFigure, 2);
  ck_assert_int_eq (f->kind, PL_RECIPE_FIGURE_HISTOGRAM);
  ck_assert_int_eq (f->step, 0);
  ck_assert_int_eq (g_array_index (r->figures, PlRecipeFigure, 3).step, -1);
  ck_assert_uint_eq (r->sweep_sparsities->len, 3);
  ck_assert_double_eq (g_array_index (r->sweep_sparsities, double, 1), 0.5);
  ck_assert_int_eq (r->sweep_bootstrap, 100);
  ck_assert_str_eq (r->colormap, "viridis");
  ck_assert (r->captions);
  ck_assert_double_eq (r->dpi, 100);
  g_autofree char *model = pl_recipe_model_file (r);
  g_autofree char *def = pl_default_model_path ();
  ck_assert_str_eq (model, def);
  r->model_path = g_strdup ("../m.onnx");
  g_autofree char *rel = pl_recipe_model_file (r);
  ck_assert_str_eq (rel, "/base/../m.onnx");
  g_autofree char *abs = pl_recipe_resolve_path (r, "/x/y.csv");
  ck_assert_str_eq (abs, "/x/y.csv");
}
END_TEST

START_TEST (test_round_trip)
{
  g_autoptr (PlRecipe) r = pl_recipe_new ();
  r->title = g_strdup ("Ünïcode “title”");
  r->date = g_strdup ("2026-03-04T05:06:07Z");
  r->model_path = g_strdup ("m.onnx");
  r->model_sha256 = g_strdup ("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  r->dataset_path = g_strdup ("iris.csv");
  r->dataset_kind = g_strdup ("csv");
  r->label_column = g_strdup ("species");
  r->n_eval = 77;
  g_autoptr (PlPruneConfig) c = pl_prune_config_new ();
  c->criterion = PL_PRUNE_CRITERION_RANDOM;
  c->seed = 12345678901ULL;
  c->granularity = PL_PRUNE_GRANULARITY_NM;
  c->nm_n = 1;
  c->nm_m = 8;
  const char *prot[] = { "conv1", "fc2", NULL };
  pl_prune_config_set_protected (c, prot);
  pl_prune_config_set_override (c, "zeta", 0.25);
  pl_prune_config_set_override (c, "alpha", 0.125);
  PlRecipeStep *s = pl_recipe_step_new (c, 0.375);
  s->schedule = g_strdup ("cubic");
  s->schedule_steps = 3;
  s->finetune_epochs = 2;
  pl_recipe_add_step (r, s);
  pl_recipe_add_step (r, pl_recipe_step_new (NULL, 0.9));
  r->current_step = 0;
  PlComparisonOptions o;
  pl_comparison_options_init (&o);
  o.method = PL_MAP_INTEGRATED_GRADIENTS;
  o.grid = 7;
  o.baseline = 0.5f;
  g_array_append_val (r->explanations, o);
  gint64 in[] = { 5, 0, 9999 };
  g_array_append_vals (r->inputs, in, 3);
  PlRecipeFigure f = { PL_RECIPE_FIGURE_FILMSTRIP, 1, 5, PL_MAP_OCCLUSION, TRUE };
  g_array_append_val (r->figures, f);
  double sp[] = { 0, 0.25, 1 };
  g_array_append_vals (r->sweep_sparsities, sp, 3);
  r->captions = FALSE;
  r->colormap = g_strdup ("magma");

  gsize len = 0;
  g_autofree char *text = pl_recipe_to_data (r, &len);
  ck_assert_uint_eq (len, strlen (text));
  ck_assert (text[len - 1] == '\n');
  /* overrides written sorted by name */
  ck_assert_ptr_nonnull (strstr (text, "\"alpha\""));
  ck_assert (strstr (text, "\"alpha\"") < strstr (text, "\"zeta\""));

  g_autoptr (GError) error = NULL;
  g_autoptr (PlRecipe) back = pl_recipe_load_data (text, (gssize) len, "rt", NULL, &error);
  ck_assert_msg (back != NULL, "%s\n%s", error ? error->message : "", text);
  ck_assert_uint_eq (back->warnings->len, 0);
  ck_assert_str_eq (back->title, r->title);
  ck_assert_str_eq (back->label_column, "species");
  ck_assert_int_eq (back->n_eval, 77);
  PlRecipeStep *b = g_ptr_array_index (back->steps, 0);
  ck_assert_int_eq (b->config->criterion, PL_PRUNE_CRITERION_RANDOM);
  ck_assert (b->config->seed == 12345678901ULL);
  ck_assert_int_eq (b->config->nm_n, 1);
  ck_assert_int_eq (b->config->nm_m, 8);
  ck_assert_str_eq (b->config->protected_layers[1], "fc2");
  ck_assert_ptr_null (b->config->protected_layers[2]);
  ck_assert_double_eq (*(double *) g_hash_table_lookup (b->config->overrides, "alpha"), 0.125);
  ck_assert_double_eq (b->sparsity, 0.375);
  ck_assert_str_eq (b->schedule, "cubic");
  ck_assert_int_eq (b->schedule_steps, 3);
  ck_assert_int_eq (b->finetune_epochs, 2);
  ck_assert_ptr_null (((PlRecipeStep *) g_ptr_array_index (back->steps, 1))->config->protected_layers);
  ck_assert_int_eq (back->current_step, 0);
  PlComparisonOptions *bo = &g_array_index (back->explanations, PlComparisonOptions, 0);
  ck_assert_int_eq (bo->method, PL_MAP_INTEGRATED_GRADIENTS);
  ck_assert_int_eq (bo->grid, 7);
  ck_assert_float_eq (bo->baseline, 0.5f);
  ck_assert_int_eq (g_array_index (back->inputs, gint64, 2), 9999);
  PlRecipeFigure *bf = &g_array_index (back->figures, PlRecipeFigure, 0);
  ck_assert_int_eq (bf->kind, PL_RECIPE_FIGURE_FILMSTRIP);
  ck_assert_int_eq (bf->method, PL_MAP_OCCLUSION);
  ck_assert (bf->method_set);
  ck_assert_double_eq (g_array_index (back->sweep_sparsities, double, 1), 0.25);
  ck_assert (!back->captions);
  /* writing again gives the same bytes */
  g_autofree char *again = pl_recipe_to_data (back, NULL);
  ck_assert_str_eq (again, text);
}
END_TEST

START_TEST (test_errors_name_path)
{
  g_autofree char *m1 = expect_error (HEAD ", \"steps\": [{}, {}, {\"sparsity\": 1.5}]}",
                                      PL_ERROR_PARSE);
  ck_assert_str_eq (m1, "t.json: steps[2].sparsity: expected a number in [0, 1]");
  g_autofree char *m2 = expect_error (HEAD ", \"steps\": [{\"criterion\": \"best\"}]}",
                                      PL_ERROR_PARSE);
  ck_assert_ptr_nonnull (strstr (m2, "t.json: steps[0].criterion: unknown value \"best\""));
  g_autofree char *m3 = expect_error (HEAD ", \"figures\": [\"saliency\", {\"kind\": \"pie\"}]}",
                                      PL_ERROR_PARSE);
  ck_assert_ptr_nonnull (strstr (m3, "figures[1].kind"));
  g_autofree char *m4 = expect_error (HEAD ", \"inputs\": [1, -3]}", PL_ERROR_PARSE);
  ck_assert_ptr_nonnull (strstr (m4, "inputs[1]"));
  g_autofree char *m5 = expect_error (HEAD ", \"model\": {\"sha256\": \"abc\"}}", PL_ERROR_PARSE);
  ck_assert_ptr_nonnull (strstr (m5, "model.sha256"));
  g_autofree char *m6 = expect_error ("{\"format\": \"prunelens-recipe\", \"version\": 99}",
                                      PL_ERROR_UNSUPPORTED);
  ck_assert_ptr_nonnull (strstr (m6, "version"));
  g_autofree char *m7 = expect_error ("{\"version\": 1}", PL_ERROR_PARSE);
  ck_assert_ptr_nonnull (strstr (m7, "t.json: format"));
  g_autofree char *m8 = expect_error ("[1, 2", PL_ERROR_PARSE);
  ck_assert_ptr_nonnull (strstr (m8, "not valid JSON"));
  g_autofree char *m9 = expect_error (HEAD ", \"steps\": [{\"n\": 3, \"m\": 2}]}", PL_ERROR_PARSE);
  ck_assert_ptr_nonnull (strstr (m9, "steps[0].n"));
  g_autofree char *m10 = expect_error (HEAD ", \"steps\": [{\"overrides\": {\"fc\": \"x\"}}]}",
                                       PL_ERROR_PARSE);
  ck_assert_ptr_nonnull (strstr (m10, "steps[0].overrides.fc"));
  g_autofree char *m11 = expect_error (HEAD ", \"figures\": [{\"kind\": \"sweep\", \"step\": 0}]}",
                                       PL_ERROR_PARSE);
  ck_assert_ptr_nonnull (strstr (m11, "figures[0].step"));
  g_autofree char *m12 = expect_error (HEAD ", \"date\": \"yesterday\"}", PL_ERROR_PARSE);
  ck_assert_ptr_nonnull (strstr (m12, "t.json: date"));
  g_autofree char *m13 = expect_error (HEAD ", \"settings\": {\"captions\": 1}}", PL_ERROR_PARSE);
  ck_assert_ptr_nonnull (strstr (m13, "settings.captions"));
  g_autofree char *m14 = expect_error (HEAD ", \"n_eval\": 2.5}", PL_ERROR_PARSE);
  ck_assert_ptr_nonnull (strstr (m14, "n_eval"));
  /* invalid UTF-8 and deep nesting */
  g_autofree char *m15 = expect_error (HEAD ", \"title\": \"\xff\"}", PL_ERROR_PARSE);
  g_autofree char *at = g_strdup_printf ("byte %zu:", strlen (HEAD ", \"title\": \""));
  ck_assert_ptr_nonnull (strstr (m15, at));
  GString *deep = g_string_new (HEAD ", \"x\": ");
  for (int i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  g_autofree char *m16 = expect_error (deep->str, PL_ERROR_PARSE);
  ck_assert_ptr_nonnull (strstr (m16, "nested"));
  g_string_free (deep, TRUE);
}
END_TEST

/* Step numbers: version 2 counts as the report (0 = the original, k = after steps[k − 1]);
 * version 1 files keep their meaning (index into steps; current_step -1 = the original). */
START_TEST (test_step_numbering_versions)
{
  const char *steps = "\"steps\": [{\"sparsity\": 0.5}, {\"sparsity\": 0.9}]";
  g_autoptr (GError) error = NULL;
  g_autofree char *v2 = g_strdup_printf (
      "{\"format\": \"prunelens-recipe\", \"version\": 2, %s, \"current_step\": 0, "
      "\"figures\": [{\"kind\": \"confusion\", \"step\": 0}, {\"kind\": \"confusion\", "
      "\"step\": 1}, {\"kind\": \"histogram\", \"step\": 2}, {\"kind\": \"histogram\"}]}",
      steps);
  g_autoptr (PlRecipe) r2 = pl_recipe_load_data (v2, -1, "v2.json", NULL, &error);
  ck_assert_msg (r2 != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (r2->current_step, -1);   /* the original */
  ck_assert_int_eq (g_array_index (r2->figures, PlRecipeFigure, 0).step, PL_RECIPE_STEP_ORIGINAL);
  ck_assert_int_eq (g_array_index (r2->figures, PlRecipeFigure, 1).step, 0);
  ck_assert_int_eq (g_array_index (r2->figures, PlRecipeFigure, 2).step, 1);
  ck_assert_int_eq (g_array_index (r2->figures, PlRecipeFigure, 3).step, -1);
  /* written back with the same numbers */
  g_autofree char *text = pl_recipe_to_data (r2, NULL);
  ck_assert_ptr_nonnull (strstr (text, "\"version\" : 2"));
  ck_assert_ptr_nonnull (strstr (text, "\"current_step\" : 0"));
  g_autoptr (PlRecipe) back = pl_recipe_load_data (text, -1, "back.json", NULL, &error);
  ck_assert_msg (back != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (back->current_step, -1);
  for (guint i = 0; i < 4; i++)
    ck_assert_int_eq (g_array_index (back->figures, PlRecipeFigure, i).step,
                      g_array_index (r2->figures, PlRecipeFigure, i).step);

  /* version 1: "step": 0 is steps[0], current_step 1 is steps[1] */
  g_autofree char *v1 = g_strdup_printf (
      HEAD ", %s, \"current_step\": 1, \"figures\": [{\"kind\": \"confusion\", "
      "\"step\": 0}, {\"kind\": \"histogram\", \"step\": 1}]}", steps);
  g_autoptr (PlRecipe) r1 = pl_recipe_load_data (v1, -1, "v1.json", NULL, &error);
  ck_assert_msg (r1 != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (r1->current_step, 1);
  ck_assert_int_eq (g_array_index (r1->figures, PlRecipeFigure, 0).step, 0);
  ck_assert_int_eq (g_array_index (r1->figures, PlRecipeFigure, 1).step, 1);

  /* version 2 ranges: step 3 and current_step 3 are beyond two steps, -1 is no step */
  g_autofree char *bad_fig = g_strdup_printf (
      "{\"format\": \"prunelens-recipe\", \"version\": 2, %s, "
      "\"figures\": [{\"kind\": \"confusion\", \"step\": 3}]}", steps);
  g_autofree char *m1 = expect_error (bad_fig, PL_ERROR_PARSE);
  ck_assert_ptr_nonnull (strstr (m1, "figures[0].step"));
  ck_assert_ptr_nonnull (strstr (m1, "0 (the original)"));
  g_autofree char *bad_cur = g_strdup_printf (
      "{\"format\": \"prunelens-recipe\", \"version\": 2, %s, \"current_step\": 3}", steps);
  g_autofree char *m2 = expect_error (bad_cur, PL_ERROR_PARSE);
  ck_assert_ptr_nonnull (strstr (m2, "current_step"));
  g_autofree char *neg_cur = g_strdup_printf (
      "{\"format\": \"prunelens-recipe\", \"version\": 2, %s, \"current_step\": -1}", steps);
  g_autofree char *m3 = expect_error (neg_cur, PL_ERROR_PARSE);
  ck_assert_ptr_nonnull (strstr (m3, "current_step"));
}
END_TEST

START_TEST (test_unknown_keys_warn)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (PlRecipe) r = pl_recipe_load_data (
      HEAD ", \"colour\": 1, \"steps\": [{\"sparsity\": 0.5, \"speed\": \"fast\"}]}", -1,
      "w.json", NULL, &error);
  ck_assert_msg (r != NULL, "%s", error ? error->message : "");
  ck_assert_uint_eq (r->warnings->len, 2);
  ck_assert_str_eq (g_ptr_array_index (r->warnings, 0), "w.json: colour: unknown key, ignored");
  ck_assert_str_eq (g_ptr_array_index (r->warnings, 1),
                    "w.json: steps[0].speed: unknown key, ignored");
  /* defaults */
  ck_assert_int_eq (r->current_step, 0);
  ck_assert_int_eq (r->n_eval, 1000);
  PlRecipeStep *s = g_ptr_array_index (r->steps, 0);
  ck_assert_int_eq (s->config->criterion, PL_PRUNE_CRITERION_MAGNITUDE);
  ck_assert_ptr_null (s->config->protected_layers);
}
END_TEST

START_TEST (test_files_and_hash)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("pl-recipe-XXXXXX", &error);
  ck_assert (dir != NULL);
  g_autofree char *model = g_build_filename (dir, "m.onnx", NULL);
  ck_assert (g_file_set_contents (model, "abc", 3, NULL));
  g_autofree char *sum = pl_file_sha256 (model, &error);
  ck_assert_str_eq (sum, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

  g_autoptr (PlRecipe) r = pl_recipe_new ();
  r->base_dir = g_strdup (dir);
  ck_assert (pl_recipe_set_model (r, "m.onnx", &error));
  ck_assert_str_eq (r->model_path, "m.onnx");
  ck_assert_str_eq (r->model_sha256, sum);
  g_autofree char *path = g_build_filename (dir, "s.prunelens", NULL);
  ck_assert_msg (pl_recipe_save_file (r, path, &error), "%s", error ? error->message : "");

  g_autoptr (PlRecipe) back = pl_recipe_load_file (path, &error);
  ck_assert_msg (back != NULL, "%s", error ? error->message : "");
  ck_assert_str_eq (back->base_dir, dir);
  ck_assert (pl_recipe_check_model (back, &error));
  /* the model changes: a clear error */
  ck_assert (g_file_set_contents (model, "abd", 3, NULL));
  ck_assert (!pl_recipe_check_model (back, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_INVALID));
  ck_assert_ptr_nonnull (strstr (error->message, "has changed"));
  ck_assert_ptr_nonnull (strstr (error->message, model));
  g_clear_error (&error);
  /* missing model, missing file, unwritable folder */
  g_unlink (model);
  ck_assert (!pl_recipe_check_model (back, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_IO));
  g_clear_error (&error);
  g_autofree char *none = g_build_filename (dir, "none.json", NULL);
  ck_assert (pl_recipe_load_file (none, &error) == NULL);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_IO));
  ck_assert_ptr_nonnull (strstr (error->message, none));
  g_clear_error (&error);
  g_autofree char *bad = g_build_filename (dir, "no-such-dir", "x.json", NULL);
  ck_assert (!pl_recipe_save_file (r, bad, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_IO));
  g_clear_error (&error);
  /* a bad file names itself */
  g_autofree char *badrec = g_build_filename (dir, "bad.json", NULL);
  ck_assert (g_file_set_contents (badrec, HEAD ", \"steps\": [{\"sparsity\": -1}]}", -1, NULL));
  ck_assert (pl_recipe_load_file (badrec, &error) == NULL);
  g_autofree char *want = g_strdup_printf ("%s: steps[0].sparsity: expected a number in [0, 1]",
                                           badrec);
  ck_assert_str_eq (error->message, want);
  g_clear_error (&error);

  g_unlink (path);
  g_unlink (badrec);
  g_rmdir (dir);
}
END_TEST

START_TEST (test_figure_ids)
{
  for (int k = 0; k < PL_RECIPE_N_FIGURE_KINDS; k++)
    {
      PlRecipeFigureKind back;
      ck_assert (pl_recipe_figure_kind_from_id (pl_recipe_figure_kind_id (k), &back));
      ck_assert_int_eq (back, k);
    }
  ck_assert (!pl_recipe_figure_kind_from_id ("pie", NULL));
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("recipe");
  TCase *tc = tcase_create ("recipe");
  tcase_add_test (tc, test_example_fields);
  tcase_add_test (tc, test_round_trip);
  tcase_add_test (tc, test_errors_name_path);
  tcase_add_test (tc, test_unknown_keys_warn);
  tcase_add_test (tc, test_step_numbering_versions);
  tcase_add_test (tc, test_files_and_hash);
  tcase_add_test (tc, test_figure_ids);
  suite_add_tcase (s, tc);
  SRunner *sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
