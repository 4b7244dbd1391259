// RUN: xdsl-opt %s -p 'snn-prune{sparsity=0.5}' --split-input-file | filecheck %s

// Each synapse op reaches the target on its own: the round(0.5 * size) smallest magnitudes
// of each weight become zero, and the graph records what was reached over all weights.
snn.graph @layer_scope(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0 : f64} {
  %h = snn.linear %x {weight = dense<[[0.1, -2.0], [3.0, -0.2]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %s = snn.if %h {r = dense<1.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %y = snn.affine %s {weight = dense<[[10.0, 20.0], [30.0, -5.0]]> : tensor<2x2xf32>, bias = dense<[1.0, 2.0]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %y : tensor<2xf32>
}

// CHECK-LABEL: snn.graph @layer_scope
// CHECK-SAME:    snn.approximations = [{pass = "snn-prune", sparsity = 5.000000e-01 : f64, pruned = 4 : i64, scope = "layer", target = 5.000000e-01 : f64}]
// CHECK-NEXT:    %h = snn.linear %x {weight = dense<{{\[\[}}0.000000e+00, -2.000000e+00], [3.000000e+00, 0.000000e+00]]> : tensor<2x2xf32>}
// CHECK-NEXT:    %s = snn.if %h
// CHECK-NEXT:    %y = snn.affine %s {weight = dense<{{\[\[}}0.000000e+00, 2.000000e+01], [3.000000e+01, 0.000000e+00]]> : tensor<2x2xf32>, bias = dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>}
// CHECK-NEXT:    snn.output %y : tensor<2xf32>

// -----

// Ties at the cut: exactly round(0.5 * 4) = 2 weights go, the first ones in row-major order.
snn.graph @ties(%x: tensor<4xf32>) -> tensor<1xf32> attributes {dt = 1.0 : f64} {
  %y = snn.linear %x {weight = dense<[[0.5, -0.5, 0.5, 1.0]]> : tensor<1x4xf32>} : tensor<4xf32> -> tensor<1xf32>
  snn.output %y : tensor<1xf32>
}

// CHECK-LABEL: snn.graph @ties
// CHECK-NEXT:    %y = snn.linear %x {weight = dense<{{\[\[}}0.000000e+00, 0.000000e+00, 5.000000e-01, 1.000000e+00]]> : tensor<1x4xf32>}

// -----

// Must not change: existing zeros already reach the target, so no note either.
snn.graph @already_sparse(%x: tensor<4xf32>) -> tensor<1xf32> attributes {dt = 1.0 : f64} {
  %y = snn.linear %x {weight = dense<[[0.0, 0.0, 0.1, 1.0]]> : tensor<1x4xf32>} : tensor<4xf32> -> tensor<1xf32>
  snn.output %y : tensor<1xf32>
}

// CHECK-LABEL: snn.graph @already_sparse(%x: tensor<4xf32>) -> tensor<1xf32> attributes {dt = 1.000000e+00 : f64} {
// CHECK-NEXT:    %y = snn.linear %x {weight = dense<{{\[\[}}0.000000e+00, 0.000000e+00, 1.000000e-01, 1.000000e+00]]> : tensor<1x4xf32>}
