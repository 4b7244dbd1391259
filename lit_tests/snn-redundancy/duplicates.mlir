// RUN: xdsl-opt %s -p snn-redundancy --split-input-file | filecheck %s

// Hidden neurons 0 and 2 have the same incoming weights, bias and parameters: they spike
// together. Neuron 2 goes and its outgoing column is ADDED to neuron 0's (3 + 1 = 4,
// 6 + 4 = 10), so the readout sees the same current.
snn.graph @duplicates(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-03 : f64} {
  %a = snn.affine %x {weight = dense<[[1.0, 0.5], [0.0, 1.0], [1.0, 0.5]]> : tensor<3x2xf32>, bias = dense<[0.1, 0.2, 0.1]> : tensor<3xf32>} : tensor<2xf32> -> tensor<3xf32>
  %s = snn.lif %a {tau = dense<5.0e-3> : tensor<3xf32>, r = dense<1.0> : tensor<3xf32>, v_leak = dense<0.0> : tensor<3xf32>, v_threshold = dense<1.0> : tensor<3xf32>, v_reset = dense<0.0> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
  %b = snn.linear %s {weight = dense<[[3.0, 2.0, 1.0], [6.0, 5.0, 4.0]]> : tensor<2x3xf32>} : tensor<3xf32> -> tensor<2xf32>
  %o = snn.lif %b {tau = dense<5.0e-3> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %o : tensor<2xf32>
}

// CHECK-LABEL: @duplicates
// CHECK-NEXT:    %a = snn.affine %x {weight = dense<{{\[\[}}1.000000e+00, 5.000000e-01], [0.000000e+00, 1.000000e+00]]> : tensor<2x2xf32>, bias = dense<[1.000000e-01, 2.000000e-01]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %s = snn.lif %a {{.*}} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %b = snn.linear %s {weight = dense<{{\[\[}}4.000000e+00, 2.000000e+00], [1.000000e+01, 5.000000e+00]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %o = snn.lif %b {{.*}} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    snn.output %o : tensor<2xf32>

// -----

// Must not change: a row that is 0.25 times another is not a duplicate (the neurons reach
// threshold at different times), and equal rows with different thresholds are not either.
snn.graph @not_duplicates(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.0e-03 : f64} {
  %a = snn.linear %x {weight = dense<[[4.0, 2.0], [1.0, 0.5], [4.0, 2.0]]> : tensor<3x2xf32>} : tensor<2xf32> -> tensor<3xf32>
  %s = snn.lif %a {tau = dense<5.0e-3> : tensor<3xf32>, r = dense<1.0> : tensor<3xf32>, v_leak = dense<0.0> : tensor<3xf32>, v_threshold = dense<[1.0, 1.0, 2.0]> : tensor<3xf32>, v_reset = dense<0.0> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
  %b = snn.linear %s {weight = dense<[[1.0, 2.0, 3.0]]> : tensor<1x3xf32>} : tensor<3xf32> -> tensor<1xf32>
  snn.output %b : tensor<1xf32>
}

// CHECK-LABEL: @not_duplicates
// CHECK-NEXT:    %a = snn.linear %x {{.*}} : tensor<2xf32> -> tensor<3xf32>
// CHECK-NEXT:    %s = snn.lif %a {{.*}} : tensor<3xf32> -> tensor<3xf32>
// CHECK-NEXT:    %b = snn.linear %s {{.*}} : tensor<3xf32> -> tensor<1xf32>

// -----

// Must not change: duplicate output neurons stay (merging them would shift class indices).
snn.graph @output_layer(%x: tensor<1xf32>) -> tensor<2xf32> attributes {dt = 1.0e-03 : f64} {
  %a = snn.linear %x {weight = dense<[[1.0], [1.0]]> : tensor<2x1xf32>} : tensor<1xf32> -> tensor<2xf32>
  %o = snn.if %a {r = dense<1.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %o : tensor<2xf32>
}

// CHECK-LABEL: @output_layer
// CHECK-NEXT:    %a = snn.linear %x {{.*}} : tensor<1xf32> -> tensor<2xf32>
// CHECK-NEXT:    %o = snn.if %a {{.*}} : tensor<2xf32> -> tensor<2xf32>

// -----

// Recurrent duplicates: rows 0 and 1 agree in the feed-forward and the recurrent weight
// (including their entries for each other), so they stay in lockstep; the recurrent and the
// readout columns of 1 are added to those of 0.
snn.graph @recurrent(%x: tensor<1xf32>) -> tensor<1xf32> attributes {dt = 1.0e-03 : f64} {
  %f = snn.linear %x {weight = dense<[[2.0], [2.0], [1.0]]> : tensor<3x1xf32>} : tensor<1xf32> -> tensor<3xf32>
  %r = snn.recurrent %s : tensor<3xf32> -> tensor<3xf32>
  %w = snn.linear %r {weight = dense<[[0.5, 0.25, 1.0], [0.5, 0.25, 1.0], [0.125, 0.0, 0.0]]> : tensor<3x3xf32>} : tensor<3xf32> -> tensor<3xf32>
  %i = snn.add %f, %w : tensor<3xf32>
  %s = snn.lif %i {tau = dense<5.0e-3> : tensor<3xf32>, r = dense<1.0> : tensor<3xf32>, v_leak = dense<0.0> : tensor<3xf32>, v_threshold = dense<1.0> : tensor<3xf32>, v_reset = dense<0.0> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
  %o = snn.linear %s {weight = dense<[[1.0, 2.0, 3.0]]> : tensor<1x3xf32>} : tensor<3xf32> -> tensor<1xf32>
  snn.output %o : tensor<1xf32>
}

// CHECK-LABEL: @recurrent
// CHECK-NEXT:    %f = snn.linear %x {weight = dense<{{\[\[}}2.000000e+00], [1.000000e+00]]> : tensor<2x1xf32>}
// CHECK-NEXT:    %r = snn.recurrent %s : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %w = snn.linear %r {weight = dense<{{\[\[}}7.500000e-01, 1.000000e+00], [1.250000e-01, 0.000000e+00]]> : tensor<2x2xf32>}
// CHECK-NEXT:    %i = snn.add %f, %w : tensor<2xf32>
// CHECK-NEXT:    %s = snn.lif %i {{.*}} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %o = snn.linear %s {weight = dense<3.000000e+00> : tensor<1x2xf32>}
