// The integer model of a small recurrent network, worked out by hand.
// RUN: xdsl-opt %s -p convert-snn-to-xylo | filecheck %s
//
// Hidden: tau_syn = 4 dt, tau_mem = 8 dt -> dash_syn 2, dash_mem 3 (exact). The gain of an
// input is r w_in 2^-(2+3) / (1 - 2^-2) = 1/24 (1/alpha = 4/3 compensates add-then-decay);
// each neuron's largest |gain * weight| is 1/24, so k = 127 * 24 = 3048 and the threshold
// 1.0 becomes floor(3048) + 1 = 3049 (+1: NIR's v > threshold is V >= 3049 on integers).
// 3049 * 2 > 4096, so the weight shift stays 0. Weights: 127 * W, rounded half to even
// (-0.5 -> -64, 0.25 -> 32). weights_in[i, j] is W1[j, i]; weights_rec[i, j] is W_rec[j, i].
// Readout: tau_syn = 2 dt, tau_mem = 4 dt -> dashes 1, 2; gain 2^-3 / 2^-1 = 1/4; largest
// |gW| = 1/8 and the threshold 0.5 is 508 steps, so shift 3 (4064 <= 4096) and
// weights 127 * W / 0.5: 0.5 -> 127, -0.25 -> -64; threshold floor(4064) + 1 = 4065.

snn.graph @net(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.0e-03 : f64} {
  %in = snn.linear %x {weight = dense<[[1.0, -0.5], [0.25, 0.5]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %prev = snn.recurrent %h : tensor<2xf32> -> tensor<2xf32>
  %rec = snn.linear %prev {weight = dense<[[0.0, 0.5], [-1.0, 0.0]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %sum = snn.add %in, %rec : tensor<2xf32>
  %h = snn.cuba_lif %sum {tau_syn = dense<4.0e-03> : tensor<2xf32>, tau_mem = dense<8.0e-03> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>, w_in = dense<1.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %o = snn.linear %h {weight = dense<[[0.5, -0.25]]> : tensor<1x2xf32>} : tensor<2xf32> -> tensor<1xf32>
  %y = snn.cuba_lif %o {tau_syn = dense<2.0e-03> : tensor<1xf32>, tau_mem = dense<4.0e-03> : tensor<1xf32>, r = dense<1.0> : tensor<1xf32>, v_leak = dense<0.0> : tensor<1xf32>, v_threshold = dense<0.5> : tensor<1xf32>, v_reset = dense<0.0> : tensor<1xf32>, w_in = dense<1.0> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
  snn.output %y : tensor<1xf32>
}

// CHECK:      snn.graph @net(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.000000e-03 : f64, snn.xylo = {chip = "xylo-audio2",
// CHECK-SAME:   weights_in = dense<[{{\[}}[127, 0], [32, 0]], {{\[}}[-64, 0], [64, 0]]]> : tensor<2x2x2xi8>,
// CHECK-SAME:   weights_rec = dense<[{{\[}}[0, 0], [-127, 0]], {{\[}}[64, 0], [0, 0]]]> : tensor<2x2x2xi8>,
// CHECK-SAME:   weights_out = dense<{{\[}}[127], [-64]]> : tensor<2x1xi8>,
// CHECK-SAME:   dash_mem = array<i64: 3, 3>, dash_mem_out = array<i64: 2>, dash_syn = array<i64: 2, 2>, dash_syn_2 = array<i64: 2, 2>, dash_syn_out = array<i64: 1>,
// CHECK-SAME:   threshold = array<i64: 3049, 3049>, threshold_out = array<i64: 4065>, bias = array<i64: 0, 0>, bias_out = array<i64: 0>,
// CHECK-SAME:   weight_shift_in = 0 : i64, weight_shift_rec = 0 : i64, weight_shift_out = 3 : i64,
// CHECK-SAME:   tau_error_syn = {{[0-9.e-]+}} : f64, tau_error_mem = {{[0-9.e-]+}} : f64
// The float ops are unchanged.
// CHECK-NEXT:   %in = snn.linear %x {weight = dense<{{\[}}[1.000000e+00, -5.000000e-01], [2.500000e-01, 5.000000e-01]]>
