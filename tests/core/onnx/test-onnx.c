/* test-onnx.c — ONNX read/write: round trips, malformed files, hand-made ModelProtos,
 * and ONNX's own backend test data (libonnx-testdata) when installed. */
#include <check.h>
#include <glib/gstdio.h>
#include <string.h>

#include "config.h"
#include "pl-error.h"
#include "onnx/pl-onnx.h"
#include "onnx.pb-c.h"

#define ONNX_NODE_DATA "/usr/include/onnx/backend/test/data/node"

/* ---------------------------------------------------------------- helpers */

/* X [N,1,4,4] -> Conv -> Relu -> Flatten -> Gemm -> Reshape(shape INT64 [-1, 3]) -> Y */
static PlGraph *
build_model (void)
{
  PlGraph *g = pl_graph_new ();
  g->opset = 13;
  gint64 xs[4] = { -1, 1, 4, 4 };
  gint x = pl_graph_add_input (g, "X", 4, xs);
  pl_graph_value (g, x)->dim_param0 = g_strdup ("batch");

  g_autoptr (PlTensor) w = pl_tensor_new_4d (2, 1, 3, 3);
  for (gint i = 0; i < 18; i++)
    w->data[i] = (float) (i + 1) / 7.0f;
  w->data[3] = 0.0f;
  w->data[4] = -1e-30f;
  g_autoptr (PlTensor) b = pl_tensor_new_1d (2);
  b->data[0] = 0.5f;
  b->data[1] = -0.5f;
  g_autoptr (PlTensor) w2 = pl_tensor_new_2d (3, 8);
  for (gint i = 0; i < 24; i++)
    w2->data[i] = 0.25f * (float) (i + 1) - 3.0f;
  g_autoptr (PlTensor) b2 = pl_tensor_new_1d (3);
  b2->data[2] = 1.0f;
  g_autoptr (PlTensor) shape = pl_tensor_new_1d (2);
  shape->data[0] = -1.0f;
  shape->data[1] = 3.0f;
  pl_graph_add_initializer (g, "W", w);
  pl_graph_add_initializer (g, "B", b);
  pl_graph_add_initializer (g, "W2", w2);
  pl_graph_add_initializer (g, "B2", b2);
  gint sid = pl_graph_add_initializer (g, "shape", shape);
  pl_graph_value (g, sid)->elem_type = 7;   /* INT64 */

  const char *conv_in[] = { "X", "W", "B" };
  const char *conv_out[] = { "c" };
  PlNode *conv = pl_graph_add_node (g, "Conv", "conv1", 3, conv_in, 1, conv_out);
  gint64 ks[2] = { 3, 3 };
  gint64 pads[4] = { 0, 0, 0, 0 };
  pl_node_set_ints (conv, "kernel_shape", 2, ks);
  pl_node_set_ints (conv, "pads", 4, pads);
  pl_node_set_int (conv, "group", 1);
  pl_node_set_string (conv, "auto_pad", "NOTSET");

  const char *relu_in[] = { "c" };
  const char *relu_out[] = { "r" };
  PlNode *relu = pl_graph_add_node (g, "Relu", "relu1", 1, relu_in, 1, relu_out);
  float fl[3] = { 0.5f, -2.0f, 1e-7f };
  pl_node_set_floats (relu, "test_floats", 3, fl);
  g_autoptr (PlTensor) at = pl_tensor_new_2d (2, 2);
  at->data[0] = 1.0f;
  at->data[3] = -4.25f;
  pl_node_set_tensor (relu, "test_tensor", at);

  const char *fl_in[] = { "r" };
  const char *fl_out[] = { "f" };
  PlNode *flat = pl_graph_add_node (g, "Flatten", "flat", 1, fl_in, 1, fl_out);
  pl_node_set_int (flat, "axis", 1);
  const char *gemm_in[] = { "f", "W2", "B2" };
  const char *gemm_out[] = { "g" };
  PlNode *gemm = pl_graph_add_node (g, "Gemm", "fc", 3, gemm_in, 1, gemm_out);
  pl_node_set_int (gemm, "transB", 1);
  pl_node_set_float (gemm, "alpha", 0.75f);
  const char *rs_in[] = { "g", "shape" };
  const char *rs_out[] = { "Y" };
  pl_graph_add_node (g, "Reshape", "", 2, rs_in, 1, rs_out);
  pl_graph_add_output (g, "Y");
  gint y = pl_graph_find_value (g, "Y");
  pl_graph_value (g, y)->ndim = 2;
  pl_graph_value (g, y)->shape[0] = -1;
  pl_graph_value (g, y)->shape[1] = 3;
  return g;
}

static void
assert_attrs_equal (const PlNode *a, const PlNode *b)
{
  ck_assert_int_eq (a->n_attrs, b->n_attrs);
  for (gint i = 0; i < a->n_attrs; i++)
    {
      const PlAttr *x = &a->attrs[i];
      const PlAttr *y = pl_node_get_attr (b, x->name);
      ck_assert_msg (y != NULL, "attribute %s lost", x->name);
      ck_assert_int_eq (x->type, y->type);
      switch (x->type)
        {
        case PL_ATTR_FLOAT: ck_assert (x->f == y->f); break;
        case PL_ATTR_INT: ck_assert_int_eq (x->i, y->i); break;
        case PL_ATTR_STRING: ck_assert_str_eq (x->s, y->s); break;
        case PL_ATTR_TENSOR:
          ck_assert (pl_tensor_same_shape (x->t, y->t));
          ck_assert_int_eq (memcmp (x->t->data, y->t->data, sizeof (float) * x->t->numel), 0);
          break;
        case PL_ATTR_FLOATS:
          ck_assert_int_eq (x->n, y->n);
          ck_assert_int_eq (memcmp (x->floats, y->floats, sizeof (float) * x->n), 0);
          break;
        case PL_ATTR_INTS:
          ck_assert_int_eq (x->n, y->n);
          ck_assert_int_eq (memcmp (x->ints, y->ints, sizeof (gint64) * x->n), 0);
          break;
        default:
          ck_abort_msg ("bad attribute type");
        }
    }
}

