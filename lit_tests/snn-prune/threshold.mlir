// RUN: xdsl-opt %s -p 'snn-prune{threshold=0.25}' --split-input-file | filecheck %s
// Idempotent: pruning twice with the same threshold is pruning once.
// RUN: xdsl-opt %s -p 'snn-prune{threshold=0.25},snn-prune{threshold=0.25}' --split-input-file | filecheck %s

// Magnitudes at or below the threshold go, in every synapse op.
snn.graph @threshold(%x: tensor<3xf32>) -> tensor<2xf32> attributes {dt = 1.0 : f64} {
  %y = snn.affine %x {weight = dense<[[0.25, -0.26, 1.0], [-0.1, 0.0, 2.0]]> : tensor<2x3xf32>, bias = dense<[1.0, 2.0]> : tensor<2xf32>} : tensor<3xf32> -> tensor<2xf32>
  snn.output %y : tensor<2xf32>
}

// CHECK-LABEL: snn.graph @threshold
// CHECK-SAME:    snn.approximations = [{pass = "snn-prune", sparsity = 5.000000e-01 : f64, pruned = 2 : i64, threshold = 2.500000e-01 : f64}]}
// CHECK-NEXT:    %y = snn.affine %x {weight = dense<{{\[\[}}0.000000e+00, -2.600000e-01, 1.000000e+00], [0.000000e+00, 0.000000e+00, 2.000000e+00]]> : tensor<2x3xf32>, bias = dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>}
// CHECK-NEXT:    snn.output %y : tensor<2xf32>

// -----

// Must not change: nothing at or below the threshold, so no note.
snn.graph @nothing_small(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.0 : f64} {
  %y = snn.linear %x {weight = dense<[[0.5, -1.0]]> : tensor<1x2xf32>} : tensor<2xf32> -> tensor<1xf32>
  snn.output %y : tensor<1xf32>
}

// CHECK-LABEL: snn.graph @nothing_small(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.000000e+00 : f64} {
// CHECK-NEXT:    %y = snn.linear %x {weight = dense<{{\[\[}}5.000000e-01, -1.000000e+00]]> : tensor<1x2xf32>}
