// RUN: xdsl-opt %s -p 'snn-quantize{param_bits=4}' --split-input-file | filecheck %s
// RUN: xdsl-opt %s -p 'snn-quantize{param_bits=0}' --split-input-file | filecheck %s --check-prefix=OFF

// 4-bit fixed point (7 steps): the voltages share the step 0.25 (1.0 <= 7 * 0.25), so
// v_reset 0.1 becomes 0; r keeps 1.0 on its own step. The decay dt/tau = 1/3 becomes 5 steps
// of 1/16 = 0.3125, and tau the f32 value 3.2 for which 1/tau is exactly 0.3125 in f32.
snn.graph @lif(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0 : f64} {
  %s = snn.lif %x {tau = dense<3.0> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>, v_threshold = dense<[1.0, 0.6]> : tensor<2xf32>, v_reset = dense<0.1> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %s : tensor<2xf32>
}

// CHECK-LABEL: snn.graph @lif
// CHECK-SAME:    neuron_ops = 1 : i64
// CHECK-NEXT:    %s = snn.lif %x {tau = dense<3.200000e+00> : tensor<2xf32>, r = dense<1.000000e+00> : tensor<2xf32>, v_leak = dense<0.000000e+00> : tensor<2xf32>, v_threshold = dense<[1.000000e+00, 5.000000e-01]> : tensor<2xf32>, v_reset = dense<0.000000e+00> : tensor<2xf32>}

// OFF-LABEL: snn.graph @lif(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.000000e+00 : f64} {
// OFF-NEXT:    %s = snn.lif %x {tau = dense<3.000000e+00> : tensor<2xf32>, r = dense<1.000000e+00> : tensor<2xf32>, v_leak = dense<0.000000e+00> : tensor<2xf32>, v_threshold = dense<[1.000000e+00, 6.000000e-01]> : tensor<2xf32>, v_reset = dense<1.000000e-01> : tensor<2xf32>}

// -----

// Decays share a step per parameter: tau_syn's decays 0.5 and 0.001 get the step 1/8, and
// the tiny one does not round to zero but keeps one step (tau 1000 -> 8: positive and finite,
// a relative decay error of 124 that the note reports). tau_mem is a group of its own, and so
// is the gain w_in (3.0 <= 7 * 0.5: 0.3 -> 0.5).
snn.graph @cuba(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0 : f64} {
  %s = snn.cuba_lif %x {tau_syn = dense<[2.0, 1.0e+03]> : tensor<2xf32>, tau_mem = dense<4.0> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>, w_in = dense<[3.0, 0.3]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %s : tensor<2xf32>
}

// CHECK-LABEL: snn.graph @cuba
// CHECK-SAME:    max_decay_error = 123.99{{[0-9]*}} : f64
// CHECK-NEXT:    %s = snn.cuba_lif %x {tau_syn = dense<[2.000000e+00, 8.000000e+00]> : tensor<2xf32>, tau_mem = dense<4.000000e+00> : tensor<2xf32>, r = dense<1.000000e+00> : tensor<2xf32>, v_leak = dense<0.000000e+00> : tensor<2xf32>, v_threshold = dense<1.000000e+00> : tensor<2xf32>, v_reset = dense<0.000000e+00> : tensor<2xf32>, w_in = dense<[3.000000e+00, 5.000000e-01]> : tensor<2xf32>}

// -----

// Must not change: every parameter is already on its grid, so no note either.
snn.graph @on_grid(%x: tensor<1xf32>) -> tensor<1xf32> attributes {dt = 1.0 : f64} {
  %v = snn.li %x {tau = dense<2.0> : tensor<1xf32>, r = dense<0.5> : tensor<1xf32>, v_leak = dense<-0.25> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
  snn.output %v : tensor<1xf32>
}

// CHECK-LABEL: snn.graph @on_grid(%x: tensor<1xf32>) -> tensor<1xf32> attributes {dt = 1.000000e+00 : f64} {
// CHECK-NEXT:    %v = snn.li %x {tau = dense<2.000000e+00> : tensor<1xf32>, r = dense<5.000000e-01> : tensor<1xf32>, v_leak = dense<-2.500000e-01> : tensor<1xf32>}