static const char *
id_name (const PlGraph *g, gint id)
{
  return id < 0 ? "" : pl_graph_value (g, id)->name;
}

static void
assert_graphs_equal (const PlGraph *a, const PlGraph *b)
{
  ck_assert_int_eq (a->nodes->len, b->nodes->len);
  ck_assert_int_eq (a->inputs->len, b->inputs->len);
  ck_assert_int_eq (a->outputs->len, b->outputs->len);
  for (guint k = 0; k < a->nodes->len; k++)
    {
      const PlNode *x = g_ptr_array_index (a->nodes, k);
      const PlNode *y = g_ptr_array_index (b->nodes, k);
      ck_assert_str_eq (x->op_type, y->op_type);
      ck_assert_str_eq (x->name, y->name);
      ck_assert_str_eq (x->domain, y->domain);
      ck_assert_int_eq (x->n_inputs, y->n_inputs);
      ck_assert_int_eq (x->n_outputs, y->n_outputs);
      for (gint i = 0; i < x->n_inputs; i++)
        ck_assert_str_eq (id_name (a, x->inputs[i]), id_name (b, y->inputs[i]));
      for (gint i = 0; i < x->n_outputs; i++)
        ck_assert_str_eq (id_name (a, x->outputs[i]), id_name (b, y->outputs[i]));
      assert_attrs_equal (x, y);
    }
  for (guint i = 0; i < a->inputs->len; i++)
    {
      const PlValue *x = pl_graph_value (a, g_array_index (a->inputs, gint, i));
      const PlValue *y = pl_graph_value (b, g_array_index (b->inputs, gint, i));
      ck_assert_str_eq (x->name, y->name);
      ck_assert_int_eq (x->ndim, y->ndim);
      for (gint d = 0; d < x->ndim; d++)
        ck_assert_int_eq (x->shape[d], y->shape[d]);
    }
  for (guint i = 0; i < a->outputs->len; i++)
    ck_assert_str_eq (pl_graph_value (a, g_array_index (a->outputs, gint, i))->name,
                      pl_graph_value (b, g_array_index (b->outputs, gint, i))->name);
  /* Initializers: same names, shapes and bytes. */
  guint n_init_a = 0, n_init_b = 0;
  for (guint v = 0; v < a->values->len; v++)
    {
      const PlValue *x = pl_graph_value (a, v);
      if (x->init == NULL)
        continue;
      n_init_a++;
      gint id = pl_graph_find_value (b, x->name);
      ck_assert_int_ge (id, 0);
      const PlValue *y = pl_graph_value (b, id);
      ck_assert_ptr_nonnull (y->init);
      ck_assert (pl_tensor_same_shape (x->init, y->init));
      ck_assert_int_eq (memcmp (x->init->data, y->init->data,
                                sizeof (float) * x->init->numel), 0);
    }
  for (guint v = 0; v < b->values->len; v++)
    if (pl_graph_value (b, v)->init != NULL)
      n_init_b++;
  ck_assert_int_eq (n_init_a, n_init_b);
}

/* Packs a hand-made ModelProto. */
static guint8 *
pack_model (Onnx__ModelProto *m, gsize *len)
{
  *len = protobuf_c_message_get_packed_size (&m->base);
  guint8 *buf = g_malloc (*len + 1);
  protobuf_c_message_pack (&m->base, buf);
  return buf;
}

static char *
write_temp (const char *dir, const char *name, const void *data, gsize len)
{
  char *path = g_build_filename (dir, name, NULL);
  ck_assert (g_file_set_contents (path, data, (gssize) len, NULL));
  return path;
}

static void
remove_dir (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *n;
  while (d && (n = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, n, NULL);
      g_unlink (p);
    }
  g_rmdir (dir);
}

/* ---------------------------------------------------------------- round trips */

