// The arbitrary-precision types and streams the library uses, included in one place.
// The official open-source ap_int headers trip GCC's -Wmaybe-uninitialized inside their own
// default constructors (the value is left uninitialised on purpose, as in hardware); the
// warning is switched off for those headers only, so -Wall -Werror still covers our code.
#ifndef HALF_AP_H
#define HALF_AP_H

#ifndef AP_INT_MAX_W
#define AP_INT_MAX_W 4096
#endif
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <ap_int.h>
#include <hls_stream.h>
#include <ap_axi_sdata.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#endif
