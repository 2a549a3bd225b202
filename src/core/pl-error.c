#include "pl-error.h"

G_DEFINE_QUARK (pl-error-quark, pl_error)