START_TEST (test_roundtrip_memory)
{
  g_autoptr (PlGraph) g = build_model ();
  ck_assert (pl_graph_validate (g, NULL));
  gsize len = 0;
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *data = pl_onnx_save_data (g, &len, &error);
  ck_assert_msg (data != NULL, "%s", error ? error->message : "");
  ck_assert_uint_gt (len, 0);

  g_autoptr (PlGraph) h = pl_onnx_load_data (data, len, "roundtrip.onnx", &error);
  ck_assert_msg (h != NULL, "%s", error ? error->message : "");
  assert_graphs_equal (g, h);
  ck_assert_int_eq (h->opset, 13);
  ck_assert_int_eq (h->ir_version, 8);
  ck_assert_str_eq (h->producer_name, "PruneLens");
  ck_assert_str_eq (h->producer_version, PACKAGE_VERSION);

  gint x = pl_graph_find_value (h, "X");
  ck_assert_str_eq (pl_graph_value (h, x)->dim_param0, "batch");
  ck_assert_int_eq (pl_graph_value (h, x)->shape[0], -1);
  gint64 sample[PL_TENSOR_MAX_DIMS];
  ck_assert_int_eq (pl_graph_sample_shape (h, sample), 3);
  ck_assert_int_eq (sample[2], 4);
  gint y = pl_graph_find_value (h, "Y");
  ck_assert_int_eq (pl_graph_value (h, y)->ndim, 2);
  ck_assert_int_eq (pl_graph_value (h, y)->shape[0], -1);
  ck_assert_int_eq (pl_graph_value (h, y)->shape[1], 3);
  /* The INT64 shape initializer keeps its type. */
  const PlValue *sv = pl_graph_value (h, pl_graph_find_value (h, "shape"));
  ck_assert_int_eq (sv->elem_type, 7);
  ck_assert (sv->init->data[0] == -1.0f && sv->init->data[1] == 3.0f);
  ck_assert_int_eq (pl_graph_value (h, pl_graph_find_value (h, "W"))->elem_type, 1);
  /* Reshape's node had no name. */
  ck_assert_str_eq (((PlNode *) g_ptr_array_index (h->nodes, 4))->name, "");
  ck_assert_int_eq (pl_graph_n_parameters (h), pl_graph_n_parameters (g));
  ck_assert (pl_graph_weight_sparsity (h) == pl_graph_weight_sparsity (g));

  /* Saving again gives the same bytes (deterministic writer). */
  gsize len2 = 0;
  g_autofree guint8 *data2 = pl_onnx_save_data (h, &len2, &error);
  ck_assert_uint_eq (len, len2);
  ck_assert_int_eq (memcmp (data, data2, len), 0);

  /* Masks are not saved: the weights are. */
  PlValue *wv = pl_graph_value (g, pl_graph_find_value (g, "W"));
  wv->mask = pl_tensor_new_like (wv->init);
  gsize len3 = 0;
  g_autofree guint8 *data3 = pl_onnx_save_data (g, &len3, &error);
  ck_assert_uint_eq (len3, len);
  ck_assert_int_eq (memcmp (data, data3, len), 0);

  /* opset 0 is written as 13; a symbolic dim without a name as "N". */
  g->opset = 0;
  g_clear_pointer (&pl_graph_value (g, pl_graph_find_value (g, "X"))->dim_param0, g_free);
  gsize len4 = 0;
  g_autofree guint8 *data4 = pl_onnx_save_data (g, &len4, &error);
  g_autoptr (PlGraph) k = pl_onnx_load_data (data4, len4, "k", &error);
  ck_assert_int_eq (k->opset, 13);
  ck_assert_str_eq (pl_graph_value (k, pl_graph_find_value (k, "X"))->dim_param0, "N");
}
END_TEST

/* Checks the saved bytes with protobuf-c directly: what another ONNX reader will see. */
START_TEST (test_saved_model_fields)
{
  g_autoptr (PlGraph) g = build_model ();
  gsize len = 0;
  g_autofree guint8 *data = pl_onnx_save_data (g, &len, NULL);
  Onnx__ModelProto *m = onnx__model_proto__unpack (NULL, len, data);
  ck_assert_ptr_nonnull (m);
  ck_assert_int_eq (m->ir_version, 8);
  ck_assert_int_eq (m->n_opset_import, 1);
  ck_assert_int_eq (m->opset_import[0]->version, 13);
  ck_assert_str_eq (m->producer_name, "PruneLens");
  ck_assert_int_eq (m->graph->n_input, 1);
  ck_assert_int_eq (m->graph->n_initializer, 5);
  ck_assert_int_eq (m->graph->n_node, 5);
  Onnx__TensorShapeProto *sp = m->graph->input[0]->type->tensor_type->shape;
  ck_assert_int_eq (sp->n_dim, 4);
  ck_assert_str_eq (sp->dim[0]->dim_param, "batch");
  ck_assert_int_eq (sp->dim[3]->dim_value, 4);
  for (gsize i = 0; i < m->graph->n_initializer; i++)
    {
      Onnx__TensorProto *tp = m->graph->initializer[i];
      ck_assert (tp->has_raw_data);
      if (g_str_equal (tp->name, "shape"))
        {
          /* INT64 little-endian: -1, 3 */
          ck_assert_int_eq (tp->data_type, 7);
          ck_assert_uint_eq (tp->raw_data.len, 16);
          static const guint8 expect[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                             3, 0, 0, 0, 0, 0, 0, 0 };
          ck_assert_int_eq (memcmp (tp->raw_data.data, expect, 16), 0);
        }
      else if (g_str_equal (tp->name, "B"))
        {
          /* FLOAT little-endian: 0.5 = 0x3f000000, -0.5 = 0xbf000000 */
          ck_assert_int_eq (tp->data_type, 1);
          static const guint8 expect[8] = { 0, 0, 0, 0x3f, 0, 0, 0, 0xbf };
          ck_assert_uint_eq (tp->raw_data.len, 8);
          ck_assert_int_eq (memcmp (tp->raw_data.data, expect, 8), 0);
        }
    }
  onnx__model_proto__free_unpacked (m, NULL);

  /* A shape initializer built in code (elem_type 0) is written as INT64 because
   * Reshape requires it; W (FLOAT weights at Conv) stays FLOAT. */
  pl_graph_value (g, pl_graph_find_value (g, "shape"))->elem_type = 0;
  g_autofree guint8 *data2 = pl_onnx_save_data (g, &len, NULL);
  m = onnx__model_proto__unpack (NULL, len, data2);
  ck_assert_ptr_nonnull (m);
  for (gsize i = 0; i < m->graph->n_initializer; i++)
    {
      Onnx__TensorProto *tp = m->graph->initializer[i];
      ck_assert_int_eq (tp->data_type, g_str_equal (tp->name, "shape") ? 7 : 1);
    }
  onnx__model_proto__free_unpacked (m, NULL);

  /* ... but not when its values are not whole numbers (kept as they are). */
  pl_graph_value (g, pl_graph_find_value (g, "shape"))->init->data[1] = 2.5f;
  g_autofree guint8 *data3 = pl_onnx_save_data (g, &len, NULL);
  m = onnx__model_proto__unpack (NULL, len, data3);
  for (gsize i = 0; i < m->graph->n_initializer; i++)
    ck_assert_int_eq (m->graph->initializer[i]->data_type, 1);
  onnx__model_proto__free_unpacked (m, NULL);
}
END_TEST

