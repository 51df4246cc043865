//! The units' source libraries, embedded in the binary so every build is self-contained: the
//! HLS library (hls/include/half/, and the host shim of hls/include/host/ for g++) and the
//! hand-written Verilog of hls/rtl/. A new unit adds its files here.

/// A Verilog library file: its name and its text, embedded from hls/rtl/.
macro_rules! rtl {
    ($f:literal) => {
        ($f, include_str!(concat!("../../hls/rtl/", $f)))
    };
}

/// The HLS library and the host shim: path in the project and text.
pub const HLS: [(&str, &str); 16] = [
    (
        "include/half/ap.h",
        include_str!("../../hls/include/half/ap.h"),
    ),
    (
        "include/half/half.h",
        include_str!("../../hls/include/half/half.h"),
    ),
    (
        "include/half/common.h",
        include_str!("../../hls/include/half/common.h"),
    ),
    (
        "include/half/swg.h",
        include_str!("../../hls/include/half/swg.h"),
    ),
    (
        "include/half/mvu.h",
        include_str!("../../hls/include/half/mvu.h"),
    ),
    (
        "include/half/vvu.h",
        include_str!("../../hls/include/half/vvu.h"),
    ),
    (
        "include/half/pool.h",
        include_str!("../../hls/include/half/pool.h"),
    ),
    (
        "include/half/add.h",
        include_str!("../../hls/include/half/add.h"),
    ),
    (
        "include/half/sim.h",
        include_str!("../../hls/include/half/sim.h"),
    ),
    (
        "include/half/concat.h",
        include_str!("../../hls/include/half/concat.h"),
    ),
    (
        "include/half/glue.h",
        include_str!("../../hls/include/half/glue.h"),
    ),
    (
        "include/host/ap_int.h",
        include_str!("../../hls/include/host/ap_int.h"),
    ),
    (
        "include/host/hls_stream.h",
        include_str!("../../hls/include/host/hls_stream.h"),
    ),
    (
        "include/host/half_cycles.h",
        include_str!("../../hls/include/host/half_cycles.h"),
    ),
    (
        "include/host/half_count.h",
        include_str!("../../hls/include/host/half_count.h"),
    ),
    (
        "include/host/ap_axi_sdata.h",
        include_str!("../../hls/include/host/ap_axi_sdata.h"),
    ),
];

/// The Verilog of every unit (hls/rtl/), embedded so every build is self-contained.
pub const RTL: [(&str, &str); 21] = [
    rtl!("half_add.v"),
    rtl!("half_axis_in.v"),
    rtl!("half_axis_out.v"),
    rtl!("half_concat.v"),
    rtl!("half_const_mul.v"),
    rtl!("half_decode_scale.v"),
    rtl!("half_dwc.v"),
    rtl!("half_fifo.v"),
    rtl!("half_finish.v"),
    rtl!("half_fork.v"),
    rtl!("half_lane_sum.v"),
    rtl!("half_mul.v"),
    rtl!("half_mvu.v"),
    rtl!("half_pool.v"),
    rtl!("half_requant.v"),
    rtl!("half_row_words.v"),
    rtl!("half_shift_sum.v"),
    rtl!("half_sum.v"),
    rtl!("half_swg.v"),
    rtl!("half_thresh.v"),
    rtl!("half_vvu.v"),
];
