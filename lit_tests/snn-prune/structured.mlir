// RUN: xdsl-opt %s -p 'snn-prune{sparsity=0.5 structured=true}' --split-input-file | filecheck %s
// A second run, on the printed and re-parsed result, changes nothing: the narrowed ops carry
// `unpruned_weights`, against which the target is already met (one note only).
// RUN: xdsl-opt %s -p 'snn-prune{sparsity=0.5 structured=true}' --split-input-file \
// RUN:   | xdsl-opt -p 'snn-prune{sparsity=0.5 structured=true}' --split-input-file | filecheck %s

// Whole neurons go, weakest incoming row (L2 norm) first, until the producer's weights reach
// 50 %: rows 0 and 2 of the hidden layer (norms 0.5 and 1) leave the whole index space (the
// first layer's rows, the neurons' parameters and rates, the second layer's columns). The
// graph output's space is pinned: it never shrinks.
snn.graph @neurons(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0 : f64} {
  %h = snn.linear %x {weight = dense<[[0.3, 0.4], [3.0, 4.0], [0.6, 0.8], [2.0, 0.0]]> : tensor<4x2xf32>} : tensor<2xf32> -> tensor<4xf32>
  %s = snn.if %h {r = dense<1.0> : tensor<4xf32>, v_threshold = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>, v_reset = dense<0.0> : tensor<4xf32>} : tensor<4xf32> -> tensor<4xf32>
  %y = snn.linear %s {weight = dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]> : tensor<2x4xf32>} : tensor<4xf32> -> tensor<2xf32>
  snn.output %y : tensor<2xf32>
}

// CHECK-LABEL: snn.graph @neurons(%x: tensor<2xf32>) -> tensor<2xf32>
// CHECK-SAME:    snn.approximations = [{pass = "snn-prune", sparsity = 5.625000e-01 : f64, pruned = 8 : i64, scope = "layer", target = 5.000000e-01 : f64, neurons_removed = 2 : i64}]
// CHECK-NEXT:    %h = snn.linear %x {weight = dense<{{\[\[}}3.000000e+00, 4.000000e+00], [2.000000e+00, 0.000000e+00]]> : tensor<2x2xf32>, unpruned_weights = 8 : i64} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %s = snn.if %h {r = dense<1.000000e+00> : tensor<2xf32>, v_threshold = dense<[2.000000e+00, 4.000000e+00]> : tensor<2xf32>, v_reset = dense<0.000000e+00> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %y = snn.linear %s {weight = dense<{{\[\[}}2.000000e+00, 4.000000e+00], [6.000000e+00, 8.000000e+00]]> : tensor<2x2xf32>, unpruned_weights = 8 : i64} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    snn.output %y : tensor<2xf32>

// -----

// Must not change: the only space a synapse produces is the graph output's.
snn.graph @pinned(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0 : f64} {
  %y = snn.linear %x {weight = dense<[[0.1, 0.1], [5.0, 5.0]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %y : tensor<2xf32>
}

// CHECK-LABEL: snn.graph @pinned(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.000000e+00 : f64} {
// CHECK-NEXT:    %y = snn.linear %x {weight = dense<{{\[\[}}1.000000e-01, 1.000000e-01], [5.000000e+00, 5.000000e+00]]> : tensor<2x2xf32>}