START_TEST (test_roundtrip_file_and_bad_files)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("pl-onnx-XXXXXX", &error);
  ck_assert_ptr_nonnull (dir);
  g_autoptr (PlGraph) g = build_model ();
  g_autofree char *path = g_build_filename (dir, "model.onnx", NULL);
  ck_assert (pl_onnx_save_file (g, path, &error));
  g_autoptr (PlGraph) h = pl_onnx_load_file (path, &error);
  ck_assert_msg (h != NULL, "%s", error ? error->message : "");
  assert_graphs_equal (g, h);

  g_autofree char *contents = NULL;
  gsize len = 0;
  ck_assert (g_file_get_contents (path, &contents, &len, NULL));

  /* Truncated: the first half. */
  g_autofree char *half = write_temp (dir, "half.onnx", contents, len / 2);
  PlGraph *bad = pl_onnx_load_file (half, &error);
  ck_assert_ptr_null (bad);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_PARSE));
  ck_assert_ptr_nonnull (strstr (error->message, "half.onnx"));
  g_clear_error (&error);

  /* Every truncation point fails cleanly or yields a valid graph; none crashes. */
  for (gsize cut = 0; cut < len; cut += 7)
    {
      PlGraph *t = pl_onnx_load_data ((const guint8 *) contents, cut, "cut", &error);
      ck_assert ((t == NULL) == (error != NULL));
      if (t != NULL)
        pl_graph_unref (t);
      g_clear_error (&error);
    }

  /* Random bytes (fixed seed). */
  GRand *rand = g_rand_new_with_seed (42);
  guint8 junk[4096];
  for (gsize i = 0; i < sizeof junk; i++)
    junk[i] = (guint8) g_rand_int_range (rand, 0, 256);
  g_rand_free (rand);
  g_autofree char *rnd = write_temp (dir, "random.onnx", junk, sizeof junk);
  bad = pl_onnx_load_file (rnd, &error);
  ck_assert_ptr_null (bad);
  ck_assert_ptr_nonnull (strstr (error->message, "random.onnx"));
  g_clear_error (&error);

  /* Text file. */
  const char *text = "this is not a model\n";
  g_autofree char *txt = write_temp (dir, "text.onnx", text, strlen (text));
  bad = pl_onnx_load_file (txt, &error);
  ck_assert_ptr_null (bad);
  ck_assert_ptr_nonnull (error);
  g_clear_error (&error);

  /* Empty file. */
  g_autofree char *empty = write_temp (dir, "empty.onnx", "", 0);
  bad = pl_onnx_load_file (empty, &error);
  ck_assert_ptr_null (bad);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_PARSE));
  ck_assert_ptr_nonnull (strstr (error->message, "empty.onnx"));
  g_clear_error (&error);

  /* Missing file. */
  g_autofree char *missing = g_build_filename (dir, "missing.onnx", NULL);
  bad = pl_onnx_load_file (missing, &error);
  ck_assert_ptr_null (bad);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_IO));
  ck_assert_ptr_nonnull (strstr (error->message, "missing.onnx"));
  g_clear_error (&error);

  /* Writing into a folder that does not exist. */
  g_autofree char *nodir = g_build_filename (dir, "no", "such", "x.onnx", NULL);
  ck_assert (!pl_onnx_save_file (g, nodir, &error));
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_IO));
  g_clear_error (&error);

  /* Tensor files. */
  bad = NULL;
  PlTensor *t = pl_onnx_load_tensor_file (missing, &error);
  ck_assert_ptr_null (t);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_IO));
  g_clear_error (&error);
  t = pl_onnx_load_tensor_file (rnd, &error);
  ck_assert_ptr_null (t);
  ck_assert_ptr_nonnull (error);
  g_clear_error (&error);

  remove_dir (dir);
}
END_TEST

/* ---------------------------------------------------------------- hand-made models */

typedef struct {
  Onnx__ModelProto model;
  Onnx__GraphProto graph;
  Onnx__OperatorSetIdProto opset[2];
  Onnx__OperatorSetIdProto *opset_p[2];
  Onnx__TensorProto init[2];
  Onnx__TensorProto *init_p[2];
  int64_t dims[2][4];
  Onnx__ValueInfoProto in[2], out;
  Onnx__ValueInfoProto *in_p[2], *out_p;
  Onnx__TypeProto in_type, out_type;
  Onnx__TypeProto__Tensor in_tt;
  Onnx__TensorShapeProto in_shape;
  Onnx__TensorShapeProto__Dimension in_dim[2];
  Onnx__TensorShapeProto__Dimension *in_dim_p[2];
  Onnx__NodeProto node;
  Onnx__NodeProto *node_p;
  char *node_in[2], *node_out[1];
  Onnx__AttributeProto attr;
  Onnx__AttributeProto *attr_p;
  float wdata[6];
} Hand;

