#!/usr/bin/python3
"""Converts scikit-learn's bundled copies of four small UCI datasets into plain CSV files
with a header row of feature names and a label column, for data/datasets/.

usage: tools/convert-sklearn-datasets.py SKLEARN_DATA_DIR OUT_DIR
  SKLEARN_DATA_DIR: sklearn/datasets/data/ of Debian's python3-sklearn, e.g.
  /usr/lib/python3/dist-packages/sklearn/datasets/data
  OUT_DIR: data/datasets

sklearn's files start with a line "n_samples,n_features,class names..." and hold the
class index in the last column; the class NAMES are written instead. The feature names
are those of sklearn.datasets.load_* (spaces replaced by '_'). Values are copied as
text, unchanged. Only the standard library is needed.
"""
import csv
import gzip
import os
import sys

WINE = ["alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium",
        "total_phenols", "flavanoids", "nonflavanoid_phenols", "proanthocyanins",
        "color_intensity", "hue", "od280/od315_of_diluted_wines", "proline"]
IRIS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]  # in cm
BREAST = [p + " " + f for p in ("mean", "error", "worst")
          for f in ("radius", "texture", "perimeter", "area", "smoothness", "compactness",
                    "concavity", "concave points", "symmetry", "fractal dimension")]
# sklearn writes "radius error", not "error radius"
BREAST = [n if not n.startswith("error ") else n[6:] + " error" for n in BREAST]
BREAST = [n.replace(" ", "_") for n in BREAST]
DIABETES = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]


def convert_classes(src, dst, features, label):
    with open(src, newline="") as f:
        rows = list(csv.reader(f))
    n, n_features = int(rows[0][0]), int(rows[0][1])
    names = rows[0][2:]
    assert n_features == len(features) and len(rows) == n + 1, src
    with open(dst, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(features + [label])
        for r in rows[1:]:
            assert len(r) == n_features + 1, r
            w.writerow(r[:-1] + [names[int(r[-1])]])


def convert_diabetes(data_gz, target_gz, dst):
    with gzip.open(data_gz, "rt") as f:
        data = [line.split() for line in f if line.strip()]
    with gzip.open(target_gz, "rt") as f:
        target = [line.strip() for line in f if line.strip()]
    assert len(data) == len(target) == 442
    with open(dst, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(DIABETES + ["progression"])
        for r, t in zip(data, target):
            assert len(r) == len(DIABETES), r
            w.writerow(r + ["%g" % float(t)])


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    convert_classes(os.path.join(src, "iris.csv"), os.path.join(out, "iris.csv"), IRIS,
                    "species")
    convert_classes(os.path.join(src, "wine_data.csv"), os.path.join(out, "wine.csv"), WINE,
                    "cultivar")
    convert_classes(os.path.join(src, "breast_cancer.csv"),
                    os.path.join(out, "breast-cancer.csv"), BREAST, "diagnosis")
    convert_diabetes(os.path.join(src, "diabetes_data_raw.csv.gz"),
                     os.path.join(src, "diabetes_target.csv.gz"),
                     os.path.join(out, "diabetes.csv"))


if __name__ == "__main__":
    main()
