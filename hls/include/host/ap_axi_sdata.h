// Host-only stand-in for the Xilinx AXI4-Stream side-channel struct (ap_axi_sdata.h).
// Uses nothing but ap_uint<W> and its data members, so it also works on top of the official
// ap_int.h. The include uses <> so the first ap_int.h on the include path is taken (the official
// one when its directory comes before this one).
// Vitis does not allow zero-width fields, so a zero width for user/id/dest gives ap_uint<1>.

#ifndef HALF_HOST_AP_AXI_SDATA_H
#define HALF_HOST_AP_AXI_SDATA_H

#include <ap_int.h>

template <int D, int U, int TI, int TD> struct ap_axiu {
  ap_uint<D> data;
  ap_uint<(D + 7) / 8> keep;
  ap_uint<(D + 7) / 8> strb;
  ap_uint<(U > 0) ? U : 1> user;
  ap_uint<1> last;
  ap_uint<(TI > 0) ? TI : 1> id;
  ap_uint<(TD > 0) ? TD : 1> dest;
};

#endif  // HALF_HOST_AP_AXI_SDATA_H