/* x [batch, 3] -> MatMul(W [3, 2]) -> y. W in float_data. Opsets: "" 11 and "ai.onnx" 17
 * appear: the last default-domain entry wins. */
static void
hand_init (Hand *h)
{
  memset (h, 0, sizeof *h);
  onnx__model_proto__init (&h->model);
  onnx__graph_proto__init (&h->graph);
  h->model.has_ir_version = 1;
  h->model.ir_version = 7;
  h->model.graph = &h->graph;
  h->model.producer_name = (char *) "hand";
  for (int i = 0; i < 2; i++)
    {
      onnx__operator_set_id_proto__init (&h->opset[i]);
      h->opset_p[i] = &h->opset[i];
    }
  h->opset[0].domain = (char *) "com.example";
  h->opset[0].has_version = 1;
  h->opset[0].version = 3;
  h->opset[1].domain = (char *) "ai.onnx";
  h->opset[1].has_version = 1;
  h->opset[1].version = 17;
  h->model.n_opset_import = 2;
  h->model.opset_import = h->opset_p;

  onnx__tensor_proto__init (&h->init[0]);
  h->init_p[0] = &h->init[0];
  h->init[0].name = (char *) "W";
  h->dims[0][0] = 3;
  h->dims[0][1] = 2;
  h->init[0].n_dims = 2;
  h->init[0].dims = h->dims[0];
  h->init[0].has_data_type = 1;
  h->init[0].data_type = 1;
  for (int i = 0; i < 6; i++)
    h->wdata[i] = (float) i - 2.5f;
  h->init[0].n_float_data = 6;
  h->init[0].float_data = h->wdata;
  h->graph.n_initializer = 1;
  h->graph.initializer = h->init_p;

  onnx__value_info_proto__init (&h->in[0]);
  onnx__type_proto__init (&h->in_type);
  onnx__type_proto__tensor__init (&h->in_tt);
  onnx__tensor_shape_proto__init (&h->in_shape);
  for (int i = 0; i < 2; i++)
    {
      onnx__tensor_shape_proto__dimension__init (&h->in_dim[i]);
      h->in_dim_p[i] = &h->in_dim[i];
    }
  h->in_dim[0].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
  h->in_dim[0].dim_param = (char *) "batch_size";
  h->in_dim[1].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
  h->in_dim[1].dim_value = 3;
  h->in_shape.n_dim = 2;
  h->in_shape.dim = h->in_dim_p;
  h->in_tt.has_elem_type = 1;
  h->in_tt.elem_type = 1;
  h->in_tt.shape = &h->in_shape;
  h->in_type.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  h->in_type.tensor_type = &h->in_tt;
  h->in[0].name = (char *) "x";
  h->in[0].type = &h->in_type;
  h->in_p[0] = &h->in[0];
  /* W also listed as an input (IR < 4 style). */
  onnx__value_info_proto__init (&h->in[1]);
  h->in[1].name = (char *) "W";
  h->in_p[1] = &h->in[1];
  h->graph.n_input = 2;
  h->graph.input = h->in_p;

  onnx__value_info_proto__init (&h->out);
  h->out.name = (char *) "y";
  h->out_p = &h->out;
  h->graph.n_output = 1;
  h->graph.output = &h->out_p;

  onnx__node_proto__init (&h->node);
  h->node.name = (char *) "mm";
  h->node.op_type = (char *) "MatMul";
  h->node_in[0] = (char *) "x";
  h->node_in[1] = (char *) "W";
  h->node_out[0] = (char *) "y";
  h->node.n_input = 2;
  h->node.input = h->node_in;
  h->node.n_output = 1;
  h->node.output = h->node_out;
  onnx__attribute_proto__init (&h->attr);
  h->attr.name = (char *) "note";
  h->attr.has_type = 1;
  h->attr.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
  h->attr.has_s = 1;
  h->attr.s.data = (uint8_t *) "hi";
  h->attr.s.len = 2;
  h->attr_p = &h->attr;
  h->node.n_attribute = 1;
  h->node.attribute = &h->attr_p;
  h->node_p = &h->node;
  h->graph.n_node = 1;
  h->graph.node = &h->node_p;
}

static PlGraph *
hand_load (Hand *h, GError **error)
{
  gsize len;
  g_autofree guint8 *buf = pack_model (&h->model, &len);
  return pl_onnx_load_data (buf, len, "hand.onnx", error);
}

static void
hand_expect_error (Hand *h, int code, const char *needle)
{
  g_autoptr (GError) error = NULL;
  PlGraph *g = hand_load (h, &error);
  ck_assert_msg (g == NULL, "expected an error containing '%s'", needle);
  ck_assert_msg (g_error_matches (error, PL_ERROR, code), "code %d, expected %d: %s",
                 error->code, code, error->message);
  ck_assert_msg (strstr (error->message, needle) != NULL, "'%s' lacks '%s'",
                 error->message, needle);
  ck_assert_ptr_nonnull (strstr (error->message, "hand.onnx"));
}

