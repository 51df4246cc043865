// half-gen HLS layer library: every stage of the dataflow pipelines half-gen generates.
#ifndef HALF_HALF_H
#define HALF_HALF_H

#include "add.h"
#include "common.h"
#include "concat.h"
#include "glue.h"
#include "mvu.h"
#include "pool.h"
#include "swg.h"
#include "vvu.h"

#endif