START_TEST (test_hand_model_ok)
{
  Hand h;
  hand_init (&h);
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) g = hand_load (&h, &error);
  ck_assert_msg (g != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (g->opset, 17);
  ck_assert_int_eq (g->ir_version, 7);
  ck_assert_str_eq (g->producer_name, "hand");
  ck_assert_int_eq (g->inputs->len, 1);   /* W is an initializer, not an input */
  const PlValue *x = pl_graph_value (g, g_array_index (g->inputs, gint, 0));
  ck_assert_str_eq (x->name, "x");
  ck_assert_int_eq (x->ndim, 2);
  ck_assert_int_eq (x->shape[0], -1);
  ck_assert_int_eq (x->shape[1], 3);
  ck_assert_str_eq (x->dim_param0, "batch_size");
  const PlValue *w = pl_graph_value (g, pl_graph_find_value (g, "W"));
  ck_assert_int_eq (w->init->shape[0], 3);
  ck_assert_int_eq (w->init->shape[1], 2);
  ck_assert (w->init->data[0] == -2.5f && w->init->data[5] == 2.5f);
  const PlNode *n = g_ptr_array_index (g->nodes, 0);
  ck_assert_str_eq (pl_node_get_attr (n, "note")->s, "hi");
  ck_assert_int_eq (pl_graph_value (g, pl_graph_find_value (g, "y"))->ndim, -1);

  /* raw_data instead of float_data. */
  guint8 raw[24];
  for (int i = 0; i < 6; i++)
    {
      guint32 u;
      float f = (float) i;
      memcpy (&u, &f, 4);
      for (int b = 0; b < 4; b++)
        raw[4 * i + b] = (guint8) (u >> (8 * b));
    }
  h.init[0].n_float_data = 0;
  h.init[0].has_raw_data = 1;
  h.init[0].raw_data.data = raw;
  h.init[0].raw_data.len = 24;
  g_autoptr (PlGraph) g2 = hand_load (&h, &error);
  ck_assert_msg (g2 != NULL, "%s", error ? error->message : "");
  const PlValue *w2 = pl_graph_value (g2, pl_graph_find_value (g2, "W"));
  ck_assert (w2->init->data[1] == 1.0f && w2->init->data[5] == 5.0f);

  /* INT64 in int64_data with small values: held as float. */
  int64_t iv[6] = { -3, 0, 1, 16777216, -16777216, 1099511627776 };   /* 2^24, 2^40 */
  h.init[0].has_raw_data = 0;
  h.init[0].data_type = 7;
  h.init[0].n_int64_data = 6;
  h.init[0].int64_data = iv;
  g_autoptr (PlGraph) g3 = hand_load (&h, &error);
  ck_assert_msg (g3 != NULL, "%s", error ? error->message : "");
  const PlValue *w3 = pl_graph_value (g3, pl_graph_find_value (g3, "W"));
  ck_assert_int_eq (w3->elem_type, 7);
  ck_assert (w3->init->data[0] == -3.0f && w3->init->data[3] == 16777216.0f);
  ck_assert (w3->init->data[5] == 1099511627776.0f);

  /* INT64 value that float32 cannot hold exactly: 2^24 + 1. */
  iv[2] = 16777217;
  hand_expect_error (&h, PL_ERROR_UNSUPPORTED, "16777217");
  iv[2] = G_MAXINT64;
  hand_expect_error (&h, PL_ERROR_UNSUPPORTED, "'W'");
  iv[2] = G_MININT64;   /* -2^63 is exact in float */
  g_autoptr (PlGraph) g4 = hand_load (&h, &error);
  ck_assert_msg (g4 != NULL, "%s", error ? error->message : "");

  /* INT64 in raw_data: 8 bytes little-endian each. */
  guint8 raw64[48] = { 0 };
  raw64[0] = 0xfe;   /* -2 */
  for (int b = 1; b < 8; b++)
    raw64[b] = 0xff;
  raw64[8] = 0x00;
  raw64[9] = 0x01;   /* 256 */
  h.init[0].n_int64_data = 0;
  h.init[0].has_raw_data = 1;
  h.init[0].raw_data.data = raw64;
  h.init[0].raw_data.len = 48;
  g_autoptr (PlGraph) g5 = hand_load (&h, &error);
  ck_assert_msg (g5 != NULL, "%s", error ? error->message : "");
  const PlValue *w5 = pl_graph_value (g5, pl_graph_find_value (g5, "W"));
  ck_assert (w5->init->data[0] == -2.0f && w5->init->data[1] == 256.0f);
}
END_TEST

START_TEST (test_hand_model_errors)
{
  Hand h;

  hand_init (&h);
  h.node_in[0] = (char *) "nowhere";
  hand_expect_error (&h, PL_ERROR_PARSE, "nowhere");
  hand_expect_error (&h, PL_ERROR_PARSE, "'mm'");

  hand_init (&h);
  h.init[0].n_float_data = 5;   /* shape needs 6 */
  hand_expect_error (&h, PL_ERROR_PARSE, "'W'");

  hand_init (&h);
  guint8 raw[20] = { 0 };
  h.init[0].n_float_data = 0;
  h.init[0].has_raw_data = 1;
  h.init[0].raw_data.data = raw;
  h.init[0].raw_data.len = 20;   /* needs 24 */
  hand_expect_error (&h, PL_ERROR_PARSE, "24 bytes");

  hand_init (&h);
  double dd[6] = { 0 };
  h.init[0].data_type = 11;
  h.init[0].n_float_data = 0;
  h.init[0].n_double_data = 6;
  h.init[0].double_data = dd;
  hand_expect_error (&h, PL_ERROR_UNSUPPORTED, "DOUBLE");

  hand_init (&h);
  h.init[0].data_type = 10;
  hand_expect_error (&h, PL_ERROR_UNSUPPORTED, "FLOAT16");

  hand_init (&h);
  h.init[0].data_type = 8;
  hand_expect_error (&h, PL_ERROR_UNSUPPORTED, "STRING");

  hand_init (&h);
  h.init[0].has_data_location = 1;
  h.init[0].data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  hand_expect_error (&h, PL_ERROR_UNSUPPORTED, "external");

  hand_init (&h);
  h.dims[0][0] = -3;
  hand_expect_error (&h, PL_ERROR_TOO_LARGE, "'W'");

  hand_init (&h);
  h.dims[0][0] = G_GINT64_CONSTANT (1) << 40;
  hand_expect_error (&h, PL_ERROR_TOO_LARGE, "'W'");

  hand_init (&h);
  h.in_dim[1].dim_value = -2;
  hand_expect_error (&h, PL_ERROR_TOO_LARGE, "'x'");

  hand_init (&h);
  h.node_out[0] = (char *) "x";   /* overwrites an input */
  h.out.name = (char *) "x";
  hand_expect_error (&h, PL_ERROR_PARSE, "already defined");

  hand_init (&h);
  h.out.name = (char *) "zzz";
  hand_expect_error (&h, PL_ERROR_PARSE, "zzz");

  hand_init (&h);
  h.attr.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
  hand_expect_error (&h, PL_ERROR_UNSUPPORTED, "'note'");

  hand_init (&h);
  h.model.graph = NULL;
  hand_expect_error (&h, PL_ERROR_PARSE, "not an ONNX model");

  /* Two initializers with one name. */
  hand_init (&h);
  h.init[1] = h.init[0];
  h.init_p[1] = &h.init[1];
  h.graph.n_initializer = 2;
  hand_expect_error (&h, PL_ERROR_PARSE, "twice");
}
END_TEST

START_TEST (test_tensor_file)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("pl-onnx-XXXXXX", &error);
  ck_assert_ptr_nonnull (dir);

  Onnx__TensorProto tp = ONNX__TENSOR_PROTO__INIT;
  int64_t dims[3] = { 1, 2, 2 };
  float vals[4] = { 1.5f, -2.0f, 0.0f, 1e-3f };
  tp.n_dims = 3;
  tp.dims = dims;
  tp.has_data_type = 1;
  tp.data_type = 1;
  tp.n_float_data = 4;
  tp.float_data = vals;
  tp.name = (char *) "x";
  gsize len = protobuf_c_message_get_packed_size (&tp.base);
  g_autofree guint8 *buf = g_malloc (len);
  protobuf_c_message_pack (&tp.base, buf);
  g_autofree char *path = write_temp (dir, "input_0.pb", buf, len);
  g_autoptr (PlTensor) t = pl_onnx_load_tensor_file (path, &error);
  ck_assert_msg (t != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (t->ndim, 3);
  ck_assert_int_eq (t->shape[2], 2);
  ck_assert_int_eq (memcmp (t->data, vals, sizeof vals), 0);

  /* Wrong size: error naming the file. */
  tp.n_float_data = 3;
  len = protobuf_c_message_get_packed_size (&tp.base);
  g_autofree guint8 *buf2 = g_malloc (len);
  protobuf_c_message_pack (&tp.base, buf2);
  g_autofree char *path2 = write_temp (dir, "bad_0.pb", buf2, len);
  PlTensor *bad = pl_onnx_load_tensor_file (path2, &error);
  ck_assert_ptr_null (bad);
  ck_assert (g_error_matches (error, PL_ERROR, PL_ERROR_PARSE));
  ck_assert_ptr_nonnull (strstr (error->message, "bad_0.pb"));
  g_clear_error (&error);

  /* Scalar INT64 (ndim 0). */
  Onnx__TensorProto sc = ONNX__TENSOR_PROTO__INIT;
  int64_t one[1] = { -7 };
  sc.has_data_type = 1;
  sc.data_type = 7;
  sc.n_int64_data = 1;
  sc.int64_data = one;
  len = protobuf_c_message_get_packed_size (&sc.base);
  g_autofree guint8 *buf3 = g_malloc (len);
  protobuf_c_message_pack (&sc.base, buf3);
  g_autoptr (PlTensor) s = pl_onnx_load_tensor_data (buf3, len, "scalar", &error);
  ck_assert_msg (s != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (s->ndim, 0);
  ck_assert_int_eq (s->numel, 1);
  ck_assert (s->data[0] == -7.0f);

  remove_dir (dir);
}
END_TEST

/* ---------------------------------------------------------------- ONNX's test data */

START_TEST (test_onnx_backend_conv)
{
  const char *dir = ONNX_NODE_DATA "/test_conv_with_strides_padding";
  g_autofree char *model = g_build_filename (dir, "model.onnx", NULL);
  if (!g_file_test (model, G_FILE_TEST_EXISTS))
    {
      fprintf (stderr, "SKIP: %s not installed (libonnx-testdata)\n", model);
      return;
    }
  g_autoptr (GError) error = NULL;
  g_autoptr (PlGraph) g = pl_onnx_load_file (model, &error);
  ck_assert_msg (g != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (g->nodes->len, 1);
  const PlNode *conv = g_ptr_array_index (g->nodes, 0);
  ck_assert_str_eq (conv->op_type, "Conv");
  const PlAttr *st = pl_node_get_attr (conv, "strides");
  ck_assert_ptr_nonnull (st);
  ck_assert_int_eq (st->n, 2);
  ck_assert_int_eq (st->ints[0], 2);
  const PlAttr *pads = pl_node_get_attr (conv, "pads");
  ck_assert_int_eq (pads->n, 4);
  ck_assert_int_eq (pads->ints[0], 1);
  /* x [1,1,7,5] and W [1,1,3,3] are both graph inputs in this test. */
  ck_assert_int_eq (g->inputs->len, 2);
  const PlValue *x = pl_graph_value (g, g_array_index (g->inputs, gint, 0));
  ck_assert_int_eq (x->ndim, 4);
  ck_assert_int_eq (x->shape[2], 7);
  ck_assert_int_eq (x->shape[3], 5);
  ck_assert_int_gt (g->opset, 0);

  g_autofree char *in0 = g_build_filename (dir, "test_data_set_0", "input_0.pb", NULL);
  g_autofree char *in1 = g_build_filename (dir, "test_data_set_0", "input_1.pb", NULL);
  g_autofree char *out0 = g_build_filename (dir, "test_data_set_0", "output_0.pb", NULL);
  g_autoptr (PlTensor) tx = pl_onnx_load_tensor_file (in0, &error);
  ck_assert_msg (tx != NULL, "%s", error ? error->message : "");
  g_autoptr (PlTensor) tw = pl_onnx_load_tensor_file (in1, &error);
  ck_assert_msg (tw != NULL, "%s", error ? error->message : "");
  g_autoptr (PlTensor) ty = pl_onnx_load_tensor_file (out0, &error);
  ck_assert_msg (ty != NULL, "%s", error ? error->message : "");
  ck_assert_int_eq (tx->ndim, 4);
  ck_assert_int_eq (tx->numel, 35);
  ck_assert_int_eq (tw->numel, 9);
  ck_assert_int_eq (ty->ndim, 4);
  ck_assert_int_eq (ty->shape[2], 4);
  ck_assert_int_eq (ty->shape[3], 3);
  /* The ONNX test uses x = 0..34 and W = ones. y[0,0,0,0] covers x[0..1][0..1] (the
   * window is padded by one): 0 + 1 + 5 + 6 = 12. */
  for (gint i = 0; i < 35; i++)
    ck_assert (tx->data[i] == (float) i);
  for (gint i = 0; i < 9; i++)
    ck_assert (tw->data[i] == 1.0f);
  ck_assert (ty->data[0] == 12.0f);

  /* Round trip through our writer. */
  gsize len = 0;
  g_autofree guint8 *data = pl_onnx_save_data (g, &len, &error);
  g_autoptr (PlGraph) h = pl_onnx_load_data (data, len, "resaved", &error);
  ck_assert_msg (h != NULL, "%s", error ? error->message : "");
  assert_graphs_equal (g, h);
}
END_TEST

/* Every model of ONNX's node tests loads or fails with a message; none crashes, and
 * whatever loads survives a save/load round trip. */
START_TEST (test_onnx_backend_all_nodes)
{
  g_autoptr (GDir) d = g_dir_open (ONNX_NODE_DATA, 0, NULL);
  if (d == NULL)
    {
      fprintf (stderr, "SKIP: %s not installed (libonnx-testdata)\n", ONNX_NODE_DATA);
      return;
    }
  const char *name;
  guint n_ok = 0, n_failed = 0;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *model = g_build_filename (ONNX_NODE_DATA, name, "model.onnx", NULL);
      if (!g_file_test (model, G_FILE_TEST_EXISTS))
        continue;
      g_autoptr (GError) error = NULL;
      g_autoptr (PlGraph) g = pl_onnx_load_file (model, &error);
      if (g == NULL)
        {
          ck_assert_ptr_nonnull (error);
          ck_assert_ptr_nonnull (strstr (error->message, name));
          ck_assert_msg (error->code == PL_ERROR_UNSUPPORTED, "%s", error->message);
          n_failed++;
          continue;
        }
      n_ok++;
      gsize len = 0;
      g_autofree guint8 *data = pl_onnx_save_data (g, &len, &error);
      ck_assert_ptr_nonnull (data);
      g_autoptr (PlGraph) h = pl_onnx_load_data (data, len, name, &error);
      ck_assert_msg (h != NULL, "%s: %s", name, error ? error->message : "");
      assert_graphs_equal (g, h);
    }
  fprintf (stderr, "ONNX node models: %u loaded, %u unsupported\n", n_ok, n_failed);
  ck_assert_uint_gt (n_ok, 100);
}
END_TEST

static Suite *
onnx_suite (void)
{
  Suite *s = suite_create ("onnx");
  TCase *tc = tcase_create ("core");
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_roundtrip_memory);
  tcase_add_test (tc, test_saved_model_fields);
  tcase_add_test (tc, test_roundtrip_file_and_bad_files);
  tcase_add_test (tc, test_hand_model_ok);
  tcase_add_test (tc, test_hand_model_errors);
  tcase_add_test (tc, test_tensor_file);
  tcase_add_test (tc, test_onnx_backend_conv);
  tcase_add_test (tc, test_onnx_backend_all_nodes);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (onnx_suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? 0 : 1;
}
